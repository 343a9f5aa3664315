import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { AuditEntry } from '../../src/staff/audit-log';
import { StaffVisibleMessage } from '../../src/messages/message-queries';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, seedMessage, toneWav } from '../staff/staff-support';

const OUTPUT_DIR = path.join(process.cwd(), 'test-output');


describe(`staff pages in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'reviewer1', 'reviewer');
    await seedMessage(h.store, { referenceNumber: '100101', communeCode: '120101', service: 'health', audio: toneWav(2), createdAt: new Date(Date.now() - 3_600_000) });
    await seedMessage(h.store, { referenceNumber: '100102', communeCode: '010201', service: 'school', language: 'cmo', createdAt: new Date(Date.now() - 1_800_000) });
    await seedMessage(h.store, { referenceNumber: '100103', communeCode: '010202', service: 'commune', audio: null });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await h.stop();
  });

  test('a reviewer signs in, filters, plays a message, changes its state, and the list is captured', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await page.goto(`${h.url}/staff/messages`);
    expect(page.url()).toContain('/staff/sign-in');

    await page.fill('input[name=username]', 'reviewer1');
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toContain('Wrong username or password');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/staff\/messages$/);
    expect(await page.locator('li.message').count()).toBe(3);

    // Filter (folded away under its summary): choosing a province fills in its districts (external script) without reloading the page.
    const listUrl = page.url();
    await page.click('details.filter-box summary');
    await page.selectOption('select[name=province]', '12');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('select[name=district] option').length > 1);
    expect(page.url()).toBe(listUrl);
    await page.selectOption('select[name=service]', 'health');
    await Promise.all([page.waitForURL(/service=health/), page.click('#message-filters button[type=submit]')]);
    expect(page.url()).toContain('province=12');
    await expect(page.locator('li.message .ref').allTextContents()).resolves.toEqual(['No. 100101']);
    await expect(page.locator('li.message .place .km').first().textContent()).resolves.toBe('ទន្លេបាសាក់');

    // Play: the audio element loads the recording through the Range-capable route.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs in the page (no DOM types in this project)
    const played = await page.locator('li.message audio').first().evaluate(async (el: any) => {
      const audio = el;
      const loaded = new Promise<void>((resolve, reject) => {
        audio.addEventListener('canplay', () => resolve(), { once: true });
        audio.addEventListener('error', () => reject(new Error(`audio error ${audio.error?.code}`)), { once: true });
      });
      audio.muted = true;
      audio.load();
      await loaded;
      await audio.play().catch(() => undefined);
      return { readyState: audio.readyState, duration: audio.duration };
    });
    expect(played.readyState).toBeGreaterThanOrEqual(2);
    expect(played.duration).toBeGreaterThan(1.9);
    expect(played.duration).toBeLessThan(2.1);

    // Change its state on the detail page.
    await page.click('li.message a.ref');
    await page.waitForURL(/\/staff\/messages\/RE/);
    await page.check('form.review input[name=state][value=forwarded]');
    await Promise.all([page.waitForURL(/saved=1/), page.click('form.review button[value=stay]')]);
    await expect(page.locator('dd .state').first().getAttribute('class')).resolves.toContain('state-forwarded');
    const stored = await h.store.collection<StaffVisibleMessage>('messages').findOne({ referenceNumber: '100101' });
    expect(stored?.review?.state).toBe('forwarded');
    expect(stored?.review?.updatedBy).toBe('reviewer1');
    const actions = (await h.store.collection<AuditEntry>('staff_audit').find({ messageId: stored!._id })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['play-message', 'view-message', 'change-state']));

    await page.goto(`${h.url}/staff/messages`);
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const shot = path.join(OUTPUT_DIR, `staff-messages-${ENGINE}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
    await page.close();
  });

  test('try the line plays the welcome prompts in the browser and moves on after a key', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${h.url}/staff/sign-in`);
    await page.fill('input[name=username]', 'reviewer1');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/messages/), page.click('button[type=submit]')]);
    await page.goto(`${h.url}/staff/try-the-line`);
    await page.click('#call-start');
    await page.waitForSelector('#transcript code');
    await expect(page.locator('#transcript code').first().textContent()).resolves.toBe('welcome [km]');
    // Prompts are played one after another: wait until at least the welcome has finished.
    await page.waitForFunction(() => Number((globalThis as any).document.getElementById('phone').getAttribute('data-played') ?? 0) >= 1, undefined, { timeout: 20_000 });
    await page.click('button.key[data-key="1"]');
    await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('#transcript code')].some((c: { textContent: string }) => c.textContent.startsWith('main.menu')), undefined, { timeout: 20_000 });
    await context.close();
  });
});
