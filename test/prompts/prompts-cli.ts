import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from '../support/engine';

export const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run prompts -- <args>` as a deployer would (through tsx), with its own settings. */
export function runPromptsCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/prompts.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir('cli-data-'), LOG_LEVEL: 'silent', GOOGLE_APPLICATION_CREDENTIALS: '', ...env },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
