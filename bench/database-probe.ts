import { MongoClient } from 'mongodb';

/** Latency percentiles of the database probe, in milliseconds. */
export interface DatabaseProbeResult {
  /** One findOne by _id: the cheapest round trip. */
  read: { p50: number; p99: number };
  /** A findOne then an updateOne by _id, one after the other: the least any turn asks of the database (read the call, compare-and-set it). */
  readThenWrite: { p50: number; p99: number };
  n: number;
}

/**
 * Times, every `everyMs` while a row runs, a findOne by _id and then an updateOne by _id on a
 * document of its own: what a turn's round trips cost at least under that load, on this machine.
 * Every turn but a status callback makes at least that pair, in sequence.
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
      const t2 = performance.now();
      reads.push(t1 - t0);
      pairs.push(t2 - t0);
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
      return { read: percentiles(reads), readThenWrite: percentiles(pairs), n: reads.length };
    },
  };
}
