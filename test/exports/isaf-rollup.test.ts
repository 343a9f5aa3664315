import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import Ajv from 'ajv';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { RoundRegister } from '../../src/rounds/round-register';
import { defaultPhonePeriod, resultId, roundId } from '../../src/rounds/scorecard-round';
import { ENGINE, tempDir } from '../support/engine';
import { planItem } from '../support/jaap-items';
import { storeForCommand } from '../support/report-command';
import { storeRatings } from '../reports/rating-fixture';
import { nodeEntry } from '../support/node-entry';

const root = path.join(__dirname, '..', '..');
const runExport = (env: Record<string, string>, args: string[]) => spawnSync(process.execPath, [...nodeEntry('scripts/export.ts'), ...args], {
  cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60000,
});

const AT = new Date('2025-03-01T03:00:00Z');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'isaf-rollup.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

/**
 * Issue 25, item 5: the national ISAF roll-up. Rounds with their stored results, JAAP plans and
 * items with their status history, and the JAAP result rows, each a typed record valid against
 * docs/isaf-rollup.schema.json; nothing about callers (the store holds callers' ratings too),
 * nor who on the staff changed what, nor the notes they wrote.
 */
describe(`npm run export -- --isaf (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  const dir = tempDir();
  beforeAll(async () => {
    opened = await storeForCommand(tempDir(), `test_isaf_${process.pid}_${Date.now()}`, async (store) => {
      await storeRatings(store); // callers' ratings, with caller ids: none of it may reach the export
      const rounds = new RoundRegister(store);
      const round = roundId('120101', 'health', 2025);
      await rounds.addRound({ _id: round, communeCode: '120101', districtCode: '1201', provinceCode: '12', service: 'health', year: 2025, plannedOn: '2025-02-10', heldOn: '2025-02-12', ...defaultPhonePeriod(2025, '2025-02-12'), state: 'completed', history: [{ state: 'open', at: AT, by: 'admin1' }], createdAt: AT, createdBy: 'admin1' });
      await rounds.addRound({ _id: roundId('010201', 'school', 2024), communeCode: '010201', districtCode: '0102', provinceCode: '01', service: 'school', year: 2024, ...defaultPhonePeriod(2024), state: 'planned', history: [], createdAt: AT, createdBy: 'admin1' });
      await rounds.saveResult({ _id: resultId(round, 'meeting', 'opening-hours'), roundId: round, channel: 'meeting', indicatorKey: 'opening-hours', counts: [1, 2, 3, 4, 5], strengths: ['open on time'], weaknesses: [], suggestedActions: ['post the hours'], priorityActions: ['post the hours'], source: 'desk', enteredBy: 'admin1', enteredAt: AT });
      await rounds.saveResult({ _id: resultId(round, 'self-assessment', 'opening-hours'), roundId: round, channel: 'self-assessment', indicatorKey: 'opening-hours', counts: [0, 0, 1, 2, 3], strengths: [], weaknesses: [], suggestedActions: [], priorityActions: [], source: 'phone-pin', enteredBy: 'provider', enteredAt: AT });
      const jaaps = new JaapRegister(store);
      await jaaps.addPlan({ _id: '120101-2025', communeCode: '120101', year: 2025, agreedOn: '2025-03-01', createdAt: AT, createdBy: 'admin1' });
      await jaaps.addPlan({ _id: '010201-2024', communeCode: '010201', year: 2024, agreedOn: '2024-03-01', createdAt: AT, createdBy: 'admin1' });
      await jaaps.addItems([
        planItem('120101', 2025, '2025-03-01', 'A', 1, { costRiel: 2_000_000, startMonth: '2025-04', endMonth: '2025-06', beneficiariesTotal: 100, beneficiariesFemale: 60 }),
        planItem('120101', 2025, '2025-03-01', 'B', 1, { status: 'done', doneAt: new Date('2025-06-01T03:00:00Z'), history: [{ status: 'done', at: new Date('2025-06-01T03:00:00Z'), by: 'rev1', note: 'caller +85512345678 confirmed' }] }),
        planItem('010201', 2024, '2024-03-01', 'B', 1),
      ]);
    });
  }, 60_000);
  afterAll(async () => opened.close());

  const records = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

  it('writes NDJSON records of every type, each valid against the schema, with no caller data, staff names or notes', () => {
    const out = path.join(dir, 'isaf.ndjson');
    const r = runExport(opened.env, ['--isaf', '--format', 'ndjson', '--from', '2025-01-01', '--to', '2026-01-01', '--as-of', '2026-06-01', '--out', out]);
    expect(r.stderr).not.toMatch(/^export: /m);
    expect(r.status).toBe(0);
    const all = records(out);
    for (const record of all) expect({ record, valid: validate(record), errors: validate.errors }).toMatchObject({ valid: true });
    expect(all[0]).toMatchObject({ type: 'export', schemaVersion: 1, from: '2025-01-01', to: '2026-01-01', asOf: '2026-06-01', phoneFigures: 'not-included' });
    const types = all.map((x) => x.type);
    expect(types.filter((t) => t === 'scorecard-round')).toHaveLength(1); // the 2024 round is outside the period
    expect(types.filter((t) => t === 'jaap-plan')).toHaveLength(1);
    expect(types.filter((t) => t === 'jaap-item')).toHaveLength(2);
    const round = all.find((x) => x.type === 'scorecard-round');
    expect(round.results.map((x: { channel: string; counts: number[] }) => `${x.channel} ${x.counts.join('')}`)).toEqual(['meeting 12345', 'self-assessment 00123']);
    const done = all.find((x) => x.id === '120101-2025-B1');
    expect(done).toMatchObject({ status: 'done', doneAt: '2025-06-01T03:00:00.000Z', history: [{ status: 'done', at: '2025-06-01T03:00:00.000Z' }] });
    expect(all.find((x) => x.type === 'jaap-result' && x.level === 'country' && x.breakdown === 'all')).toMatchObject({ agreed: 2, solvedWithin12Months: 1, share: 0.5, notSolved: 1 });
    const text = fs.readFileSync(out, 'utf8');
    expect(text).not.toMatch(/callerId|caller_id|"by"|"note"|createdBy|enteredBy|admin1|rev1/);
    expect(text).not.toMatch(/\+?855[0-9]{6,}/);
  });

  it('writes one JSON document of the same records; without a period, everything', () => {
    const out = path.join(dir, 'isaf.json');
    const r = runExport(opened.env, ['--isaf', '--format', 'json', '--as-of', '2026-06-01', '--out', out]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(doc).toMatchObject({ type: 'isaf-rollup', schemaVersion: 1 });
    for (const record of doc.records) expect({ record, valid: validate(record), errors: validate.errors }).toMatchObject({ valid: true });
    expect(doc.records.filter((x: { type: string }) => x.type === 'scorecard-round')).toHaveLength(2);
    expect(doc.records.filter((x: { type: string }) => x.type === 'jaap-item')).toHaveLength(3);
    expect(doc.records[0]).toMatchObject({ from: null, to: null });
    expect(fs.existsSync(`${out}.part`)).toBe(false);
  });

  it('refuses another format, half a period, and an unknown option, writing nothing', () => {
    const out = path.join(dir, 'refused.ndjson');
    expect(runExport(opened.env, ['--isaf', '--format', 'csv', '--out', out]).status).toBe(2);
    expect(runExport(opened.env, ['--isaf', '--format', 'ndjson', '--from', '2025-01-01', '--out', out]).status).toBe(2);
    expect(runExport(opened.env, ['--isaf', '--format', 'ndjson', '--phone', '1', '--out', out]).status).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the ISAF roll-up schema', () => {
  it('refuses a record with a caller id or a field it does not list', () => {
    const item = { type: 'jaap-plan', schemaVersion: 1, id: '120101-2025', communeCode: '120101', districtCode: '1201', provinceCode: '12', year: 2025, agreedOn: '2025-03-01' };
    expect(validate(item)).toBe(true);
    expect(validate({ ...item, callerId: 'abc' })).toBe(false);
    expect(validate({ ...item, type: 'caller' })).toBe(false);
  });
});
