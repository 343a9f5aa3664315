import { Store } from '../../src/store/store';
import { closeTestStore, openTestStore } from './engine';

/**
 * One test store for a whole file, its collections emptied before each test: opening and closing
 * a store costs about 300 ms, several times a small store-level test's own time, and the mutation
 * groups (stryker.config.mjs) run these files once per mutant. `collections`: every collection the
 * file's tests write. Returns a getter for the store.
 */
export function sharedTestStore(collections: readonly string[]): () => Store {
  let store: Store | undefined;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    if (store) await closeTestStore(store);
  });
  beforeEach(async () => {
    for (const name of collections) await store!.collection(name).deleteMany({});
  });
  return () => store!;
}
