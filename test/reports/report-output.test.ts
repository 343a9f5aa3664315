import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { parsePeriod, parsePeriodRange } from '../../src/reports/period';
import { checkArea, reportCsv, runReport } from '../../src/reports/scorecard-report';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { runReportCommand, storeForCommand } from '../support/report-command';
import { FIXTURE, storeRatings } from './rating-fixture';

const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const Q1 = parsePeriod('2026-01-01', '2026-04-01');

describe('report output: JSON shape and CSV', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store);
  });
  afterAll(async () => closeTestStore(store));

  it('names each unknown or malformed code', () => {
    expect(() => checkArea({ communes: ['999999', '12'], provinces: ['1'] }, gazetteer)).toThrow(
      '--commune 999999 is not a commune in the gazetteer; --commune "12" is not a 6-digit commune code; --province "1" is not a 2-digit province code',
    );
  });

  it('writes the summary CSV with a BOM, a header row, Khmer names, callers and answers, and the status of withheld figures', async () => {
    const report = await runReport({ store, scorecard, gazetteer }, { period: Q1, area: { communes: ['010201'] } });
    const text = reportCsv(report);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe('period_from,period_to,level,code,name_km,name_latin,service,indicator,callers,answers,median,mean,count_1,count_2,count_3,count_4,count_5,satisfied_share,status');
    // Health in 010201 protects its four medicines callers (see scorecard-reports.test.ts); its district shows figures.
    expect(lines).toContain('2026-01-01,2026-04-01,commune,010201,បន្ទាយនាង,Banteay Neang,health,all,,,,,,,,,,,protects another');
    const district = reportCsv(await runReport({ store, scorecard, gazetteer }, { period: Q1, area: { districts: ['0102'] } })).slice(1).split('\r\n');
    expect(district).toContain('2026-01-01,2026-04-01,district,0102,មង្គលបូរី,Mongkol Borey,health,all,11,15,3,3.13,2,2,6,2,3,0.3333,');
    expect(lines).toContain('2026-01-01,2026-04-01,commune,010201,បន្ទាយនាង,Banteay Neang,health,medicines,,,,,,,,,,,too few');
    expect(lines).toContain('2026-01-01,2026-04-01,commune,010201,បន្ទាយនាង,Banteay Neang,school,all,0,0,,,,,,,,,no ratings');
    // one row per service (all) and per indicator: 3 services, 5 + 6 + 5 indicators
    expect(lines.filter((l) => l.includes(',commune,010201,')).length).toBe(3 + 16);
    expect(reportCsv(report, { bom: false }).charCodeAt(0)).toBe('p'.charCodeAt(0));
  });

  it('writes the compared table CSV with baseline and change columns', async () => {
    const report = await runReport({ store, scorecard, gazetteer }, { period: Q1, baseline: parsePeriodRange('2025-10-01..2026-01-01'), area: { districts: ['0102'] }, table: true });
    const [header, , health] = reportCsv(report, { bom: false }).split('\r\n');
    expect(header.split(',').slice(0, 12)).toEqual(['period_from', 'period_to', 'service', 'all_callers', 'all_answers', 'all_satisfied_share', 'all_status', 'all_baseline_callers', 'all_baseline_answers', 'all_baseline_satisfied_share', 'all_baseline_status', 'all_change']);
    // District 0102: Q1 health 11 callers, 15 answers, 5 satisfied; Q4 6 callers, 6 answers, 1 satisfied; disability Q1: c1, c5 (too few); Q4: nobody.
    expect(health.startsWith('2026-01-01,2026-04-01,health,11,15,0.3333,,6,6,0.1667,,0.1666,,,,too few,0,0,,no ratings,,')).toBe(true);
  });

  it('refuses a table over several areas and periods that overlap', async () => {
    await expect(runReport({ store, scorecard, gazetteer }, { period: Q1, area: { communes: ['010201', '010202'] }, table: true })).rejects.toThrow(/one area at a time/);
    await expect(runReport({ store, scorecard, gazetteer }, { period: Q1, baseline: parsePeriodRange('2026-03-01..2026-06-01'), area: {} })).rejects.toThrow(/overlap/);
  });
});


