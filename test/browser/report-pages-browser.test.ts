import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrowserContext, Browser, Page } from 'playwright-core';
import { Rating } from '../../src/store/ratings';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD } from '../staff/staff-support';
import { FIXTURE, rating, storeRatings } from '../reports/rating-fixture';
import { axeViolations, latinWords, launchChromium, OUTPUT_DIR, pageOverflow, screenshot, sweepWidths, visitsAt } from './browser-support';

/**
 * The report pages as council members read them, in Chromium: on a 360 px phone and a desktop,
 * in English and Khmer; charts with all five points in view, nothing scrolling the page sideways,
 * axe-core clean, a commune page a few screens long, and a scorecard that prints on one A4 page.
 */
jest.setTimeout(300_000);

const Q1 = 'from=2026-01-01&to=2026-04-01';
const PHONE = { width: 360, height: 740 };

describe(`report pages in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  /** A commune every service of which was rated by enough callers, this quarter and the one before. */
  let rich = '';

  beforeAll(async () => {
    h = await startHotline();
    rich = h.rt.gazetteer.childrenOf(h.rt.gazetteer.childrenOf('08')[0].code)[0].code;
    const ratings: Rating[] = [...FIXTURE];
    for (const s of h.rt.scorecard.services) {
      const quarter = (prefix: string, callers: number, at: string, shift: number) => {
        for (let k = 0; k < callers; k++) {
          const who = { gender: k % 2 ? 'woman' : 'man', disability: k % 5 === 0 ? 'yes' : 'no' };
          s.indicators.forEach((ind, i) => ratings.push(rating(`${prefix}-${s.id}-${k}`, rich, ind.id, 1 + ((k + i + shift) % 5), at, who, { service: s.id })));
        }
      };
      quarter('q1', 14, '2026-02-03T03:00:00Z', 2);
      quarter('q4', 9, '2025-11-03T03:00:00Z', 0);
    }
    // Six callers of another province rate every health question: beside the fixture's four
    // medicines callers the disclosure rule then withholds their figures, the smallest, and the
    // rich commune's are all shown (the scorecard at its longest).
    const other = h.rt.gazetteer.childrenOf(h.rt.gazetteer.childrenOf('09')[0].code)[0].code;
    for (let k = 0; k < 6; k++) for (const ind of h.rt.scorecard.services.find((s) => s.id === 'health')!.indicators) ratings.push(rating(`o-${k}`, other, ind.id, 3, '2026-02-04T03:00:00Z'));
    await storeRatings(h.store, ratings);
    await addAccount(h.store, 'viewer1', 'viewer');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const signedIn = async (width: number, lang: 'en' | 'km'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height: PHONE.height }, ...(lang === 'km' ? { locale: 'km-KH' } : {}) });
    await context.addCookies([{ name: 'staff_lang', value: lang, url: h.url }]);
    const page = await context.newPage();
    await page.goto(`${h.url}/staff/sign-in?next=/staff/reports`);
    await page.fill('input[name=username]', 'viewer1');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/reports/, { timeout: 120_000 }), page.click('button[type=submit]')]);
    return { context, page };
  };

  /** `desktop`: visited on a desktop too (visitsAt: the exact figures a phone hides). */
  const pages = (): { name: string; path: string; desktop?: boolean }[] => [
    { name: 'commune', path: `/staff/reports/commune/${rich}?${Q1}`, desktop: true },
    { name: 'commune-withheld', path: `/staff/reports/commune/010201?${Q1}` },
    { name: 'scorecard', path: `/staff/reports/commune/${rich}/scorecard?${Q1}` },
    { name: 'national', path: `/staff/reports?${Q1}` },
    { name: 'province-sorted', path: `/staff/reports?${Q1}&code=01&sort=health-low` },
    { name: 'district', path: `/staff/reports?${Q1}&code=0102`, desktop: true },
    { name: 'bad-period', path: '/staff/reports?from=2026-03-01&until=2026-02-01' },
  ];

  for (const lang of ['en', 'km'] as const) {
    test(lang === 'km' ? 'every report page is axe-clean and never scrolls sideways, at 360 px and 1280 px, in Khmer' : 'no report page scrolls sideways at 360 px in English', async () => {
      const found: Record<string, string[]> = {};
      const untranslated: Record<string, string[]> = {};
      const overflow: Record<string, number> = {};
      for (const width of sweepWidths(lang, PHONE.width)) {
        const { context, page } = await signedIn(width, lang);
        for (const p of pages().filter((x) => visitsAt(width, x))) {
          await page.goto(`${h.url}${p.path}`, { timeout: 120_000 });
          expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe(lang);
          // Everything folded away opened, so that axe and the width check see it too.
          await page.evaluate(() => (globalThis as any).document.querySelectorAll('details').forEach((d: any) => { d.open = true; }));
          overflow[`${p.name} @${width}`] = await pageOverflow(page);
          // axe checks the pages' structure (names, roles, contrast), the same in both languages, as
          // on the staff desk sweep: in Khmer at both widths; the English visit checks the words' fit.
          if (lang === 'km') {
            const violations = await axeViolations(page);
            if (violations.length) found[`${p.name} @${width}`] = violations.map((v) => `${v.id}: ${v.nodes.join(' | ')}`);
            const english = await latinWords(page, /^(viewer1|CSV)$/);
            if (english.length) untranslated[p.name] = english;
          }
          await screenshot(page, `reports-${lang}-${width}-${p.name}-${ENGINE}`);
        }
        await context.close();
      }
      expect(Object.entries(overflow).filter(([, px]) => px > 0)).toEqual([]);
      expect(found).toEqual({});
      expect(untranslated).toEqual({});
    });

    test(`on a 360 px phone every chart shows all five points, and a commune page is a few screens long, in ${lang === 'km' ? 'Khmer' : 'English'}`, async () => {
      const { context, page } = await signedIn(PHONE.width, lang);
      await page.goto(`${h.url}/staff/reports/commune/${rich}?${Q1}`, { timeout: 120_000 });
      const screens = await page.evaluate(() => (globalThis as any).document.documentElement.scrollHeight / (globalThis as any).innerHeight);
      // The issue measured 13 screens; the filters, each question's charts and the exact figures are folded away now.
      // (Measured: 5.3 screens in English, 6.4 in Khmer, the menu included.)
      expect(screens).toBeLessThanOrEqual(7);
      await page.evaluate(() => (globalThis as any).document.querySelectorAll('details').forEach((d: any) => { d.open = true; }));
      const charts = await page.evaluate(() => [...(globalThis as any).document.querySelectorAll('table.scale-bars')].map((table: any) => {
        const width = (globalThis as any).document.documentElement.clientWidth;
        return [...table.querySelectorAll('tbody tr')].map((tr: any) => {
          const count = tr.querySelector('.count').getBoundingClientRect();
          const bar = tr.querySelector('svg.bar').getBoundingClientRect();
          return { point: tr.querySelector('.point').textContent, inView: count.left >= 0 && count.right <= width, barWidth: Math.round(bar.width) };
        });
      }));
      // Three services' "all questions" charts and one for each question whose figure is shown.
      const shownQuestions = await page.locator('table.questions td .of-ten').count();
      expect(shownQuestions).toBeGreaterThanOrEqual(12);
      expect(charts.length).toBe(3 + shownQuestions);
      for (const rows of charts) {
        expect(rows.map((r) => r.point)).toEqual(['1', '2', '3', '4', '5']);
        expect(rows.every((r) => r.inView && r.barWidth >= 40)).toBe(true);
      }
      await context.close();
    });

    test(`the commune scorecard prints on one A4 page without the menu or filters, in ${lang === 'km' ? 'Khmer' : 'English'}`, async () => {
      const { context, page } = await signedIn(1280, lang);
      await page.goto(`${h.url}/staff/reports/commune/${rich}/scorecard?${Q1}`, { timeout: 120_000 });
      expect(await page.locator('table.scorecard-table tr.question-row').count()).toBe(16);
      await page.emulateMedia({ media: 'print' });
      const hidden = await page.evaluate(() => ['header.top', '.skip-link', '.no-print'].map((s) => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector(s)).display));
      expect(hidden).toEqual(['none', 'none', 'none']);
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      const pageCount = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
      expect(pageCount).toBe(1);
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUTPUT_DIR, `scorecard-${lang}-${ENGINE}.pdf`), pdf);
      // The full commune page prints without the menu and the filters too.
      await page.goto(`${h.url}/staff/reports/commune/${rich}?${Q1}`, { timeout: 120_000 });
      expect(await page.evaluate(() => ['header.top', 'details.change-view'].map((s) => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector(s)).display))).toEqual(['none', 'none']);
      await context.close();
    });
  }
});
