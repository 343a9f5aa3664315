import * as satisfactionTable from '../../src/reports/satisfaction-table';
import * as scorecardSummary from '../../src/reports/scorecard-summary';
import * as scorecardReport from '../../src/reports/scorecard-report';
import { tableAndCommuneRows, tableAndSummary } from '../../src/reports/table-and-summary';
import { html, htmlInSlices } from '../../src/staff/html';
import { ReportRunner, runReportProcess } from '../../src/staff/report-runner';
import { Runtime } from '../../src/runtime';
import { areaFromCode, periodFromQuery } from '../../src/staff/report-pages';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { storeRatings } from './rating-fixture';

/**
 * Issue 12, finding 10: on the embedded store a report is read and aggregated by JavaScript, which
 * on the webhooks' event loop made callers wait. It now runs in a child process, on a snapshot of
 * the store's files or through its own MongoDB connection; the figures are the same
 * (report-pages.test.ts checks them). On MongoDB the database groups the ratings, but decoding
 * them and building the figures took up to 0.8 s of this thread for the country
 * (npm run bench -- --shapes staff-busy --cpu-prof DIR), so it moved too.
 */
describe(`report computation and the webhooks' event loop (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  beforeAll(async () => {
    h = await startHotline();
    await storeRatings(h.store);
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  });
  afterAll(async () => h.stop());
  afterEach(() => jest.restoreAllMocks());

  const spies = () => [
    jest.spyOn(satisfactionTable, 'buildSatisfactionTable'),
    jest.spyOn(scorecardSummary, 'buildSummary'),
    jest.spyOn(scorecardReport, 'runReport'),
  ];
  const Q1 = 'from=2026-01-01&to=2026-04-01';

  it('the national table, a commune page and a CSV are computed outside the event loop (no report code runs in this thread) with the same figures', async () => {
    const watched = spies();
    const national = await viewer.page(`/staff/reports?${Q1}`);
    expect(national.res.status).toBe(200);
    const commune = await viewer.page(`/staff/reports/commune/120101?${Q1}`);
    expect(commune.res.status).toBe(200);
    // The same figures as when counted in this thread (report-pages.test.ts checks them one by one).
    expect(commune.text).toContain('<strong class="of-ten">0 of 10 callers satisfied</strong>');
    expect(commune.text).toContain('<td class="callers">5</td><td>5</td><td>0 (0%)</td><td>1 Very bad</td><td>1</td>');
    const csv = await viewer.request(`/staff/reports/download.csv?${Q1}&code=010201&kind=table`);
    expect(csv.status).toBe(200);
    const calls = watched.reduce((n, s) => n + s.mock.calls.length, 0);
    expect(calls).toBe(0);
  });

  describe('figures counted once are shown again for REPORT_FRESH_SECONDS', () => {
    const q1 = periodFromQuery({ from: '2026-01-01', to: '2026-04-01' });
    const country = areaFromCode('');
    /** A runner whose clock the test moves (clock.ms): however long a count takes, the time kept is the test's. */
    const counting = (freshSeconds: number) => {
      const counted = { n: 0 };
      const clock = { ms: Date.parse('2026-04-02T03:00:00Z') };
      const rt = { ...h.rt, config: { ...h.config, reportFreshSeconds: freshSeconds } } as Runtime;
      return { counted, clock, runner: new ReportRunner(rt, (job) => { counted.n++; return runReportProcess(job); }, () => clock.ms) };
    };

    it('two staff members asking for the same report at once share one count; another period is counted on its own', async () => {
      const { counted, clock, runner } = counting(0);
      const [a, b, other] = await Promise.all([
        runner.tableAndCommuneRows(q1, country),
        runner.tableAndCommuneRows(q1, country),
        runner.tableAndCommuneRows(periodFromQuery({ from: '2026-01-01', to: '2026-03-01' }), country),
      ]);
      expect(b).toEqual(a);
      expect(other.table).not.toEqual(a.table);
      expect(counted.n).toBe(2); // Q1 once, the other period once
      // REPORT_FRESH_SECONDS=0: opened again, counted again (a millisecond later, by the test's clock).
      clock.ms += 1;
      const again = await runner.tableAndCommuneRows(q1, country);
      expect(counted.n).toBe(3);
      expect(again.table).toEqual(a.table);
      expect(again.countedAt.getTime()).toBeGreaterThan(a.countedAt.getTime());
    });

    it('opened again within the time: the same figures and time, not counted again; after it, counted afresh', async () => {
      const { counted, clock, runner } = counting(60);
      const first = await runner.tableAndCommuneRows(q1, country);
      expect(first.countedAt.getTime()).toBe(clock.ms);
      clock.ms += 59_999;
      const soon = await runner.tableAndCommuneRows(q1, country);
      expect(counted.n).toBe(1);
      expect(soon.countedAt).toEqual(first.countedAt);
      clock.ms += 1;
      const later = await runner.tableAndCommuneRows(q1, country);
      expect(counted.n).toBe(2);
      expect(later.countedAt.getTime()).toBe(first.countedAt.getTime() + 60_000);
    });

    it('a count that failed is not kept: the next request counts again', async () => {
      let fail = true;
      let n = 0;
      const runner = new ReportRunner({ ...h.rt, config: { ...h.config, reportFreshSeconds: 60 } } as Runtime, (job) => {
        n++;
        return fail ? Promise.reject(new Error('database gone')) : runReportProcess(job);
      });
      await expect(runner.tableAndCommuneRows(q1, country)).rejects.toThrow('database gone');
      fail = false;
      await expect(runner.tableAndCommuneRows(q1, country)).resolves.toMatchObject({ table: expect.any(Object) });
      expect(n).toBe(2);
    });

    it('the page says when its figures were counted, in Cambodia time', async () => {
      const page = await viewer.page(`/staff/reports?${Q1}`);
      expect(page.text).toMatch(/Figures counted on \d{1,2} [A-Z][a-z]+ 20\d\d at \d\d:\d\d:\d\d \(Cambodia time\); the same report opened within 60 seconds/);
    });
  });

  it('a bad area code is still a plain 400 from the worker', async () => {
    const res = await viewer.request(`/staff/reports/download.csv?${Q1}&code=999999&kind=table`);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/\n\s+at /);
  });

  it('an area page gets its table, a row per commune and one per province with each service\'s figures: the summary without indicators or groups', async () => {
    const deps = { store: h.store, scorecard: h.rt.scorecard, gazetteer: h.rt.gazetteer, minCallers: h.config.reportMinCallers };
    const period = periodFromQuery({ from: '2026-01-01', to: '2026-04-01' });
    const { table, summary } = await tableAndSummary(deps, period, areaFromCode(''));
    const rows = await tableAndCommuneRows(deps, period, areaFromCode(''));
    expect(rows.table).toEqual(table);
    expect(rows.communes.length).toBeGreaterThan(0);
    const row = (a: scorecardSummary.AreaSummary) => ({
      level: a.level,
      code: a.code,
      services: a.services.map((sv) => Object.fromEntries(Object.entries(sv).filter(([k]) => k !== 'indicators' && k !== 'groups'))),
    });
    expect(rows.communes).toEqual(summary.communes.map(row));
    // The country's communes are listed under their provinces, each with its own figures.
    expect(rows.groups).toEqual(summary.provinces.map(row));
    expect(rows.groups.length).toBeGreaterThan(0);
    expect(rows.communes).toEqual(summary.communes.map((c) => ({
      level: 'commune',
      code: c.code,
      services: c.services.map((sv) => Object.fromEntries(Object.entries(sv).filter(([k]) => k !== 'indicators' && k !== 'groups'))),
    })));
    expect(JSON.stringify(rows.communes)).not.toMatch(/"indicators"|"groups"/);
  });
});

describe('rendering a long list a slice at a time', () => {
  it('renders every item in order, and lets other work run between slices', async () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    const ranBetween: number[] = [];
    let rendered = 0;
    setImmediate(() => ranBetween.push(rendered));
    const out = await htmlInSlices(items, (i) => { rendered++; return html`<li>${i}</li>`; }, 100);
    expect(out.value).toBe(items.map((i) => `<li>${i}</li>`).join(''));
    // The callback queued before rendering ran after the first slice, not after the whole list.
    expect(ranBetween).toEqual([100]);
  });
});
