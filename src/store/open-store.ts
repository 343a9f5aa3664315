import { AppConfig } from '../config/config';
import { EmbeddedStore } from './embedded-store';
import { INDEXES } from './indexes';
import { MongoStore } from './mongo-store';
import { Store } from './store';

/** Opens the engine the config names (MONGODB_URI set: MongoDB; otherwise embedded) and creates indexes. */
export async function openStore(
  config: Pick<AppConfig, 'mongodbUri' | 'mongodbDb' | 'dataDir'>,
  opts: { socketTimeoutMS?: number } = {},
): Promise<Store> {
  const store: Store = config.mongodbUri
    ? await MongoStore.connect(config.mongodbUri, config.mongodbDb, opts)
    : new EmbeddedStore(config.dataDir);
  await store.ensureIndexes(INDEXES);
  return store;
}
