import { MongoClient } from 'mongodb';

/** Latency percentiles of the database probe, in milliseconds. */
export interface DatabaseProbeResult {
  /** One findOne by _id: the cheapest round trip. */
  read: { p50: number; p99: number };
  /** An updateOne by _id then an insertOne, one after the other: the least a rating turn asks of the database (the compare-and-set on the call, then the rating). */
  twoWrites: { p50: number; p99: number };
  n: number;
}

/**
 * Times, every `everyMs` while a row runs, a findOne by _id (the cheapest round trip), then an
 * updateOne by _id and an insertOne in sequence, on documents of its own: what a turn's round
 * trips cost at least under that load, on this machine. A rating turn (a third of a call's
 * turns) and a "who" answer make at least two writes in sequence.
 */
export async function startDatabaseProbe(uri: string, db: string, everyMs = 20): Promise<{ stop(): Promise<DatabaseProbeResult> }> {
  const client = await MongoClient.connect(uri, { maxPoolSize: 1 });
  const probe = client.db(db).collection<{ _id: string; n?: number }>('bench_probe');
  await probe.updateOne({ _id: 'probe' }, { $set: { n: 0 } }, { upsert: true });
  const reads: number[] = [];
  const pairs: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 1; running; n++) {
      const t0 = performance.now();
      await probe.findOne({ _id: 'probe' });
      const t1 = performance.now();
      await probe.updateOne({ _id: 'probe', n: n - 1 }, { $set: { n } });
      await probe.insertOne({ _id: `probe-${n}`, n });
      const t2 = performance.now();
      reads.push(t1 - t0);
      pairs.push(t2 - t1);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const percentiles = (list: number[]) => {
    list.sort((a, b) => a - b);
    const at = (q: number) => list[Math.min(list.length - 1, Math.floor((q / 100) * list.length))] ?? NaN;
    return { p50: at(50), p99: at(99) };
  };
  return {
    async stop() {
      running = false;
      await loop;
      await client.close();
      return { read: percentiles(reads), twoWrites: percentiles(pairs), n: reads.length };
    },
  };
}
