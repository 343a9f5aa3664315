import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { LOUDNESS } from '../../src/audio/telephony-conversion';
import { AudioSources } from '../../src/prompts/audio-sources';
import { importRecordings } from '../../src/prompts/prompt-import';
import { tempDir } from '../support/engine';

/**
 * Even loudness: the shipped placeholders and imported recordings are normalised to the same
 * target, so a caller hears no jump in level while recordings replace placeholders one by one.
 * (Before, placeholders sat 3-4 dB below recordings.)
 */

const ROOT = path.resolve(__dirname, '../..');
const TOLERANCE_LU = 2;

async function loudnessOf(file: string): Promise<number> {
  const { stderr } = await runFfmpeg(['-i', file, '-af', 'loudnorm=print_format=json', '-f', 'null', '-']);
  return Number(/"input_i" : "(-?[\d.]+|-inf)"/.exec(stderr)![1]);
}

describe('recordings and placeholders at the same loudness', () => {
  it('shipped placeholders (short and long) and imported recordings (quiet and loud) all measure within 2 LU of the target', async () => {
    const audio = path.join(ROOT, 'audio');
    const sources = AudioSources.load(audio);
    const placeholders = ['digit.1', 'scale.3', 'goodbye', 'main.menu', 'info.health.fees.1', 'rate.intro'];
    for (const id of placeholders) expect(sources.sourceOf('km', id)).toBe('placeholder');

    const inbox = tempDir('loudness-in-');
    fs.mkdirSync(path.join(inbox, 'km'));
    // Speech-like (a tone whose pitch wanders) between silences, recorded softly and loudly.
    for (const [id, amplitude] of [['welcome', 0.02], ['goodbye', 0.6]] as const) {
      const expr = `if(between(t,0.5,3.5),${amplitude}*sin(2*PI*(180+60*sin(2*PI*3*t))*t),0)`;
      await runFfmpeg(['-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=44100:d=4.2`, '-c:a', 'aac', '-b:a', '64k', path.join(inbox, 'km', `${id}.m4a`)]);
    }
    const out = tempDir('loudness-out-');
    const result = await importRecordings([path.join(inbox, 'km/welcome.m4a'), path.join(inbox, 'km/goodbye.m4a')], {
      audioDir: out, languages: ['km'], isPromptId: () => true,
    });
    expect(result.map((r) => r.status)).toEqual(['imported', 'imported']);

    const levels: Record<string, number> = {};
    for (const id of placeholders) levels[`placeholder ${id}`] = await loudnessOf(path.join(audio, 'km', `${id}.wav`));
    for (const id of ['welcome', 'goodbye']) levels[`recording ${id}`] = await loudnessOf(path.join(out, 'km', `${id}.wav`));
    for (const [what, level] of Object.entries(levels)) {
      expect({ what, off: Math.abs(level - LOUDNESS.integrated) <= TOLERANCE_LU ? 'ok' : level }).toEqual({ what, off: 'ok' });
    }
    const all = Object.values(levels);
    expect(Math.max(...all) - Math.min(...all)).toBeLessThanOrEqual(2 * TOLERANCE_LU);
  }, 60_000);
});
