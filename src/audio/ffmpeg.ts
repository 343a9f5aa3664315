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

let cachedBinary: string | undefined;

/** FFMPEG_PATH, else `ffmpeg` on PATH, else the binary inside @ffmpeg-installer/ffmpeg. */
export function ffmpegBinary(env: Record<string, string | undefined> = process.env): string {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  if (cachedBinary) return cachedBinary;
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && fs.existsSync(`${dir}/ffmpeg`)) return (cachedBinary = `${dir}/ffmpeg`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cachedBinary = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return cachedBinary;
  } catch (err) {
    throw new FfmpegNotFoundError('ffmpeg not found: set FFMPEG_PATH, install ffmpeg, or run npm install', '', { cause: err });
  }
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs ffmpeg with an argument array (never a shell string) and a timeout. */
export function runFfmpeg(args: string[], opts: { timeoutMs?: number; input?: Buffer; binary?: string } = {}): Promise<RunResult> {
  const binary = opts.binary ?? ffmpegBinary();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-nostdin', ...args], { stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new FfmpegNotFoundError(`ffmpeg not found at ${binary}`, '', { cause: e }) : new FfmpegError(`ffmpeg could not start: ${e.message}`, '', { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return reject(new FfmpegTimeoutError(`ffmpeg took longer than ${timeoutMs} ms`, err));
      if (code !== 0) return reject(new FfmpegError(`ffmpeg exited with status ${code}: ${lastLine(err)}`, err));
      resolve({ stdout: Buffer.concat(out), stderr: err });
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
