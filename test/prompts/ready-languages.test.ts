import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { loadLanguages } from '../../src/config/languages';
import { createLogger } from '../../src/logging/logger';
import { AudioSources } from '../../src/prompts/audio-sources';
import { loadCatalog } from '../../src/prompts/catalog';
import { requiredPrompts } from '../../src/prompts/coverage';
import { LanguageReadiness } from '../../src/prompts/language-readiness';
import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE, tempDir } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { ROOT, runPromptsCli } from './prompts-cli';

/**
 * Only ready languages are offered: in production the language menu lists a language only while
 * every prompt a caller can reach in it is a person's recording. Built on a temporary audio
 * folder where every file is a "recording" (no placeholder manifest), Khmer and Bunong complete,
 * Tampuan one prompt short, the other languages empty.
 */

const catalog = loadCatalog(path.join(ROOT, 'prompts/catalog.json'));
const languages = loadLanguages(path.join(ROOT, 'config/languages.json'));
const TAMPUAN_GAP = 'info.school.rights.1';

/** A distinct file per language and prompt (distinct checksums), made from a shipped prompt. */
function recordAll(audioDir: string, language: string, except: string[] = []) {
  fs.mkdirSync(path.join(audioDir, language), { recursive: true });
  const base = fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav'));
  for (const id of requiredPrompts(catalog, language)) {
    if (except.includes(id)) continue;
    fs.writeFileSync(path.join(audioDir, language, `${id}.wav`), Buffer.concat([base, Buffer.from(`${language}/${id}`)]));
  }
}

function readyLibrary(): string {
  const dir = tempDir('ready-audio-');
  recordAll(dir, 'km');
  recordAll(dir, 'cmo');
  recordAll(dir, 'tpu', [TAMPUAN_GAP]);
  return dir;
}

const menuOptions = (heard: string[]) => heard.filter((id) => id.startsWith('language.option.'));

/**
 * Waits until the hotline has seen a change made to its folder by hand (its folder watch re-reads
 * it off callers' turns). The bound is only there to fail rather than hang: the wait ends as soon
 * as the change is seen, however fast or slow the machine.
 */
