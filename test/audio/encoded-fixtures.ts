import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Real encoded recordings, committed under test/fixtures/audio (made once with the bundled
 * ffmpeg by test/audio/make-audio-fixtures.ts): a one-second tone (the "speech") between half a
 * second of silence before and 0.7 s after, as people's phone recordings are. Tests copy them,
 * so they only ever decode: Debian's ffmpeg, which cannot encode AMR, runs them as well.
 */
export const SPEECH_SECONDS = 1.0;
export const FIXTURE_DIR = path.resolve(__dirname, '../fixtures/audio');

export type FixtureKind =
  | 'wav-stereo-44k' | 'mp3' | 'm4a' | 'aac' | 'mp4' | 'ogg-opus' | 'opus' | 'ogg-vorbis' | 'oga' | 'amr' | '3gp' | 'webm' | 'flac'
  | 'silent-mp3' | 'hiss-m4a' | 'corrupt-m4a' | 'quiet-speech-m4a' | 'clipped-wav' | 'truncated-wav' | 'truncated-m4a';

/** Copies that stopped half-way (an interrupted download or transfer), cut from a whole fixture. */
type Cut = 'truncated-wav' | 'truncated-m4a';
const CUT_FROM: Record<Cut, Exclude<FixtureKind, Cut | 'corrupt-m4a'>> = { 'truncated-wav': 'wav-stereo-44k', 'truncated-m4a': 'm4a' };
const isCut = (kind: FixtureKind): kind is Cut => kind in CUT_FROM;
type Committed = Exclude<FixtureKind, 'corrupt-m4a' | Cut>;

export interface FixtureSpec {
  ext: string;
  /** ffmpeg encoder arguments (used only to make the committed files). */
  args: string[];
  stereo?: boolean;
  silent?: boolean;
  hiss?: boolean;
  /** An ffmpeg lavfi source of its own (made in one version, 440). */
  source?: string;
}

export const FIXTURE_SPECS: Record<Committed, FixtureSpec> = {
  'wav-stereo-44k': { ext: 'wav', args: ['-c:a', 'pcm_s16le'], stereo: true },
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  m4a: { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'] },
  aac: { ext: 'aac', args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'] },
  mp4: { ext: 'mp4', args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'mp4'] },
  'ogg-opus': { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '24k'] },
  opus: { ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '24k', '-f', 'ogg'] },
  'ogg-vorbis': { ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '3'] },
  oga: { ext: 'oga', args: ['-c:a', 'libvorbis', '-q:a', '3', '-f', 'ogg'] },
  amr: { ext: 'amr', args: ['-c:a', 'libopencore_amrnb', '-ar', '8000', '-ac', '1', '-b:a', '12.2k'] },
  '3gp': { ext: '3gp', args: ['-c:a', 'libopencore_amrnb', '-ar', '8000', '-ac', '1', '-b:a', '12.2k', '-f', '3gp'] },
  webm: { ext: 'webm', args: ['-c:a', 'libopus', '-b:a', '24k', '-f', 'webm'] },
  flac: { ext: 'flac', args: ['-c:a', 'flac'] },
  'silent-mp3': { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'], silent: true },
  // Room noise only (about -55 LUFS): a phone that recorded nobody speaking.
  'hiss-m4a': { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'], hiss: true },
  // A person far from the phone (about -55 LUFS, as loud as the hiss above) over faint room noise:
  // three "syllables" that rise and fall, with pauses between.
  'quiet-speech-m4a': {
    ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'],
    source: "aevalsrc='if(between(t,0.5,1.7),0.004*sin(2*PI*300*t)*pow(sin(2*PI*1.25*(t-0.5)),2),0)+0.00008*sin(2*PI*4001*t)':s=44100:d=2.2",
  },
  // Shouted into the phone: the tone's tops cut flat at full scale.
  'clipped-wav': { ext: 'wav', args: ['-c:a', 'pcm_s16le'], source: "aevalsrc='if(between(t,0.5,1.5),max(-1,min(1,3*sin(2*PI*440*t))),0)':s=44100:d=2.2" },
};

/** Tone pitches the committed fixtures come in (different pitches are different recordings to the duplicate check). */
export const FIXTURE_PITCHES = [440, 500, 600, 700] as const;

/** Single-purpose recordings, read by name with fixturePath(). */
export const EXTRA_FIXTURES = [
  // Loudness normalisation: one tone recorded very quietly and very loudly.
  { name: 'quiet-500.wav', source: 'aevalsrc=0.02*sin(2*PI*500*t):s=16000:d=1.5', args: ['-c:a', 'pcm_s16le'] },
  { name: 'loud-500.wav', source: 'aevalsrc=0.7*sin(2*PI*500*t):s=16000:d=1.5', args: ['-c:a', 'pcm_s16le'] },
  // What Google Text-to-Speech returns for LINEAR16: a WAV with a header, a 0.8 s tone at 16 kHz.
  { name: 'linear16-300.wav', source: "aevalsrc='0.2*sin(2*PI*300*t)':s=16000:d=0.8", args: ['-c:a', 'pcm_s16le'] },
  // A six-second carrier recording delivered as MP3.
  { name: 'message-6s.mp3', source: "aevalsrc='0.2*sin(2*PI*440*t)':s=8000:d=6", args: ['-c:a', 'libmp3lame', '-b:a', '32k'] },
] as const;

export function fixturePath(name: (typeof EXTRA_FIXTURES)[number]['name']): string {
  return path.join(FIXTURE_DIR, name);
}

export function extensionOf(kind: FixtureKind): string {
  if (kind === 'corrupt-m4a') return 'm4a';
  return FIXTURE_SPECS[isCut(kind) ? CUT_FROM[kind] : kind].ext;
}

/** The committed file of a kind and pitch. */
export function fixtureFile(kind: Committed, hz: number = 440): string {
  return path.join(FIXTURE_DIR, `${kind}-${hz}.${extensionOf(kind)}`);
}

/** Copies a fixture of the given kind to dir/name.<ext> and returns its path. */
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
  if (isCut(kind)) {
    // The first 40% of a whole file.
    const bytes = fs.readFileSync(fixtureFile(CUT_FROM[kind], hz));
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    return file;
  }
  const source = fixtureFile(kind, hz);
  if (!fs.existsSync(source)) throw new Error(`no committed audio fixture ${source}: pitches are ${FIXTURE_PITCHES.join(', ')} Hz`);
  await fs.promises.copyFile(source, file);
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
