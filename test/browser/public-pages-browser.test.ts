import { Browser, Page } from 'playwright-core';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { jaapFixture, publishFixture } from '../public/public-fixture';
import { axeViolations, latinWords, launchChromium, pageOverflow, screenshot } from './browser-support';

/**
 * The public pages in Chromium, as the staff pages are checked (test/browser/staff-desk.test.ts):
 * a few pages on a 360 px phone and a desktop, Khmer and English, axe-clean, no Latin word on a
 * Khmer page outside marked English, no sideways scrolling; and the noticeboard poster printed
 * to PDF is one A4 page, or one A3 page. Lean on purpose: CI is near its time limit.
 */
jest.setTimeout(120_000);

/** Pages in a PDF Chromium printed: its page objects (not the /Pages tree). */
const pdfPages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) ?? []).length;
/** A4 and A3 in PostScript points, as a PDF's MediaBox gives them. */
const mediaBox = (pdf: Buffer) => /\/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]/.exec(pdf.toString('latin1'))?.slice(1, 3).map((n) => Math.round(Number(n)));

describe(`the public pages in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHotline();
    await publishFixture(h.rt.publicResults);
    await jaapFixture(new JaapRegister(h.store), h.rt.publicResults);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const check = async (page: Page, name: string, khmer: boolean) => {
    expect({ name, axe: await axeViolations(page) }).toEqual({ name, axe: [] });
    expect({ name, overflow: await pageOverflow(page) }).toEqual({ name, overflow: 0 });
    if (khmer) expect({ name, latin: await latinWords(page) }).toEqual({ name, latin: [] });
    await screenshot(page, name);
  };

  test.each([
    [360, '/public', true],
    [360, '/public/commune/120101', true],
    [360, '/public/commune/120101?lang=en', false],
    [1280, '/public/district/1201?lang=en', false],
    [1280, '/public/commune/120101/poster', true],
  ] as const)('%i px %s is axe-clean, fits the screen and has no stray Latin words in Khmer', async (width, path, khmer) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const res = await page.goto(`${h.url}${path}`);
    expect(res?.status()).toBe(200);
    await check(page, `public-${width}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`, khmer);
    await context.close();
  });

  test('the poster prints on one A4 page, and on one A3 page with ?size=a3, with the missing number said first', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.url}/public/commune/120101/poster`);
    // HOTLINE_NUMBER is not set here: the red box says so before anything else.
    expect(await page.locator('main > :first-child').getAttribute('class')).toBe('number-missing');
    const a4 = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    expect({ pages: pdfPages(a4), size: mediaBox(a4) }).toEqual({ pages: 1, size: [595, 842] });
    await page.goto(`${h.url}/public/commune/120101/poster?size=a3`);
    const a3 = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    expect({ pages: pdfPages(a3), size: mediaBox(a3) }).toEqual({ pages: 1, size: [842, 1191] });
    // An ordinary page prints on A4 too.
    await page.goto(`${h.url}/public/commune/120101?lang=en`);
    expect(mediaBox(await page.pdf({ preferCSSPageSize: true }))).toEqual([595, 842]);
    await context.close();
  });
});
