import { AuditEntry } from '../../src/staff/audit-log';
import { Figures } from '../../src/reports/figures';
import { parsePeriod } from '../../src/reports/period';
import { AreaRow } from '../../src/reports/table-and-summary';
import { html } from '../../src/staff/html';
import { translator } from '../../src/staff/i18n/i18n';
import { chartPatterns, scaleChart } from '../../src/staff/report-charts';
import { areaFromCode, periodFromQuery } from '../../src/staff/report-pages';
import { cellHtml, satisfactionTableHtml, sortFromQuery, sortRows } from '../../src/staff/report-tables';
import { changeWords, periodWords, satisfiedWords } from '../../src/staff/report-words';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { FIXTURE, rating, storeRatings } from './rating-fixture';

const en = translator('en');
const kh = translator('km');
const shown = (counts: number[], callers: number): Figures => {
  const answers = counts.reduce((a, b) => a + b, 0);
  return { status: 'shown', withheld: false, callers, answers, counts, median: null, mean: null, satisfiedShare: Math.round(((counts[3] + counts[4]) / answers) * 10000) / 10000 };
};
const WITHHELD = { withheld: true, callers: null, answers: null, counts: null, median: null, mean: null, satisfiedShare: null };

describe('report page renderers', () => {
  it('draws a chart as a table of all five points, each with its name, count and share, and a bar as wide as its share', () => {
    const out = scaleChart(html`Staff are polite`, shown([0, 1, 1, 2, 2], 6), en).value;
    const rows = [...out.matchAll(/<tr><th scope="row"><span class="point">(\d)<\/span> ([^<]+)<\/th>(.*?)<\/tr>/g)];
    expect(rows.map((r) => `${r[1]} ${r[2]}`)).toEqual(['1 Very bad', '2 Bad', '3 Acceptable', '4 Good', '5 Very good']);
    expect(rows.map((r) => /<span class="count">(\d+) <span class="share">\((\d+%)\)/.exec(r[3])!.slice(1).join(' '))).toEqual(['0 0%', '1 17%', '1 17%', '2 33%', '2 33%']);
    // Bars are percentages of the cell, so they shrink with the screen; nobody gave 1: no bar, only the axis.
    expect(rows.map((r) => /<rect[^>]*width="([\d.]+%)"[^>]*fill="url\(#scale-(\d)\)"/.exec(r[3])?.slice(1).join(' ') ?? 'none')).toEqual(['none', '16.67% 2', '16.67% 3', '33.33% 4', '33.33% 5']);
    // The bars are hidden from screen readers: the table's text is the chart's alternative.
    expect(out.match(/<svg class="bar" aria-hidden="true"/g)).toHaveLength(5);
    expect(out).not.toMatch(/<svg[^>]*viewBox/);
  });

  it('defines each hatch pattern once, with a tint and a distinct mark', () => {
    expect(chartPatterns().value.match(/<pattern id="scale-\d"/g)).toHaveLength(5);
  });

  it('says the share satisfied out of 10, by callers for one question and by ratings for several', () => {
    expect(satisfiedWords(shown([0, 1, 1, 2, 2], 6), en)).toBe('7 of 10 callers satisfied');
    expect(satisfiedWords(shown([0, 1, 1, 2, 2], 2), en)).toBe('7 of 10 ratings satisfied');
    expect(satisfiedWords(shown([24, 0, 0, 0, 1], 25), en)).toBe('fewer than 1 of 10 callers satisfied');
    expect(satisfiedWords(shown([0, 1, 1, 2, 2], 6), kh)).toBe('អ្នកហៅ 7 ក្នុងចំណោម 10 នាក់ ពេញចិត្ត');
    expect(satisfiedWords({ status: 'too-few', ...WITHHELD }, en)).toBeNull();
  });

  it('says the change out of 10 only between two shown figures', () => {
    expect(changeWords(shown([0, 0, 3, 2, 5], 10), shown([0, 0, 5, 2, 3], 10), en)).toBe('up 2 of 10');
    expect(changeWords(shown([0, 0, 5, 2, 3], 10), shown([0, 0, 3, 2, 5], 10), en)).toBe('down 2 of 10');
    expect(changeWords(shown([0, 0, 5, 2, 3], 10), shown([0, 0, 5, 3, 2], 10), en)).toBe('no change');
    expect(changeWords(shown([0, 0, 5, 2, 3], 10), { status: 'too-few', ...WITHHELD }, en)).toBeNull();
    expect(changeWords({ status: 'protects-another', ...WITHHELD }, shown([0, 0, 5, 2, 3], 10), en)).toBeNull();
  });

  it('names a period by its first and last day, both included, in the page\'s language', () => {
    const q1 = parsePeriod('2026-01-01', '2026-04-01');
    expect(periodWords(q1, en)).toBe('1 January – 31 March 2026');
    expect(periodWords(q1, kh)).toBe('1 មករា – 31 មីនា 2026');
    expect(periodWords(parsePeriod('2025-12-01', '2026-01-01'), en)).toBe('1 – 31 December 2025');
    expect(periodWords(parsePeriod('2026-02-10', '2026-02-11'), en)).toBe('10 February 2026');
  });

  it('fills a table cell with the figure out of 10, its exact share, callers and change, or why it is not shown', () => {
    expect(cellHtml(shown([0, 0, 3, 2, 5], 10), shown([0, 0, 5, 2, 3], 10), 5, en).value)
      .toBe('<strong class="of-ten">7 of 10</strong> <span class="muted exact">70% · 10 callers</span><br><span class="change">up 2 of 10</span>');
    expect(cellHtml({ status: 'too-few', ...WITHHELD }, shown([0, 0, 5, 2, 3], 10), 5, en).value).toBe('<span class="not-shown">Not shown: fewer than 5 callers</span>');
    expect(cellHtml({ status: 'protects-another', ...WITHHELD }, undefined, 5, en).value).toContain('Not shown: it would let a smaller group be worked out');
    // A shown figure beside a withheld one of the period before: no change is said.
    expect(cellHtml(shown([0, 0, 3, 2, 5], 10), { status: 'too-few', ...WITHHELD }, 5, en).value).not.toMatch(/up|down|change/);
  });

  it('renders the satisfaction table with figures out of 10 and words for withheld cells', () => {
    const cell = (callers: number | null, answers: number | null, s: number | null) => ({ status: callers === null ? 'too-few' as const : 'shown' as const, callers, answers, satisfiedShare: s, withheld: callers === null });
    const out = satisfactionTableHtml(
      { period: { from: '2026-01-01', to: '2026-04-01' }, area: { level: 'province', code: '01' }, minCallers: 5, rows: [{ service: 'health', cells: { all: cell(11, 15, 0.3333), disability: cell(null, null, null), indigenous: cell(null, null, null), women: cell(5, 6, 0.2), men: { status: 'protects-another', withheld: true, callers: null, answers: null, satisfiedShare: null }, 'id-poor': cell(null, null, null) } }] },
      (id) => html`${id}`,
    ).value;
    expect(out).toContain('<caption>Satisfied out of 10, by group of callers, 1 January – 31 March 2026</caption>');
    expect(out).toContain('<td><strong class="of-ten">3 of 10</strong> <span class="muted exact">33% · 11 callers</span></td><td><span class="not-shown">Not shown: fewer than 5 callers</span></td>');
    expect(out).toContain('<td><strong class="of-ten">2 of 10</strong> <span class="muted exact">20% · 5 callers</span></td><td><span class="not-shown">Not shown: it would let');
  });

  it('sorts rows by name, or by a service\'s share satisfied either way, figures not shown last', () => {
    const row = (code: string, share: number | null): AreaRow => ({ level: 'commune', code, services: [{ service: 'health', ...(share === null ? { status: 'too-few', ...WITHHELD } : { ...shown([1, 0, 0, 0, 0], 5), satisfiedShare: share }) }] });
    const rows = [row('03', 0.5), row('01', null), row('02', 0.9), row('04', 0.1)];
    const names: Record<string, string> = { '01': 'Delta', '02': 'Alpha', '03': 'Charlie', '04': 'Bravo' };
    const order = (value: string) => sortRows(rows, sortFromQuery(value, ['health']), (c) => names[c], 'en').map((r) => r.code);
    expect(order('name')).toEqual(['02', '04', '03', '01']);
    expect(order('health')).toEqual(['02', '03', '04', '01']);
    expect(order('health-low')).toEqual(['04', '03', '02', '01']);
    expect(order('nonsense')).toEqual(order('name'));
  });

  it('reads the area from a 2, 4 or 6 digit code and refuses anything else', () => {
    expect(areaFromCode('01')).toEqual({ provinces: ['01'] });
    expect(areaFromCode('0102')).toEqual({ districts: ['0102'] });
    expect(areaFromCode('010201')).toEqual({ communes: ['010201'] });
    expect(areaFromCode('')).toEqual({});
    expect(() => areaFromCode('01x')).toThrow(/2 \(province\), 4 \(district\) or 6 \(commune\) digits/);
  });

  it('defaults the period to 1 January of this Cambodian year until today, and reads the last day included', () => {
    // 23:30 UTC on 31 Dec 2026 is already 1 Jan 2027 in Phnom Penh.
    expect(periodFromQuery({}, new Date('2026-12-31T23:30:00Z')).label).toEqual({ from: '2027-01-01', to: '2027-01-02' });
    expect(periodFromQuery({ from: '2026-01-01', to: '2026-04-01' }).label).toEqual({ from: '2026-01-01', to: '2026-04-01' });
    // The form's last day is included: the period runs to the day after it.
    expect(periodFromQuery({ from: '2026-01-01', until: '2026-03-31' }).label).toEqual({ from: '2026-01-01', to: '2026-04-01' });
    expect(periodFromQuery({ from: '2026-01-01', until: '2026-03-31', to: '2027-01-01' }).label.to).toBe('2026-04-01');
  });
});

