/**
 * The Digital Community Scorecard app's Excel scorecard report into scorecard rounds. The test
 * workbooks (test/support/dcs-report.ts) are shaped as the app's builder writes them:
 * kakada/scorecard-web, lib/builders/excel_builders/scorecard_report_excel_builder.rb at commit
 * 10285c0d651dd0c78c8ce89b17ff7fb51badc42a.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { DCS_COLUMNS, DCS_FILE_MAX_BYTES, DcsImportContext, importDcsReport, meetingDay, readDcsReport } from '../../src/rounds/dcs-import';
import { RoundRegister } from '../../src/rounds/round-register';
import { defaultPhonePeriod, resultId, roundId } from '../../src/rounds/scorecard-round';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Facility } from '../../src/site/programme-areas';
import { ENGINE, tempDir } from '../support/engine';
import { storeForCommand } from '../support/report-command';
import { dcsReport as report, ReportRow } from '../support/dcs-report';
import { sharedTestStore } from '../support/shared-store';
import { nodeEntry } from '../support/node-entry';

const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const FACILITIES: Facility[] = [
  { id: 'hc-ampov-prey', service: 'health', code: 'HC-080101', name: { en: 'Ampov Prey health centre', km: 'មណ្ឌលសុខភាពអំពៅព្រៃ' }, communes: ['080101', '080102'] },
  { id: 'ps-ampov-prey', service: 'school', name: { en: 'Ampov Prey primary school', km: 'សាលាបឋមសិក្សាអំពៅព្រៃ' }, communes: ['080101'] },
  { id: 'ps-prey-toteung', service: 'school', name: { en: 'Prey Toteung primary school', km: 'សាលាបឋមសិក្សាព្រៃទទឹង' }, communes: ['080101'] },
];
const ctx: DcsImportContext = { gazetteer, scorecard, facilities: FACILITIES };
const NOW = new Date('2024-04-01T03:00:00Z');

const HEALTH_EN = { status: 'Completed', province: 'Kandal', district: 'Kandal Stueng', commune: 'Ampov Prey', facility: 'Health Center', provider: 'Ampov Prey', date: '05 Mar 2024, 09:30 am' };
const ENGLISH: ReportRow[] = [
  { ...HEALTH_EN, id: '482913', type: '1=Community Scorecard', indicator: 'Medicines are available', counts: [null, 2, 5, 3, null], average: '3=Acceptable', strength: 'Friendly midwife; Clean rooms', weakness: 'No medicine at night', suggested: ['Stock list on the board', 'Night duty roster'] },
  { ...HEALTH_EN, id: '482913', type: '1=Community Scorecard', indicator: 'Other', other: 'Clean toilets for girls', counts: [4, 6, null, null, null], average: '2=Bad', suggested: ['Build a second latrine'] },
  { ...HEALTH_EN, id: '482914', type: '2=Self Assessment', indicator: 'Health staff are polite and respectful', counts: [null, null, null, 3, 2], average: '4=Good', date: '06 Mar 2024, 08:00 am' },
  // A planned scorecard: no voted indicator, the date right after the provider.
  { ...HEALTH_EN, id: '482915', status: 'Planned', type: '1=Community Scorecard', date: '20 Jun 2024, 08:00 am' },
];
const KHMER: ReportRow[] = [
  // The app writes Pumi's Khmer names; its province is spelled with ្ដ where the gazetteer has ្ត.
  { id: '771204', status: 'ដាក់ជូនត្រួតពិនិត្យ', province: 'កណ្ដាល', district: 'កណ្ដាលស្ទឹង', commune: 'អំពៅព្រៃ', type: '2=អង្ភភាពផ្តល់សេវា', facility: 'បឋមសិក្សា', provider: 'សាលាបឋមសិក្សាព្រៃទទឹង', indicator: 'No informal payments are asked of pupils', counts: ['២', null, '៣', null, null], average: '2=ខ្សោយ', strength: 'គ្រូមកទាន់ពេល', date: '12 មីនា 2024, 02:00 ល្ងាច' },
];

describe('the DCS scorecard report, read', () => {
  it('reads an English report: the place from its names, the health centre of the commune, both types, a proposed indicator, empty counts as none', async () => {
    const read = await readDcsReport(await report('en', ENGLISH), ctx);
    expect(read.problems).toEqual([]);
    expect(read.skipped).toEqual([5]);
    const round = roundId('080101', 'hc-ampov-prey', 2024);
    expect(read.rows.map((r) => `${r.row} ${r.round._id} ${r.channel} ${r.indicatorKey} ${r.counts.join('')}`)).toEqual([
      `2 ${round} meeting medicines 02530`,
      `3 ${round} meeting proposed:clean-toilets-for-girls 46000`,
      `4 ${round} self-assessment staff-attitude 00032`,
    ]);
    expect(read.rows[0]).toMatchObject({
      dcsScorecardId: '482913', completed: true, strengths: ['Friendly midwife', 'Clean rooms'], weaknesses: ['No medicine at night'], suggestedActions: ['Stock list on the board', 'Night duty roster'],
      round: { communeCode: '080101', districtCode: '0801', provinceCode: '08', service: 'health', facilityId: 'hc-ampov-prey', year: 2024, plannedOn: '2024-03-05', heldOn: '2024-03-05', ...defaultPhonePeriod(2024, '2024-03-05') },
    });
    expect(read.rows[1].indicatorName).toBe('Clean toilets for girls');
  });

  it('reads a Khmer report: Khmer headers, place names, month, digits and status; the school named as the provider', async () => {
    const read = await readDcsReport(await report('km', KHMER), ctx);
    expect(read.problems).toEqual([]);
    expect(read.rows).toEqual([expect.objectContaining({
      dcsScorecardId: '771204', completed: false, channel: 'self-assessment', indicatorKey: 'informal-fees', counts: [2, 0, 3, 0, 0], strengths: ['គ្រូមកទាន់ពេល'],
      round: expect.objectContaining({ _id: roundId('080101', 'ps-prey-toteung', 2024), service: 'school', facilityId: 'ps-prey-toteung', heldOn: '2024-03-12' }),
    })]);
  });

  it('reads the meeting day as the app writes it, an ISO day or an Excel date; nothing else', () => {
    expect(meetingDay('05 Mar 2024, 09:30 am')).toBe('2024-03-05');
    expect(meetingDay('០៥ ធ្នូ ២០២៣, ០៩:៣០ ព្រឹក')).toBe('2023-12-05');
    expect(meetingDay('2024-02-29')).toBe('2024-02-29');
    expect(meetingDay(new Date('2024-07-01T00:00:00Z'))).toBe('2024-07-01');
    for (const bad of ['31 Feb 2024, 09:30 am', 'March 2024', '05 Foo 2024', '', '2023-02-29']) expect(meetingDay(bad)).toBeNull();
  });

  it('refuses every problem of a file at once, by row and column', async () => {
    const good = ENGLISH[0];
    const rows: ReportRow[] = [
      good,
      { ...good, id: '1', commune: 'Nowhere' },
      { ...good, id: '2', facility: 'Police station' },
      { ...good, id: '3', date: 'sometime in March' },
      { ...good, id: '4', counts: ['many', 1, null, null, null] },
      { ...good, id: '5', counts: [null, null, null, null, null] },
      { ...good }, // the same scorecard and indicator again
      { ...good, id: '6', type: '3=Something else', status: 'Lost' },
      { ...good, id: '7', facility: 'Primary School', provider: 'Unknown school', indicator: 'Teachers come to class on time every day' },
      { ...good, id: '', average: 'good' },
      { ...good, indicator: 'Medicines are available', date: '07 Mar 2024, 09:30 am' }, // scorecard 482913 on another day
    ];
    const read = await readDcsReport(await report('en', rows), ctx);
    expect(read.rows).toEqual([]);
    expect(read.problems.map((p) => `${p.row} ${p.column} ${p.key}`)).toEqual([
      '3 commune commune-unknown',
      '4 facility facility-unknown',
      '5 meeting-date date-bad',
      '6 count-1 count-bad',
      '7 count-1 counts-none',
      '8 indicator duplicate',
      '9 status status-unknown',
      '9 type type-unknown',
      '10 provider provider-unknown',
      '11 scorecard-id scorecard-id-empty',
      '11 average average-bad',
      '12 scorecard-id scorecard-differs',
    ]);
    expect(read.problems[0].message).toBe('There is no commune "Nowhere" in district "Kandal Stueng", province "Kandal" in the gazetteer: check the names, or type the six-digit commune code.');
    expect(read.problems[5].message).toBe('The same indicator of the same round is already on row 2.');
  });

  it('refuses a changed header, a file over the limit and a file that is not Excel', async () => {
    const header = DCS_COLUMNS.map((c) => c.en as string);
    header[5] = 'Commune name';
    header.splice(20, 1); // the "(Other)" column left out: every later column is off by one
    const read = await readDcsReport(await report('en', ENGLISH, header), ctx);
    expect(read.problems[0]).toMatchObject({ row: 1, column: 'commune', key: 'header-wrong', vars: { position: 6, expected: 'Commune', found: 'Commune name' } });
    expect(read.problems.map((p) => p.column)).toContain('indicator-other');
    expect((await readDcsReport(Buffer.alloc(DCS_FILE_MAX_BYTES + 1), ctx)).problems.map((p) => p.key)).toEqual(['file-too-large']);
    expect((await readDcsReport(Buffer.from('#,Scorecard ID\n1,2\n'), ctx)).problems.map((p) => p.key)).toEqual(['file-unreadable']);
    expect((await readDcsReport(await report('en', []), ctx)).problems.map((p) => p.key)).toEqual(['no-rows']);
  });
});

describe(`the DCS scorecard report, imported (${ENGINE} store)`, () => {
  const store = sharedTestStore(['scorecard_rounds', 'round_results', 'staff_audit']);
  let register: RoundRegister;
  beforeEach(() => { register = new RoundRegister(store()); });
  const everything = async () => ({
    rounds: await store().collection('scorecard_rounds').find({}, { sort: { _id: 1 } }),
    results: await store().collection('round_results').find({}, { sort: { _id: 1 } }),
  });

  it('makes the missing round (completed as the app says), stores both channels and links the DCS ids; the same file again changes nothing, not even entry times', async () => {
    const read = await readDcsReport(await report('en', ENGLISH), ctx);
    const first = await importDcsReport(register, read, { by: 'dara', now: NOW });
    const round = roundId('080101', 'hc-ampov-prey', 2024);
    expect(first).toMatchObject({ roundsAdded: [round], roundsUpdated: [], resultsWritten: 3, resultsUnchanged: 0, resultsRemoved: 0, skipped: [5], problems: [] });
    expect(await register.round(round)).toMatchObject({ state: 'completed', history: [{ state: 'completed', at: NOW, by: 'dara' }], heldOn: '2024-03-05', phoneFrom: '2023-03-05', phoneTo: '2024-03-05', dcsScorecardIds: ['482913', '482914'], createdBy: 'dara' });
    expect((await register.resultsOf(round, 'meeting')).map((r) => [r.indicatorKey, r.indicatorName, r.source])).toEqual([['medicines', undefined, 'dcs-import'], ['proposed:clean-toilets-for-girls', 'Clean toilets for girls', 'dcs-import']]);
    expect((await register.resultsOf(round, 'self-assessment')).map((r) => r.counts)).toEqual([[0, 0, 0, 3, 2]]);

    const before = await everything();
    const again = await importDcsReport(register, await readDcsReport(await report('en', ENGLISH), ctx), { by: 'sokha', now: new Date(NOW.getTime() + 86_400_000) });
    expect(again).toMatchObject({ roundsAdded: [], roundsUpdated: [round], resultsWritten: 0, resultsUnchanged: 3, resultsRemoved: 0 });
    expect(await everything()).toEqual(before);
  });

  it('gives a round already in the register the file\'s results for that channel in place of the earlier ones, keeping its state and the priorities still suggested', async () => {
    const round = roundId('080101', 'ps-prey-toteung', 2024);
    await register.addRound({ _id: round, communeCode: '080101', districtCode: '0801', provinceCode: '08', service: 'school', facilityId: 'ps-prey-toteung', year: 2024, plannedOn: '2024-03-10', ...defaultPhonePeriod(2024, '2024-03-10'), state: 'open', history: [], createdAt: NOW, createdBy: 'admin1' });
    const earlier = { roundId: round, channel: 'self-assessment' as const, counts: [1, 1, 1, 1, 1] as [number, number, number, number, number], strengths: [], weaknesses: [], suggestedActions: ['Post the fees'], priorityActions: ['Post the fees'], source: 'desk' as const, enteredBy: 'admin1', enteredAt: NOW };
    await register.saveResult({ ...earlier, _id: resultId(round, 'self-assessment', 'teacher-attendance'), indicatorKey: 'teacher-attendance' });
    await register.saveResult({ ...earlier, _id: resultId(round, 'meeting', 'teacher-attendance'), channel: 'meeting', indicatorKey: 'teacher-attendance' });
    const withSuggestion = [{ ...KHMER[0], suggested: ['Post the fees'] }];
    await register.saveResult({ ...earlier, _id: resultId(round, 'self-assessment', 'informal-fees'), indicatorKey: 'informal-fees' });

    const outcome = await importDcsReport(register, await readDcsReport(await report('km', withSuggestion), ctx), { by: 'dara', now: NOW });
    expect(outcome).toMatchObject({ roundsAdded: [], roundsUpdated: [round], resultsWritten: 1, resultsRemoved: 1, problems: [] });
    expect(await register.round(round)).toMatchObject({ state: 'open', history: [], dcsScorecardIds: ['771204'] });
    expect((await register.resultsOf(round)).map((r) => `${r.channel} ${r.indicatorKey} ${r.source} ${r.counts.join('')} ${r.priorityActions.join('')}`)).toEqual([
      'meeting teacher-attendance desk 11111 Post the fees',
      'self-assessment informal-fees dcs-import 20300 Post the fees',
    ]);
  });

  it('writes nothing when one row of the file is wrong', async () => {
    const rows = [...ENGLISH, { ...ENGLISH[0], id: '9', commune: 'Nowhere' }];
    const outcome = await importDcsReport(register, await readDcsReport(await report('en', rows), ctx), { by: 'dara', now: NOW });
    expect(outcome.problems.map((p) => `${p.row} ${p.key}`)).toEqual(['6 commune-unknown']);
    expect(outcome.roundsAdded).toEqual([]);
    expect(await everything()).toEqual({ rounds: [], results: [] });
  });
});

describe(`npm run rounds -- import (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    opened = await storeForCommand(path.join(dir, 'data'), `test_rounds_cmd_${process.pid}_${Date.now()}`, async () => undefined);
  });
  afterAll(async () => opened.close());
  const run = (...args: string[]) => spawnSync(process.execPath, [...nodeEntry('scripts/rounds.ts'), ...args], { cwd: root, env: { ...process.env, ...opened.env, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });

  it('imports a report, says what it did, and refuses a bad one with every problem and nothing written', async () => {
    const good = path.join(dir, 'report.xlsx');
    fs.writeFileSync(good, await report('en', ENGLISH));
    const bad = path.join(dir, 'bad.xlsx');
    fs.writeFileSync(bad, await report('en', [{ ...ENGLISH[0], commune: 'Nowhere' }, { ...ENGLISH[1], date: 'soon' }]));
    const refused = run('import', bad);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('refused, nothing was changed. 2 problem(s)');
    expect(refused.stderr).toContain('row 2, Commune: There is no commune "Nowhere"');
    expect(refused.stderr).toContain('row 3, Notes (Meeting Month / Year): "soon" is not a meeting date');
    // The shipped programme areas are a sample (no facilities): the round is the commune's health service.
    const done = run('import', good, '--by', 'dara');
    expect(done.stderr).not.toMatch(/^rounds:/m);
    expect(done.status).toBe(0);
    expect(done.stdout).toContain('rounds: 1 rounds added, 0 already there; 3 results written, 0 unchanged, 0 removed; 1 scorecards without voted indicators left out (rows 5)');
    expect(run('import', good).stdout).toContain('rounds: 0 rounds added, 1 already there; 0 results written, 3 unchanged, 0 removed');
  });
});
