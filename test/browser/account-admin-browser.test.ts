import { Browser, BrowserContext, Page } from 'playwright-core';
import { StaffAccountsRepository } from '../../src/auth/staff-accounts';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount } from '../staff/staff-support';
import { axeViolations, DESKTOP, launchChromium, pageOverflow, screenshot, signInByKeyboard, smallTapTargets, tabTo, sweepWidths } from './browser-support';

/**
 * Accounts on the web, in Chromium, keyboard only: an admin creates an account and reads its
 * temporary password once, the new person signs in with it and must choose their own, the admin
 * resets the password and then disables the account. Every page of it axe-clean in English and
 * Khmer, at 360 px and on a desktop, with 44 px tap targets.
 */
jest.setTimeout(180_000);

describe(`accounts and passwords on the web in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'viewer1', 'viewer');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const newPage = async (width: number, lang?: 'km'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height: 800 }, ...(lang ? { locale: 'km-KH' } : {}) });
    return { context, page: await context.newPage() };
  };
  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
  const rowOf = (page: Page, user: string) => page.locator(`tr[data-account="${user}"]`);

  test('create, first sign-in, reset and disable, by keyboard only on a phone', async () => {
    const { context, page } = await newPage(360);
    await signInByKeyboard(page, h.url, 'admin1');
    await page.goto(`${h.url}/staff/accounts`);

    // Create: username, role, Enter.
    await tabTo(page, 'form.new-account input[name=username]');
    await page.keyboard.type('sokha');
    await page.keyboard.press('Tab');
    await page.keyboard.type('viewer');
    await page.keyboard.press('Tab');
    await Promise.all([page.waitForURL(/\/staff\/accounts$/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Account sokha created');
    const temporary = await text(page, '.temporary-password code');
    expect(temporary).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(await text(page, '[role=status]')).toContain('sokha (viewer) signs in the first time with this temporary password');
    await screenshot(page, `accounts-created-360-${ENGINE}`);

    // The new person signs in with it and is asked for their own password first.
    const person = await newPage(360);
    await signInByKeyboard(person.page, h.url, 'sokha', temporary);
    expect(new URL(person.page.url()).pathname).toBe('/staff/password');
    expect(await text(person.page, '.notice')).toContain('temporary password');
    await tabTo(person.page, 'input[name=current]');
    await person.page.keyboard.type(temporary);
    await person.page.keyboard.press('Tab');
    await person.page.keyboard.type('green rice under rain');
    await person.page.keyboard.press('Tab');
    await person.page.keyboard.type('green rice under rain');
    await Promise.all([person.page.waitForURL(/\/staff\/messages$/), person.page.keyboard.press('Enter')]);
    expect(await new StaffAccountsRepository(h.store).find('sokha')).toMatchObject({ mustChangePassword: false });

    // Reset: asked first; the old password stops working and the person is signed out.
    await page.goto(`${h.url}/staff/accounts`);
    await tabTo(page, 'a[href="/staff/accounts/sokha/reset-password"]');
    await Promise.all([page.waitForURL(/sokha\/reset-password$/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Reset the password of sokha?');
    await tabTo(page, 'form.confirm button');
    await Promise.all([page.waitForURL(/sokha\/password$/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('New temporary password for sokha');
    const second = await text(page, '.temporary-password code');
    expect(second).not.toBe(temporary);
    await person.page.goto(`${h.url}/staff/messages`);
    expect(new URL(person.page.url()).pathname).toBe('/staff/sign-in');

    // Disable: asked first, then the account is marked disabled.
    await page.goto(`${h.url}/staff/accounts`);
    expect(await rowOf(page, 'sokha').innerText()).toContain('must choose a new password at the next sign-in');
    await tabTo(page, 'a[href="/staff/accounts/sokha/disable"]');
    await Promise.all([page.waitForURL(/sokha\/disable$/), page.keyboard.press('Enter')]);
    await tabTo(page, 'form.confirm button');
    await Promise.all([page.waitForURL(/\/staff\/accounts$/), page.keyboard.press('Enter')]);
    expect(await rowOf(page, 'sokha').innerText()).toContain('disabled');
    expect(await new StaffAccountsRepository(h.store).find('sokha')).toMatchObject({ disabled: true });

    const actions = (await h.store.collection<AuditEntry>('staff_audit').find({ username: 'admin1' })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['add-account', 'reset-password', 'disable-account']));
    await person.context.close();
    await context.close();
  });

  for (const lang of ['en', 'km'] as const) {
    test(`axe finds nothing on the account pages in ${lang === 'km' ? 'Khmer, at 360 px and 1280 px' : 'English, at 360 px'}; tap targets are 44 px`, async () => {
      const found: Record<string, unknown> = {};
      const small: Record<string, string[]> = {};
      for (const width of sweepWidths(lang)) {
        const { context, page } = await newPage(width, lang === 'km' ? 'km' : undefined);
        await signInByKeyboard(page, h.url, 'admin1');
        const check = async (name: string) => {
          const violations = await axeViolations(page);
          if (violations.length) found[`${name} @${width}`] = violations.map((v) => `${v.id}: ${v.nodes.join(' | ')}`);
          const tiny = await smallTapTargets(page, 'main');
          if (tiny.length) small[`${name} @${width}`] = tiny;
          if (width === 360) expect({ page: name, overflow: await pageOverflow(page) }).toEqual({ page: name, overflow: 0 });
          await screenshot(page, `accounts-${lang}-${width}-${name}-${ENGINE}`);
        };
        await page.goto(`${h.url}/staff/accounts`);
        await check('accounts');
        // On a desktop, the list only (visitsAt in browser-support.ts: the forms are laid out alike).
        if (width === DESKTOP) {
          await context.close();
          continue;
        }
        // A refused new account: the error, tied to its field.
        await page.fill('form.new-account input[name=username]', 'viewer1');
        await Promise.all([page.waitForLoadState('load'), page.click('form.new-account button')]);
        expect(await page.locator('form.new-account input[name=username]').getAttribute('aria-invalid')).toBe('true');
        await check('accounts-refused');
        await page.goto(`${h.url}/staff/accounts/viewer1/reset-password`);
        await check('reset-confirm');
        await Promise.all([page.waitForURL(/viewer1\/password$/), page.click('form.confirm button')]);
        await check('temporary-password');
        await page.goto(`${h.url}/staff/password`);
        await check('own-password');
        await page.fill('input[name=current]', 'wrong wrong wrong');
        await page.fill('input[name=password]', 'short');
        await page.fill('input[name=repeat]', 'short');
        // The browser's own check (minlength) would stop the form: send it as a script would.
        await page.evaluate(() => (globalThis as any).document.querySelector('form.password-form').noValidate = true);
        await Promise.all([page.waitForLoadState('load'), page.click('form.password-form button')]);
        expect(await text(page, '[role=alert]')).toBe(lang === 'km' ? 'ពាក្យសម្ងាត់ថ្មីត្រូវមានយ៉ាងហោចណាស់ 12 តួ។' : 'The new password must have at least 12 characters.');
        await check('own-password-refused');
        await context.close();
      }
      expect(found).toEqual({});
      expect(small).toEqual({});
    });
  }
});