// Each page counts two periods in a child process; on a busy machine that takes a while.
jest.setTimeout(90_000);

describe(`staff report pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  beforeAll(async () => {
    h = await startHotline();
    await storeRatings(h.store, [
      ...FIXTURE,
      // Tonle Basak (120101), the quarter before: six callers rate staff-attitude 4 (all satisfied).
      ...['f1', 'f2', 'f3', 'f4', 'f5', 'f6'].map((c) => rating(c, '120101', 'staff-attitude', 4, '2025-11-02T03:00:00Z')),
      // Its school: five callers rate teacher-attendance 5 in Q1, three (too few) in Q4.
      ...['g1', 'g2', 'g3', 'g4', 'g5'].map((c) => rating(c, '120101', 'teacher-attendance', 5, '2026-02-02T03:00:00Z', {}, { service: 'school' })),
      ...['h1', 'h2', 'h3'].map((c) => rating(c, '120101', 'teacher-attendance', 1, '2025-11-02T03:00:00Z', {}, { service: 'school' })),
    ]);
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  });
  afterAll(async () => h.stop());

  const Q1 = 'from=2026-01-01&to=2026-04-01';
  /** The page's text without tags, spaces collapsed. */
  const words = (page: string) => page.replace(/<(script|style|form)[^>]*>.*?<\/\1>/gs, '').replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

  it('needs a signed-in staff member', async () => {
    const res = await new StaffClient(h).request(`/staff/reports/commune/010201?${Q1}`);
    expect([302, 303, 401]).toContain(res.status);
  });

  it('says a commune\'s figures in plain words, with the change since the quarter before, and no statistics jargon', async () => {
    const { res, text } = await viewer.page(`/staff/reports/commune/120101?${Q1}`);
    expect(res.status).toBe(200);
    const said = words(text);
    // Five callers rate staff-attitude 1 in Q1; six rated it 4 in Q4.
    expect(said).toMatch(/All questions together: 0 of 10 callers satisfied · down 10 of 10/);
    expect(said).toContain('Changes are since the period of the same length just before: 1 October – 31 December 2025.');
    expect(said).toContain('Satisfied means a rating of 4 (Good) or 5 (Very good) on the scale from 1 (Very bad) to 5 (Very good);');
    expect(said).toContain('Period: 1 January – 31 March 2026');
    // The school: shown in Q1 (five callers), too few in Q4, so no change is said for it.
    expect(said).toMatch(/Primary school [^:]*: 10 of 10 callers satisfied (?!·)/);
    expect(said).not.toMatch(/10 of 10 callers satisfied · (up|down|no change)/);
    // No jargon; the exact figures are still there, in words.
    for (const jargon of [/\bmedian\b/i, /\bmean\b/i, /not included/i, /\bindicators?\b/i, /exclusive/i]) expect(said).not.toMatch(jargon);
    expect(text).toContain('<summary>Exact figures</summary>');
    expect(said).toContain('Middle rating (half the ratings are at or above it, half at or below)');
    expect(said).toMatch(/Health staff are polite and respectful 5 5 0 \(0%\) 1 Very bad 1 100%/);
    // Every point of the scale in the chart.
    expect(text.match(/<span class="point">\d<\/span>/g)!.length).toBeGreaterThanOrEqual(5);
    expect(text).toContain(`/staff/reports/commune/120101/scorecard?${Q1.replace('&', '&amp;')}`);
  });

  it('says why a withheld figure is not shown and links to the district that has one and to the last 12 months', async () => {
    const { text } = await viewer.page(`/staff/reports/commune/010201?${Q1}`);
    const said = words(text);
    expect(text).toContain('<span lang="km" class="km">បន្ទាយនាង</span>');
    // Medicines (4 callers) too few; staff-attitude and the health total protect it.
    expect(said).toContain('Not shown: fewer than 5 callers');
    expect(said).toContain('Not shown: it would let a smaller group be worked out');
    expect(said).toMatch(/No figure of this commune can be shown for 1 January – 31 March 2026/);
    // District 0102's health figure is shown: 11 callers, 15 ratings, 5 satisfied.
    expect(said).toMatch(/Try: មង្គលបូរី Mongkol Borey 0102 \(3 of 10 ratings satisfied\) · the last 12 months \(1 April 2025 – 31 March 2026\)/);
    expect(text).toContain('href="/staff/reports?from=2026-01-01&amp;to=2026-04-01&amp;code=0102"');
    expect(text).toContain('href="/staff/reports/commune/010201?from=2025-04-01&amp;to=2026-04-01"');
    // The groups table (women, men, ...) points to the district's, which has the same table.
    expect(text).toMatch(/<details class="groups">.*<p class="withheld-help">Figures marked &quot;Not shown&quot; rest on too few callers; a wider view is likely to have enough\. <span class="wider">Try: <a href="\/staff\/reports\?from=2026-01-01&amp;to=2026-04-01&amp;code=0102">/s);
    // No figure of this quarter; the quarter before's share (six callers, one satisfied) is its own, shown figure.
    expect(said.match(/\d+ of 10 \w+ satisfied/g)).toEqual(['3 of 10 ratings satisfied', '3 of 10 ratings satisfied']); // the district's, twice
    expect(said).not.toMatch(/% · \d+ callers/);
    expect(said.match(/\d+%/g)).toEqual(['17%', '17%']);
  });

  it('prints a commune scorecard of every question on one page, without the menu', async () => {
    const { res, text } = await viewer.page(`/staff/reports/commune/120101/scorecard?${Q1}`);
    expect(res.status).toBe(200);
    const said = words(text);
    expect(said).toContain('Commune scorecard: Tonle Basak');
    expect(text.match(/<tr class="question-row">/g)).toHaveLength(11); // health's 6 questions, school's 5
    expect(said).toMatch(/Health centre [^:]*: All questions together 0 of 10 down 10 of 10/);
    expect(said).toContain('Commune or sangkat office');
    expect(said).toContain('No ratings');
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'view-report' });
    expect(audit.some((e) => e.detail?.scorecard === true && e.detail?.area === '120101')).toBe(true);
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
    expect(body).toContain('commune,010201,បន្ទាយនាង,Banteay Neang,health,cleanliness,0,0,,,,,,,,,no ratings\r\n');
  });

  it('shows a province: its table out of 10 with the change, and its communes under their district, and sends a commune code to the commune page', async () => {
    const { res, text } = await viewer.page(`/staff/reports?${Q1}&code=01`);
    expect(res.status).toBe(200);
    // health: 11 callers, 15 ratings, 5 satisfied (3 of 10); in Q4 six callers, one satisfied (2 of 10).
    expect(text).toContain('<td><strong class="of-ten">3 of 10</strong> <span class="muted exact">33% · 11 callers</span><br><span class="change">up 1 of 10</span></td>');
    expect(text).toContain('Not shown: fewer than 5 callers');
    expect(words(text)).toMatch(/Figures marked "Not shown" rest on too few callers; a wider view is likely to have enough\. Try: Whole country · the last 12 months/);
    expect(text).toMatch(/<tr class="group-row"><th scope="row"><a href="\/staff\/reports\?from=2026-01-01&amp;to=2026-04-01&amp;code=0102">/);
    expect(text).toContain('href="/staff/reports/commune/010201?from=2026-01-01&amp;to=2026-04-01"');
    expect(text).toContain('href="/staff/reports/commune/010202?from=2026-01-01&amp;to=2026-04-01"');
    expect(text).not.toContain('/staff/reports/commune/120101');
    const go = await viewer.request(`/staff/reports?${Q1}&code=010201`);
    expect(go.status).toBe(303);
    expect(go.headers.get('location')).toBe('/staff/reports/commune/010201?from=2026-01-01&to=2026-04-01');
  });

  it('groups the national list by province and sorts it on the server by name or by a service', async () => {
    const groups = (text: string) => [...text.matchAll(/<tr class="group-row"><th scope="row"><a href="[^"]*code=(\d\d)"/g)].map((m) => m[1]);
    const communes = (text: string) => [...text.matchAll(/<a href="\/staff\/reports\/commune\/(\d{6})\?/g)].map((m) => m[1]);
    const byName = (await viewer.page(`/staff/reports?${Q1}`)).text;
    // Banteay Meanchey before Phnom Penh; each province's communes under it.
    expect(groups(byName)).toEqual(['01', '12']);
    expect(communes(byName)).toEqual(['010201', '010202', '120101']);
    expect(byName).toContain('aria-sort="ascending"');
    // Most satisfied with the school first: only Phnom Penh (Tonle Basak) has a school figure; the rest follow.
    const bySchool = (await viewer.page(`/staff/reports?${Q1}&sort=school`)).text;
    expect(groups(bySchool)).toEqual(['12', '01']);
    expect(bySchool).toContain('aria-sort="descending"');
    // The heading's link reverses the order.
    expect(bySchool).toContain('href="/staff/reports?from=2026-01-01&amp;to=2026-04-01&amp;sort=school-low"');
    // With a form's last day, the same period.
    const form = (await viewer.page('/staff/reports?from=2026-01-01&until=2026-03-31')).text;
    expect(groups(form)).toEqual(['01', '12']);
    expect(form).toContain('name="until" type="date" value="2026-03-31"');
  });

  it('answers a bad code with a plain 400 page, not a stack, and a last day before the first in words', async () => {
    const { res, text } = await viewer.page(`/staff/reports/commune/999999?${Q1}`);
    expect(res.status).toBe(400);
    expect(text).toContain('is not a commune code');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    const backwards = await viewer.page('/staff/reports?from=2026-03-01&until=2026-02-01');
    expect(backwards.res.status).toBe(400);
    expect(backwards.text).toContain('The last day 2026-02-01 is before the first day 2026-03-01.');
  });
});
