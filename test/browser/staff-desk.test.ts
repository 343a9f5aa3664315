import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SessionsRepository } from '../../src/auth/sessions';
import { StaffVisibleMessage } from '../../src/messages/message-queries';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { storeRatings } from '../reports/rating-fixture';
import { addAccount, seedMessage, toneWav } from '../staff/staff-support';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { planItem } from '../support/jaap-items';
import { CountersRepository } from '../../src/store/counters';
import { RoundRegister } from '../../src/rounds/round-register';
import { proposedIndicatorKey, resultId, RoundResult } from '../../src/rounds/scorecard-round';
import { axeViolations, latinWords, launchChromium, OUTPUT_DIR, pageOverflow, screenshot, signInByKeyboard, tabTo, sweepWidths, visitsAt } from './browser-support';

/**
 * The review desk in Chromium: keyboard only, on a 360 px phone and a desktop, in English and
 * Khmer, with axe-core checking every staff page.
 */
jest.setTimeout(180_000);

describe(`the staff review desk in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  const messages: StaffVisibleMessage[] = [];
  const DAY = 24 * 3600_000;
  const ROUND = '010201-health-2026';
  const base = Date.parse('2026-03-01T03:00:00Z');

  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'admin1', 'admin');
    await addAccount(h.store, 'reviewer1', 'reviewer');
    await addAccount(h.store, 'reviewer2', 'reviewer');
    await addAccount(h.store, 'viewer1', 'viewer');
    await storeRatings(h.store);
    // 23 messages a day apart (reference 300001 is the oldest); two already dealt with.
    for (let i = 0; i < 23; i += 1) {
      messages.push(await seedMessage(h.store, {
        referenceNumber: String(300001 + i),
        communeCode: i % 2 ? '120101' : '010201',
        service: i % 3 ? 'health' : 'school',
        audio: i < 3 ? toneWav(1) : null,
        state: i === 1 ? 'resolved' : i === 2 ? 'dismissed' : undefined,
        createdAt: new Date(base + i * DAY),
      }));
    }
    // Outbound calls: a caller waiting for an answer, a callback queued, a promise news call, a blocked caller (long ids on a phone).
    await h.rt.outbound.optIn({ messageId: messages[4]._id, callerId: 'c'.repeat(64), party: '+85512777000', language: 'km' });
    await h.rt.outbound.missedCall('+85512777001');
    await h.rt.outbound.subscribe({ callerId: 'd'.repeat(64), party: '+85512777002', communeCode: '120101', language: 'km' });
    await h.rt.outbound.itemStatusChanged({ _id: '120101-2026-A1', communeCode: '120101', service: 'health', status: 'done' }, new Date());
    await h.rt.outbound.queue.block('b'.repeat(64), 'admin1');
    // A JAAP with an overdue item and a done one, written in Khmer as a commune would.
    // A provider PIN set, so the PIN page lists one (its PIN is never on that page).
    await h.rt.providerPins.setPin({ communeCode: '120101', service: 'health' }, 'health', 'admin1', new Date('2026-03-01T03:00:00Z'), new CountersRepository(h.store));
    const register = new JaapRegister(h.store);
    await register.addPlan({ _id: '120101-2025', communeCode: '120101', year: 2025, agreedOn: '2025-03-10', createdAt: new Date(), createdBy: 'admin1' });
    await register.addItems([
      planItem('120101', 2025, '2025-03-10', 'A', 1, { activity: 'សាងសង់ផ្លូវជម្រាលនៅមណ្ឌលសុខភាព', indicatorId: 'cleanliness', costRiel: 2_000_000 }),
      planItem('120101', 2025, '2025-03-10', 'B', 1, { activity: 'បិទផ្សាយតម្លៃសេវាផ្លូវការ', status: 'done', doneAt: new Date('2025-06-01T03:00:00Z'), history: [{ status: 'done', at: new Date('2025-06-01T03:00:00Z'), by: 'admin1' }] }),
    ]);
    // Five callers said the done item was not done (hotline "was it done?"): its counts and the flag on the plan and the register.
    for (let n = 0; n < 6; n++) {
      await h.rt.publicResults.recordCheck({ itemId: '120101-2025-B1', communeCode: '120101', callerKey: `${n}`.repeat(64), answer: n < 5 ? 'no' : 'yes', at: new Date('2025-07-01T03:00:00Z'), callSid: `CA${n}` });
    }
    // A full JAAP letter: 12 items (5 external, 7 internal), every official column filled, in Khmer.
    await register.addPlan({ _id: '010201-2025', communeCode: '010201', year: 2025, agreedOn: '2025-02-20', createdAt: new Date(), createdBy: 'admin1' });
    await register.addItems(Array.from({ length: 12 }, (_, n) => planItem('010201', 2025, '2025-02-20', n < 5 ? 'A' : 'B', n < 5 ? n + 1 : n - 4, {
      activity: ['ជួសជុលដំបូលសាលារៀន និងបន្ទប់ទឹកសម្រាប់សិស្ស', 'បិទផ្សាយតម្លៃសេវាផ្លូវការនៅមុខមណ្ឌលសុខភាព', 'សាងសង់ផ្លូវជម្រាលសម្រាប់ជនពិការ'][n % 3],
      proposer: 'ប្រជាពលរដ្ឋភូមិទី៣', targetResponse: 'អ្នកជំងឺទទួលបានព័ត៌មានច្បាស់លាស់', service: ['school', 'health', 'commune'][n % 3], facilityName: 'បន្ទាយនាង',
      quantity: n + 1, unit: 'កន្លែង', startMonth: '2025-04', endMonth: '2025-12', beneficiariesTotal: 1200 + n, beneficiariesFemale: 640, costRiel: 2_500_000 * (n + 1), implementer: 'គណៈកម្មការសាលា',
    })));
    // A scorecard round of 010201's health centre with the meeting's and the providers' results, written in Khmer.
    const rounds = new RoundRegister(h.store);
    await rounds.addRound({
      _id: ROUND, communeCode: '010201', districtCode: '0102', provinceCode: '01', service: 'health', year: 2026, plannedOn: '2026-04-01', phoneFrom: '2026-01-01', phoneTo: '2026-04-01',
      state: 'open', history: [{ state: 'open', at: new Date('2026-03-20T03:00:00Z'), by: 'admin1' }], createdAt: new Date(), createdBy: 'admin1',
    });
    const result = (channel: RoundResult['channel'], indicatorKey: string, counts: RoundResult['counts'], over: Partial<RoundResult> = {}): RoundResult => ({
      _id: resultId(ROUND, channel, indicatorKey), roundId: ROUND, channel, indicatorKey, counts, strengths: [], weaknesses: [], suggestedActions: [], priorityActions: [], source: 'desk', enteredBy: 'admin1', enteredAt: new Date(), ...over,
    });
    for (const ind of h.rt.scorecard.services.find((s) => s.id === 'health')!.indicators) {
      await rounds.saveResult(result('meeting', ind.id, [1, 3, 6, 4, 2], {
        strengths: ['បុគ្គលិកពន្យល់ពីការព្យាបាលយ៉ាងច្បាស់'], weaknesses: ['គ្មាននរណានៅពេលថ្ងៃត្រង់ទេ'],
        suggestedActions: ['បិទតារាងវេនការងារនៅមាត់ទ្វារ', 'ដាក់កៅអីនៅក្រោមម្លប់ឈើសម្រាប់អ្នករង់ចាំ'], priorityActions: ['បិទតារាងវេនការងារនៅមាត់ទ្វារ'],
      }));
      await rounds.saveResult(result('self-assessment', ind.id, [0, 0, 1, 3, 4]));
    }
    const toilets = 'បង្គន់ស្អាតសម្រាប់ស្ត្រី';
    await rounds.saveResult(result('meeting', proposedIndicatorKey(toilets), [4, 2, 1, 0, 0], { indicatorName: toilets, suggestedActions: ['សាងសង់បង្គន់ដាច់ដោយឡែកសម្រាប់ស្ត្រី'] }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const newPage = async (width: number, lang?: 'km'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height: 800 }, ...(lang ? { locale: 'km-KH' } : {}) });
    const page = await context.newPage();
    return { context, page };
  };
  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
  const viewerRow = (page: Page) => page.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: 'viewer1', exact: true }) });
  const stored = (ref: string) => h.store.collection<StaffVisibleMessage>('messages').findOne({ referenceNumber: ref });

  test('a reviewer works through the open queue oldest first, by keyboard only', async () => {
    const { context, page } = await newPage(1280);
    await page.goto(`${h.url}/staff/messages`);
    await signInByKeyboard(page, h.url, 'reviewer1');
    expect(new URL(page.url()).pathname).toBe('/staff/messages');

    // Skip link first, then the menu marks where we are.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.className)).toBe('skip-link');
    expect(await page.locator('nav a[aria-current=page]').innerText()).toBe('Messages');

    // The filter is folded under its summary: Enter opens it. Choosing a state and an order with the keyboard does not reload the page.
    const before = page.url();
    await tabTo(page, 'details.filter-box summary');
    await page.keyboard.press('Enter');
    await tabTo(page, 'select[name=state]');
    await page.keyboard.type('Open');
    await tabTo(page, 'select[name=sort]');
    await page.keyboard.type('Oldest');
    // Province by keyboard: the district list is filled in without a reload.
    await page.keyboard.down('Shift');
    await tabTo(page, 'select[name=province]');
    await page.keyboard.up('Shift');
    await page.keyboard.type('Phnom');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('select[name=district] option').length > 1);
    expect(page.url()).toBe(before);
    expect(await page.locator('select[name=district] option').first().innerText()).toBe('All districts');
    // Back to all provinces (Home picks the first option), then filter.
    await tabTo(page, 'select[name=province]');
    await page.keyboard.press('Home');
    await tabTo(page, '#message-filters button[type=submit]');
    await Promise.all([page.waitForURL(/state=open/), page.keyboard.press('Enter')]);
    expect(await text(page, 'p.count')).toContain('21 messages');
    expect(await text(page, 'p.count')).toContain('Oldest first');
    const refs = await page.locator('li.message a.ref').allInnerTexts();
    expect(refs.slice(0, 3)).toEqual(['No. 300001', 'No. 300004', 'No. 300005']);
    expect(refs).toHaveLength(20);

    // Page 2 keeps the filter; open its only message and go back: same filter, same page.
    await tabTo(page, 'a[rel=next]');
    await Promise.all([page.waitForURL(/page=2/), page.keyboard.press('Enter')]);
    expect(await page.locator('li.message a.ref').allInnerTexts()).toEqual(['No. 300023']);
    await tabTo(page, 'li.message a.ref');
    await Promise.all([page.waitForURL(/\/staff\/messages\/RE/), page.keyboard.press('Enter')]);
    await tabTo(page, 'a.back');
    await Promise.all([page.waitForURL(/\/staff\/messages\?/), page.keyboard.press('Enter')]);
    // Open, oldest first is the queue, the default list: only the page is left to say.
    const back = new URL(page.url());
    expect(Object.fromEntries(back.searchParams)).toEqual({ page: '2' });

    // From the first page: open the oldest, move it to "in review" with "save and next".
    await page.goto(`${h.url}/staff/messages?state=open&sort=oldest`);
    await tabTo(page, 'li.message a.ref');
    await Promise.all([page.waitForURL(/\/staff\/messages\/RE/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Message No. 300001');
    await tabTo(page, 'form.review input[name=state]:checked');
    await page.keyboard.press('ArrowRight');
    await tabTo(page, 'form.review button[value=next]');
    const first = new URL(page.url()).pathname;
    await Promise.all([page.waitForURL((u) => u.pathname !== first && !u.pathname.endsWith('/review')), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Message No. 300004');
    expect(await text(page, 'p.notice')).toBe('No. 300001 saved.');
    expect((await stored('300001'))?.review?.state).toBe('in-review');
    // "Save and next" took the next message for this reviewer.
    expect((await stored('300004'))?.review?.owner).toBe('reviewer1');

    // A note typed while the session ends is kept: sign in again, the note is back, then saved.
    await tabTo(page, 'textarea[name=note]');
    await page.keyboard.type('Called the health centre; the chief will call back.');
    await new SessionsRepository(h.store, h.config.sessionSecret).collection.deleteMany({ username: 'reviewer1' });
    await tabTo(page, 'form.review button[value=stay]');
    await Promise.all([page.waitForURL(/\/staff\/sign-in/), page.keyboard.press('Enter')]);
    expect(await text(page, 'p.notice')).toContain('note you were typing is kept');
    await signInByKeyboard(page, h.url, 'reviewer1');
    expect(await text(page, 'h1')).toBe('Message No. 300004');
    expect(await page.locator('textarea[name=note]').inputValue()).toBe('Called the health centre; the chief will call back.');
    await expect(text(page, '#note-restored')).resolves.toContain('unsaved note was restored');
    await tabTo(page, 'form.review button[value=stay]');
    await Promise.all([page.waitForURL(/saved=1/), page.keyboard.press('Enter')]);
    expect(await page.locator('textarea[name=note]').inputValue()).toBe('');
    // Saved: reloading does not bring the draft back.
    await page.reload();
    expect(await page.locator('textarea[name=note]').inputValue()).toBe('');

    // The whole history: received, taken, the note. Then a state change joins it.
    await tabTo(page, 'form.review input[name=state]:checked');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await tabTo(page, 'form.review button[value=stay]');
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
    const history = await page.locator('ol.history li').allInnerTexts();
    expect(history).toHaveLength(4);
    expect(history[0]).toContain('left the message');
    expect(history[1]).toMatch(/reviewer1 took it/);
    expect(history[2]).toMatch(/reviewer1 added a note:\s*Called the health centre/);
    expect(history[3]).toMatch(/reviewer1 moved it:\s*New → Forwarded/);

    // The list shows the note count.
    await page.goto(`${h.url}/staff/messages?state=all`);
    const row = page.locator('li.message', { hasText: 'No. 300004' });
    expect(await row.locator('.notes-count').innerText()).toBe('1 note');

    // Bulk: tick two messages with the space bar, move both to "resolved".
    await tabTo(page, `input.pick[value^="${messages[4]._id}."]`);
    await page.keyboard.press('Space');
    await tabTo(page, `input.pick[value^="${messages[5]._id}."]`);
    await page.keyboard.press('Space');
    await page.keyboard.down('Shift');
    await tabTo(page, 'form.bulk select[name=state]');
    await page.keyboard.up('Shift');
    await page.keyboard.type('Resolved');
    await tabTo(page, 'form.bulk button[type=submit]');
    await Promise.all([page.waitForURL(/changed=2/), page.keyboard.press('Enter')]);
    expect(await text(page, 'p.notice')).toContain('2 message(s) changed');
    expect(page.url()).toContain('state=all');
    expect((await stored('300005'))?.review?.state).toBe('resolved');
    expect((await stored('300006'))?.review?.history?.map((x) => `${x.from}>${x.to}:${x.by}`)).toEqual(['new>resolved:reviewer1']);

    // Find by reference number from the box on every page.
    await tabTo(page, '#find-ref');
    await page.keyboard.type('300017');
    await Promise.all([page.waitForURL(/\/staff\/messages\/RE/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Message No. 300017');
    await tabTo(page, '#find-ref');
    await page.keyboard.type('999999');
    await Promise.all([page.waitForURL(/\/staff\/find/), page.keyboard.press('Enter')]);
    expect(await text(page, '[role=alert]')).toBe('No message has the reference number 999999.');
    expect(await page.locator('nav a').count()).toBeGreaterThan(2);
    await context.close();
  });

  test('"save and next" at the end of the list, bad dates and pages past the end say what is wrong', async () => {
    const { context, page } = await newPage(1280);
    await signInByKeyboard(page, h.url, 'reviewer2');
    // The newest message is last in the oldest-first list: save and next goes back to the list.
    const newest = messages[messages.length - 1];
    await page.goto(`${h.url}/staff/messages/${newest._id}?back=${encodeURIComponent('sort=oldest')}`);
    await page.click('form.review button[value=next]');
    await page.waitForURL(/end=1/);
    expect(await text(page, 'p.notice')).toContain('That was the last message in this list');

    await page.goto(`${h.url}/staff/messages?from=2026-02-31`);
    expect(await text(page, '[role=alert]')).toContain('2026-02-31 is not a day in the calendar');
    await page.goto(`${h.url}/staff/messages?from=2026-03-10&to=2026-03-01`);
    expect(await text(page, '[role=alert]')).toContain('The start date 2026-03-10 is after the end date 2026-03-01');
    const past = await page.goto(`${h.url}/staff/messages?state=all&page=9`);
    expect(past?.status()).toBe(404);
    expect(await text(page, '[role=alert]')).toContain('There is no page 9: this list has 2 page(s).');
    await page.click('[role=alert] a');
    expect(await page.locator('li.message').count()).toBe(3);
    await page.goto(`${h.url}/staff/reports?from=2026-02-30&to=2026-04-01`);
    expect(await text(page, '[role=alert]')).toContain('2026-02-30 is not a day in the calendar');
    await page.goto(`${h.url}/staff/reports?from=2026-04-01&to=2026-01-01`);
    expect(await text(page, '[role=alert]')).toContain('must be after the start date');

    // Refusals are pages with the menu: a reviewer opening the audit log, an unknown page.
    const refused = await page.goto(`${h.url}/staff/audit`);
    expect(refused?.status()).toBe(403);
    expect(await text(page, 'h1')).toBe('Not allowed');
    expect(await page.locator('header nav a').count()).toBeGreaterThan(2);
    const missing = await page.goto(`${h.url}/staff/no-such-page`);
    expect(missing?.status()).toBe(404);
    expect(await text(page, '[role=alert]')).toBe('There is no such page.');
    await context.close();
  });

  test('an admin reads the audit log by reference number and dates, and confirms before disabling an account', async () => {
    const { context, page } = await newPage(1280);
    await signInByKeyboard(page, h.url, 'admin1');
    await page.goto(`${h.url}/staff/messages/${messages[7]._id}`);
    await page.goto(`${h.url}/staff/audit`);
    const cell = page.locator('table.audit td a').first();
    expect(await cell.innerText()).toBe('No. 300008');
    await tabTo(page, 'form.filters input[name=ref]');
    await page.keyboard.type('300008');
    await Promise.all([page.waitForURL(/ref=300008/), page.keyboard.press('Enter')]);
    const actions = await page.locator('table.audit tbody tr td:nth-child(3)').allInnerTexts();
    expect(actions).toEqual(['opened a message']);
    await page.goto(`${h.url}/staff/audit?from=2026-02-31`);
    expect(await text(page, '[role=alert]')).toContain('2026-02-31 is not a day in the calendar');

    // Disabling asks first; "No" changes nothing; "Yes" disables.
    await page.goto(`${h.url}/staff/accounts`);
    await tabTo(page, 'a[href="/staff/accounts/viewer1/disable"]');
    await Promise.all([page.waitForURL(/viewer1\/disable/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Disable viewer1?');
    await tabTo(page, 'form.confirm a');
    await Promise.all([page.waitForURL(/\/staff\/accounts$/), page.keyboard.press('Enter')]);
    expect(await viewerRow(page).innerText()).toContain('active');
    await page.goto(`${h.url}/staff/accounts/viewer1/disable`);
    await tabTo(page, 'form.confirm button');
    await Promise.all([page.waitForURL(/\/staff\/accounts$/), page.keyboard.press('Enter')]);
    expect(await viewerRow(page).innerText()).toContain('disabled');
    const entries = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'disable-account' });
    expect(entries.map((e) => e.detail?.account)).toEqual(['viewer1']);
    // Enable again for the other tests.
    await viewerRow(page).locator('button', { hasText: 'Enable' }).click();
    await page.waitForLoadState('load');
    await context.close();
  });

  test('reports: the area is picked by name with the keyboard, and charts fit the phone', async () => {
    const { context, page } = await newPage(360);
    await signInByKeyboard(page, h.url, 'viewer1');
    await page.goto(`${h.url}/staff/reports?from=2026-01-01&to=2026-04-01`);
    const before = page.url();
    await tabTo(page, 'select[name=province]');
    await page.keyboard.type('Banteay');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('select[name=district] option').length > 1);
    await tabTo(page, 'select[name=district]');
    await page.keyboard.type('Mongkol');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('select[name=commune] option').length > 1);
    await tabTo(page, 'select[name=commune]');
    await page.keyboard.type('Banteay Neang');
    expect(page.url()).toBe(before);
    await tabTo(page, '#report-filters button[type=submit]');
    await Promise.all([page.waitForURL(/\/staff\/reports\/commune\/010201/), page.keyboard.press('Enter')]);
    expect(await text(page, 'h1')).toBe('Banteay Neang (010201)');
    // This commune's figures are withheld in the fixture (its four medicines callers are protected by
    // its other figures too, since the disclosure rule of 9dd83ab): each says so in place of its chart.
    expect(await page.locator('.not-shown').count()).toBeGreaterThan(0);
    expect(await page.locator('.scale-chart').count()).toBe(0);
    // Tonle Basak's five callers are shown.
    await page.goto(`${h.url}/staff/reports/commune/120101?from=2026-01-01&to=2026-04-01`);
    // Charts fit the phone: all five points of each, the page itself does not scroll sideways.
    const charts = await page.locator('table.scale-bars').evaluateAll((tables) => tables.map((t: any) => ({ rows: t.querySelectorAll('tbody tr').length, right: t.getBoundingClientRect().right })));
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) expect(c.rows === 5 && c.right <= 360).toBe(true);
    expect(await pageOverflow(page)).toBe(0);
    await screenshot(page, `desk-360-commune-report-${ENGINE}`);
    await page.locator('.scale-chart').first().screenshot({ path: `test-output/desk-360-chart-${ENGINE}.png` });
    // A wide table (an area's satisfaction table) scrolls in its own box.
    await page.goto(`${h.url}/staff/reports?from=2026-01-01&to=2026-04-01&code=01`);
    const table = page.locator('.table-scroll').first();
    expect(await table.evaluate((el: any) => el.scrollWidth > el.clientWidth)).toBe(true);
    // The table box takes the keyboard, so it can be scrolled without a mouse.
    await tabTo(page, '.table-scroll');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    // (Chromium scrolls smoothly: wait for it.)
    await table.evaluate((el: any) => new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const check = () => (el.scrollLeft > 0 ? resolve() : Date.now() - t0 > 3000 ? reject(new Error('the table did not scroll')) : setTimeout(check, 50));
      check();
    }));
    await context.close();
  });

  for (const lang of ['en', 'km'] as const) {
    test(`the interface meeting pack prints on A4 without the menu or the desk's links, in ${lang === 'km' ? 'Khmer' : 'English'}`, async () => {
      const { context, page } = await newPage(1280, lang === 'km' ? 'km' : undefined);
      await signInByKeyboard(page, h.url, 'viewer1');
      await page.goto(`${h.url}/staff/rounds/${ROUND}/meeting-pack`);
      expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe(lang);
      // Every indicator of the service and the one the meeting proposed, priorities marked.
      expect(await page.locator('section.pack-indicator').count()).toBe(7);
      expect(await page.locator('li.priority .priority-mark').count()).toBe(6);
      await page.emulateMedia({ media: 'print' });
      const hidden = await page.evaluate(() => ['header.top', '.skip-link', '.no-print'].map((s) => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector(s)).display));
      expect(hidden).toEqual(['none', 'none', 'none']);
      // On paper no table is cut at the right edge (A4 less the margins is about 700 CSS px wide).
      await page.setViewportSize({ width: 700, height: 1000 });
      expect(await page.evaluate(() => [...(globalThis as any).document.querySelectorAll('.meeting-pack .table-scroll')].filter((el: any) => el.scrollWidth > el.clientWidth + 1).length)).toBe(0);
      await screenshot(page, `meeting-pack-print-${lang}-${ENGINE}`);
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      const pageCount = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
      // Seven indicators, each kept whole on its sheet (measured: 2 sheets in English, 3 in Khmer).
      expect(pageCount).toBeGreaterThanOrEqual(1);
      expect(pageCount).toBeLessThanOrEqual(4);
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUTPUT_DIR, `meeting-pack-${lang}-${ENGINE}.pdf`), pdf);
      await context.close();
    });
  }

  test('try the line works from the keyboard', async () => {
    const { context, page } = await newPage(360);
    await signInByKeyboard(page, h.url, 'viewer1');
    await page.goto(`${h.url}/staff/try-the-line`);
    await tabTo(page, '#call-start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#transcript code');
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('button.key[data-key="1"]').disabled, undefined, { timeout: 20_000 });
    await tabTo(page, 'button.key[data-key="1"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('#transcript li.caller')].length > 0, undefined, { timeout: 20_000 });
    await tabTo(page, '#call-hangup');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('phone').getAttribute('data-state') === 'ended', undefined, { timeout: 20_000 });
    await context.close();
  });

  test('each staff member chooses a language; it is remembered, and the page says which', async () => {
    const { context, page } = await newPage(1280);
    // Before signing in: the sign-in page in Khmer from the language link.
    await page.goto(`${h.url}/staff/sign-in`);
    await tabTo(page, 'a.language');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.documentElement.lang === 'km');
    expect(await text(page, 'h1')).toBe('ចូលប្រើ');
    await signInByKeyboard(page, h.url, 'reviewer2');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('km');
    expect(await text(page, 'h1')).toBe('សារជាសំឡេង');
    // Switch to English with the header button: stored with the account.
    await tabTo(page, 'form.language button');
    await Promise.all([page.waitForURL(/\/staff\/messages/), page.keyboard.press('Enter')]);
    await page.waitForFunction(() => (globalThis as any).document.documentElement.lang === 'en');
    expect(await text(page, 'h1')).toBe('Voice messages');
    // Back to Khmer, then a new browser (no cookies) with an English locale: after signing in, Khmer again.
    await page.locator('form.language button').click();
    await page.waitForFunction(() => (globalThis as any).document.documentElement.lang === 'km');
    await context.close();
    const fresh = await newPage(1280);
    await fresh.page.goto(`${h.url}/staff/sign-in`);
    expect(await fresh.page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('en');
    await signInByKeyboard(fresh.page, h.url, 'reviewer2');
    expect(await fresh.page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('km');
    expect(await fresh.page.locator('nav a[aria-current=page]').innerText()).toBe('សារ');
    await fresh.context.close();
  });

  test('a commune\'s JAAP prints as the official letter: A4 landscape, 12 items on one or two pages, in Khmer and in English', async () => {
    for (const lang of ['km', 'en'] as const) {
      const { context, page } = await newPage(1280, lang === 'km' ? 'km' : undefined);
      await signInByKeyboard(page, h.url, 'viewer1');
      await page.goto(`${h.url}/staff/jaap/010201-2025`);
      await Promise.all([page.waitForURL(/\/letter$/), page.locator('a[href$="/letter"]').click()]);
      expect(await page.locator('table.letter-table tbody tr').count()).toBe(12);
      const head = await page.locator('.letter-areas').innerText();
      expect(head).toContain('ខេត្តបន្ទាយមានជ័យ');
      expect(head).toContain('ឃុំបន្ទាយនាង');
      if (lang === 'km') {
        // Khmer digits and month names, and no Latin word on the Khmer letter.
        expect(await page.locator('.letter-title').innerText()).toContain('២០២៥');
        expect(await page.locator('table.letter-table tbody tr').first().innerText()).toMatch(/មេសា ២០២៥[\s\S]*ធ្នូ ២០២៥[\s\S]*២\.៥០០\.០០០/);
        expect(await latinWords(page)).toEqual([]);
      } else {
        expect(await page.locator('table.letter-table tbody tr').first().innerText()).toMatch(/April 2025[\s\S]*December 2025[\s\S]*2,500,000/);
      }
      await page.emulateMedia({ media: 'print' });
      expect(await page.evaluate(() => ['header.top', 'main > h1', '.no-print'].map((s) => (globalThis as any).getComputedStyle((globalThis as any).document.querySelector(s)).display))).toEqual(['none', 'none', 'none']);
      // The page size the letter's CSS asks for (A4 landscape), as a browser's Print dialog would take it.
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      const text = pdf.toString('latin1');
      const pages = (text.match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
      const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]/g)].map((m) => [Math.round(Number(m[1])), Math.round(Number(m[2]))]);
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUTPUT_DIR, `jaap-letter-${lang}-${ENGINE}.pdf`), pdf);
      await page.setViewportSize({ width: 1123, height: 794 }); // A4 landscape at 96 dpi, to look at
      await screenshot(page, `jaap-letter-print-${lang}-${ENGINE}`);
      expect({ lang, pages: pages >= 1 && pages <= 2 }).toEqual({ lang, pages: true });
      expect(boxes.length).toBeGreaterThan(0);
      for (const [w, hgt] of boxes) expect([w, hgt]).toEqual([842, 595]);
      await context.close();
    }
  });

  /** Every staff page, by a role that may see it; `desktop`: visited on a desktop too (visitsAt). */
  const PAGES: { name: string; path: () => string; user: string; desktop?: boolean }[] = [
    { name: 'sign-in', path: () => '/staff/sign-in', user: '' },
    { name: 'messages', path: () => '/staff/messages', user: 'admin1', desktop: true },
    { name: 'messages-filtered', path: () => '/staff/messages?province=12&district=1201&state=open&sort=oldest', user: 'admin1' },
    { name: 'message', path: () => `/staff/messages/${messages[3]._id}`, user: 'admin1', desktop: true },
    { name: 'message-viewer', path: () => `/staff/messages/${messages[0]._id}`, user: 'viewer1' },
    { name: 'bad-dates', path: () => '/staff/messages?from=2026-02-31&to=2026-01-01', user: 'admin1' },
    { name: 'past-the-end', path: () => '/staff/messages?state=all&page=9', user: 'admin1' },
    { name: 'messages-notices', path: () => '/staff/messages?sort=oldest&changed=2&end=1', user: 'admin1' },
    { name: 'message-saved', path: () => `/staff/messages/${messages[3]._id}?back=sort%3Dnewest&saved=1&done=${messages[2]._id}&queue=1`, user: 'admin1' },
    { name: 'messages-mine', path: () => '/staff/messages?mine=1', user: 'admin1' },
    { name: 'message-answer-call', path: () => `/staff/messages/${messages[4]._id}`, user: 'admin1' },
    { name: 'answer-call-confirm', path: () => `/staff/messages/${messages[4]._id}/answer-call?answer=answer.standard.resolved`, user: 'admin1' },
    { name: 'find', path: () => '/staff/find?ref=123', user: 'admin1' },
    { name: 'reports', path: () => '/staff/reports?from=2026-01-01&to=2026-04-01&province=01', user: 'admin1', desktop: true },
    { name: 'commune-report', path: () => '/staff/reports/commune/010201?from=2026-01-01&to=2026-04-01', user: 'admin1', desktop: true },
    { name: 'jaap', path: () => '/staff/jaap?commune=120101', user: 'admin1' },
    { name: 'jaap-plan', path: () => '/staff/jaap/120101-2025', user: 'admin1' },
    { name: 'jaap-results', path: () => '/staff/jaap/results?year=2025', user: 'admin1' },
    { name: 'round-import', path: () => '/staff/rounds/import', user: 'admin1' },
    { name: 'jaap-letter', path: () => '/staff/jaap/010201-2025/letter', user: 'viewer1' },
    { name: 'provider-pins', path: () => '/staff/provider-pins', user: 'admin1' },
    { name: 'rounds', path: () => '/staff/rounds', user: 'admin1' },
    { name: 'round', path: () => `/staff/rounds/${ROUND}`, user: 'admin1', desktop: true },
    { name: 'round-viewer', path: () => `/staff/rounds/${ROUND}?channel=meeting&indicator=staff-attitude`, user: 'viewer1' },
    { name: 'meeting-pack', path: () => `/staff/rounds/${ROUND}/meeting-pack`, user: 'admin1' },
    { name: 'try-the-line', path: () => '/staff/try-the-line', user: 'admin1' },
    { name: 'outbound', path: () => '/staff/outbound', user: 'admin1' },
    { name: 'studio', path: () => '/staff/studio', user: 'admin1' },
    { name: 'studio-language', path: () => '/staff/studio/km', user: 'admin1' },
    { name: 'audit', path: () => '/staff/audit', user: 'admin1' },
    { name: 'audit-filtered', path: () => '/staff/audit?ref=300004&from=2026-01-01&to=2030-01-01', user: 'admin1', desktop: true },
    { name: 'accounts', path: () => '/staff/accounts', user: 'admin1' },
    { name: 'confirm-disable', path: () => '/staff/accounts/viewer1/disable', user: 'admin1' },
    { name: 'forbidden', path: () => '/staff/accounts', user: 'viewer1' },
    { name: 'not-found', path: () => '/staff/messages/RE0000000000000000000', user: 'viewer1' },
  ];

  // Two halves per language, so that each test stays well inside its time on a busy machine.
  const halves = [PAGES.slice(0, Math.ceil(PAGES.length / 2)), PAGES.slice(Math.ceil(PAGES.length / 2))];
  for (const [half, pages] of halves.entries()) for (const lang of ['en', 'km'] as const) {
    const widths = sweepWidths(lang);
    test(lang === 'km' ? `axe finds no violations on any staff page (part ${half + 1} of 2), in Khmer at 360 px and on a desktop` : `no staff page scrolls sideways in English at 360 px (part ${half + 1} of 2)`, async () => {
      const found: Record<string, unknown> = {};
      const untranslated: Record<string, string[]> = {};
      for (const width of widths) {
        const contexts = new Map<string, { context: BrowserContext; page: Page }>();
        for (const p of pages.filter((x) => visitsAt(width, x))) {
          let entry = contexts.get(p.user);
          if (!entry) {
            entry = await newPage(width, lang === 'km' ? 'km' : undefined);
            if (p.user) await signInByKeyboard(entry.page, h.url, p.user);
            contexts.set(p.user, entry);
          }
          const { page } = entry;
          await page.goto(`${h.url}${p.path()}`);
          expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe(p.user === 'reviewer2' ? 'km' : lang);
          if (lang === 'km') {
            const english = await latinWords(page);
            if (english.length) untranslated[p.name] = english;
          }
          // axe checks the pages' structure (names, roles, contrast), the same in both languages:
          // in Khmer at both widths; the English visit checks the words' fit (overflow) only.
          if (lang === 'km') {
            const violations = await axeViolations(page);
            if (violations.length) found[`${p.name} @${width}`] = violations;
          }
          // Nothing makes the whole page scroll sideways on a phone.
          if (width === 360) expect({ page: p.name, overflow: await pageOverflow(page) }).toEqual({ page: p.name, overflow: 0 });
          await screenshot(page, `desk-${lang}-${width}-${p.name}-${ENGINE}`);
        }
        for (const { context } of contexts.values()) await context.close();
      }
      expect(untranslated).toEqual({});
      expect(Object.fromEntries(Object.entries(found).map(([k, v]) => [k, (v as { id: string; nodes: string[] }[]).map((x) => `${x.id}: ${x.nodes.join(' | ')}`)]))).toEqual({});
    });
  }
});