describe(`npm run report on ratings stored before repeats were marked (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  beforeAll(async () => {
    // As an older version left them: no supersededAt, no upgrade recorded.
    opened = await storeForCommand(tempDir(), `test_report_upgrade_${process.pid}_${Date.now()}`, (store) => store.collection<Rating>('ratings').insertMany(FIXTURE.map((r) => ({ ...r }))));
  });
  afterAll(async () => opened.close());

  it('marks them once, says so on stderr, and counts each caller once', () => {
    const args = ['--table', '--province', '01', '--from', '2026-01-01', '--to', '2026-04-01'];
    const first = runReportCommand(opened.env, args);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/^npm run report: [^\n]+\nreport: upgrade: marking ratings that the same caller later rated again/);
    expect(first.stderr).toMatch(/upgrade: marked the ratings .*"changed":2/);
    // Without the marks c1's two Q1 ratings (1 then 4) would both count: 16 answers, not 15.
    expect(JSON.parse(first.stdout).rows[1].cells.all).toEqual({ status: 'shown', withheld: false, callers: 11, answers: 15, satisfiedShare: 0.3333 });
    const second = runReportCommand(opened.env, args);
    expect(second.stderr).toMatch(/^npm run report: (the embedded store in|MongoDB) [^\n]+; data folder [^\n]+\n$/); // only the line naming its store
    expect(second.stdout).toBe(first.stdout);
  });
});

describe(`npm run report (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  beforeAll(async () => {
    opened = await storeForCommand(tempDir(), `test_report_cli_${process.pid}_${Date.now()}`, (store) => storeRatings(store));
  });
  afterAll(async () => opened.close());

  const run = (args: string[]) => runReportCommand(opened.env, args);

  it('prints the satisfaction table as JSON with withheld cells null and their status', () => {
    const r = run(['--table', '--province', '01', '--from', '2026-01-01', '--to', '2026-04-01']);
    expect(r.stderr).toMatch(/^npm run report: (the embedded store in|MongoDB) [^\n]+; data folder [^\n]+\n$/); // only the line naming its store
    expect(r.status).toBe(0);
    const table = JSON.parse(r.stdout);
    expect(table.period).toEqual({ from: '2026-01-01', to: '2026-04-01' });
    const withheld = (status: string) => ({ status, withheld: true, callers: null, answers: null, satisfiedShare: null });
    expect(table.minCallers).toBe(5);
    expect(table.rows[1]).toEqual({
      service: 'health',
      cells: {
        all: { status: 'shown', withheld: false, callers: 11, answers: 15, satisfiedShare: 0.3333 },
        disability: withheld('too-few'),
        indigenous: withheld('too-few'),
        women: withheld('too-few'),
        men: withheld('protects-another'),
        // Nobody in the fixture was asked about an ID-Poor card.
        'id-poor': { status: 'no-ratings', withheld: false, callers: 0, answers: 0, satisfiedShare: null },
      },
    });
    // A higher threshold from the setting: 11 callers still shown, under 12 withheld.
    const strict = JSON.parse(runReportCommand({ ...opened.env, REPORT_MIN_CALLERS: '12' }, ['--table', '--province', '01', '--from', '2026-01-01', '--to', '2026-04-01']).stdout);
    expect(strict.rows[1].cells.all).toEqual(withheld('too-few'));
    const low = runReportCommand({ ...opened.env, REPORT_MIN_CALLERS: '3' }, ['--table', '--province', '01', '--from', '2026-01-01', '--to', '2026-04-01']);
    expect(low.status).toBe(1);
    expect(low.stderr).toContain('REPORT_MIN_CALLERS=3 is below 5');
  });

  it('prints a commune summary in the documented shape', () => {
    const r = run(['--commune', '010201', '--from', '2026-01-01', '--to', '2026-04-01']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.communes[0]).toMatchObject({ code: '010201', name: { km: 'បន្ទាយនាង', latin: 'Banteay Neang' } });
    const health = s.communes[0].services.find((x: { service: string }) => x.service === 'health');
    // Withheld: it would give away 010201's four medicines callers (see scorecard-reports.test.ts).
    expect(health).toMatchObject({ service: 'health', status: 'protects-another', callers: null, answers: null, satisfiedShare: null });
    expect(health.indicators[0]).toEqual({ id: 'staff-attitude', status: 'protects-another', withheld: true, callers: null, answers: null, median: null, mean: null, counts: null, satisfiedShare: null });
  });

  it('exits 2 with a clear message on a bad date or code, and prints help', () => {
    const bad = run(['--commune', '12345', '--from', '2026-01-01', '--to', '2026-04-01']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--commune "12345" is not a 6-digit commune code');
    const date = run(['--from', '2026-02-30', '--to', '2026-04-01']);
    expect(date.status).toBe(2);
    expect(date.stderr).toContain('from "2026-02-30" is not a real calendar day');
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--compare FROM..TO');
  });
});
