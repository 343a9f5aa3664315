import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { PASSWORD } from '../staff/staff-support';

export const OUTPUT_DIR = path.join(process.cwd(), 'test-output');

/** Debian's Chromium, as every browser test here runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync'],
  });
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core in the page (WCAG 2.0/2.1 A and AA plus best practices) and returns its
 * violations. The source is evaluated through the DevTools protocol, so the staff CSP (no inline
 * scripts) needs no exception.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n: any) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
}

/** Presses Tab until the focused element matches `selector`: proves it is reachable by keyboard. */
export async function tabTo(page: Page, selector: string, max = 120): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => Boolean((globalThis as any).document.activeElement?.matches(s)), selector)) return;
  }
  throw new Error(`${selector} was not reached with ${max} presses of Tab`);
}

/** Signs in with the keyboard only: type, Tab, type, Enter. */
export async function signInByKeyboard(page: Page, baseUrl: string, username: string, password = PASSWORD): Promise<void> {
  if (!page.url().includes('/staff/sign-in')) await page.goto(`${baseUrl}/staff/sign-in`);
  await tabTo(page, 'input[name=username]');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/sign-in')), page.keyboard.press('Enter')]);
}

/** Whether the page itself scrolls sideways (it must not: wide tables and charts scroll in their own boxes). */
export function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const d = (globalThis as any).document.documentElement;
    return d.scrollWidth - d.clientWidth;
  });
}

/**
 * A full-page screenshot (and one of the first screen, readable when the page is long) under
 * test-output/, for a person to look at. TEST_SCREENSHOTS=0 skips the pictures (the MongoDB pass
 * of scripts/test-both-engines.sh: the embedded pass has drawn the same pages); every check on
 * the page still runs.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  if (process.env.TEST_SCREENSHOTS === '0') return file;
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  await page.screenshot({ path: path.join(OUTPUT_DIR, `${name}-top.png`) });
  return file;
}

/**
 * Latin-script words a Khmer reader sees that are not marked as English data (place, service
 * and language names carry lang="en"; usernames, codes, numbers and dates are not words).
 */
export function latinWords(page: Page, allowed: RegExp = /^(admin1|reviewer1|reviewer2|viewer1|CSV|UTC)$/): Promise<string[]> {
  return page.evaluate((allowedSource) => {
    const doc = (globalThis as any).document;
    const words = new Set<string>();
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest('[lang="en"], code, script, style, option, .visually-hidden, [hidden], .note-text')) continue;
      for (const w of String(node.textContent).match(/[A-Za-z]{3,}[A-Za-z0-9]*/g) ?? []) words.add(w);
    }
    return [...words].filter((w) => !new RegExp(allowedSource).test(w));
  }, allowed.source);
}

/**
 * Controls inside `scope` smaller than 44 by 44 CSS px (WCAG 2.5.5, the size a thumb hits), as
 * "tag 'name' WxH". Hidden ones are left out.
 */
export function smallTapTargets(page: Page, scope = 'body', min = 44): Promise<string[]> {
  return page.evaluate(({ scope, min }) => {
    const doc = (globalThis as any).document;
    const root = doc.querySelector(scope);
    if (!root) return [];
    const controls = root.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls], [role=button]');
    const out: string[] = [];
    for (const control of controls) {
      // A checkbox or file input is hit through its label, which is the target to measure.
      const label = control.matches('input[type=checkbox], input[type=radio], input[type=file]') ? control.closest('label') : null;
      const el = label ?? control;
      const r = el.getBoundingClientRect();
      if (!el.getClientRects().length || r.width === 0 || el.closest('.visually-hidden')) continue;
      if (r.width < min - 0.5 || r.height < min - 0.5) out.push(`${el.tagName.toLowerCase()} '${(el.innerText || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40)}' ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return out;
  }, { scope, min });
}

/**
 * The widths a page sweep (axe, Latin words, overflow, tap targets) visits in each language:
 * Khmer, the desk's first language and its longest words, on a 360 px phone and a desktop;
 * English on the phone, where it can overflow. A desktop in English is what the other browser
 * tests drive; the fourth combination found nothing the three did not, and cost a quarter of
 * the slowest tests in CI.
 */
export function sweepWidths(lang: 'en' | 'km', phone = 360): number[] {
  return lang === 'km' ? [phone, DESKTOP] : [phone];
}

export const DESKTOP = 1280;

/**
 * Whether a sweep visits this page at this width. On a desktop, only the pages a sweep marks
 * `desktop`: those whose desktop layout differs most from the phone's. axe reads the same DOM at
 * both widths; the width changes only what is displayed and where. The stylesheets' phone rules
 * (staff.css, `@media (max-width: 40em)`; public.css has none) hide on a phone only the header's
 * signed-in name and report tables' exact figures, and otherwise lay out the menu, the filter,
 * message and round grids and the bulk form differently. For everything else the phone is the
 * stricter case (a region that scrolls, words that overflow). Every page at both widths was a
 * fifth of the slowest browser test's time (the staff desk: 90 s, now 73 s on the same machine).
 */
export function visitsAt(width: number, page: { desktop?: boolean }): boolean {
  return width !== DESKTOP || page.desktop === true;
}
