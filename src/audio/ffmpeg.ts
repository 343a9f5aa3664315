import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { AppError } from '../errors';

/** ffmpeg could not be found, timed out, or failed; stderr's tail says why. */
export class FfmpegError extends AppError {
  override readonly code: string = 'FFMPEG_FAILED';
  constructor(message: string, readonly stderr = '', options?: { cause?: unknown }) {
    super(message, options);
  }
}
export class FfmpegNotFoundError extends FfmpegError {
  override readonly code = 'FFMPEG_NOT_FOUND';
}
export class FfmpegTimeoutError extends FfmpegError {
  override readonly code = 'FFMPEG_TIMEOUT';
}

let cachedBinary: FfmpegChoice | undefined;

/** Which ffmpeg runs, and why that one (said at start-up: src/server.ts). */
export interface FfmpegChoice {
  path: string;
  source: 'FFMPEG_PATH' | 'system' | 'bundled';
}

/**
 * FFMPEG_PATH, else the system's `ffmpeg` on PATH (kept up to date with security fixes by the
 * operating system), else, only when there is none, the binary inside @ffmpeg-installer/ffmpeg
 * (a 2018 build that gets no fixes).
 */
export function chooseFfmpeg(env: Record<string, string | undefined> = process.env): FfmpegChoice {
  if (env.FFMPEG_PATH) return { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
  if (env === process.env && cachedBinary) return cachedBinary;
  let choice: FfmpegChoice | undefined;
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && fs.existsSync(`${dir}/ffmpeg`)) {
      choice = { path: `${dir}/ffmpeg`, source: 'system' };
      break;
    }
  }
  if (!choice) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      choice = { path: (require('@ffmpeg-installer/ffmpeg') as { path: string }).path, source: 'bundled' };
    } catch (err) {
      throw new FfmpegNotFoundError('ffmpeg not found: set FFMPEG_PATH, install ffmpeg, or run npm install', '', { cause: err });
    }
  }
  if (env === process.env) cachedBinary = choice;
  return choice;
}

/** The ffmpeg binary to run (see chooseFfmpeg). */
export function ffmpegBinary(env: Record<string, string | undefined> = process.env): string {
  return chooseFfmpeg(env).path;
}

/** The start-up line naming the ffmpeg in use, with a warning when it is the old bundled build. */
export function describeFfmpeg(choice: FfmpegChoice): { level: 'info' | 'warn'; message: string } {
  if (choice.source === 'bundled') {
    return { level: 'warn', message: `ffmpeg: the bundled 2018 build (${choice.path}) because no system ffmpeg is on PATH; it gets no security fixes: install ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH` };
  }
  return { level: 'info', message: `ffmpeg: ${choice.source === 'system' ? 'the system build' : 'FFMPEG_PATH'} (${choice.path})` };
}

/**
 * ffmpeg's demuxer for each audio file extension the app reads. Inputs are always decoded with
 * an explicit format (`-f`): ffmpeg's guessing from content would let a file named .mp3 be read
 * by any of its hundreds of demuxers (playlists among them, which open further URLs).
 */
const DEMUXERS: Record<string, string> = {
  wav: 'wav', mp3: 'mp3', m4a: 'mov', mp4: 'mov', '3gp': 'mov', aac: 'aac', ogg: 'ogg', oga: 'ogg', opus: 'ogg',
  amr: 'amr', webm: 'matroska', flac: 'flac',
};

/** `-f <demuxer>` for a file by its extension (or the given one); throws FfmpegError for any other. */
export function inputFormatArgs(fileOrExtension: string): string[] {
  const ext = (fileOrExtension.includes('.') ? fileOrExtension.slice(fileOrExtension.lastIndexOf('.') + 1) : fileOrExtension).toLowerCase();
  const demuxer = DEMUXERS[ext];
  if (!demuxer) throw new FfmpegError(`no input format is allowed for .${ext} files (allowed: ${Object.keys(DEMUXERS).join(', ')})`);
  return ['-f', demuxer];
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs ffmpeg with an argument array (never a shell string) and a timeout. Every way it can go
 * wrong (not found, killed at the time-out while its input is still being written, a broken
 * pipe, a stream error) rejects this promise and nothing else: an `'error'` event nobody listens
 * to would end the whole hotline, every call in progress with it (issue 21, item 1).
 */
export function runFfmpeg(args: string[], opts: { timeoutMs?: number; input?: Buffer; binary?: string } = {}): Promise<RunResult> {
  const binary = opts.binary ?? ffmpegBinary();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-nostdin', ...args], { stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    let settled = false;
    /** An output pipe that broke: what ffmpeg wrote may be cut short, whatever its exit status. */
    let outputError: Error | undefined;
    const settle = (fail: Error | undefined, result?: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (fail) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(fail);
      } else resolve(result!);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // The input pipe breaks (EPIPE) when ffmpeg stops reading: killed at the time-out, failed, or
    // done before the end of the bytes (a WAV's trailing chunks). Its exit status says which.
    child.stdin?.on('error', () => undefined);
    const onOutputError = (e: Error) => {
      outputError ??= e;
    };
    child.stdout!.on('error', onOutputError);
    child.stderr!.on('error', onOutputError);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      settle(e.code === 'ENOENT' ? new FfmpegNotFoundError(`ffmpeg not found at ${binary}`, '', { cause: e }) : new FfmpegError(`ffmpeg could not start: ${e.message}`, '', { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timedOut) return settle(new FfmpegTimeoutError(`ffmpeg took longer than ${timeoutMs} ms`, err));
      if (signal) return settle(new FfmpegError(`ffmpeg was stopped by ${signal}: ${lastLine(err)}`, err));
      if (code !== 0) return settle(new FfmpegError(`ffmpeg exited with status ${code}: ${lastLine(err)}`, err));
      if (outputError) return settle(new FfmpegError(`ffmpeg's output could not be read: ${outputError.message}`, err, { cause: outputError }));
      settle(undefined, { stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.input && child.stdin) child.stdin.end(opts.input);
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** The telephony format every prompt is served in: WAV, G.711 mu-law, 8 kHz, mono. */
export const TELEPHONY_OUTPUT_ARGS = ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_mulaw', '-f', 'wav'];
