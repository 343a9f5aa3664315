import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioSources, sha256Of } from '../../src/prompts/audio-sources';
import { CallTranscript, HeardPrompt, parseScript } from '../../src/simulator/call-simulator';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';

/**
 * A caller who does not know the commune code chooses province, district and commune from
 * spoken lists of names, as a person would. Only provinces whose every name is recorded are
 * listed (Kandal here); district 0801 is Kandal's first district and has 18 communes, so its
 * list runs to three pages of eight. Codes are never read out digit by digit in a list.
 */

const ROOT = path.resolve(__dirname, '../..');
const DISTRICT_0801 = ['080101', '080102', '080103', '080104', '080105', '080106', '080107', '080108', '080109', '080113',
  '080115', '080116', '080117', '080118', '080122', '080125', '080127', '080128'];

/** What was heard after each key press (index 0: before the first key). */
function turns(t: CallTranscript): HeardPrompt[][] {
  const out: HeardPrompt[][] = [[]];
  for (const e of t.events) {
    if (e.type === 'pressed') out.push([]);
    if (e.type === 'heard') out[out.length - 1].push(e.prompt);
  }
  return out;
}
const idsOf = (ps: HeardPrompt[]) => ps.map((p) => p.id);
const digits = (code: string) => [...code].map((d) => `digit.${d}`);

/** The spoken list of one page: each place by its name, then its key. */
function page(menu: string, codes: string[], more: boolean): string[] {
  return [menu, ...codes.flatMap((c, i) => [`place.${c}`, `digit.${i + 1}`]), ...(more ? ['rate.page.more'] : [])];
}

/** Records a name (any audio will do: the flow only needs the file) for each place, in Khmer only. */
function recordNames(audioDir: string, codes: Iterable<string>) {
  for (const code of codes) fs.copyFileSync(path.join(ROOT, 'audio/km/digit.8.wav'), path.join(audioDir, 'km', `place.${code}.wav`));
}

