import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { Rating } from '../../src/store/ratings';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD } from '../staff/staff-support';
import { rating, storeRatings } from '../reports/rating-fixture';

const OUTPUT_DIR = path.join(process.cwd(), 'test-output');

/** The commune page's facilities table on a 360 px phone, in English and in Khmer: readable without the page scrolling sideways. */
describe(`a commune's facilities on the report page in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  beforeAll(async () => {
    const file = path.join(tempDir('programme-'), 'programme-areas.json');
    fs.writeFileSync(file, JSON.stringify({
      communes: ['080101'],
      facilities: [
        { id: 'ps-ampov-prey', service: 'school', name: { en: 'Ampov Prey primary school', km: 'សាលាបឋមសិក្សាអំពៅព្រៃ' }, communes: ['080101'] },
        { id: 'hc-ampov-prey', service: 'health', name: { en: 'Ampov Prey health centre', km: 'មណ្ឌលសុខភាពអំពៅព្រៃ' }, communes: ['080101', '080102'] },
      ],
    }));
    h = await startHotline({ PROGRAMME_AREAS_FILE: file });
    const rated = (caller: string, service: string, indicatorId: string, facilityId: string): Rating =>
      rating(caller, '080101', indicatorId, 4, '2026-02-01T03:00:00Z', {}, { service, facilityId });
    await storeRatings(h.store, [
      ...Array.from({ length: 6 }, (_, k) => rated(`a${k}`, 'school', 'teacher-attendance', 'ps-ampov-prey')),
      ...Array.from({ length: 2 }, (_, k) => rated(`b${k}`, 'school', 'teacher-attendance', 'ps-unlisted-with-a-long-identifier')),
      ...Array.from({ length: 5 }, (_, k) => rated(`c${k}`, 'health', 'staff-attitude', 'hc-ampov-prey')),
    ]);
    await addAccount(h.store, 'viewer1', 'viewer');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await h.stop();
  });

  test('the table fits a 360 px screen in English and in Khmer', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${h.url}/staff/sign-in?next=/staff/reports`);
    await page.fill('input[name=username]', 'viewer1');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/reports/), page.click('button[type=submit]')]);
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    for (const lang of ['en', 'km']) {
      await context.addCookies([{ name: 'staff_lang', value: lang, url: h.url }]);
      await page.goto(`${h.url}/staff/reports/commune/080101?from=2026-01-01&to=2026-04-01`, { timeout: 60_000 });
      const table = page.locator('table.facilities');
      await table.scrollIntoViewIfNeeded();
      expect(await table.isVisible()).toBe(true);
      expect(await table.locator('tbody tr').count()).toBe(3);
      // The page itself never scrolls sideways: a wide table scrolls inside its own box.
      const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      // And the figures are in view without scrolling the table: its last column ends on screen.
      const right = await table.locator('tbody tr td').last().evaluate((td: any) => td.getBoundingClientRect().right);
      expect(right).toBeLessThanOrEqual(360);
      await page.locator('h2', { hasText: lang === 'km' ? 'មូលដ្ឋានសេវា' : 'Facilities' }).screenshot({ path: path.join(OUTPUT_DIR, `facilities-heading-${lang}.png`) });
      await table.screenshot({ path: path.join(OUTPUT_DIR, `facilities-table-${lang}.png`) });
    }
    await context.close();
  }, 120_000);
});
