import { cpuVerdicts, ShapeResult } from '../../bench/call-load';

/** npm run bench's proof for a saturation row whose database shares the machine's cores. */
describe('the benchmark says when the database and load generator alone put the saturation target out of reach', () => {
  const row = (engine: ShapeResult['engine'], turnsPerSecond: number, cpu?: ShapeResult['cpu']): ShapeResult => ({
    engine, shape: 'saturation', calls: 0, turns: 0, seconds: 15, turnsPerSecond, p50: 0, p95: 0, p99: 0, errors: 0, errorSamples: [], peakMb: null, cpu,
  });
  const floor = row('floor', 2500, { server: 0.2, database: null, loadGenerator: 0.45 });

  it('out of reach: at 0.4 of 2,500 turns/s two cores leave 2 ms per turn, and the database and load generator use 2.3', () => {
    const [verdict] = cpuVerdicts([floor, row('mongodb', 500, { server: 1.4, database: 1.6, loadGenerator: 0.7 })], 2);
    expect(verdict).toMatch(/^mongodb saturation: .* alone use 2\.30 ms .* more than the 2\.00 ms .* out of reach/);
  });

  it('within reach: what is left for the hotline', () => {
    const [verdict] = cpuVerdicts([floor, row('mongodb', 900, { server: 0.9, database: 0.8, loadGenerator: 0.5 })], 2);
    expect(verdict).toBe('mongodb saturation: the database server and the load generator use 1.30 ms of CPU per turn of the 2.00 ms the target allows on 2 cores; 0.70 ms are left for the hotline, which used 0.90');
  });

  it('within reach on paper, with the embedded row as the measure of the hotline\'s own work per turn', () => {
    const embedded = row('embedded', 1300, { server: 0.8, database: null, loadGenerator: 0.5 });
    const [verdict] = cpuVerdicts([floor, embedded, row('mongodb', 700, { server: 0.9, database: 1.2, loadGenerator: 0.55 })], 2);
    expect(verdict).toBe('mongodb saturation: the database server and the load generator use 1.75 ms of CPU per turn of the 2.00 ms the target allows on 2 cores; 0.25 ms are left for the hotline, which used 0.90; on the embedded store, with no database server, it used 0.80');
  });

  it('no verdict for an engine without a database server (embedded) or without a floor row', () => {
    expect(cpuVerdicts([floor, row('embedded', 1200, { server: 0.8, database: null, loadGenerator: 0.5 })], 2)).toEqual([]);
    expect(cpuVerdicts([row('mongodb', 500, { server: 1.4, database: 1.6, loadGenerator: 0.7 })], 2)).toEqual([]);
  });
});
