import { Rating } from '../../src/store/ratings';
import { areaFromCode, chartPatterns, indicatorChart, periodFromQuery, satisfactionTableHtml } from '../../src/staff/report-pages';
import { html } from '../../src/staff/html';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { FIXTURE, storeRatings } from './rating-fixture';

describe('report page renderers', () => {
  it('draws one patterned, labelled bar per scale point with its count and share', () => {
    const svg = indicatorChart('Staff are polite', { status: 'shown', callers: 5, answers: 6, counts: [0, 1, 1, 2, 2], median: 4, mean: 3.83, satisfiedShare: 0.6667, withheld: false }).value;
    for (let k = 1; k <= 5; k++) expect(svg).toContain(`fill="url(#scale-${k})"`);
    // Values as text on the bars: 0 (0%), 1 (17%), 1 (17%), 2 (33%), 2 (33%).
    expect([...svg.matchAll(/font-weight="bold">(\d+ \(\d+%\))</g)].map((m) => m[1])).toEqual(['0 (0%)', '1 (17%)', '1 (17%)', '2 (33%)', '2 (33%)']);
    expect(svg).toContain('Very bad');
    expect(svg).toContain('Very good');
    expect(svg).toContain('5 callers · 6 answers · median 4 · mean 3.83 · satisfied 67%');
    expect(svg).toMatch(/<title>Staff are polite: 5 callers · 6 answers, median 4, mean 3.83, 67% satisfied\. 1 Very bad: 0; 2 Bad: 1/);
    // The tallest bars (2 ratings) fill the plot; the empty one is a 1-pixel line.
    const heights = [...svg.matchAll(/<rect x="\d+" y="\d+" width="\d+" height="(\d+)"/g)].map((m) => Number(m[1]));
    expect(heights[0]).toBe(1);
    expect(heights[3]).toBe(heights[4]);
    expect(heights[1]).toBe(Math.round(heights[3] / 2));
  });

  it('shows "too few callers", "withheld" or "no ratings" instead of a chart, and escapes labels', () => {
    const none = { callers: null, answers: null, counts: null, median: null, mean: null, satisfiedShare: null };
    const out = indicatorChart('<b>x</b>', { status: 'too-few', withheld: true, ...none }).value;
    expect(out).toContain('too few callers');
    expect(indicatorChart('x', { status: 'protects-another', withheld: true, ...none }).value).toContain('withheld: protects a smaller figure');
    expect(indicatorChart('x', { status: 'no-ratings', withheld: false, ...none, callers: 0, answers: 0 }).value).toContain('no ratings');
    expect(out).not.toContain('<svg');
    expect(out).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('defines each hatch pattern once, with a tint and a distinct mark', () => {
    const defs = chartPatterns().value;
    expect(defs.match(/<pattern id="scale-\d"/g)).toHaveLength(5);
  });

  it('renders the satisfaction table with shares, counts and "too few"', () => {
    const cell = (callers: number | null, answers: number | null, s: number | null) => ({ status: callers === null ? 'too-few' as const : 'shown' as const, callers, answers, satisfiedShare: s, withheld: callers === null });
    const out = satisfactionTableHtml(
      { period: { from: '2026-01-01', to: '2026-04-01' }, area: { level: 'province', code: '01' }, minCallers: 5, rows: [{ service: 'health', cells: { all: cell(11, 15, 0.3333), disability: cell(null, null, null), indigenous: cell(null, null, null), women: cell(5, 6, 0.2), men: { status: 'protects-another', withheld: true, callers: null, answers: null, satisfiedShare: null }, 'id-poor': cell(null, null, null) } }] },
      (id) => html`${id}`,
    ).value;
    expect(out).toContain('<td>33% <span class="muted">(11 callers · 15 answers)</span></td><td><span class="muted">too few callers</span></td>');
    expect(out).toContain('<td>20% <span class="muted">(5 callers · 6 answers)</span></td><td><span class="muted">withheld: protects a smaller figure');
  });

  it('reads the area from a 2, 4 or 6 digit code and refuses anything else', () => {
    expect(areaFromCode('01')).toEqual({ provinces: ['01'] });
    expect(areaFromCode('0102')).toEqual({ districts: ['0102'] });
    expect(areaFromCode('010201')).toEqual({ communes: ['010201'] });
    expect(areaFromCode('')).toEqual({});
    expect(() => areaFromCode('01x')).toThrow(/2 \(province\), 4 \(district\) or 6 \(commune\) digits/);
  });

  it('defaults the period to 1 January of this Cambodian year until tomorrow', () => {
    // 23:30 UTC on 31 Dec 2026 is already 1 Jan 2027 in Phnom Penh.
    expect(periodFromQuery({}, new Date('2026-12-31T23:30:00Z')).label).toEqual({ from: '2027-01-01', to: '2027-01-02' });
    expect(periodFromQuery({ from: '2026-01-01', to: '2026-04-01' }).label).toEqual({ from: '2026-01-01', to: '2026-04-01' });
  });
});

describe(`staff report pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  beforeAll(async () => {
    h = await startHotline();
    await storeRatings(h.store);
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  });
  afterAll(async () => h.stop());

  const Q1 = 'from=2026-01-01&to=2026-04-01';

  it('needs a signed-in staff member', async () => {
    const res = await new StaffClient(h).request(`/staff/reports/commune/010201?${Q1}`);
    expect([302, 303, 401]).toContain(res.status);
  });

  it('shows a commune with a chart per indicator, the table and a CSV link', async () => {
    const { res, text } = await viewer.page(`/staff/reports/commune/010201?${Q1}`);
    expect(res.status).toBe(200);
    expect(text).toContain('<span lang="km" class="km">បន្ទាយនាង</span>');
    // medicines (4 callers) too few; staff-attitude and the health total protect it (the total
    // minus staff-attitude would be medicines, and staff-attitude is the district's minus 010202's).
    expect(text).toContain('too few callers');
    expect(text).toContain('withheld: protects a smaller figure');
    expect(text).not.toMatch(/\d+ callers · \d+ answers/);
    expect(text).toContain('/staff/reports/download.csv?from=2026-01-01&amp;to=2026-04-01&amp;code=010201&amp;kind=summary');
    // 120101: five callers rate staff-attitude 1.
    const other = await viewer.page(`/staff/reports/commune/120101?${Q1}`);
    expect(other.text).toContain('5 callers · 5 answers · median 1 · mean 1 · satisfied 0%');
    expect(other.text).toContain('<td>0% <span class="muted">(5 callers · 5 answers)</span></td>');
  });

  it('downloads the commune CSV with Khmer names and withheld cells marked', async () => {
    const res = await viewer.request(`/staff/reports/download.csv?${Q1}&code=010201&kind=summary`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    expect(res.headers.get('content-disposition')).toContain('scorecard-summary-010201-2026-01-01-2026-04-01.csv');
    const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(body.charCodeAt(0)).toBe(0xfeff);
    expect(body).toContain('2026-01-01,2026-04-01,commune,010201,បន្ទាយនាង,Banteay Neang,health,all,,,,,,,,,,,protects another\r\n');
    expect(body).toContain('commune,010201,បន្ទាយនាង,Banteay Neang,health,medicines,,,,,,,,,,,too few\r\n');
    expect(body).toContain('commune,010201,បន្ទាយនាង,Banteay Neang,health,staff-attitude,,,,,,,,,,,protects another\r\n');
    expect(body).toContain('commune,010201,បន្ទាយនាង,Banteay Neang,health,cleanliness,0,0,,,,,,,,,no ratings\r\n');
  });

  it('shows a province: its satisfaction table and its rated communes, and sends a commune code to the commune page', async () => {
    const { res, text } = await viewer.page(`/staff/reports?${Q1}&code=01`);
    expect(res.status).toBe(200);
    // health row: all 11 callers, 15 answers (33%); disability, indigenous, women too few; men protect the women.
    expect(text).toContain('<td>33% <span class="muted">(11 callers · 15 answers)</span></td>');
    expect(text.match(/too few callers/g)!.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('withheld: protects a smaller figure');
    expect(text).toContain('href="/staff/reports/commune/010201?from=2026-01-01&amp;to=2026-04-01"');
    expect(text).toContain('href="/staff/reports/commune/010202?from=2026-01-01&amp;to=2026-04-01"');
    expect(text).not.toContain('/staff/reports/commune/120101');
    const go = await viewer.request(`/staff/reports?${Q1}&code=010201`);
    expect(go.status).toBe(303);
    expect(go.headers.get('location')).toBe('/staff/reports/commune/010201?from=2026-01-01&to=2026-04-01');
  });

  it('answers a bad code with a plain 400 page, not a stack', async () => {
    const { res, text } = await viewer.page(`/staff/reports/commune/999999?${Q1}`);
    expect(res.status).toBe(400);
    expect(text).toContain('is not a commune code');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });
});
