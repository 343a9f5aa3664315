import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { sha256Of } from '../../src/prompts/audio-sources';
import { parseScript } from '../../src/simulator/call-simulator';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { ROOT, runPromptsCli } from '../prompts/prompts-cli';
import { addAccount, PASSWORD } from '../staff/staff-support';

/**
 * The recording studio in Chromium with a fake microphone: Chromium's fake capture device plays
 * a WAV generated here (--use-fake-device-for-media-stream, --use-file-for-fake-audio-capture).
 * An admin records the Bunong main menu in the browser, listens back and saves it; the save runs
 * the import pipeline; a simulated Bunong call then hears that recording, without a restart.
 * One click undoes it, and the call falls back to Khmer again.
 */

describe(`recording studio in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  let audioDir: string;

  beforeAll(async () => {
    audioDir = tempDir('studio-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    h = await startHotline({ AUDIO_DIR: audioDir });
    await addAccount(h.store, 'studio-admin', 'admin');
    await addAccount(h.store, 'reviewer2', 'reviewer');
    // What the fake microphone "hears": speech-like sound (a wandering pitch, with pauses), looped.
    const voice = path.join(tempDir('fake-mic-'), 'voice.wav');
    const expr = 'if(lt(mod(t,1.5),1.1),0.4*sin(2*PI*(180+60*sin(2*PI*3*t))*t),0)';
    await runFfmpeg(['-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=48000:d=6`, '-c:a', 'pcm_s16le', voice]);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync',
        '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${voice}`, '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  async function signIn(username: string): Promise<Page> {
    const context = await browser.newContext({ permissions: ['microphone'] });
    const page = await context.newPage();
    await page.goto(`${h.url}/staff/sign-in?next=/staff/studio`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    return page;
  }

  const heardMainMenu = async () => {
    const t = await h.call(parseScript('2,hangup'), { from: '+85512000777' });
    expect(t.errors).toEqual([]);
    return t.heard.find((p) => p.id === 'main.menu')!;
  };

  test('an admin records a prompt with the microphone, saves it, a caller hears it; undo puts the old state back', async () => {
    // Before: no Bunong main menu, so a Bunong caller hears the Khmer one.
    expect((await heardMainMenu()).language).toBe('km');

    const page = await signIn('studio-admin');
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.waitForURL(/\/staff\/studio$/);
    const before = await page.locator('tr[data-language=cmo]').textContent();
    expect(before).toMatch(/0\/\d+/);

    await page.click('tr[data-language=cmo] a');
    await page.waitForURL(/\/staff\/studio\/cmo$/);
    // Filters: only what is still needed, and by part of the call.
    await page.click('a[href="/staff/studio/cmo?part=main"]');
    await page.waitForURL(/part=main/);
    expect(await page.locator('tr[data-prompt]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-prompt')))).toEqual(['main.menu']);

    const row = page.locator('tr[data-prompt="main.menu"]');
    expect(await row.getAttribute('data-state')).toBe('missing');
    // What callers hear now: the Khmer fallback.
    expect(await row.locator('audio.current').getAttribute('src')).toBe('/audio/km/main.menu.wav');
    await row.locator('button.record').click();
    await row.locator('.result', { hasText: 'Recording' }).waitFor();
    await page.waitForTimeout(2_500);
    await row.locator('button.stop').click();
    await row.locator('audio.take-audio:not([hidden])').waitFor();
    // Listen back: the take plays in the page (a blob: URL the studio's CSP allows).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs in the page
    const takeSeconds = await row.locator('audio.take-audio').evaluate(async (el: any) => {
      await new Promise((resolve) => { if (el.readyState >= 1) resolve(null); else el.addEventListener('loadedmetadata', resolve, { once: true }); });
      await el.play();
      await new Promise((r) => setTimeout(r, 300));
      el.pause();
      return el.currentTime;
    });
    expect(takeSeconds).toBeGreaterThan(0);
    await row.locator('button.save').click();
    await page.locator('tr[data-prompt="main.menu"][data-saved=yes]').waitFor({ timeout: 30_000 });
    await expect(row.locator('.result').textContent()).resolves.toMatch(/^Saved: callers hear it from the next call/);

    // Through the import pipeline into the prompt library: telephony format, a person's recording.
    const saved = path.join(audioDir, 'cmo/main.menu.wav');
    const { stderr } = await runFfmpeg(['-i', saved, '-f', 'null', '-']);
    expect(stderr).toMatch(/pcm_mulaw.*8000 Hz, mono/);
    // The very next call hears it, no restart; the file served is the one saved.
    const heard = await heardMainMenu();
    expect(heard.language).toBe('cmo');
    const served = Buffer.from(await (await fetch(`${h.url}/audio/cmo/main.menu.wav`)).arrayBuffer());
    expect(sha256Of(saved)).toBe(require('node:crypto').createHash('sha256').update(served).digest('hex'));

    // The page now says who recorded it; the overview agrees with the coverage command.
    await page.goto(`${h.url}/staff/studio/cmo`);
    expect(await page.locator('tr[data-prompt="main.menu"]').getAttribute('data-state')).toBe('recorded');
    await expect(page.locator('tr[data-prompt="main.menu"] .who').textContent()).resolves.toMatch(/^studio-admin, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    await page.goto(`${h.url}/staff/studio`);
    const cli = JSON.parse(runPromptsCli(['coverage', '--json'], { AUDIO_DIR: audioDir }).stdout) as { languages: { language: string; required: number; recorded: string[] }[] };
    for (const c of cli.languages) {
      await expect(page.locator(`tr[data-language=${c.language}] td.num`).first().textContent()).resolves.toContain(`${c.recorded.length}/${c.required}`);
    }
    expect(cli.languages.find((c) => c.language === 'cmo')!.recorded).toEqual(['main.menu']);

    // One click undoes it: the prompt is missing again and the caller hears Khmer.
    await page.goto(`${h.url}/staff/studio/cmo`);
    await Promise.all([page.waitForURL(/\/staff\/studio\/cmo$/), page.locator('tr[data-prompt="main.menu"] button.undo').click()]);
    expect(await page.locator('tr[data-prompt="main.menu"]').getAttribute('data-state')).toBe('missing');
    expect(fs.existsSync(saved)).toBe(false);
    expect((await heardMainMenu()).language).toBe('km');

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'studio-admin' });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['studio-save', 'studio-undo']));
    expect(audit.find((e) => e.action === 'studio-save')!.detail).toMatchObject({ language: 'cmo', promptId: 'main.menu', replaced: 'nothing' });
    expect(errors).toEqual([]);
  }, 120_000);

  test('a file that is no recording is refused with the import\'s reason; a reviewer cannot open the studio', async () => {
    const page = await signIn('studio-admin');
    await page.waitForURL(/\/staff\/studio$/);
    await page.goto(`${h.url}/staff/studio/cmo?part=errors`);
    const row = page.locator('tr[data-prompt="goodbye"]');
    const notes = path.join(tempDir('not-audio-'), 'goodbye.mp3');
    fs.writeFileSync(notes, 'these are my notes, not a recording\n'.repeat(40));
    await row.locator('input.file').setInputFiles(notes);
    await row.locator('button.save').click();
    await page.locator('tr[data-prompt="goodbye"][data-saved=no]').waitFor({ timeout: 30_000 });
    await expect(row.locator('.result').textContent()).resolves.toMatch(/not a readable audio file/);
    expect(fs.existsSync(path.join(audioDir, 'cmo/goodbye.wav'))).toBe(false);

    const reviewer = await signIn('reviewer2');
    const response = await reviewer.goto(`${h.url}/staff/studio`);
    expect(response!.status()).toBe(403);
  }, 60_000);
});
