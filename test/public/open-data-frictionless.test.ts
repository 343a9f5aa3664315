import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { jaapFixture, publishFixture } from './public-fixture';

/**
 * The open data as a user downloads it (datapackage.json and its CSVs, over HTTP) is a valid
 * Frictionless Data Package: `frictionless validate` (pinned in .ci/run) checks the descriptor,
 * every value against its table schema, and the primary and foreign keys. Without frictionless
 * the test is skipped on a developer's machine and fails under CI=true.
 */
const available = spawnSync('frictionless', ['--version'], { encoding: 'utf8' }).status === 0;
if (!available && process.env.CI === 'true') {
  throw new Error('frictionless is not installed: .ci/run installs it (pip install frictionless==5.18.1); the open data cannot be validated without it');
}
const maybe = available ? describe : describe.skip;
jest.setTimeout(120_000);

maybe(`the open data package (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline();
    await publishFixture(h.rt.publicResults);
    await jaapFixture(new JaapRegister(h.store), h.rt.publicResults);
  });
  afterAll(async () => h?.stop());

  it('validates under frictionless validate, keys included', async () => {
    const dir = tempDir('open-data-');
    const descriptor = (await (await fetch(`${h.url}/public/data/datapackage.json`)).json()) as { resources: { path: string }[] };
    fs.writeFileSync(path.join(dir, 'datapackage.json'), JSON.stringify(descriptor));
    for (const r of descriptor.resources) {
      const res = await fetch(`${h.url}/public/data/${r.path}`);
      expect(res.status).toBe(200);
      fs.writeFileSync(path.join(dir, r.path), Buffer.from(await res.arrayBuffer()));
    }
    const run = spawnSync('frictionless', ['validate', '--json', 'datapackage.json'], { cwd: dir, encoding: 'utf8', maxBuffer: 20_000_000 });
    const report = JSON.parse(run.stdout);
    const errors = [...(report.errors ?? []), ...(report.tasks ?? []).flatMap((t: { errors: unknown[] }) => t.errors)].map((e: { message?: string }) => e.message);
    expect(errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.tasks.map((t: { name: string; stats: { rows: number } }) => `${t.name} ${t.stats.rows}`)).toEqual(expect.arrayContaining(['periods 2', 'jaap-items 3', 'places 1887']));

    // A broken CSV fails: the check can fail.
    fs.appendFileSync(path.join(dir, 'jaap-items.csv'), 'x,120101-2025,999999,2025,2025-03-10,2026-03-10,C,1,a,health,,,,,maybe,,none,,,,\r\n');
    const broken = spawnSync('frictionless', ['validate', '--json', 'datapackage.json'], { cwd: dir, encoding: 'utf8', maxBuffer: 20_000_000 });
    expect(JSON.parse(broken.stdout).valid).toBe(false);
  });
});
