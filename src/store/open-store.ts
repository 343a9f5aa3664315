import { AppConfig } from '../config/config';
import { StoreError } from '../errors';
import { EmbeddedStore } from './embedded-store';
import { runningHotlinePid } from './embedded-owner';
import { INDEXES } from './indexes';
import { MongoStore } from './mongo-store';
import { Store } from './store';

/**
 * Opens the engine the config names (MONGODB_URI set: MongoDB; otherwise embedded) and creates
 * indexes. On the embedded store, a command-line tool that only reads (`readOnly`) gets a
 * snapshot when the hotline is running; one that writes is refused then, with what to do.
 */
export async function openStore(
  config: Pick<AppConfig, 'mongodbUri' | 'mongodbDb' | 'dataDir'>,
  opts: { socketTimeoutMS?: number; readOnly?: boolean; tool?: string } = {},
): Promise<Store> {
  if (config.mongodbUri) {
    const store = await MongoStore.connect(config.mongodbUri, config.mongodbDb, opts);
    await store.ensureIndexes(INDEXES);
    return store;
  }
  const serving = opts.tool ? runningHotlinePid(config.dataDir) : null;
  if (serving && !opts.readOnly) {
    throw new StoreError(`the hotline (pid ${serving}) is running on the embedded store in ${config.dataDir} and would not see `
      + `what ${opts.tool} changes. Stop it (Ctrl-C), run this command again, then start it. On MongoDB this works while the hotline runs.`);
  }
  const store = new EmbeddedStore(config.dataDir, { snapshot: Boolean(serving) });
  await store.ensureIndexes(INDEXES);
  return store;
}
