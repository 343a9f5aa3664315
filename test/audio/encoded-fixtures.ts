import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../../src/audio/ffmpeg';

/**
 * Real encoded recordings, made with the bundled ffmpeg: a one-second tone (the "speech")
 * between half a second of silence before and 0.7 s after, as people's phone recordings are.
 */
export const SPEECH_SECONDS = 1.0;
const tone = (hz: number) => `if(between(t,0.5,1.5),0.3*sin(2*PI*${hz}*t),0)`;

export type FixtureKind = 'wav-stereo-44k' | 'mp3' | 'm4a' | 'ogg-opus' | 'ogg-vorbis' | 'amr' | 'silent-mp3' | 'hiss-m4a' | 'corrupt-m4a';

const encoders: Record<Exclude<FixtureKind, 'corrupt-m4a'>, { ext: string; args: string[]; stereo?: boolean; silent?: boolean; hiss?: boolean }> = {
  'wav-stereo-44k': { ext: 'wav', args: ['-c:a', 'pcm_s16le'], stereo: true },
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  m4a: { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'] },
  'ogg-opus': { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '24k'] },
  'ogg-vorbis': { ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '3'] },
  amr: { ext: 'amr', args: ['-c:a', 'libopencore_amrnb', '-ar', '8000', '-ac', '1', '-b:a', '12.2k'] },
  'silent-mp3': { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'], silent: true },
  // Room noise only (about -55 LUFS): a phone that recorded nobody speaking.
  'hiss-m4a': { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'], hiss: true },
};

export function extensionOf(kind: FixtureKind): string {
  return kind === 'corrupt-m4a' ? 'm4a' : encoders[kind].ext;
}

/** Writes a fixture of the given kind to dir/name.<ext> and returns its path. */
export async function makeRecording(kind: FixtureKind, dir: string, name: string, hz = 440): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.${extensionOf(kind)}`);
  if (kind === 'corrupt-m4a') {
    // An MP4 box header followed by garbage: what a broken download from a chat app looks like.
    const junk = Buffer.alloc(4000, 0x5a);
    Buffer.from('000000186674797069736f6d', 'hex').copy(junk);
    fs.writeFileSync(file, junk);
    return file;
  }
  const spec = encoders[kind];
  const expr = spec.silent ? '0' : tone(hz);
  const source = spec.hiss ? 'anoisesrc=a=0.01:c=pink:d=2.2:r=44100' : spec.stereo ? `aevalsrc='${expr}|${expr}':c=stereo:s=44100:d=2.2` : `aevalsrc='${expr}':s=44100:d=2.2`;
  // Debian's ffmpeg (the system one the app prefers) has no AMR encoder, only the decoder the app
  // needs: the fixture is encoded with the bundled build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binary = kind === 'amr' ? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path : undefined;
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', source, ...spec.args, file], { binary });
  return file;
}

/** Reads a WAV header directly: a second opinion beside ffmpeg's probe. */
export function wavHeader(file: string): { formatTag: number; channels: number; sampleRate: number; bitsPerSample: number; dataBytes: number } {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file} is not a RIFF WAVE file`);
  let at = 12;
  let fmt: { formatTag: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = { formatTag: b.readUInt16LE(at + 8), channels: b.readUInt16LE(at + 10), sampleRate: b.readUInt32LE(at + 12), bitsPerSample: b.readUInt16LE(at + 22) };
    if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      return { ...fmt, dataBytes: Math.min(size, b.length - at - 8) };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no data chunk`);
}
