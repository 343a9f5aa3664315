import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from './engine';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Starts src/server.ts as systemd would (a bare environment: PATH, a fresh DATA_DIR, loopback,
 * plus `env`) and waits for it to exit, or stops it once it listens. Generous time: a first start
 * seeds the site folder, and CI shares two cores with another test worker.
 */
export function startServerUntilListening(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/server.ts'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), HOST: '127.0.0.1', ...env },
    });
    let out = '';
    const seen = (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('hotline listening')) child.kill('SIGTERM');
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
