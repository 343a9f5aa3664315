import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requiredPrompts } from '../../src/prompts/coverage';
import { AuditEntry } from '../../src/staff/audit-log';
import { translator } from '../../src/staff/i18n/i18n';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { ROOT } from '../prompts/prompts-cli';
import { addAccount, StaffClient, toneWav } from './staff-support';

/**
 * The studio's pages through the real app: a list per language whose items are links named by
 * their words (no player, no Record button in it), a page per prompt, "next prompt still to
 * record", the programme's names (communes, their districts, facilities) and the place names of
 * each province, refusals in the reader's language, times in Cambodia time.
 */

/** The sample programme as an operator's own file (the sample itself offers callers nothing). */
function siteProgrammeFile(): string {
  const file = path.join(tempDir('programme-'), 'programme-areas.json');
  const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
  fs.writeFileSync(file, JSON.stringify(own));
  return file;
}

const itemIds = (page: string) => [...page.matchAll(/<li data-prompt="([^"]+)"/g)].map((m) => m[1]);
/** The text of each prompt link, tags removed: what a screen reader says for it. */
const linkNames = (page: string) => [...page.matchAll(/<a href="\/staff\/studio\/[a-z]+\/prompt\/[^"]+">([\s\S]*?)<\/a>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim());

describe(`the recording studio's pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  let audioDir: string;
  let admin: StaffClient;
  beforeAll(async () => {
    audioDir = tempDir('studio-pages-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    h = await startHotline({ AUDIO_DIR: audioDir, PROGRAMME_AREAS_FILE: siteProgrammeFile() });
    await addAccount(h.store, 'admin1', 'admin');
    admin = await new StaffClient(h).signedIn('admin1');
  });
  afterAll(async () => {
    await h.stop();
  });

  test('a language\'s list links every prompt by its words, distinct names, with no player and no Record button', async () => {
    const { res, text } = await admin.page('/staff/studio/km');
    expect(res.status).toBe(200);
    expect(itemIds(text)).toHaveLength(requiredPrompts(h.rt.catalog, 'km').length);
    expect(text).not.toContain('<audio');
    expect(text).not.toContain('class="record"');
    const names = linkNames(text);
    expect(names).toHaveLength(itemIds(text).length);
    expect(new Set(names).size).toBe(names.length);
    // Named by the Khmer words, numbered as the speaker reads them; no prompt id as a name.
    expect(names[0]).toBe(`1. ${h.rt.catalog.prompts.welcome.text.km}`);
    for (const n of names) expect(n).not.toMatch(/^\d+\. [a-z]+(\.[a-z0-9-]+)+$/);
    expect(text).toContain('href="/staff/studio/km/next?list=prompts"');
  });

  test('"next prompt still to record": the first one needed, then the one after the current, going round; the list when none is left', async () => {
    const ids = itemIds((await admin.page('/staff/studio/km')).text);
    const gaps = h.rt.languageReadiness.report().find((r) => r.language === 'km')!.gaps;
    const needed = ids.filter((id) => gaps.includes(id));
    expect(needed.length).toBeGreaterThan(2);
    const next = async (query: string) => (await admin.request(`/staff/studio/km/next?${query}`)).headers.get('location');
    expect(await next('list=prompts')).toBe(`/staff/studio/km/prompt/${needed[0]}`);
    expect(await next(`after=${needed[0]}`)).toBe(`/staff/studio/km/prompt/${needed[1]}`);
    expect(await next(`after=${needed.at(-1)}`)).toBe(`/staff/studio/km/prompt/${needed[0]}`);
    expect(await next('list=prompts&part=main')).toBe('/staff/studio/km/prompt/main.menu');

    // Every programme name recorded: nothing left in that list, so back to it, saying so.
    const names = itemIds((await admin.page('/staff/studio/km?part=names')).text);
    for (const id of names) fs.copyFileSync(toneFile(), path.join(audioDir, 'km', `${id}.wav`));
    expect(await next('list=names')).toBe('/staff/studio/km?part=names&done=1');
    expect((await admin.page('/staff/studio/km?part=names&done=1')).text).toContain('Everything in this list is recorded.');
    for (const id of names) fs.rmSync(path.join(audioDir, 'km', `${id}.wav`));
  });

  test('the programme\'s names: communes, their districts, facilities; a district\'s name is saved from its page, in Khmer only', async () => {
    const names = itemIds((await admin.page('/staff/studio/km?part=names')).text);
    expect(names).toEqual(['place.080101', 'place.080102', 'place.080103', 'place.080104', 'place.080105', 'place.0801',
      'facility.co-080101', 'facility.co-080102', 'facility.ps-ampov-prey', 'facility.ps-prey-toteung', 'facility.ps-anlong-romiet', 'facility.hc-ampov-prey']);
    const page = await admin.page('/staff/studio/km/prompt/place.0801');
    expect(page.res.status).toBe(200);
    expect(page.text).toContain(h.rt.gazetteer.find('0801')!.nameKm);

    const saved = await upload('km', 'place.0801', toneWav(2));
    expect(saved.status).toBe(200);
    expect(fs.existsSync(path.join(audioDir, 'km/place.0801.wav'))).toBe(true);
    // Names are proper nouns, recorded once in Khmer: no other language has them.
    expect((await upload('cmo', 'place.0801', toneWav(2))).status).toBe(404);
    expect((await admin.request('/staff/studio/cmo/prompt/place.0801')).status).toBe(404);
    const undone = await admin.post('/staff/studio/km/place.0801/undo');
    expect(undone.headers.get('location')).toBe('/staff/studio/km/prompt/place.0801');
    expect(fs.existsSync(path.join(audioDir, 'km/place.0801.wav'))).toBe(false);
  });

  test('place names by province: each province with how many of its names are recorded, then its places in the order callers hear them', async () => {
    const provinces = await admin.page('/staff/studio/km?part=places');
    const listed = [...provinces.text.matchAll(/<li data-province="(\d\d)"/g)].map((m) => m[1]);
    expect(listed).toEqual(h.rt.gazetteer.provinces.map((p) => p.code));
    expect(provinces.text).toMatch(/\d+ of \d+ names recorded/);
    const province = await admin.page('/staff/studio/km?part=places&province=01');
    const gz = h.rt.gazetteer;
    const expected = ['01', ...gz.childrenOf('01').flatMap((d) => [d.code, ...gz.childrenOf(d.code).map((c) => c.code)])].map((c) => `place.${c}`);
    expect(itemIds(province.text)).toEqual(expected);
    const first = await admin.page('/staff/studio/km/prompt/place.01');
    expect(first.text).toContain(`Place names by province: ${gz.find('01')!.nameLatin} · 1 of ${expected.length}`);
    expect((await admin.request('/staff/studio/km/next?list=places&province=01')).headers.get('location')).toBe('/staff/studio/km/prompt/place.01');
  });

  test('a prompt\'s page: the words first, then Record, each control named by the words; saved-by times in Cambodia time, in the page\'s language', async () => {
    const saved = await upload('km', 'goodbye', toneWav(2));
    expect(saved.status).toBe(200);
    const { text } = await admin.page('/staff/studio/km/prompt/goodbye');
    const words = h.rt.catalog.prompts.goodbye.text.km;
    expect(text.indexOf('class="script"')).toBeLessThan(text.indexOf('class="record"'));
    expect(text).toMatch(new RegExp(`<button type="button" class="record"><span class="label">Record</span><span class="visually-hidden">: <span lang="km">${words.slice(0, 10)}`));
    expect(text).toContain(`aria-label="What callers hear now: ${words}`);
    const iso = /saved by admin1, <time datetime="([^"]+)">([^<]+)<\/time>/.exec(text)!;
    const at = new Date(iso[1]);
    const ict = new Date(at.getTime() + 7 * 3600_000);
    const hhmm = `${String(ict.getUTCHours()).padStart(2, '0')}:${String(ict.getUTCMinutes()).padStart(2, '0')}`;
    expect(iso[2]).toBe(`${ict.getUTCDate()} ${ict.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${ict.getUTCFullYear()} at ${hhmm}`);
    admin.cookies.set('staff_lang', 'km');
    const km = (await admin.page('/staff/studio/km/prompt/goodbye')).text;
    const khmerDigits = (s: string) => s.replace(/[0-9]/g, (d) => '០១២៣៤៥៦៧៨៩'[Number(d)]);
    expect(km).toContain(khmerDigits(hhmm));
    admin.cookies.delete('staff_lang');
    await admin.post('/staff/studio/km/goodbye/undo');
  });

  test('a refused upload says why in the reader\'s language, from the catalog, never with a server path; the log keeps the detail', async () => {
    const notAudio = Buffer.from('these are my notes, not a recording\n'.repeat(40));
    const en = await upload('km', 'welcome', notAudio, 'audio/mpeg');
    expect(en.status).toBe(422);
    expect(await en.json()).toEqual({ ok: false, code: 'AUDIO_UNDECODABLE', message: translator('en')('studio.refused.audio-undecodable') });
    admin.cookies.set('staff_lang', 'km');
    const km = await upload('km', 'welcome', notAudio, 'audio/mpeg');
    const body = await km.json() as { message: string };
    admin.cookies.delete('staff_lang');
    expect(body.message).toBe(translator('km')('studio.refused.audio-undecodable'));
    const logged = h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'studio recording refused');
    expect(logged[0]).toMatchObject({ promptId: 'welcome', code: 'AUDIO_UNDECODABLE', reason: expect.stringMatching(/not a readable audio file/) });
    expect(JSON.stringify(logged)).not.toContain(os.tmpdir());
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ action: 'studio-save-refused' });
    expect(audit[0].detail).toMatchObject({ language: 'km', promptId: 'welcome', code: 'AUDIO_UNDECODABLE' });
  });

  function upload(language: string, promptId: string, body: Buffer, type = 'audio/wav') {
    return fetch(`${h.url}/staff/studio/${language}/${promptId}/recording`, {
      method: 'POST', headers: { cookie: admin.cookieHeader, 'x-csrf-token': admin.csrf, 'content-type': type }, body,
    });
  }
  function toneFile(): string {
    const file = path.join(tempDir('tone-'), 'tone.wav');
    if (!fs.existsSync(file)) fs.writeFileSync(file, toneWav(2));
    return file;
  }
});
