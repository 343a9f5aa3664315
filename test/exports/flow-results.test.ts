import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlowResultsVersionError, writeFlowResultsPackage } from '../../src/exports/flow-results';
import { flowResultsProblems } from '../../src/exports/flow-results-spec';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { Scorecard } from '../../src/scorecard/scorecard';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { FIXTURE, rating, storeRatings } from '../reports/rating-fixture';

const scorecard = loadScorecard(path.join(__dirname, '..', '..', 'config', 'scorecard.json'));
/** A caller who hung up after one rating, before the gender, age and disability questions. */
const HUNG_UP = { ...rating('h1', '010202', 'waiting-time', 2, '2026-02-02T03:00:00Z'), demographics: {} };
const ALL = [...FIXTURE, HUNG_UP];
/** 9 on a rating question: "don't know", no score; no answer to a 1-5 question, so it is not exported. */
const DONT_KNOW = { ...rating('dk1', '010202', 'medicines', 0, '2026-02-03T03:00:00Z'), score: null, noScore: 'dont-know' as const };

describe(`FLOIP Flow Results export (${ENGINE} store)`, () => {
  let store: Store;
  let dir: string;
  let result: { ratings: number; rows: number; id: string };
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store, [...FIXTURE, HUNG_UP, DONT_KNOW]);
    dir = tempDir('floip-');
    result = await writeFlowResultsPackage(store, scorecard, dir, { id: '0c364ee1-0305-42ad-9fc9-2ec5a80c55fa', now: new Date('2026-05-01T00:00:00Z') });
  });
  afterAll(async () => closeTestStore(store));

  const descriptor = () => JSON.parse(fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8'));
  const rows = () => JSON.parse(fs.readFileSync(path.join(dir, 'flow-results-data.json'), 'utf8')) as unknown[][];

  it('writes a Flow Results descriptor with one flow-results-data resource and its questions', () => {
    const d = descriptor();
    expect(d).toMatchObject({ profile: 'flow-results-package', flow_results_specification_version: '1.0.0-rc1', id: '0c364ee1-0305-42ad-9fc9-2ec5a80c55fa', created: '2026-05-01T00:00:00.000+00:00' });
    expect(d.resources).toHaveLength(1);
    const r = d.resources[0];
    expect(r).toMatchObject({ name: 'flow-results-data', path: 'flow-results-data.json', mediatype: 'application/json' });
    expect(r.schema.fields.map((f: { name: string }) => f.name)).toEqual(['timestamp', 'row_id', 'contact_id', 'session_id', 'question_id', 'response', 'response_metadata']);
    expect(r.schema.questions['health.staff-attitude']).toMatchObject({ type: 'select_one', type_options: { choices: ['1', '2', '3', '4', '5'] } });
    expect(r.schema.questions.gender.type_options.choices).toEqual(['woman', 'man', 'unstated']);
    expect(r.schema.questions.commune).toEqual({ type: 'text', label: 'Commune rated: six-digit NCDD commune code', type_options: {} });
    // one question per indicator (16) + commune, service, gender, age group, disability, ID-Poor card, language group
    expect(Object.keys(r.schema.questions)).toHaveLength(16 + 7);
    expect(r.schema.questions.id_poor).toEqual({ type: 'select_one', label: 'Family holds an ID-Poor card (optional)', type_options: { choices: ['yes', 'no', 'unstated'] } });
  });

  it('writes every rating except test calls as a 7-column response row with the hashed caller as contact', () => {
    const all = rows();
    const ratingRows = all.filter((r) => String(r[4]).includes('.'));
    expect(result.ratings).toBe(ALL.length - 1);
    expect(ratingRows).toHaveLength(ALL.length - 1);
    expect(all.every((r) => r.length === 7)).toBe(true);
    expect(new Set(all.map((r) => r[1])).size).toBe(all.length);
    const c1 = FIXTURE.find((f) => f.callerId === 'c1' && f.score === 4)!;
    expect(ratingRows).toContainEqual(['2026-02-10T03:00:00.000+00:00', c1._id, 'c1', c1.callSid, 'health.staff-attitude', '4', { commune_code: '010201', language: 'cmo' }]);
    // c1's first rating, replaced by the 4, is kept and marked with when it was replaced.
    const replaced = FIXTURE.find((f) => f.callerId === 'c1' && f.score === 1)!;
    expect(ratingRows.find((r) => r[1] === replaced._id)![6]).toEqual({ commune_code: '010201', language: 'km', superseded_at: '2026-02-10T03:00:00.000+00:00' });
    const questions = descriptor().resources[0].schema.questions;
    for (const r of all) {
      expect(questions[r[4] as string]).toBeDefined();
      const choices = questions[r[4] as string].type_options.choices;
      if (choices) expect(choices).toContain(r[5]);
      expect(String(r[2])).not.toMatch(/^\+?\d{8,}$/);
    }
    // c1's second call: one row each for commune, service and the four per-call questions.
    const session = all.filter((r) => r[3] === c1.callSid).map((r) => [r[4], r[5]]);
    expect(session).toEqual([['commune', '010201'], ['service', 'health'], ['health.staff-attitude', '4'], ['gender', 'woman'], ['age_group', 'unstated'], ['disability', 'yes'], ['language_group', 'indigenous']]);
    expect(all.some((r) => r[2] === 'c8')).toBe(false);
    expect(all.some((r) => r[2] === 'dk1')).toBe(false);
  });

  it('writes no rows for questions the caller was never asked', () => {
    const session = rows().filter((r) => r[3] === HUNG_UP.callSid).map((r) => r[4]);
    expect(session).toEqual(['commune', 'service', 'health.waiting-time', 'language_group']);
  });

  it('meets the Flow Results specification (descriptor and every row)', () => {
    expect(flowResultsProblems(descriptor(), rows())).toEqual([]);
  });

  it('has a specification check that catches what the issue found, and more', () => {
    const d = descriptor();
    const openCommune = JSON.parse(JSON.stringify(d));
    openCommune.resources[0].schema.questions.commune = { type: 'open', label: 'Commune', type_options: {} };
    expect(flowResultsProblems(openCommune, rows())[0]).toMatch(/an open response needs response_metadata.type and type_options/);
    const retired = JSON.parse(JSON.stringify(d));
    delete retired.resources[0].schema.questions['health.medicines'];
    expect(flowResultsProblems(retired, rows())[0]).toMatch(/question health.medicines is not in the schema/);
    const zulu = [...rows()];
    zulu[0] = [String(zulu[0][0]).replace('+00:00', 'Z'), ...zulu[0].slice(1)];
    expect(flowResultsProblems(d, zulu)[0]).toMatch(/^row 0: \/0 must match pattern/);
    expect(flowResultsProblems(d, [...rows(), rows()[0]]).join()).toMatch(/is not unique/);
    expect(flowResultsProblems({ ...d, id: 'not-a-uuid' }, rows()).join()).toMatch(/\/id: must match pattern/);
    expect(flowResultsProblems({ ...d, resources: [{ ...d.resources[0], data: [] }] }, rows()).length).toBeGreaterThan(0);
  });

  it('gives the same totals as the report when its rule for replaced ratings is applied', async () => {
    const Q1 = parsePeriod('2026-01-01', '2026-04-01');
    const fromExport = new Map<string, number>();
    for (const r of rows()) {
      const meta = r[6] as { commune_code?: string; superseded_at?: string } | null;
      if (!String(r[4]).includes('.')) continue;
      const at = new Date(String(r[0]));
      const replaced = meta?.superseded_at ? new Date(meta.superseded_at) : null;
      if (at < Q1.from || at >= Q1.to || (replaced && replaced < Q1.to)) continue;
      const key = `${meta!.commune_code}|${r[4]}|${r[5]}`;
      fromExport.set(key, (fromExport.get(key) ?? 0) + 1);
    }
    const fromReport = new Map<string, number>();
    for (const row of await RatingScope.of(store, Q1).countBy(['communeCode', 'service', 'indicatorId'])) {
      row.counts.forEach((n, k) => { if (n) fromReport.set(`${row.key.communeCode}|${row.key.service}.${row.key.indicatorId}|${k + 1}`, n); });
    }
    expect(fromExport).toEqual(fromReport);
    expect(fromExport.get('010201|health.staff-attitude|1')).toBeUndefined(); // c1's replaced 1
  });
});

