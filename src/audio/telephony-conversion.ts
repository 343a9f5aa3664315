import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../errors';
import { FfmpegError, inputFormatArgs, runFfmpeg, TELEPHONY_OUTPUT_ARGS } from './ffmpeg';
import { AudioProbe, probeAudio } from './probe';

/** An input recording that cannot become a prompt; `code` says why (the file itself, not the machine). */
export class AudioInputError extends AppError {
  constructor(
    override readonly code: 'AUDIO_UNDECODABLE' | 'AUDIO_SILENT' | 'AUDIO_TOO_LONG' | 'AUDIO_OUTPUT_INVALID',
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
 * Below this integrated loudness (or -inf) a file is treated as silent: a phone left recording
 * on a table (room hiss around -55 LUFS) must not be boosted into a prompt of noise. Speech from
 * a phone or chat app is usually louder than -35 LUFS.
 */
export const SILENT_BELOW_LUFS = -50;
/** Silence trimmed at the start and end is anything quieter than this after normalisation. */
export const TRIM_THRESHOLD_DB = -45;
/** A prompt shorter than this after trimming carries no speech. */
export const MIN_SPEECH_SECONDS = 0.15;
export const MAX_INPUT_SECONDS = 600;

export interface ConversionResult {
  output: string;
  probe: AudioProbe;
  inputLoudness: number;
  sha256: string;
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
export async function convertToTelephony(input: string, output: string, opts: { timeoutMs?: number } = {}): Promise<ConversionResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const measure = await measureLoudness(input, timeoutMs);
  const loudness = Number(measure.input_i);
  if (!Number.isFinite(loudness) || loudness < SILENT_BELOW_LUFS) {
    throw new AudioInputError('AUDIO_SILENT', `the recording is silent or holds only background noise (loudness ${measure.input_i} LUFS, speech is above ${SILENT_BELOW_LUFS})`);
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
    return { output, probe, inputLoudness: loudness, sha256 };
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** First pass: EBU R128 measurement of the whole input (gated, so silence around speech does not skew it). */
async function measureLoudness(input: string, timeoutMs: number): Promise<LoudnessMeasure> {
  let stderr: string;
  try {
    ({ stderr } = await runFfmpeg([...inputFormatArgs(input), '-i', input, '-map', '0:a:0', '-vn', '-af', `aformat=channel_layouts=mono,${loudnorm}:print_format=json`, '-f', 'null', '-'], { timeoutMs }));
  } catch (err) {
    if (err instanceof FfmpegError && err.code === 'FFMPEG_FAILED') {
      throw new AudioInputError('AUDIO_UNDECODABLE', `not a readable audio file: ${lastMeaningfulLine(err.stderr) || err.message}`, { cause: err });
    }
    throw err;
  }
  const duration = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)].pop();
  const seconds = duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : 0;
  if (seconds > MAX_INPUT_SECONDS) throw new AudioInputError('AUDIO_TOO_LONG', `the recording lasts ${Math.round(seconds)} s; a prompt may last at most ${MAX_INPUT_SECONDS} s`);
  const json = /\{[^{}]*"input_i"[^{}]*\}/.exec(stderr);
  if (!json) throw new AudioInputError('AUDIO_UNDECODABLE', 'no audio could be decoded from it');
  return JSON.parse(json[0]) as LoudnessMeasure;
}

function lastMeaningfulLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^(Input|Output|Stream|Duration|Metadata|Press)/.test(l));
  return lines[lines.length - 1] ?? '';
}
