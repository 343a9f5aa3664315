import * as fs from 'node:fs';
import * as path from 'node:path';
import { CallTranscript, HeardPrompt, parseScript } from '../../src/simulator/call-simulator';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';

/**
 * A caller who does not know the commune code chooses province, district and commune from
 * spoken lists, as a person would: Kandal (08) is the 8th province; district 0801 is its first
 * district and has 18 communes, so its list runs to three pages of eight.
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

/** The spoken list of one page: each place by name (if recorded) or digits, then its key. */
function page(menu: string, codes: string[], named: Set<string>, more: boolean): string[] {
  return [menu, ...codes.flatMap((c, i) => [...(named.has(c) ? [`place.${c}`] : digits(c)), `digit.${i + 1}`]), ...(more ? ['rate.page.more'] : [])];
}

describe(`choosing a commune from spoken lists (${ENGINE} store)`, () => {
  let h: TestHotline;
  const named = new Set(['08', '080101', '080128']);
  beforeAll(async () => {
    const audioDir = tempDir('audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    // Place names recorded in Khmer only: any audio will do, the flow only needs the file to exist.
    for (const code of named) fs.copyFileSync(path.join(ROOT, 'audio/km/digit.8.wav'), path.join(audioDir, 'km', `place.${code}.wav`));
    h = await startHotline({ AUDIO_DIR: audioDir });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('pages through a district of eighteen communes with 9, repeats a page with *, and names recorded places', async () => {
    // Khmer, rate, "I don't know the code", Kandal, its first district, next, repeat, next, next (wraps), next, next, the 18th commune.
    const t = await h.call(parseScript('1,2,*,8,1,9,*,9,9,9,9,2,hangup'), { from: '+85512000101' });
    expect(t.errors).toEqual([]);
    const heard = turns(t).map(idsOf);
    const provinces = heard[3];
    expect(provinces[0]).toBe('rate.province.menu');
    // Kandal is named by its recording, key 8; Banteay Meanchey (01) is read as digits, key 1.
    expect(provinces.slice(1, 4)).toEqual(['digit.0', 'digit.1', 'digit.1']);
    expect(provinces.slice(-3)).toEqual(['place.08', 'digit.8', 'rate.page.more']);

    const p1 = page('rate.commune.menu', DISTRICT_0801.slice(0, 8), named, true);
    const p2 = page('rate.commune.menu', DISTRICT_0801.slice(8, 16), named, true);
    const p3 = page('rate.commune.menu', DISTRICT_0801.slice(16), named, true);
    expect(heard[5]).toEqual(p1); // after choosing district 1
    expect(heard[6]).toEqual(p2); // 9: next page
    expect(heard[7]).toEqual(p2); // *: the same page again
    expect(heard[8]).toEqual(p3); // 9: the last page, two communes
    expect(heard[9]).toEqual(p1); // 9 on the last page starts over
    expect(heard[10]).toEqual(p2);
    expect(heard[11]).toEqual(p3);
    // 2 on the last page is the 18th commune: its digits read back, then its recorded name.
    expect(heard[12]).toEqual(['rate.commune.confirm', ...digits('080128'), 'place.080128']);
  });

  it('a commune without a recorded name is read back as digits only', async () => {
    const t = await h.call(parseScript('1,2,*,8,1,2,hangup'), { from: '+85512000102' });
    expect(idsOf(turns(t)[6])).toEqual(['rate.commune.confirm', ...digits('080102')]);
  });

  it('a key beyond the page is refused and the page is played again', async () => {
    const t = await h.call(parseScript('1,2,*,8,1,9,9,3,hangup'), { from: '+85512000103' });
    const heard = turns(t).map(idsOf);
    expect(heard[8]).toEqual(['error.invalid', ...page('rate.commune.menu', DISTRICT_0801.slice(16), named, true)]);
  });

  it('a Bunong caller hears the Khmer recording of a place name rather than its digits', async () => {
    const t = await h.call(parseScript('2,2,*,8,1,hangup'), { from: '+85512000104' });
    const commune = turns(t)[5];
    expect(commune[1]).toEqual(expect.objectContaining({ id: 'place.080101', language: 'km' }));
  });
});
