import { Store } from './store';

interface Counter {
  _id: string;
  value: number;
}

/** Atomic sequences kept in the database, so every instance draws from the same one. */
export class CountersRepository {
  constructor(private readonly store: Store) {}

  async next(name: string): Promise<number> {
    const doc = await this.store.collection<Counter>('counters').findOneAndUpdate({ _id: name }, { $inc: { value: 1 } }, { upsert: true });
    return doc!.value;
  }
}
