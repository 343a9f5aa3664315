import { Browser, BrowserContext, Page } from 'playwright-core';
import { StaffVisibleMessage } from '../../src/messages/message-queries';
import { ReviewState } from '../../src/messages/messages';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, seedMessage, toneWav } from '../staff/staff-support';
import { axeViolations, latinWords, launchChromium, pageOverflow, screenshot, signInByKeyboard, tabTo, sweepWidths, visitsAt } from './browser-support';

/**
 * A reviewer's shift at the desk in Chromium: 20 voice messages worked keyboard-only, in Khmer,
 * on a 360 px phone, counting the keys pressed and the pages loaded for each; two reviewers on
 * the queue at once without a lost change; the answer call inside a message; and axe-core, the
 * Khmer-words check and 44 px tap targets on the desk's pages in both languages (the widths of sweepWidths).
 */
jest.setTimeout(300_000);

const DAY = 24 * 3600_000;
const SHIFT = 20;

describe(`a reviewer's shift at the desk (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  const seeded: StaffVisibleMessage[] = [];
  const messages = () => h.store.collection<StaffVisibleMessage>('messages');

  beforeAll(async () => {
    h = await startHotline();
    for (const [name, role] of [['sokha', 'reviewer'], ['dara', 'reviewer'], ['admin1', 'admin']] as const) await addAccount(h.store, name, role);
    // 30 open messages a day apart, 700001 the oldest, each with a second of audio to play.
    const base = Date.now() - 40 * DAY;
    for (let i = 0; i < 30; i += 1) {
      seeded.push(await seedMessage(h.store, {
        referenceNumber: String(700001 + i), audio: toneWav(1), communeCode: i % 2 ? '120101' : '010201', service: i % 3 ? 'health' : 'school', createdAt: new Date(base + i * DAY),
      }));
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const phone = async (lang: 'km' | 'en' = 'km', width = 360, height = 640): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height }, ...(lang === 'km' ? { locale: 'km-KH' } : {}) });
    return { context, page: await context.newPage() };
  };

  /** Keys pressed (a chord such as Alt+P is one press), letters typed, and pages loaded, counted as the reviewer works. */
  class Counted {
    keys = 0;
    typed = 0;
    loads = 0;
    constructor(readonly page: Page) {
      page.on('load', () => { this.loads += 1; });
    }
    async press(key: string) {
      this.keys += 1;
      await this.page.keyboard.press(key);
    }
    async type(text: string) {
      this.typed += [...text].length;
      await this.page.keyboard.type(text);
    }
    /** Presses a key that opens another page, and waits for it. */
    async pressAndLoad(key: string) {
      const loads = this.loads;
      await this.press(key);
      await this.page.waitForFunction(() => (globalThis as any).document.readyState === 'complete');
      await waitUntil(() => this.loads > loads);
    }
  }

  const waitUntil = async (check: () => boolean, ms = 15_000) => {
    const t0 = Date.now();
    while (!check()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const h1 = (page: Page) => page.locator('h1').innerText();
  const refOf = async (page: Page) => /([0-9]{6})/.exec(await h1(page))?.[1] ?? '';

  test('20 messages keyboard-only in Khmer at 360 px: one page load and a handful of keys each', async () => {
    const { context, page } = await phone('km');
    await signInByKeyboard(page, h.url, 'sokha');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('km');
    // The first message of the queue shows on the first screen of a 360 x 640 phone.
    const first = await page.locator('li.message').first().boundingBox();
    const firstRef = await page.locator('li.message a.ref').first().boundingBox();
    expect(first && firstRef).toBeTruthy();
    expect(firstRef!.y + firstRef!.height).toBeLessThanOrEqual(640);
    expect(first!.y).toBeLessThan(560);
    await screenshot(page, `shift-km-360-list-${ENGINE}`);

    const c = new Counted(page);
    // "Take the next message": the oldest open one.
    await c.pressAndLoad('Alt+KeyS');
    const perMessage: { ref: string; keys: number; loads: number; typed: number; note: boolean }[] = [];
    const chosen: Record<string, ReviewState> = {};
    for (let i = 0; i < SHIFT; i += 1) {
      const ref = await refOf(page);
      expect(ref).toBe(String(700001 + i));
      const before = { keys: c.keys, loads: c.loads, typed: c.typed };
      // Listen: Alt+P plays the recording (the state choice keeps the focus).
      await c.press('Alt+KeyP');
      await page.waitForFunction(() => { const a = (globalThis as any).document.querySelector('audio[data-shortcut]'); return a && a.currentTime > 0; }, undefined, { timeout: 10_000 });
      // The state: the arrow keys move along the states from the current one (New).
      const moves = [1, 3, 2, 3][i % 4];
      for (let k = 0; k < moves; k += 1) await c.press('ArrowRight');
      chosen[ref] = (['new', 'in-review', 'forwarded', 'resolved'] as const)[moves];
      const note = i % 5 === 4;
      if (note) {
        await c.press('Alt+KeyN');
        await c.type(`បានទាក់ទងឃុំ ${ref}`);
        await c.pressAndLoad('Alt+KeyS');
      } else {
        // Enter in the list of states is "save and next".
        await c.pressAndLoad('Enter');
      }
      perMessage.push({ ref, keys: c.keys - before.keys, loads: c.loads - before.loads, typed: c.typed - before.typed, note });
      expect(await page.locator('p.notice').first().innerText()).toContain(ref);
    }
    const plain = perMessage.filter((m) => !m.note);
    const noted = perMessage.filter((m) => m.note);
    const summary = {
      messages: perMessage.length,
      pageLoadsPerMessage: perMessage.reduce((s, m) => s + m.loads, 0) / perMessage.length,
      keysPerMessageWithoutNote: { mean: plain.reduce((s, m) => s + m.keys, 0) / plain.length, max: Math.max(...plain.map((m) => m.keys)) },
      keysPerMessageWithNote: { mean: noted.reduce((s, m) => s + m.keys, 0) / noted.length, lettersTyped: noted.reduce((s, m) => s + m.typed, 0) / noted.length },
      startOfShift: '1 key (Alt+S on the list), 1 page load',
    };
    // eslint-disable-next-line no-console -- the counts are this test's report
    console.log(`reviewer's shift (${ENGINE}, Khmer, 360 px): ${JSON.stringify(summary)}`);
    for (const m of perMessage) expect(m.loads).toBe(1);
    expect(summary.keysPerMessageWithoutNote.max).toBeLessThan(10);

    // Every message was listened to, saved as chosen, with its note, and taken by the reviewer: one change each.
    for (const m of perMessage) {
      const stored = await messages().findOne({ referenceNumber: m.ref });
      expect({ ref: m.ref, state: stored?.review?.state, owner: stored?.review?.owner }).toEqual({ ref: m.ref, state: chosen[m.ref], owner: 'sokha' });
      expect(stored?.review?.notes.map((n) => n.text)).toEqual(m.note ? [`បានទាក់ទងឃុំ ${m.ref}`] : []);
      expect(stored?.review?.history?.length ?? 0).toBe(chosen[m.ref] === 'new' ? 0 : 1);
      const plays = await h.store.collection<AuditEntry>('staff_audit').countDocuments({ messageId: stored!._id, action: 'play-message', username: 'sokha' });
      expect(plays).toBe(1);
    }
    await screenshot(page, `shift-km-360-message-${ENGINE}`);
    await context.close();
  });

  test('two reviewers on the queue at once: never the same message, and a change made meanwhile is shown, not lost', async () => {
    const a = await phone('km');
    const b = await phone('en', 1280, 800);
    await signInByKeyboard(a.page, h.url, 'sokha');
    await signInByKeyboard(b.page, h.url, 'dara');
    const ca = new Counted(a.page);
    const cb = new Counted(b.page);
    // Both start at once, then save and go on at once, four times.
    await Promise.all([ca.pressAndLoad('Alt+KeyS'), cb.pressAndLoad('Alt+KeyS')]);
    const worked: Record<string, string[]> = { sokha: [], dara: [] };
    for (let round = 0; round < 4; round += 1) {
      const [ra, rb] = await Promise.all([refOf(a.page), refOf(b.page)]);
      expect(ra).not.toBe(rb);
      worked.sokha.push(ra);
      worked.dara.push(rb);
      await Promise.all([
        // sokha resolves: from whatever state the message is in (her own open ones come first), along to Resolved.
        (async () => {
          while ((await a.page.locator('form.review input[name=state]:checked').getAttribute('value')) !== 'resolved') await ca.press('ArrowRight');
          await ca.pressAndLoad('Enter');
        })(),
        (async () => { await cb.press('Alt+KeyN'); await cb.type(`dara checked ${rb}`); await cb.pressAndLoad('Alt+KeyS'); })(),
      ]);
    }
    const all = [...worked.sokha, ...worked.dara];
    expect(new Set(all).size).toBe(all.length);
    for (const ref of worked.sokha) {
      const m = await messages().findOne({ referenceNumber: ref });
      expect({ ref, state: m?.review?.state, owner: m?.review?.owner, byDara: m?.review?.notes.filter((n) => n.by === 'dara').length }).toEqual({ ref, state: 'resolved', owner: 'sokha', byDara: 0 });
    }
    for (const ref of worked.dara) {
      const m = await messages().findOne({ referenceNumber: ref });
      expect({ ref, state: m?.review?.state, owner: m?.review?.owner, notes: m?.review?.notes.map((n) => n.text) }).toEqual({ ref, state: 'new', owner: 'dara', notes: [`dara checked ${ref}`] });
    }

    // Both open the same message (dara's, from its link); sokha saves first.
    const shared = await messages().findOne({ referenceNumber: worked.dara[0] });
    await Promise.all([a.page.goto(`${h.url}/staff/messages/${shared!._id}`), b.page.goto(`${h.url}/staff/messages/${shared!._id}`)]);
    await tabTo(a.page, 'form.review input[name=state]:checked');
    await a.page.keyboard.press('ArrowRight');
    await a.page.keyboard.press('Alt+KeyN');
    await a.page.keyboard.type('សុខា៖ បានបញ្ជូនទៅស្រុក');
    await Promise.all([a.page.waitForEvent('load'), a.page.keyboard.press('Alt+KeyS')]);
    // dara, still on the page as it was, writes and saves: refused, shown what sokha did, the note kept.
    await b.page.keyboard.press('Alt+KeyN');
    await b.page.keyboard.type('Dara: the clinic called back.');
    await Promise.all([b.page.waitForEvent('load'), b.page.keyboard.press('Alt+KeyS')]);
    const alert = await b.page.locator('.conflict[role=alert]').innerText();
    expect(alert).toContain('Someone changed this message while you had it open');
    expect(alert).toContain('sokha');
    expect(alert).toContain('សុខា៖ បានបញ្ជូនទៅស្រុក');
    expect(await b.page.locator('textarea[name=note]').inputValue()).toBe('Dara: the clinic called back.');
    expect((await messages().findOne({ _id: shared!._id }))?.review?.notes.map((n) => n.text)).toEqual([`dara checked ${worked.dara[0]}`, 'សុខា៖ បានបញ្ជូនទៅស្រុក']);
    const violations = await axeViolations(b.page);
    expect(violations).toEqual([]);
    await screenshot(b.page, `shift-conflict-1280-${ENGINE}`);
    // Sent again from the refreshed form: kept beside sokha's change.
    await Promise.all([b.page.waitForEvent('load'), b.page.keyboard.press('Alt+KeyS')]);
    const after = await messages().findOne({ _id: shared!._id });
    expect(after?.review?.notes.map((n) => n.text)).toEqual([`dara checked ${worked.dara[0]}`, 'សុខា៖ បានបញ្ជូនទៅស្រុក', 'Dara: the clinic called back.']);
    expect(after?.review?.state).toBe('in-review');
    await a.context.close();
    await b.context.close();
  });

  test('the answer call inside a message, by keyboard in Khmer: choose with a preview, confirm, and the history says so', async () => {
    const m = await seedMessage(h.store, { referenceNumber: '709001', audio: toneWav(1), createdAt: new Date(Date.now() - 50 * DAY) });
    expect(await h.rt.outbound.optIn({ messageId: m._id, callerId: 'd'.repeat(64), party: '+85512777010', language: 'km' })).toBe('awaiting');
    const { context, page } = await phone('km');
    await signInByKeyboard(page, h.url, 'sokha');
    expect(await page.locator('li.message').first().locator('.answer-badge').innerText()).toBe('ស្នើឲ្យហៅមកវិញ ដើម្បីប្រាប់ចម្លើយ');
    await page.goto(`${h.url}/staff/messages/${m._id}`);
    const c = new Counted(page);
    await tabTo(page, 'form.answer-choice input[name=answer]');
    await c.press('Space');
    // Each answer has a preview player beside it.
    expect(await page.locator('form.answer-choice audio').count()).toBeGreaterThanOrEqual(3);
    await c.pressAndLoad('Enter');
    expect(new URL(page.url()).pathname).toBe(`/staff/messages/${m._id}/answer-call`);
    expect((await h.rt.outbound.queue.collection.findOne({ messageId: m._id }))?.state).toBe('awaiting-answer');
    expect(await axeViolations(page)).toEqual([]);
    expect((await latinWords(page)).filter((w) => w !== 'sokha')).toEqual([]);
    await tabTo(page, 'form.confirm button[type=submit]');
    await c.pressAndLoad('Enter');
    expect((await h.rt.outbound.queue.collection.findOne({ messageId: m._id }))?.state).toBe('queued');
    const history = await page.locator('ol.history li').allInnerTexts();
    expect(history.some((x) => x.includes('បានស្នើឲ្យហៅមកវិញ ដើម្បីប្រាប់ចម្លើយ'))).toBe(true);
    expect(history.some((x) => x.includes('sokha') && x.includes('បានបញ្ជាក់ការហៅប្រាប់ចម្លើយ'))).toBe(true);
    // eslint-disable-next-line no-console -- part of the report
    console.log(`answer call by keyboard (${ENGINE}): ${c.loads} page loads from choosing the answer to the queued call`);
    expect(c.loads).toBe(2);
    await context.close();
  });

  /** Controls smaller than 44 x 44 px (a radio or checkbox counts by its label, which takes the tap). */
  const smallTargets = (page: Page): Promise<string[]> => page.evaluate(() => {
    const doc = (globalThis as any).document;
    const small: string[] = [];
    for (const el of doc.querySelectorAll('a[href], button, select, textarea, summary, audio[controls], input:not([type=hidden])')) {
      if (el.closest('.skip-link, [hidden]') || el.classList.contains('skip-link')) continue;
      const target = ['checkbox', 'radio'].includes(el.type) ? el.closest('label') ?? el : el;
      const r = target.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // folded away (a closed <details>)
      if (r.height < 43.5 || r.width < 43.5) small.push(`${target.tagName.toLowerCase()}${target.className ? `.${String(target.className).split(' ')[0]}` : ''} "${String(target.textContent).trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return small;
  });

  test('the desk\'s pages, including the ones a form answers with, are axe-clean, in Khmer words, with 44 px targets, in both languages at 360 and 1280 px', async () => {
    const answered = await seedMessage(h.store, { referenceNumber: '709101', audio: toneWav(1), createdAt: new Date(Date.now() - 60 * DAY) });
    await h.rt.outbound.optIn({ messageId: answered._id, callerId: 'e'.repeat(64), party: '+85512777011', language: 'km' });
    const found: Record<string, string[]> = {};
    const untranslated: Record<string, string[]> = {};
    const small: Record<string, string[]> = {};
    for (const lang of ['en', 'km'] as const) {
      for (const width of sweepWidths(lang)) {
        const { context, page } = await phone(lang, width, 800);
        await signInByKeyboard(page, h.url, 'admin1');
        /** Each page, reached as a reviewer reaches it (some are the answer to a form); `desktop` as visitsAt. */
        const visits: [string, () => Promise<unknown>, { desktop?: boolean }?][] = [
          ['queue', () => page.goto(`${h.url}/staff/messages`), { desktop: true }],
          ['queue-filter-open', async () => { await page.goto(`${h.url}/staff/messages?province=12`); await page.click('details.filter-box summary'); }],
          ['message', () => page.goto(`${h.url}/staff/messages/${answered._id}`), { desktop: true }],
          ['message-keys-open', async () => { await page.goto(`${h.url}/staff/messages/${seeded[25]._id}`); await page.click('details.keys summary'); }],
          ['dismiss-confirm', async () => {
            await page.goto(`${h.url}/staff/messages/${answered._id}`);
            await page.check('form.review input[name=state][value=dismissed]');
            await Promise.all([page.waitForEvent('load'), page.click('form.review button[value=stay]')]);
          }],
          ['bulk-confirm', async () => {
            await page.goto(`${h.url}/staff/messages?state=all`);
            await page.check(`input.pick[value^="${answered._id}."]`);
            await page.selectOption('form.bulk select[name=state]', 'dismissed');
            await Promise.all([page.waitForEvent('load'), page.click('form.bulk button[type=submit]')]);
          }],
          ['conflict', async () => {
            await page.goto(`${h.url}/staff/messages/${seeded[26]._id}`);
            await messages().updateOne({ _id: seeded[26]._id }, { $inc: { 'review.version': 1 }, $push: { 'review.notes': { by: 'dara', at: new Date(), text: 'meanwhile', version: 999 } } });
            await page.fill('textarea[name=note]', 'mine');
            await Promise.all([page.waitForEvent('load'), page.click('form.review button[value=stay]')]);
          }],
          ['answer-confirm', () => page.goto(`${h.url}/staff/messages/${answered._id}/answer-call?answer=answer.standard.forwarded`)],
          ['outbound', () => page.goto(`${h.url}/staff/outbound`)],
        ];
        for (const [name, visit, marks] of visits) {
          if (!visitsAt(width, marks ?? {})) continue;
          await visit();
          const key = `${name} ${lang} @${width}`;
          const v = await axeViolations(page);
          if (v.length) found[key] = v.map((x) => `${x.id}: ${x.nodes.join(' | ')}`);
          if (lang === 'km') {
            const words = (await latinWords(page)).filter((w) => !['meanwhile', 'mine', 'dara', 'sokha'].includes(w));
            if (words.length) untranslated[key] = words;
          }
          if (width === 360) {
            expect({ key, overflow: await pageOverflow(page) }).toEqual({ key, overflow: 0 });
            // The Outbound page's tables and forms are not the desk's to size.
            if (name !== 'outbound') {
              const s = await smallTargets(page);
              if (s.length) small[key] = s;
            }
          }
          await screenshot(page, `shift-${lang}-${width}-${name}-${ENGINE}`);
        }
        await context.close();
      }
    }
    expect(found).toEqual({});
    expect(untranslated).toEqual({});
    expect(small).toEqual({});
  });
});
