import { Browser, chromium } from 'playwright-core';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, PASSWORD, seedMessage } from '../staff/staff-support';

describe(`recording an answer in the browser (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'reviewer1', 'reviewer');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      // Chromium's fake microphone (a beep), accepted without a prompt.
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await h.stop();
  });

  test('record, stop and send in the message: the answer is converted and kept to hear; the call is queued only once confirmed', async () => {
    const message = await seedMessage(h.store, { referenceNumber: '100777' });
    expect(await h.rt.outbound.optIn({ messageId: message._id, callerId: 'c'.repeat(64), party: '+85512777000', language: 'km' })).toBe('awaiting');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${h.url}/staff/sign-in?next=/staff/messages/${message._id}`);
    await page.fill('input[name=username]', 'reviewer1');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(new RegExp(`/staff/messages/${message._id}$`)), page.click('button[type=submit]')]);
    const button = page.locator(`button.record-answer[data-message="${message._id}"]`);
    await button.click();
    // getUserMedia answers asynchronously; the status line says why if it never does.
    await page.locator(`button.record-answer[data-message="${message._id}"]:has-text("Stop and send")`).waitFor({ timeout: 10_000 })
      .catch(async (err) => { throw new Error(`${err.message}; status: ${await page.locator('.record-status').first().textContent()}`); });
    await page.waitForTimeout(2500);
    await Promise.all([page.waitForEvent('load', { timeout: 20_000 }), button.click()]);
    let [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry).toMatchObject({ state: 'awaiting-answer', draftAnswerFileId: expect.stringMatching(new RegExp(`^answer-${entry._id}-[0-9a-f]+\\.wav$`)) });
    const audio = await h.store.files.read(entry.draftAnswerFileId!);
    expect(audio.subarray(0, 4).toString()).toBe('RIFF');
    // The reloaded page offers the recording to hear, chosen; then the confirmation, then the call.
    expect(await page.locator('input[name=answer][value=recorded]').isChecked()).toBe(true);
    await Promise.all([page.waitForURL(/answer-call\?answer=recorded/), page.click('form.answer-choice button[type=submit]')]);
    await Promise.all([page.waitForURL(/saved=answer/), page.click('form.confirm button[type=submit]')]);
    [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry).toMatchObject({ state: 'queued', answerFileId: expect.stringMatching(/^answer-/), answeredBy: 'reviewer1' });
    expect(errors).toEqual([]);
  }, 60_000);
});
