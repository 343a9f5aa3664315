import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFlowResultsPackage } from '../../src/exports/flow-results';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { FIXTURE, storeRatings } from '../reports/rating-fixture';

const scorecard = loadScorecard(path.join(__dirname, '..', '..', 'config', 'scorecard.json'));

describe(`FLOIP Flow Results export (${ENGINE} store)`, () => {
  let store: Store;
  let dir: string;
  let result: { ratings: number; rows: number; id: string };
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store);
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
    // one question per indicator (16) + commune, service, gender, age group, disability, language group
    expect(Object.keys(r.schema.questions)).toHaveLength(16 + 6);
  });

  it('writes every rating except test calls as a 7-column response row with the hashed caller as contact', () => {
    const all = rows();
    const ratingRows = all.filter((r) => String(r[4]).includes('.'));
    expect(result.ratings).toBe(FIXTURE.length - 1);
    expect(ratingRows).toHaveLength(FIXTURE.length - 1);
    expect(all.every((r) => r.length === 7)).toBe(true);
    expect(new Set(all.map((r) => r[1])).size).toBe(all.length);
    const c1 = FIXTURE.find((f) => f.callerId === 'c1' && f.score === 4)!;
    expect(ratingRows).toContainEqual(['2026-02-10T03:00:00.000+00:00', c1._id, 'c1', c1.callSid, 'health.staff-attitude', '4', { commune_code: '010201', language: 'cmo' }]);
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
  });
});
