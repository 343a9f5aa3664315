import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../errors';
import { FfmpegError, inputFormatArgs, runFfmpeg, TELEPHONY_OUTPUT_ARGS } from './ffmpeg';
import { AudioProbe, probeAudio } from './probe';
import { analyseSignal, SPEECH_MIN_DYNAMIC_RANGE_DB } from './signal-analysis';

/** An input recording that cannot become a prompt; `code` says why (the file itself, not the machine). */
export class AudioInputError extends AppError {
  constructor(
    override readonly code: 'AUDIO_UNDECODABLE' | 'AUDIO_CORRUPT' | 'AUDIO_SILENT' | 'AUDIO_TOO_LONG' | 'AUDIO_OUTPUT_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Loudness target: EBU R128 integrated loudness. -18 LUFS with a -3 dBTP ceiling keeps speech
 * clear over G.711 without clipping the mu-law codec on plosives.
 */
export const LOUDNESS = { integrated: -18, truePeak: -3, range: 11 };
/**
 * Below this integrated loudness a file must show speech to be accepted: a phone left recording
 * on a table (steady room hiss around -55 LUFS) must not be boosted into a prompt of noise, but a
 * quiet phone recording of a person (speech that rises and falls) is kept, with a warning.
 */
export const SILENT_BELOW_LUFS = -50;
/** Nothing this quiet is usable at all, speech or not (and -inf is digital silence). */
export const INAUDIBLE_BELOW_LUFS = -75;
/** Accepted, but the speaker is told: the gain needed raises the room noise with the voice. */
export const QUIET_BELOW_LUFS = -40;
/** A share of full-scale samples above this means the recording was clipped (distorted) when made. */
export const CLIPPED_SHARE = 0.001;
/** A file that decodes to less than this share of the length its header claims was cut short. */
const TRUNCATED_BELOW = 0.9;
/** Silence trimmed at the start and end is anything quieter than this after normalisation. */
export const TRIM_THRESHOLD_DB = -45;
/** A prompt shorter than this after trimming carries no speech. */
export const MIN_SPEECH_SECONDS = 0.15;
export const MAX_INPUT_SECONDS = 600;
/** The first pass only decodes, and at most MAX_INPUT_SECONDS (+1) of audio: this is its time-out. */
export const PROBE_TIMEOUT_MS = 30_000;

/**
 * How long each later pass may take for audio of `seconds`: 20 s for ffmpeg to start, plus a
 * second per second of audio (the loudness pass, the slowest, took about 0.15 s per second on two
 * busy cores). A file that decodes far slower than its length is stopped here, not after the
 * caller-supplied maximum (the 60-120 s a 243 KB FLAC held ffmpeg for: issue 21, section 4).
 */
export function decodeBudgetMs(seconds: number): number {
  return 20_000 + Math.ceil(seconds * 1000);
}

/**
 * ffmpeg names its input by path in its messages; staff see the file's name, never where the
 * server keeps it (a scratch folder under /tmp says how the server is laid out).
 */
export function withoutPaths(text: string): string {
  return text.replace(/(?<![\w.])(?:\/[\w.@%+~-]+)+\/([\w.@%+~-]+)/g, '$1');
}

/** Why an accepted recording is still worth recording again. */
export type ConversionWarning = 'too-quiet' | 'clipped';

export interface ConversionResult {
  output: string;
  probe: AudioProbe;
  inputLoudness: number;
  sha256: string;
  /** Accepted, but worth a second recording: too quiet, clipped. */
  warnings: string[];
  /** The same, as codes a page turns into the reader's words (one per warning, in the same order). */
  warningCodes: ConversionWarning[];
}

interface LoudnessMeasure {
  input_i: string;
  input_tp: string;
  input_lra: string;
  input_thresh: string;
  target_offset: string;
}

const loudnorm = `loudnorm=I=${LOUDNESS.integrated}:TP=${LOUDNESS.truePeak}:LRA=${LOUDNESS.range}`;
// Trims leading silence; run again on the reversed audio it trims the trailing silence. Keeps 0.1 s
// at each end so a word's first consonant is not clipped.
const trimStart = `silenceremove=start_periods=1:start_threshold=${TRIM_THRESHOLD_DB}dB:start_silence=0.1:detection=peak`;

/**
 * Turns any recording ffmpeg can decode (wav, mp3, m4a/aac, ogg/opus/vorbis, amr...) into a
 * telephony prompt: mono, 8 kHz, loudness-normalised in two passes (loudnorm measures the EBU
 * R128 loudness, then a linear gain), leading and trailing silence trimmed, G.711 mu-law WAV. The output is written to a
 * temporary file beside `output`, probed, and only then renamed into place, so a failure never
 * leaves a half-written prompt.
 */
export async function convertToTelephony(input: string, output: string, opts: { timeoutMs?: number; maxSeconds?: number } = {}): Promise<ConversionResult> {
  try {
    return await convert(input, output, opts.timeoutMs ?? 120_000, opts.maxSeconds ?? MAX_INPUT_SECONDS);
  } catch (err) {
    if (err instanceof AudioInputError) throw new AudioInputError(err.code, withoutPaths(err.message), { cause: err.cause ?? err });
    throw err;
  }
}

/**
 * Decodes at most `maxSeconds` (+1) of the input, with nothing else to do: a file longer than
 * that is refused after this pass, before any slow filter runs, and every later pass gets a
 * time-out from the length found (decodeBudgetMs).
 */
async function decodedLength(input: string, maxSeconds: number, timeoutMs: number): Promise<number> {
  try {
    return (await probeAudio(input, timeoutMs, undefined, maxSeconds + 1)).durationSeconds;
  } catch (err) {
    throw refusalOf(err, input);
  }
}

async function convert(input: string, output: string, maxTimeoutMs: number, maxSeconds: number): Promise<ConversionResult> {
  const cut = wavCutShort(input);
  if (cut) throw new AudioInputError('AUDIO_CORRUPT', `the file is cut short: its header announces ${cut.declared} bytes of audio but only ${cut.present} are there: send the original recording again`);
  const length = await decodedLength(input, maxSeconds, Math.min(maxTimeoutMs, PROBE_TIMEOUT_MS));
  if (length > maxSeconds) throw new AudioInputError('AUDIO_TOO_LONG', `the recording lasts more than ${maxSeconds} s; it may last at most ${maxSeconds} s: send a shorter one`);
  const timeoutMs = Math.min(maxTimeoutMs, decodeBudgetMs(length));
  const measure = await measureLoudness(input, timeoutMs, maxSeconds);
  const loudness = Number(measure.input_i);
  const signal = await analyseSignal(input, timeoutMs);
  const warnings: string[] = [];
  const warningCodes: ConversionWarning[] = [];
  if (!Number.isFinite(loudness) || loudness < INAUDIBLE_BELOW_LUFS) {
    throw new AudioInputError('AUDIO_SILENT', `the recording is silent (loudness ${measure.input_i} LUFS): check the microphone and record again`);
  }
  if (loudness < SILENT_BELOW_LUFS && (signal.dynamicRangeDb < SPEECH_MIN_DYNAMIC_RANGE_DB || signal.activeSeconds < MIN_SPEECH_SECONDS)) {
    throw new AudioInputError('AUDIO_SILENT', `the recording holds only background noise, no speech (loudness ${measure.input_i} LUFS, level varies by ${signal.dynamicRangeDb.toFixed(0)} dB): record again, speaking close to the phone`);
  }
  if (loudness < QUIET_BELOW_LUFS) {
    warningCodes.push('too-quiet');
    warnings.push(`too quiet (${loudness.toFixed(0)} LUFS, raised by ${(LOUDNESS.integrated - loudness).toFixed(0)} dB, which also raises the room noise): if you can, record again closer to the phone`);
  }
  if (signal.clippedShare > CLIPPED_SHARE) {
    warningCodes.push('clipped');
    warnings.push(`clipped: ${(signal.clippedShare * 100).toFixed(1)}% of it is at full scale, which sounds distorted: record again a little further from the phone or more softly`);
  }
  fs.mkdirSync(path.dirname(output), { recursive: true });
  // A dot-name without .wav: the prompt scanner and the static server both ignore it.
  const temp = path.join(path.dirname(output), `.import-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    // Linear gain to the target, applied with `volume`: the bundled ffmpeg's loudnorm leaves inputs
    // shorter than 3 s (most prompts: "One.", "Good.") unchanged, so loudnorm only measures. The
    // limiter catches the peaks a large gain pushes past the true-peak ceiling.
    const gain = LOUDNESS.integrated - loudness;
    const ceiling = Math.pow(10, LOUDNESS.truePeak / 20).toFixed(3);
    const filters = [
      'aformat=channel_layouts=mono', `volume=${gain.toFixed(2)}dB`, `alimiter=limit=${ceiling}:level=false`,
      trimStart, 'areverse', trimStart, 'areverse', 'aresample=8000',
    ].join(',');
    try {
      await runFfmpeg(['-y', ...inputFormatArgs(input), '-i', input, '-map', '0:a:0', '-vn', '-af', filters, ...TELEPHONY_OUTPUT_ARGS, temp], { timeoutMs });
    } catch (err) {
      if (err instanceof FfmpegError && err.code === 'FFMPEG_FAILED') {
        throw new AudioInputError('AUDIO_UNDECODABLE', `ffmpeg could not convert it: ${err.message}`, { cause: err });
      }
      throw err;
    }
    const probe = await probeAudio(temp, timeoutMs, 'wav');
    if (probe.codec !== 'pcm_mulaw' || probe.sampleRate !== 8000 || probe.channels !== 1) {
      throw new AudioInputError('AUDIO_OUTPUT_INVALID', `the converted file is ${probe.codec} ${probe.sampleRate} Hz ${probe.channels} channel(s), not mu-law 8 kHz mono`);
    }
    if (probe.durationSeconds < MIN_SPEECH_SECONDS) {
      throw new AudioInputError('AUDIO_SILENT', `nothing is left after trimming silence (${probe.durationSeconds.toFixed(2)} s)`);
    }
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(temp)).digest('hex');
    fs.renameSync(temp, output);
    return { output, probe, inputLoudness: loudness, sha256, warnings, warningCodes };
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** First pass: EBU R128 measurement of the whole input (gated, so silence around speech does not skew it). */
async function measureLoudness(input: string, timeoutMs: number, maxSeconds: number): Promise<LoudnessMeasure> {
  let stderr: string;
  try {
    ({ stderr } = await runFfmpeg([...inputFormatArgs(input), '-i', input, '-map', '0:a:0', '-vn', '-af', `aformat=channel_layouts=mono,${loudnorm}:print_format=json`, '-f', 'null', '-'], { timeoutMs }));
  } catch (err) {
    throw refusalOf(err, input);
  }
  const duration = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)].pop();
  const seconds = duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : 0;
  if (seconds > maxSeconds) throw new AudioInputError('AUDIO_TOO_LONG', `the recording lasts ${Math.round(seconds)} s; it may last at most ${maxSeconds} s`);
  // The header's claimed length against what decodes: a file cut short is corrupt, not silent.
  // A length ffmpeg guessed from the bitrate (an MP3 without a Xing frame: variable bitrate, so the
  // guess is off by a fifth either way) is no header claim, and proves nothing about a cut.
  const inputSection = stderr.split(/\nOutput #0/)[0];
  const estimated = /Estimating duration from bitrate/.test(inputSection);
  const declared = estimated ? null : /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(inputSection);
  const declaredSeconds = declared ? Number(declared[1]) * 3600 + Number(declared[2]) * 60 + Number(declared[3]) : 0;
  if (declaredSeconds > 0.3 && seconds < declaredSeconds * TRUNCATED_BELOW) {
    throw new AudioInputError('AUDIO_CORRUPT', `the file is cut short: its header says ${declaredSeconds.toFixed(1)} s but only ${seconds.toFixed(1)} s of audio is in it: send the original recording again`);
  }
  if (/corrupt|error while decoding|Invalid data found/i.test(stderr) && seconds < 0.3) {
    throw new AudioInputError('AUDIO_CORRUPT', `the file is damaged: ${lastMeaningfulLine(stderr)}: send the original recording again`);
  }
  const json = /\{[^{}]*"input_i"[^{}]*\}/.exec(stderr);
  if (!json) throw new AudioInputError('AUDIO_UNDECODABLE', 'no audio could be decoded from it');
  return JSON.parse(json[0]) as LoudnessMeasure;
}

/** ffmpeg could not read the input: a damaged recording, or no recording at all. Any other failure (a time-out, no ffmpeg) as it is. */
function refusalOf(err: unknown, input: string): unknown {
  if (!(err instanceof FfmpegError && err.code === 'FFMPEG_FAILED')) return err;
  const why = lastMeaningfulLine(err.stderr) || err.message;
  // A file that starts as an audio container but does not decode was damaged or cut short
  // (an interrupted download or copy); anything else is not a recording at all.
  if (startsLikeAudio(input)) {
    return new AudioInputError('AUDIO_CORRUPT', `the file is damaged or cut short (${why}): send the original recording again`, { cause: err });
  }
  return new AudioInputError('AUDIO_UNDECODABLE', `not a readable audio file: ${why}`, { cause: err });
}

function lastMeaningfulLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^(Input|Output|Stream|Duration|Metadata|Press)/.test(l));
  return lines[lines.length - 1] ?? '';
}

/**
 * A WAV file names the size of its audio in its header; ffmpeg decodes whatever is there without
 * complaint, so a copy cut short would pass as a short or silent recording. Null when whole or not a WAV.
 */
function wavCutShort(file: string): { declared: number; present: number } | null {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, head, 0, head.length, 0);
    if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return null;
    for (let at = 12; at + 8 <= head.length;) {
      const id = head.toString('ascii', at, at + 4);
      const chunk = head.readUInt32LE(at + 4);
      if (id === 'data') {
        const present = size - at - 8;
        // 0 and 0xFFFFFFFF mean "unknown" (a recorder that streamed the file and never went back).
        if (chunk === 0 || chunk === 0xffffffff) return null;
        return present < chunk * TRUNCATED_BELOW ? { declared: chunk, present } : null;
      }
      at += 8 + chunk + (chunk % 2);
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a file begins with the signature of an audio container or stream this imports. */
function startsLikeAudio(file: string): boolean {
  const head = Buffer.alloc(12);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 12, 0);
  } finally {
    fs.closeSync(fd);
  }
  const ascii = (from: number, to: number) => head.toString('latin1', from, to);
  return ascii(0, 4) === 'RIFF' || ascii(0, 3) === 'ID3' || ascii(0, 4) === 'OggS' || ascii(0, 5) === '#!AMR' || ascii(0, 4) === 'fLaC'
    || ascii(4, 8) === 'ftyp' || head.readUInt32BE(0) === 0x1a45dfa3 // MP4/M4A/3GP, WebM
    || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0); // an MPEG audio frame (MP3, AAC ADTS)
}
