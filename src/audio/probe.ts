import { FfmpegError, inputFormatArgs, runFfmpeg } from './ffmpeg';

/** What a decoded audio file is: read from ffmpeg's own description of its first audio stream. */
export interface AudioProbe {
  codec: string;
  sampleRate: number;
  channels: number;
  /** Seconds, as decoded to the end (not the container's claim). */
  durationSeconds: number;
}

/**
 * Probes an audio file by decoding it to nowhere (the bundled ffmpeg ships without ffprobe).
 * The duration is the decoded length, so a truncated file cannot pass for a whole one.
 * With `maxSeconds`, decoding stops there: a small file that decodes to hours (a FLAC of
 * silence packs 30 minutes into 20 KB) costs no more than that many seconds of audio, and its
 * durationSeconds then says only "at least maxSeconds".
 */
export async function probeAudio(file: string, timeoutMs = 30_000, format?: string, maxSeconds?: number): Promise<AudioProbe> {
  const limit = maxSeconds === undefined ? [] : ['-t', String(maxSeconds)];
  const { stderr } = await runFfmpeg([...inputFormatArgs(format ?? file), '-i', file, '-map', '0:a:0', ...limit, '-f', 'null', '-'], { timeoutMs });
  return parseProbe(stderr);
}

const CHANNELS: Record<string, number> = { mono: 1, stereo: 2, '2.1': 3, quad: 4, '5.0': 5, '5.1': 6 };

export function parseProbe(stderr: string): AudioProbe {
  // The input section comes first; the output section (after "Output #0") describes the null muxer.
  const input = stderr.split(/\nOutput #0/)[0];
  const stream = /Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Audio: (\w+)[^,\n]*, (\d+) Hz, ([^,\n]+)/.exec(input);
  if (!stream) throw new FfmpegError('no audio stream found', stderr);
  const layout = stream[3].trim();
  const channels = CHANNELS[layout] ?? (/(\d+) channels/.exec(layout) ? Number(/(\d+) channels/.exec(layout)![1]) : NaN);
  // The last progress line's time= is the decoded length.
  const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)];
  const last = times[times.length - 1];
  const durationSeconds = last ? Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]) : 0;
  return { codec: stream[1], sampleRate: Number(stream[2]), channels, durationSeconds };
}