async function untilSeen(what: string, seen: () => boolean): Promise<void> {
  const until = Date.now() + 60_000;
  while (!seen()) {
    if (Date.now() > until) throw new Error(`the hotline did not see ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const offeredNow = (h: TestHotline) => h.rt.languageReadiness.offered().map((l) => l.code);

describe(`only ready languages are offered in production (${ENGINE} store)`, () => {
  let h: TestHotline;
  let audioDir: string;
  beforeEach(async () => {
    audioDir = readyLibrary();
    h = await startHotline({ AUDIO_DIR: audioDir, ONLY_READY_LANGUAGES: 'on' });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('the language menu offers Khmer and Bunong, not Tampuan (one prompt short) nor the unrecorded languages; their keys are refused', async () => {
    const t = await h.call(parseScript('3,hangup'));
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    const firstTurn = heard.slice(0, heard.indexOf('error.invalid'));
    expect(menuOptions(firstTurn)).toEqual(['language.option.km', 'language.option.cmo']);
    // Key 3 (Tampuan) is no option now: refused, and the menu is read again.
    expect(heard.slice(heard.indexOf('error.invalid'))).toEqual(['error.invalid', 'language.menu', 'language.option.km', 'language.option.cmo']);
    expect(h.logs.join('')).toMatch(/language tpu is not offered on the language menu until every prompt is recorded/);
    expect(h.logs.join('')).toContain(TAMPUAN_GAP);
  });

  it('a language that loses a recording leaves the menu without a restart, with a warning; a caller who remembered it is welcomed as a new caller', async () => {
    const from = '+85512000111';
    const first = await h.call(parseScript('2,hangup'), { from });
    expect(first.heard.filter((p) => p.id === 'main.menu').map((p) => p.language)).toEqual(['cmo']);
    const again = await h.call(parseScript('hangup'), { from });
    expect(ids(again)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);

    fs.rmSync(path.join(audioDir, 'cmo/goodbye.wav'));
    await untilSeen('Bunong losing a recording', () => !offeredNow(h).includes('cmo'));
    const after = await h.call(parseScript('hangup'), { from });
    expect(ids(after)[0]).toBe('welcome');
    // Khmer alone is left: no language menu with one language (issue 22).
    expect(menuOptions(ids(after))).toEqual([]);
    const warning = h.logs.map((l) => JSON.parse(l)).find((l) => /language cmo withdrawn from the language menu/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, language: 'cmo', gaps: ['goodbye'] });
    expect(h.rt.languageReadiness.report().find((s) => s.language === 'cmo')).toMatchObject({ offered: false, withdrawn: true });
    expect(h.rt.languageReadiness.report().find((s) => s.language === 'tpu')).toMatchObject({ offered: false, withdrawn: false });
    // ...and the warning is on the studio page.
    await addAccount(h.store, 'studio-admin', 'admin');
    const staff = await new StaffClient(h).signedIn('studio-admin');
    const { text } = await staff.page('/staff/studio');
    expect(text).toMatch(/<tr data-language="cmo">[\s\S]*?WITHDRAWN from the language menu: 1 prompt\(s\) it needs are no longer recorded[\s\S]*?<\/tr>/);
    expect(text).toMatch(/<tr data-language="tpu">[\s\S]*?1 to record: NOT offered on the language menu until these are recorded[\s\S]*?<\/tr>/);

    // Recorded again: offered again, still without a restart.
    recordAll(audioDir, 'cmo');
    await untilSeen('Bunong recorded again', () => offeredNow(h).includes('cmo'));
    expect(menuOptions(ids(await h.call(parseScript('hangup'))))).toEqual(['language.option.km', 'language.option.cmo']);
    expect(h.rt.languageReadiness.report().find((s) => s.language === 'cmo')).toMatchObject({ offered: true, withdrawn: false });
  });

  it('the recording a language lacked, copied into its folder by hand, puts it on the menu without a restart or a studio save', async () => {
    expect(offeredNow(h)).toEqual(['km', 'cmo']);
    const before = h.rt.recordings.reads;
    fs.copyFileSync(path.join(audioDir, 'cmo', `${TAMPUAN_GAP}.wav`), path.join(audioDir, 'tpu', `${TAMPUAN_GAP}.wav`));
    await untilSeen('Tampuan completed by hand', () => offeredNow(h).includes('tpu'));
    // Seen by the folder watch's re-read, not by a re-read at the minute's regular interval.
    expect(h.rt.recordings.reads).toBeGreaterThan(before);
    expect(menuOptions(ids(await h.call(parseScript('hangup'))))).toEqual(['language.option.km', 'language.option.cmo', 'language.option.tpu']);
    expect(h.logs.join('')).toMatch(/language tpu is now fully recorded and offered on the language menu/);
  });

  it('no caller\'s turn touches the audio folder, the first one after the start included: what is recorded is worked out before the line listens', async () => {
    // Everything a turn could read the folder with, synchronously; asynchronous re-reads in the background are allowed.
    const names = ['readdirSync', 'statSync', 'lstatSync', 'existsSync', 'readFileSync', 'openSync', 'accessSync', 'opendirSync'] as const;
    const touched: string[] = [];
    // The module object itself (this file's `fs` is a read-only view of it), as every module reaches it at call time.
    const fsModule = jest.requireActual<typeof fs>('node:fs');
    const spies = names.map((name) => {
      const original = fsModule[name] as (...a: unknown[]) => unknown;
      return jest.spyOn(fsModule, name).mockImplementation(((...args: unknown[]) => {
        if (String(args[0]).startsWith(audioDir)) touched.push(`${name} ${String(args[0])}`);
        return original(...args);
      }) as never);
    });
    try {
      // A rating call as far as the province list (place names in production) and the language menu twice.
      const t = await h.call(parseScript('1,2,*,hangup'));
      expect(t.errors).toEqual([]);
      await h.call(parseScript('2,hangup'), { from: '+85512000222' });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(touched).toEqual([]);
  });

  it('a stopped hotline stops watching its audio folder (a test server left watching re-read it every minute for the rest of the jest worker)', async () => {
    const other = await startHotline({ AUDIO_DIR: audioDir, ONLY_READY_LANGUAGES: 'on' });
    expect(other.rt.recordings.active).toBe(true);
    await other.stop();
    expect(other.rt.recordings.active).toBe(false);
  });

  it('`npm run prompts -- coverage --require offered` names exactly the languages the menu leaves out', async () => {
    const r = runPromptsCli(['coverage', '--require', 'offered', '--json'], { AUDIO_DIR: audioDir });
    expect(r.status).toBe(1);
    const blocking = (JSON.parse(r.stdout) as { blocking: { language: string }[] }).blocking.map((b) => b.language).sort();
    const offered = h.rt.languageReadiness.offered().map((l) => l.code);
    expect(offered).toEqual(['km', 'cmo']);
    expect(blocking).toEqual(languages.languages.map((l) => l.code).filter((c) => !offered.includes(c)).sort());
  });
});

describe('what counts as recorded', () => {
  function readiness(audioDir: string, opts: { enforce?: boolean; acceptKhmerMachineVoice?: boolean } = {}) {
    const logs: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } });
    const r = new LanguageReadiness({
      audioDir, catalog, languages, enforce: opts.enforce ?? true, acceptKhmerMachineVoice: opts.acceptKhmerMachineVoice ?? false, logger: createLogger('info', sink),
    });
    return { r, logs };
  }
  const markMachine = (dir: string, language: string, id: string) => {
    const sources = AudioSources.load(dir);
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, language, `${id}.wav`))).digest('hex');
    sources.markMachine(language, id, { sha256, voice: 'km-KH-Standard-A', synthesizedAt: '2026-11-30T00:00:00Z' });
    sources.saveMachineVoices();
  };

  it('a machine voice counts as recorded only for Khmer, and only when accepted', () => {
    const dir = readyLibrary();
    markMachine(dir, 'km', 'welcome');
    markMachine(dir, 'cmo', 'welcome');
    const strict = readiness(dir).r.report();
    expect(strict.find((s) => s.language === 'km')).toMatchObject({ ready: false, offered: true, gaps: ['welcome'] });
    expect(strict.find((s) => s.language === 'cmo')).toMatchObject({ ready: false, offered: false, gaps: ['welcome'] });
    const accepting = readiness(dir, { acceptKhmerMachineVoice: true }).r.report();
    expect(accepting.find((s) => s.language === 'km')).toMatchObject({ ready: true, offered: true, gaps: [] });
    expect(accepting.find((s) => s.language === 'cmo')).toMatchObject({ ready: false, offered: false, gaps: ['welcome'] });
  });

  it('a placeholder is a gap; the default language stays on the line with an error in the log', () => {
    const dir = readyLibrary();
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'km/goodbye.wav'))).digest('hex');
    fs.writeFileSync(path.join(dir, 'placeholders.json'), JSON.stringify({ files: { 'km/goodbye': sha } }));
    const { r, logs } = readiness(dir);
    expect(r.offered().map((l) => l.code)).toEqual(['km', 'cmo']);
    expect(r.report().find((s) => s.language === 'km')).toMatchObject({ ready: false, gaps: ['goodbye'] });
    expect(logs.join('')).toMatch(/"level":50.*the default language km is not fully recorded/);
  });

  it('outside production every configured language is offered, gaps or not', () => {
    const { r } = readiness(readyLibrary(), { enforce: false });
    expect(r.offered().map((l) => l.code)).toEqual(languages.languages.map((l) => l.code));
    expect(r.report().find((s) => s.language === 'tpu')).toMatchObject({ ready: false, offered: true, gaps: [TAMPUAN_GAP] });
  });

  it('ONLY_READY_LANGUAGES is on in production by default and cannot be turned off there', () => {
    const { loadConfig } = require('../../src/config/config') as typeof import('../../src/config/config');
    const prod = { NODE_ENV: 'production', TWILIO_AUTH_TOKEN: 't', CALLER_HASH_SECRET: 'c', SESSION_SECRET: 's', CALLBACK_NUMBER_KEY: 'ab'.repeat(32), TWILIO_ACCOUNT_SID: 'AC1', PUBLIC_BASE_URL: 'https://hotline.example.org', DATA_DIR: tempDir() };
    expect(loadConfig(prod).onlyReadyLanguages).toBe(true);
    expect(loadConfig({ ...prod, NODE_ENV: 'development' }).onlyReadyLanguages).toBe(false);
    expect(() => loadConfig({ ...prod, ONLY_READY_LANGUAGES: 'off' })).toThrow(/ONLY_READY_LANGUAGES=off is refused in production/);
  });
});
