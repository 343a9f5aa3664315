import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { sha256Of } from '../../src/prompts/audio-sources';
import { parseScript } from '../../src/simulator/call-simulator';
import { AuditEntry } from '../../src/staff/audit-log';
import { translator } from '../../src/staff/i18n/i18n';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { ROOT, runPromptsCli } from '../prompts/prompts-cli';
import { addAccount } from '../staff/staff-support';
import { axeViolations, pageOverflow, screenshot, signInByKeyboard, smallTapTargets, tabTo, sweepWidths, visitsAt } from './browser-support';

/**
 * The recording studio in Chromium with a fake microphone: Chromium's fake capture device plays
 * a WAV generated here (--use-fake-device-for-media-stream, --use-file-for-fake-audio-capture).
 * On a 360 px phone, by keyboard, an admin opens the Bunong main menu from the list, reads its
 * words right above the Record button, records (a level meter and a timer move), listens back and
 * saves; the save runs the import pipeline; a simulated Bunong call then hears that recording,
 * without a restart. One press undoes it, and the call falls back to Khmer again. Every studio
 * page is axe-clean in English and Khmer at 360 and 1280 px, every control named by its prompt.
 */
jest.setTimeout(240_000);

const PHONE = { width: 360, height: 800 };

describe(`recording studio in Chromium (${ENGINE} store)`, () => {
  let h: TestHotline;
  let browser: Browser;
  let audioDir: string;

  beforeAll(async () => {
    audioDir = tempDir('studio-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    // The sample programme as the site's own, so the programme's names are listed.
    const programme = path.join(tempDir('programme-'), 'programme-areas.json');
    const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
    fs.writeFileSync(programme, JSON.stringify(own));
    h = await startHotline({ AUDIO_DIR: audioDir, PROGRAMME_AREAS_FILE: programme });
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

  async function signIn(username: string, opts: { width?: number; lang?: 'km' } = {}): Promise<Page> {
    const context = await browser.newContext({
      permissions: ['microphone'], viewport: { width: opts.width ?? PHONE.width, height: PHONE.height }, ...(opts.lang ? { locale: 'km-KH' } : {}),
    });
    const page = await context.newPage();
    await signInByKeyboard(page, h.url, username);
    return page;
  }

  const heardMainMenu = async () => {
    const t = await h.call(parseScript('2,hangup'), { from: '+85512000777' });
    expect(t.errors).toEqual([]);
    return t.heard.find((p) => p.id === 'main.menu')!;
  };
  const focused = (page: Page, selector: string) => page.evaluate((s) => Boolean((globalThis as any).document.activeElement?.matches(s)), selector);

  /** The script's box ends above the Record button, and both are on the first screen, unscrolled. */
  async function scriptAboveRecord(page: Page): Promise<{ above: boolean; firstScreen: boolean }> {
    const script = (await page.locator('.script').boundingBox())!;
    const record = (await page.locator('button.record').boundingBox())!;
    const scrolled = await page.evaluate(() => (globalThis as any).scrollY);
    const height = page.viewportSize()!.height;
    return { above: script.y + script.height <= record.y, firstScreen: scrolled === 0 && record.y + record.height <= height };
  }

  /**
   * Every control and named widget in the page (Chromium's accessibility tree) with its name:
   * each must have one, and no two the same. The players' own buttons (play, mute) belong to
   * the player, which carries the name.
   */
  async function controlNames(page: Page): Promise<{ unnamed: string[]; repeated: string[] }> {
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = await cdp.send('Accessibility.getFullAXTree') as { nodes: { nodeId: string; parentId?: string; ignored: boolean; role?: { value: string }; name?: { value: string } }[] };
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const inPlayer = (n: typeof nodes[number]) => {
      for (let p = n.parentId ? byId.get(n.parentId) : undefined; p; p = p.parentId ? byId.get(p.parentId) : undefined) if (p.role?.value === 'Audio') return true;
      return false;
    };
    const roles = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'checkbox', 'radio', 'Audio', 'meter', 'timer', 'slider', 'spinbutton']);
    const controls = nodes.filter((n) => !n.ignored && roles.has(n.role?.value ?? '') && !inPlayer(n));
    const names = controls.map((n) => `${n.role!.value}: ${(n.name?.value ?? '').trim()}`);
    await cdp.detach();
    return {
      unnamed: names.filter((n) => /: $/.test(n)),
      repeated: [...new Set(names.filter((n, i) => names.indexOf(n) !== i))],
    };
  }

  test('on a phone, by keyboard: the words above Record, a level and a timer while recording, saved, a caller hears it; undo puts the old state back', async () => {
    // Before: no Bunong main menu, so a Bunong caller hears the Khmer one.
    expect((await heardMainMenu()).language).toBe('km');

    const page = await signIn('studio-admin');
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${h.url}/staff/studio`);
    const before = await page.locator('tr[data-language=cmo]').textContent();
    expect(before).toMatch(/0\/\d+/);
    await page.goto(`${h.url}/staff/studio/cmo?part=main`);
    expect(await page.locator('li[data-prompt]').evaluateAll((items) => items.map((i) => i.getAttribute('data-prompt')))).toEqual(['main.menu']);
    const words = h.rt.catalog.prompts['main.menu'].text.km;
    await tabTo(page, 'li[data-prompt="main.menu"] a');
    await Promise.all([page.waitForURL(/\/staff\/studio\/cmo\/prompt\/main\.menu$/), page.keyboard.press('Enter')]);
    expect(await page.locator('.script .words').innerText()).toBe(words);
    expect(await scriptAboveRecord(page)).toEqual({ above: true, firstScreen: true });
    // What callers hear now: the Khmer fallback.
    expect(await page.locator('audio.current').getAttribute('src')).toBe('/audio/km/main.menu.wav');
    await screenshot(page, `studio-prompt-before-360-${ENGINE}`);

    await tabTo(page, 'button.record');
    await page.keyboard.press('Enter');
    await page.locator('.result', { hasText: 'Recording' }).waitFor();
    // The Record button is disabled while recording: the keyboard goes on from Stop.
    expect(await focused(page, 'button.stop')).toBe(true);
    await page.waitForTimeout(2_500);
    expect(await page.locator('.timer').innerText()).toMatch(/^0:0[2-9]$/);
    expect(Number(await page.locator('meter.level').getAttribute('data-loudest'))).toBeGreaterThan(0.05);
    await screenshot(page, `studio-prompt-recording-360-${ENGINE}`);
    await page.keyboard.press('Enter');
    await page.locator('audio.take-audio:not([hidden])').waitFor();
    expect(await focused(page, 'button.save')).toBe(true);
    expect(await page.locator('meter.level').evaluate((m: any) => m.value)).toBe(0);
    // Listen back: the take plays in the page (a blob: URL the studio's CSP allows).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs in the page
    const takeSeconds = await page.locator('audio.take-audio').evaluate(async (el: any) => {
      await new Promise((resolve) => { if (el.readyState >= 1) resolve(null); else el.addEventListener('loadedmetadata', resolve, { once: true }); });
      await el.play();
      await new Promise((r) => setTimeout(r, 300));
      el.pause();
      return el.currentTime;
    });
    expect(takeSeconds).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    await page.locator('.recorder[data-saved=yes]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.result').textContent()).toMatch(/^Saved: callers hear it from the next call/);
    // Saved: the next prompt still to record is one Enter away.
    expect(await focused(page, 'a.next-missing')).toBe(true);

    // Through the import pipeline into the prompt library: telephony format, a person's recording.
    const saved = path.join(audioDir, 'cmo/main.menu.wav');
    const { stderr } = await runFfmpeg(['-i', saved, '-f', 'null', '-']);
    expect(stderr).toMatch(/pcm_mulaw.*8000 Hz, mono/);
    // The very next call hears it, no restart; the file served is the one saved.
    const heard = await heardMainMenu();
    expect(heard.language).toBe('cmo');
    const served = Buffer.from(await (await fetch(`${h.url}/audio/cmo/main.menu.wav`)).arrayBuffer());
    expect(sha256Of(saved)).toBe(require('node:crypto').createHash('sha256').update(served).digest('hex'));

    // The page now says who recorded it, when (Cambodia time); the overview agrees with the coverage command.
    await page.reload();
    expect(await page.locator('.now .state').innerText()).toBe('recorded');
    const time = page.locator('.now time');
    const at = new Date((await time.getAttribute('datetime'))!);
    const ict = new Date(at.getTime() + 7 * 3600_000);
    expect(await time.innerText()).toContain(`${String(ict.getUTCHours()).padStart(2, '0')}:${String(ict.getUTCMinutes()).padStart(2, '0')}`);
    expect(await page.locator('.now p').first().innerText()).toMatch(/recorded saved by studio-admin, \d{1,2} \w+ \d{4} at \d\d:\d\d/);
    await page.goto(`${h.url}/staff/studio`);
    const cli = JSON.parse(runPromptsCli(['coverage', '--json'], { AUDIO_DIR: audioDir }).stdout) as { languages: { language: string; required: number; recorded: string[] }[] };
    for (const c of cli.languages) {
      await expect(page.locator(`tr[data-language=${c.language}] td.num`).first().textContent()).resolves.toContain(`${c.recorded.length}/${c.required}`);
    }
    expect(cli.languages.find((c) => c.language === 'cmo')!.recorded).toEqual(['main.menu']);

    // One press undoes it: the prompt is missing again and the caller hears Khmer.
    await page.goto(`${h.url}/staff/studio/cmo/prompt/main.menu`);
    await tabTo(page, 'button.undo');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/staff/studio/cmo/prompt/main.menu');
    expect(await page.locator('.now .state').innerText()).toBe('missing');
    expect(fs.existsSync(saved)).toBe(false);
    expect((await heardMainMenu()).language).toBe('km');

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'studio-admin' });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['studio-save', 'studio-undo']));
    expect(audit.find((e) => e.action === 'studio-save')!.detail).toMatchObject({ language: 'cmo', promptId: 'main.menu', replaced: 'nothing' });
    expect(errors).toEqual([]);
  });

  test('a file that is no recording is refused in the reader\'s language, with no server path; a reviewer cannot open the studio', async () => {
    const page = await signIn('studio-admin', { lang: 'km' });
    await page.goto(`${h.url}/staff/studio/cmo/prompt/goodbye`);
    const notes = path.join(tempDir('not-audio-'), 'goodbye.mp3');
    fs.writeFileSync(notes, 'these are my notes, not a recording\n'.repeat(40));
    await page.locator('input.file').setInputFiles(notes);
    await page.locator('button.save').click();
    await page.locator('.recorder[data-saved=no]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.result').textContent()).toBe(translator('km')('studio.refused.audio-undecodable'));
    expect(fs.existsSync(path.join(audioDir, 'cmo/goodbye.wav'))).toBe(false);

    const reviewer = await signIn('reviewer2');
    const response = await reviewer.goto(`${h.url}/staff/studio`);
    expect(response!.status()).toBe(403);
  });

  /** `desktop`: visited on a desktop too (visitsAt). */
  const PAGES: { name: string; path: string; script?: boolean; desktop?: boolean }[] = [
    { name: 'overview', path: '/staff/studio' },
    { name: 'list', path: '/staff/studio/km', desktop: true },
    { name: 'list-needed', path: '/staff/studio/cmo?missing=1&part=info' },
    { name: 'names', path: '/staff/studio/km?part=names' },
    { name: 'provinces', path: '/staff/studio/km?part=places' },
    { name: 'province', path: '/staff/studio/km?part=places&province=01' },
    { name: 'prompt-main-menu', path: '/staff/studio/km/prompt/main.menu', script: true },
    { name: 'prompt-longest', path: '/staff/studio/km/prompt/info.privacy', script: true, desktop: true },
    { name: 'prompt-fallback', path: '/staff/studio/cmo/prompt/welcome', script: true },
    { name: 'prompt-name', path: '/staff/studio/km/prompt/place.0801', script: true },
  ];
  for (const lang of ['en', 'km'] as const) {
    test(`every studio page in ${lang === 'km' ? 'Khmer at 360 and 1280 px' : 'English at 360 px'}: words above Record on the first screen, every control its own name, axe-clean, 44 px targets`, async () => {
      const problems: Record<string, unknown> = {};
      for (const width of sweepWidths(lang)) {
        const page = await signIn('studio-admin', { width, ...(lang === 'km' ? { lang } : {}) });
        for (const p of PAGES.filter((x) => visitsAt(width, x))) {
          await page.goto(`${h.url}${p.path}`);
          expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe(lang);
          const key = `${p.name} @${width}`;
          if (p.script) {
            const where = await scriptAboveRecord(page);
            if (!where.above || !where.firstScreen) problems[`${key}: script and Record`] = where;
          }
          const names = await controlNames(page);
          if (names.unnamed.length || names.repeated.length) problems[`${key}: names`] = names;
          const violations = await axeViolations(page);
          if (violations.length) problems[`${key}: axe`] = violations.map((v) => `${v.id}: ${v.nodes.join(' | ')}`);
          const small = await smallTapTargets(page, 'main');
          if (small.length) problems[`${key}: small targets`] = small;
          if (width === 360 && await pageOverflow(page) > 0) problems[`${key}: overflow`] = await pageOverflow(page);
          await screenshot(page, `studio-${lang}-${width}-${p.name}-${ENGINE}`);
        }
        await page.context().close();
      }
      expect(problems).toEqual({});
    });
  }
});
