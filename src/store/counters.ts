import { DuplicateKeyError } from '../errors';
import { Store } from './store';

interface Counter {
  _id: string;
  value: number;
}

/** Atomic sequences kept in the database, so every instance draws from the same one. */
export class CountersRepository {
  /** Sequences known to exist in this process; a sequence is never deleted while the hotline runs. */
  private readonly existing = new Set<string>();

  constructor(private readonly store: Store) {}

  async next(name: string): Promise<number> {
    const counters = this.store.collection<Counter>('counters');
    if (!this.existing.has(name)) {
      // The sequence is created by an insert, never by an upserting $inc: FerretDB 2.5 silently
      // drops some of several upserts that create one document at the same moment (5 of 20 in a
      // probe here), and two callers would then hear the same reference number. An insert that
      // loses the race fails loudly instead, which is what we want.
      try {
        await counters.insertOne({ _id: name, value: 0 });
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
      }
      this.existing.add(name);
    }
    const doc = await counters.findOneAndUpdate({ _id: name }, { $inc: { value: 1 } });
    if (!doc) throw new Error(`counter ${name} vanished from the database`);
    return doc.value;
  }
}
