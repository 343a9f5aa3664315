/**
 * Makes the committed audio fixtures (test/fixtures/audio). Run once by a maintainer, with an
 * ffmpeg that encodes AMR and Opus (the bundled one does):
 *   FFMPEG_PATH=node_modules/@ffmpeg-installer/linux-x64/ffmpeg npx tsx test/audio/make-audio-fixtures.ts
 * Tests never run this: they copy the files, so they need only a decoder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { EXTRA_FIXTURES, FIXTURE_DIR, FIXTURE_PITCHES, FIXTURE_SPECS, fixtureFile } from './encoded-fixtures';

const tone = (hz: number) => `if(between(t,0.5,1.5),0.3*sin(2*PI*${hz}*t),0)`;

async function main() {
  fs.mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const [kind, spec] of Object.entries(FIXTURE_SPECS) as [keyof typeof FIXTURE_SPECS, (typeof FIXTURE_SPECS)[keyof typeof FIXTURE_SPECS]][]) {
    // Silence, hiss and the (large) WAV come in one version; the others in every pitch.
    const pitches = spec.silent || spec.hiss || spec.stereo || spec.source ? [440] : FIXTURE_PITCHES;
    for (const hz of pitches) {
      const expr = spec.silent ? '0' : tone(hz);
      const source = spec.source ?? (spec.hiss ? 'anoisesrc=a=0.01:c=pink:d=2.2:r=44100:seed=7' : spec.stereo ? `aevalsrc='${expr}|${expr}':c=stereo:s=44100:d=2.2` : `aevalsrc='${expr}':s=44100:d=2.2`);
      const file = fixtureFile(kind, hz);
      await runFfmpeg(['-y', '-f', 'lavfi', '-i', source, '-map_metadata', '-1', '-fflags', '+bitexact', ...spec.args, file]);
      console.log(file, fs.statSync(file).size);
    }
  }
  for (const extra of EXTRA_FIXTURES) {
    const file = path.join(FIXTURE_DIR, extra.name);
    await runFfmpeg(['-y', '-f', 'lavfi', '-i', extra.source, '-map_metadata', '-1', '-fflags', '+bitexact', ...extra.args, file]);
    console.log(file, fs.statSync(file).size);
  }
}

void main();