describe(`choosing a commune from spoken lists (${ENGINE} store)`, () => {
  let h: TestHotline;
  let audioDir: string;
  beforeAll(async () => {
    audioDir = tempDir('audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    // Kandal (08) has every name recorded; Phnom Penh (12) only its own name and one commune's.
    h = await startHotline({ AUDIO_DIR: audioDir });
    const kandal = ['08', ...h.rt.gazetteer.childrenOf('08').flatMap((d) => [d.code, ...h.rt.gazetteer.childrenOf(d.code).map((c) => c.code)])];
    recordNames(audioDir, [...kandal, '12', '120101']);
    await h.rt.recordings.refreshNow();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('lists only provinces whose every place name is recorded, by name, says the others can be reached by code, and pages through eighteen communes', async () => {
    // Khmer, rate, "I don't know the code", Kandal (the only province listed), its first district, next, repeat, next, next (wraps), next, next, the 18th commune.
    const t = await h.call(parseScript('1,2,*,1,1,9,*,9,9,9,9,2,hangup'), { from: '+85512000101' });
    expect(t.errors).toEqual([]);
    const heard = turns(t).map(idsOf);
    expect(heard[3]).toEqual(['rate.province.menu', 'place.08', 'digit.1', 'rate.province.unlisted']);
    const districts = h.rt.gazetteer.childrenOf('08').map((d) => d.code);
    expect(heard[4]).toEqual(page('rate.district.menu', districts.slice(0, 8), districts.length > 8));

    const p1 = page('rate.commune.menu', DISTRICT_0801.slice(0, 8), true);
    const p2 = page('rate.commune.menu', DISTRICT_0801.slice(8, 16), true);
    const p3 = page('rate.commune.menu', DISTRICT_0801.slice(16), true);
    expect(heard[5]).toEqual(p1); // after choosing district 1
    expect(heard[6]).toEqual(p2); // 9: next page
    expect(heard[7]).toEqual(p2); // *: the same page again
    expect(heard[8]).toEqual(p3); // 9: the last page, two communes
    expect(heard[9]).toEqual(p1); // 9 on the last page starts over
    expect(heard[10]).toEqual(p2);
    expect(heard[11]).toEqual(p3);
    // 2 on the last page is the 18th commune: read back by its recorded name and its district's, content first.
    expect(heard[12]).toEqual(['rate.commune.confirm', 'place.080128', 'place.0801', 'rate.commune.confirm.press']);
  });

  it('# on the province list enters a code instead (for a province not listed)', async () => {
    const t = await h.call(parseScript('1,2,*,#,120101,hangup'), { from: '+85512000102' });
    const heard = turns(t).map(idsOf);
    expect(heard[4]).toEqual(['rate.commune.enter']);
    expect(heard[5]).toEqual(['rate.commune.confirm', 'place.120101', 'rate.commune.confirm.press']); // district 1201's name is not recorded
  });

  it('a key beyond the page is refused and the page is played again', async () => {
    const t = await h.call(parseScript('1,2,*,1,1,9,9,3,hangup'), { from: '+85512000103' });
    const heard = turns(t).map(idsOf);
    expect(heard[8]).toEqual(['error.invalid', ...page('rate.commune.menu', DISTRICT_0801.slice(16), true)]);
  });

  it('a Bunong caller hears the one Khmer recording of a place name', async () => {
    const t = await h.call(parseScript('2,2,*,1,1,hangup'), { from: '+85512000104' });
    const commune = turns(t)[5];
    expect(commune[1]).toEqual(expect.objectContaining({ id: 'place.080101', language: 'km' }));
  });

  it('a province that loses one name leaves the list; with no province left, * has the caller say the place', async () => {
    fs.rmSync(path.join(audioDir, 'km/place.080128.wav'));
    await h.rt.recordings.refreshNow();
    try {
      const t = await h.call(parseScript('1,2,*,hangup'), { from: '+85512000105' });
      const heard = turns(t).map(idsOf);
      expect(heard[2]).toEqual(['rate.commune.enter']);
      expect(heard[3]).toEqual(['rate.place.say']); // no list of digits
      expect(heard.flat().filter((id) => /^rate\.(province|district|commune)\.menu$/.test(id))).toEqual([]);
    } finally {
      recordNames(audioDir, ['080128']);
      await h.rt.recordings.refreshNow();
    }
  });
});

describe(`machine-voice place names in production (${ENGINE} store)`, () => {
  /** Kandal fully named, one of its commune names a machine-voice draft. */
  async function hotline(acceptMachineVoice: boolean): Promise<TestHotline> {
    const audioDir = tempDir('audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    const h = await startHotline({ AUDIO_DIR: audioDir, ONLY_READY_LANGUAGES: 'on', ACCEPT_KHMER_MACHINE_VOICE: String(acceptMachineVoice) });
    const kandal = ['08', ...h.rt.gazetteer.childrenOf('08').flatMap((d) => [d.code, ...h.rt.gazetteer.childrenOf(d.code).map((c) => c.code)])];
    recordNames(audioDir, kandal);
    const draft = path.join(audioDir, 'km/place.080128.wav');
    fs.writeFileSync(draft, Buffer.concat([fs.readFileSync(draft), Buffer.from('synthesized')]));
    const sources = AudioSources.load(audioDir);
    sources.markMachine('km', 'place.080128', { sha256: sha256Of(draft), voice: 'km-KH-Standard-A', synthesizedAt: '2026-11-30T00:00:00Z' });
    sources.saveMachineVoices();
    await h.rt.recordings.refreshNow();
    return h;
  }

  it('a province with a machine-voice name is not offered by name unless ACCEPT_KHMER_MACHINE_VOICE is true', async () => {
    const strict = await hotline(false);
    try {
      // Only Khmer is ready (ONLY_READY_LANGUAGES): no language menu, the main menu at once.
      const t = await strict.call(parseScript('2,hangup'), { from: '+85512000106' });
      expect(turns(t).map(idsOf)[1]).toEqual(['rate.commune.enter']);
    } finally {
      await strict.stop();
    }
    const accepting = await hotline(true);
    try {
      const t = await accepting.call(parseScript('2,*,hangup'), { from: '+85512000107' });
      const heard = turns(t).map(idsOf);
      expect(heard[1]).toEqual(['rate.commune.enter']);
      expect(heard[2]).toEqual(['rate.province.menu', 'place.08', 'digit.1', 'rate.province.unlisted']);
    } finally {
      await accepting.stop();
    }
  });
});
