import { JaapRegister } from '../../src/jaap/jaap-register';
import { PublishedResultsLine } from '../../src/public/phone-results';
import { snapshotId } from '../../src/public/public-results';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { jaapFixture, publishFixture } from './public-fixture';

/**
 * The public dashboard through the real app, no sign-in: Khmer by default and English on the
 * link; figures in words with the callers they rest on and their change; withheld figures say why
 * and link the wider view; a commune's promises with the council's status beside citizens'
 * checks (withheld under 5 callers); posters; plain 404/400/429 pages; the open data's CSVs.
 */
describe(`the public results pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline({ HOTLINE_NUMBER: '1280' });
    await publishFixture(h.rt.publicResults);
    await jaapFixture(new JaapRegister(h.store), h.rt.publicResults);
  });
  afterAll(async () => h?.stop());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${h.url}${path}`, { headers });
    return { res, text: await res.text() };
  };

  it('shows the country page in Khmer by default, with the staff pages\' security headers and no script', async () => {
    const { res, text } = await get('/public');
    expect(res.status).toBe(200);
    expect(text).toContain('<html lang="km">');
    expect(text).toContain('អ្នកហៅ 7 ក្នុងចំណោម 10 នាក់ ពេញចិត្ត');
    expect(text).toContain('href="/public/province/12?period=2026-Q1"');
    expect(text).toContain('href="/public?lang=en"');
    expect(text).not.toMatch(/<script/i);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    // Pages weigh little on a slow line.
    expect(Buffer.byteLength(text)).toBeLessThan(20_000);
  });

  it('a commune page in English says each figure in words, its callers and change, why a figure is withheld and where to look, and the promises with citizens\' checks', async () => {
    const { res, text } = await get('/public/commune/120101?lang=en');
    expect(res.status).toBe(200);
    expect(text).toContain('<html lang="en">');
    expect(text).toContain('7 of 10 callers satisfied');
    expect(text).toContain('Rests on 23 callers.');
    expect(text).toContain('Since quarter 4 of 2025: up 2 of 10.');
    expect(text).toContain('Not shown: fewer than 5 callers rated this service here');
    expect(text).toContain('href="/public/district/1201?period=2026-Q1&amp;lang=en">See the figure for Chamkar Mon, quarter 1 of 2026</a>');
    expect(text).toContain('No caller rated this service here in this period.');
    // The promises: status, deadline, the indicator, citizens' checks as published, nothing private.
    expect(text).toContain('% solved within 12 months: <strong>67%</strong>');
    // Six answered; the public sees the first five (counts move in steps of 5, PublicResults.checksOf).
    expect(text).toContain('5 callers checked: 3 say done, 1 partly, 1 not done.');
    expect(text).toContain('Fewer than 5 callers have checked it, so their answers are not shown.');
    expect(text).toContain('10 March 2026');
    expect(text).not.toContain('Secret Proposer');
    expect(text).not.toContain('2000000');
    expect(text).toContain('href="/public/commune/120101/poster?period=2026-Q1&amp;size=a3&amp;lang=en"');
    expect(text).toContain('href="/public/facility/120101/hc-1?period=2026-Q1&amp;lang=en"');
  });

  it('an earlier published period is chosen by ?period=, and the wider pages count the promises', async () => {
    const older = await get('/public/commune/120101?period=2025-Q4&lang=en');
    expect(older.text).toContain('5 of 10 callers satisfied');
    expect(older.text).toContain('<option value="2025-Q4" selected>');
    const district = await get('/public/district/1201?lang=en');
    expect(district.text).toContain('3 promises in the plans agreed in 2025: 2 solved within 12 months (67%).');
    expect(district.text).toContain('Done: 2. Ongoing: 0. Not started: 1. Dropped: 0.');
    const facility = await get('/public/facility/120101/hc-1');
    expect(facility.res.status).toBe(200);
    expect(facility.text).toContain('មណ្ឌលសុខភាពទន្លេបាសាក់');
  });

  it('unknown places and periods get a plain 404, odd queries a plain 400, in the page\'s language and never a stack trace', async () => {
    for (const path of ['/public/commune/999999', '/public/province/1', '/public/commune/12010a', '/public/facility/120101/nope', '/public/commune/120101?period=2019-Q1', '/public/nothing/here', '/public/data/secrets.csv']) {
      const { res, text } = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(text).toContain('រកមិនឃើញទំព័រ');
    }
    const english = await get('/public/district/9999?lang=en');
    expect(english.res.status).toBe(404);
    expect(english.text).toContain('There is no such page');
    for (const query of ['lang=fr', 'period=%3Cscript%3E', `period=2026-Q1&x=${'a'.repeat(600)}`, 'period=a&period=b']) {
      const { res, text } = await get(`/public/commune/120101?${query}`);
      expect({ query: query.slice(0, 30), status: res.status }).toEqual({ query: query.slice(0, 30), status: 400 });
      expect(text).not.toMatch(/at .*\.ts:|Error:/);
    }
    const malformed = await get('/public/commune/%E0%A4%A?lang=en');
    expect(malformed.res.status).toBe(400);
    expect(malformed.text).toContain('This address is not one the results pages understand.');
    const poster = await get('/public/commune/120101/poster?size=a5');
    expect(poster.res.status).toBe(400);
  });

  it('prints a Khmer poster with the hotline number, the results by service and the promises', async () => {
    const { res, text } = await get('/public/commune/120101/poster?size=a3');
    expect(res.status).toBe(200);
    expect(text).toContain('class="poster poster-a3"');
    expect(text).toContain('ហៅទៅលេខ 1280 ដោយឥតគិតថ្លៃ។ ចុចលេខ ៤');
    expect(text).not.toContain('number-missing');
    expect(text).toContain('អ្នកហៅ 7 ក្នុងចំណោម 10 នាក់ ពេញចិត្ត');
    expect(text).toContain('បិទផ្សាយតម្លៃសេវាផ្លូវការ — <strong>ធ្វើរួច</strong>');
  });

  it('serves the open data: a data package and its CSVs, withheld figures as empty cells', async () => {
    const pkg = await get('/public/data/datapackage.json');
    expect(pkg.res.headers.get('content-type')).toContain('application/json');
    expect(pkg.res.headers.get('access-control-allow-origin')).toBe('*');
    const descriptor = JSON.parse(pkg.text);
    expect(descriptor.resources.map((r: { path: string }) => r.path)).toEqual(['periods.csv', 'figures.csv', 'jaap-items.csv', 'places.csv']);
    expect(descriptor.licenses[0].name).toBe('CC-BY-4.0');
    const figures = (await get('/public/data/figures.csv')).text.split('\r\n');
    expect(figures).toContain('2026-Q1,commune,120101,ទន្លេបាសាក់,Tonle Basak,health,all,shown,23,0.7,7,2');
    expect(figures).toContain('2026-Q1,commune,120101,ទន្លេបាសាក់,Tonle Basak,school,all,too-few,,,,');
    const items = (await get('/public/data/jaap-items.csv')).text;
    expect(items).toContain('120101-2025-B1,120101-2025,120101,2025,2025-03-10,2026-03-10,B,1,បិទផ្សាយតម្លៃសេវាផ្លូវការ,health,,,2025-04,2025-06,done,2025-06-01,shown,5,3,1,1');
    expect(items).toContain('120101-2025-B2,120101-2025,120101,2025,2025-03-10,2026-03-10,B,2,សម្អាតបង្គន់ជារៀងរាល់សប្តាហ៍,school,,,,,done,2025-06-01,too-few,,,,');
    expect(items).not.toContain('Secret Proposer');
  });
  it('a completed round published after the newest quarter is not the default period: pages and the phone stay on callers\' figures', async () => {
    await h.rt.publicResults.savePeriod({ id: 'round-120101-health-2026', kind: 'round', from: '2026-05-10', to: '2026-05-11', final: true, builtAt: new Date('2026-05-11T00:00:00Z') });
    await h.rt.publicResults.saveAreas('round-120101-health-2026', [{
      _id: snapshotId('round-120101-health-2026', 'commune', '120101'), periodId: 'round-120101-health-2026', level: 'commune', code: '120101',
      name: { km: 'ទន្លេបាសាក់', latin: 'Tonle Basak' }, parents: [], services: [], children: [], builtAt: new Date('2026-05-11T00:00:00Z'),
    }]);
    try {
      for (const path of ['/public?lang=en', '/public/commune/120101?lang=en']) {
        expect(await (await fetch(`${h.url}${path}`)).text()).toContain('7 of 10 callers satisfied');
      }
      const spoken = await new PublishedResultsLine(h.rt.publicResults, new JaapRegister(h.store)).communeResults('120101', 'caller-x');
      expect(spoken.services?.find((s) => s.service === 'health')).toMatchObject({ status: 'shown', tenths: 7 });
    } finally {
      await h.rt.publicResults.removePeriod('round-120101-health-2026');
    }
  });
});

describe(`the public pages' own rate limit (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline({ PUBLIC_REQUESTS_PER_MINUTE: '10' });
  });
  afterAll(async () => h?.stop());

  it('refuses a client past its requests per minute with a plain 429 page, counted in the database under a keyed address', async () => {
    // The limit counts per clock minute: all eleven requests must fall in one (on a busy machine
    // they once straddled a minute and the eleventh was a new minute's first).
    const leftInMinute = 60_000 - (Date.now() % 60_000);
    if (leftInMinute < 20_000) await new Promise((r) => setTimeout(r, leftInMinute + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await fetch(`${h.url}/public?lang=en`)).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const refused = await fetch(`${h.url}/public?lang=en`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Wait a minute, then try again.');
    // The staff pages are not counted against it.
    expect((await fetch(`${h.url}/staff/sign-in`)).status).toBe(200);
    const counters = await h.store.collection<{ _id: string; requests: number }>('public_rate_limits').find({});
    expect(counters).toHaveLength(1);
    expect(counters[0].requests).toBe(11);
    expect(counters[0]._id).not.toContain('127.0.0.1');
  }, 60_000);
});
