import { AppError } from '../errors';
import { inputFormatArgs, runFfmpeg } from '../audio/ffmpeg';
import { SILENT_BELOW_LUFS } from '../audio/telephony-conversion';

/** Downloaded bytes that are not a plausible recording: empty, not WAV/MP3, or the wrong length. */
export class RecordingRejectedError extends AppError {
  override readonly code = 'RECORDING_REJECTED';
  override readonly status = 422;
}

export interface CheckedRecording {
  format: 'wav' | 'mp3';
  contentType: 'audio/wav' | 'audio/mpeg';
  durationSeconds: number;
}

/** Seconds the audio may differ from the carrier's RecordingDuration (which is rounded to whole seconds). */
export function durationTolerance(expectedSeconds: number): number {
  return Math.max(2, expectedSeconds * 0.1);
}

/** Reads a RIFF/WAVE header: format chunk and data length give the duration without decoding. */
export function wavDurationSeconds(data: Buffer): number {
  if (data.length < 12 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE') {
    throw new RecordingRejectedError('not a RIFF/WAVE file');
  }
  let byteRate = 0;
  for (let at = 12; at + 8 <= data.length;) {
    const id = data.toString('ascii', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (size < 16 || at + 8 + 16 > data.length) throw new RecordingRejectedError('WAV format chunk is truncated');
      byteRate = data.readUInt32LE(at + 16);
    } else if (id === 'data') {
      if (!byteRate) throw new RecordingRejectedError('WAV data comes before its format chunk');
      // Streams written before their length was known carry 0 or 0xFFFFFFFF: count what is there.
      const present = data.length - (at + 8);
      const length = size === 0 || size === 0xffffffff || size > present ? present : size;
      return length / byteRate;
    }
    at += 8 + size + (size % 2);
  }
  throw new RecordingRejectedError('WAV file has no data chunk');
}

function looksLikeMp3(data: Buffer): boolean {
  if (data.length >= 3 && data.toString('ascii', 0, 3) === 'ID3') return true;
  return data.length >= 2 && data[0] === 0xff && (data[1] & 0xe0) === 0xe0;
}

/** MP3 has no length in its header; ffmpeg decodes it and reports the time it reached. */
async function mp3DurationSeconds(data: Buffer): Promise<number> {
  // Decoded as MP3 and nothing else: never let ffmpeg guess the format of bytes from outside.
  const { stderr } = await runFfmpeg([...inputFormatArgs('mp3'), '-i', 'pipe:0', '-f', 'null', '-'], { input: data, timeoutMs: 30_000 });
  const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)];
  const last = times[times.length - 1];
  if (!last) throw new RecordingRejectedError('MP3 file could not be decoded');
  return Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
}

/**
 * Checks downloaded audio before it replaces the carrier's copy: not empty, not over the limit,
 * WAV or MP3 by its first bytes (not by what the server claims), and about as long as the
 * carrier said. Throws RecordingRejectedError naming the problem.
 */
export async function checkRecording(data: Buffer, opts: { expectedSeconds?: number; maxBytes: number }): Promise<CheckedRecording> {
  if (data.length === 0) throw new RecordingRejectedError('the recording is empty');
  if (data.length > opts.maxBytes) throw new RecordingRejectedError(`the recording is ${data.length} bytes, over the ${opts.maxBytes} byte limit`);
  let checked: CheckedRecording;
  if (data.length >= 4 && data.toString('ascii', 0, 4) === 'RIFF') {
    checked = { format: 'wav', contentType: 'audio/wav', durationSeconds: wavDurationSeconds(data) };
  } else if (looksLikeMp3(data)) {
    checked = { format: 'mp3', contentType: 'audio/mpeg', durationSeconds: await mp3DurationSeconds(data).catch((err) => {
      throw err instanceof RecordingRejectedError ? err : new RecordingRejectedError(`MP3 file could not be decoded: ${(err as Error).message}`);
    }) };
  } else {
    throw new RecordingRejectedError('the recording is neither WAV nor MP3');
  }
  if (opts.expectedSeconds !== undefined && opts.expectedSeconds > 0) {
    const diff = Math.abs(checked.durationSeconds - opts.expectedSeconds);
    if (diff > durationTolerance(opts.expectedSeconds)) {
      throw new RecordingRejectedError(`the audio lasts ${checked.durationSeconds.toFixed(1)} s but the carrier reported ${opts.expectedSeconds} s`);
    }
  }
  return checked;
}

/**
 * Whether a caller's recording holds nothing but silence or room noise: the same loudness rule
 * that refuses silent prompt recordings (SILENT_BELOW_LUFS, src/audio/telephony-conversion.ts),
 * measured with ffmpeg's EBU R128 `loudnorm`. A recording of 0 s is silent without decoding.
 */
export async function recordingIsSilent(data: Buffer, format: 'wav' | 'mp3', opts: { timeoutMs?: number } = {}): Promise<boolean> {
  if (format === 'wav' && wavDurationSeconds(data) === 0) return true;
  const { stderr } = await runFfmpeg(
    ['-f', format, '-i', 'pipe:0', '-vn', '-af', 'aformat=channel_layouts=mono,loudnorm=print_format=json', '-f', 'null', '-'],
    { input: data, timeoutMs: opts.timeoutMs ?? 30_000 },
  );
  const json = /\{[^{}]*"input_i"[^{}]*\}/.exec(stderr);
  if (!json) throw new RecordingRejectedError('the recording could not be measured for loudness');
  const loudness = Number((JSON.parse(json[0]) as { input_i: string }).input_i);
  return !Number.isFinite(loudness) || loudness < SILENT_BELOW_LUFS;
}
