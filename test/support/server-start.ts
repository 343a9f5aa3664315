import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from './engine';
import { nodeEntry } from './node-entry';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Starts src/server.ts as systemd would (a bare environment: PATH, a fresh DATA_DIR, loopback,
 * plus `env`) and waits for it to exit, or stops it once it listens. Generous time: a first start
 * seeds the site folder, and CI shares two cores with another test worker.
 */
export function startServerUntilListening(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return whileServerListens(env, async () => undefined).then(({ code, out }) => ({ code, out }));
}

/**
 * The same start, but `whileListening` runs once the server listens (given the output so far,
 * read anew at each call), and the server is stopped when it settles. `result` is undefined when
 * the server exited before it listened.
 */
export function whileServerListens<T>(
  env: Record<string, string>, whileListening: (out: () => string) => Promise<T>,
): Promise<{ code: number | null; out: string; result?: T; error?: unknown }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeEntry('src/server.ts'), {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), HOST: '127.0.0.1', ...env },
    });
    let out = '';
    let listening = false;
    let result: T | undefined;
    let error: unknown;
    const seen = (chunk: Buffer) => {
      out += String(chunk);
      if (listening || !out.includes('hotline listening')) return;
      listening = true;
      whileListening(() => out).then((r) => { result = r; }, (err: unknown) => { error = err; }).finally(() => child.kill('SIGTERM'));
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, result, error });
    });
  });
}
