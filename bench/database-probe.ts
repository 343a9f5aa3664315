import { MongoClient } from 'mongodb';

/**
 * Times one findOne by _id, the database's cheapest round trip, every `everyMs` while a row runs:
 * what each of a turn's round trips costs at least under that load, on this machine.
 */
export async function startDatabaseProbe(uri: string, db: string, everyMs = 20): Promise<{ stop(): Promise<{ p50: number; p99: number; n: number }> }> {
  const client = await MongoClient.connect(uri, { maxPoolSize: 1 });
  const probe = client.db(db).collection<{ _id: string }>('bench_probe');
  await probe.updateOne({ _id: 'probe' }, { $set: { at: new Date() } }, { upsert: true });
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await probe.findOne({ _id: 'probe' });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.close();
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor((q / 100) * latencies.length))] ?? NaN;
      return { p50: at(50), p99: at(99), n: latencies.length };
    },
  };
}
