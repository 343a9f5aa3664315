import { runFfmpeg } from './ffmpeg';

/**
 * What the samples of a recording say beyond its loudness: whether it holds speech (or only a
 * steady noise), and whether it was clipped when recorded. Decoded once to 16-bit mono PCM at
 * the file's own rate (resampling would smooth the flat tops that betray clipping).
 */

export interface SignalAnalysis {
  /** Seconds of 50 ms windows clearly above the recording's own noise floor. */
  activeSeconds: number;
  /** Spread between the loud (90th percentile) and quiet (10th percentile) windows, in dB. */
  dynamicRangeDb: number;
  /** Share of samples in runs of three or more at full scale. */
  clippedShare: number;
  sampleRate: number;
}

const WINDOW_SECONDS = 0.05;
/** A window counts as active this far above the 10th percentile (the noise floor)... */
const ACTIVE_ABOVE_FLOOR_DB = 10;
/** ...and above this absolute level (dBFS): nothing quieter is audible on a phone line even after gain. */
const ACTIVE_ABSOLUTE_DBFS = -80;
/** Speech rises and falls; a steady hiss or hum varies by a few dB at most. */
export const SPEECH_MIN_DYNAMIC_RANGE_DB = 12;
const FULL_SCALE = 32_700;

export async function analyseSignal(input: string, timeoutMs: number): Promise<SignalAnalysis> {
  const { stdout, stderr } = await runFfmpeg(['-i', input, '-map', '0:a:0', '-vn', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 's16le', '-'], { timeoutMs });
  const rate = Number(/Audio: [^\n]*?, (\d+) Hz/.exec(stderr.split(/\nOutput #0/)[0])?.[1] ?? 8000);
  return analyseSamples(stdout, rate);
}

export function analyseSamples(pcm: Buffer, sampleRate: number): SignalAnalysis {
  const count = Math.floor(pcm.length / 2);
  const window = Math.max(1, Math.round(sampleRate * WINDOW_SECONDS));
  const levels: number[] = [];
  let clipped = 0;
  let run = 0;
  let sum = 0;
  let inWindow = 0;
  for (let i = 0; i < count; i++) {
    const x = pcm.readInt16LE(i * 2);
    if (Math.abs(x) >= FULL_SCALE) run += 1;
    else {
      if (run >= 3) clipped += run;
      run = 0;
    }
    sum += x * x;
    inWindow += 1;
    if (inWindow === window) {
      levels.push(toDb(Math.sqrt(sum / window)));
      sum = 0;
      inWindow = 0;
    }
  }
  if (run >= 3) clipped += run;
  if (levels.length === 0) return { activeSeconds: 0, dynamicRangeDb: 0, clippedShare: 0, sampleRate };
  const sorted = [...levels].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const floor = at(0.1);
  const active = levels.filter((l) => l > floor + ACTIVE_ABOVE_FLOOR_DB && l > ACTIVE_ABSOLUTE_DBFS).length;
  return { activeSeconds: active * WINDOW_SECONDS, dynamicRangeDb: at(0.9) - floor, clippedShare: count ? clipped / count : 0, sampleRate };
}

function toDb(rms: number): number {
  return rms > 0 ? 20 * Math.log10(rms / 32_768) : -120;
}