describe(`FLOIP package versions (${ENGINE} store)`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store);
  });
  afterAll(async () => closeTestStore(store));

  const ID = '5b7e1c3a-7d2e-4f8a-9b1c-2d3e4f5a6b7c';
  const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8'));
  const variant = (change: (s: Scorecard) => void): Scorecard => {
    const s = JSON.parse(JSON.stringify(scorecard)) as Scorecard;
    change(s);
    return s;
  };
  const health = (s: Scorecard) => s.services.find((x) => x.id === 'health')!;

  it('keeps created and the version when exported again with the same id and the same questions', async () => {
    const dir = tempDir('floip-v-');
    await writeFlowResultsPackage(store, scorecard, dir, { id: ID, now: new Date('2026-05-01T00:00:00Z') });
    const again = await writeFlowResultsPackage(store, scorecard, dir, { id: ID, now: new Date('2026-06-01T00:00:00Z') });
    expect(read(dir)).toMatchObject({ id: ID, created: '2026-05-01T00:00:00.000+00:00', modified: '2026-05-01T00:00:00.000+00:00' });
    expect(again.created.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  it('keeps a retired indicator in the schema, and a new indicator makes a new version', async () => {
    const dir = tempDir('floip-v-');
    await writeFlowResultsPackage(store, scorecard, dir, { id: ID, now: new Date('2026-05-01T00:00:00Z') });
    // medicines retired, a new indicator added.
    const next = variant((s) => {
      health(s).indicators = health(s).indicators.filter((i) => i.id !== 'medicines');
      health(s).indicators.push({ id: 'privacy', en: 'Patients are examined in private' });
    });
    await writeFlowResultsPackage(store, next, dir, { id: ID, now: new Date('2026-06-01T00:00:00Z') });
    const d = read(dir);
    expect(d).toMatchObject({ created: '2026-05-01T00:00:00.000+00:00', modified: '2026-06-01T00:00:00.000+00:00' });
    expect(d.resources[0].schema.questions['health.medicines'].label).toBe('Health centre: Medicines are available (1 very bad ... 5 very good)');
    expect(d.resources[0].schema.questions['health.privacy']).toBeDefined();
    expect(flowResultsProblems(d, JSON.parse(fs.readFileSync(path.join(dir, 'flow-results-data.json'), 'utf8')))).toEqual([]);
  });

  it('lists an indicator the scorecard no longer has when its ratings are exported into a new package', async () => {
    const dir = tempDir('floip-v-');
    const retired = variant((s) => { health(s).indicators = health(s).indicators.filter((i) => i.id !== 'medicines'); });
    await writeFlowResultsPackage(store, retired, dir, { now: new Date('2026-05-01T00:00:00Z') });
    const d = read(dir);
    expect(d.resources[0].schema.questions['health.medicines'].label).toMatch(/no longer in the scorecard/);
    expect(flowResultsProblems(d, JSON.parse(fs.readFileSync(path.join(dir, 'flow-results-data.json'), 'utf8')))).toEqual([]);
  });

  it('refuses to change a question under the same id and leaves the previous version as it was', async () => {
    const dir = tempDir('floip-v-');
    await writeFlowResultsPackage(store, scorecard, dir, { id: ID, now: new Date('2026-05-01T00:00:00Z') });
    const before = fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8');
    const relabelled = variant((s) => { health(s).indicators[0].en = 'Staff are kind'; });
    await expect(writeFlowResultsPackage(store, relabelled, dir, { id: ID })).rejects.toThrow(FlowResultsVersionError);
    await expect(writeFlowResultsPackage(store, relabelled, dir, { id: ID })).rejects.toThrow(/health.staff-attitude.*Export with a new --id/);
    expect(fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8')).toBe(before);
    // A new id is a new package: created now.
    const fresh = await writeFlowResultsPackage(store, relabelled, dir, { now: new Date('2026-07-01T00:00:00Z') });
    expect(read(dir)).toMatchObject({ id: fresh.id, created: '2026-07-01T00:00:00.000+00:00', modified: '2026-07-01T00:00:00.000+00:00' });
  });
});
