import { Store } from '../../src/store/store';

/**
 * The store with one collection's writes of one kind failing as a database would (disk full,
 * connection lost): for checking that such a failure surfaces, and is never taken for the
 * duplicate key a module expects and swallows.
 */
export function failingWrites(store: Store, collection: string, method: 'insertOne' | 'updateOne' | 'findOneAndUpdate', error = new Error('database unavailable')): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'collection') {
        return (name: string) => {
          const c = target.collection(name);
          if (name !== collection) return c;
          return new Proxy(c, {
            get(t, p) {
              if (p === method) return async () => { throw error; };
              const v = Reflect.get(t, p) as unknown;
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
