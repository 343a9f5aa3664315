import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { nodeEntry } from '../support/node-entry';

/**
 * Issue 21, item 1: runFfmpeg SIGKILLed ffmpeg at its time-out while `stdin.end(input)` was still
 * writing, and nothing listened for the input pipe's 'error': the EPIPE went unhandled and the
 * whole hotline exited (every call in progress with it). Each case runs in a process of its own
 * (test/audio/ffmpeg-failure-child.ts), so a crash is seen as that process's exit, not this runner's.
 */
function runCase(kind: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...nodeEntry(path.join(__dirname, 'ffmpeg-failure-child.ts')), kind], {
    cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function outcome(stdout: string): { outcome: string; code?: string; message?: string } {
  return JSON.parse(stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}');
}

describe('an ffmpeg that fails while its input is being written fails only its own task', () => {
  it('the in-call silence check of an 8 s recording with a 30 ms budget rejects with a time-out; the process lives on', () => {
    const r = runCase('silence-check-time-out');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(outcome(r.stdout)).toMatchObject({ outcome: 'rejected', code: 'FFMPEG_TIMEOUT' });
    expect(r.stdout).toContain('still running');
    expect(r.status).toBe(0);
  });

  it('an ffmpeg that reads nothing is killed at its time-out with 8 MB still to write: a time-out error, no crash', () => {
    const r = runCase('time-out-mid-write');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(outcome(r.stdout)).toMatchObject({ outcome: 'rejected', code: 'FFMPEG_TIMEOUT' });
    expect(r.stdout).toContain('still running');
    expect(r.status).toBe(0);
  });

  it('an ffmpeg killed by someone else mid-write rejects saying so; the process lives on', () => {
    const r = runCase('killed-mid-write');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(outcome(r.stdout)).toMatchObject({ outcome: 'rejected', code: 'FFMPEG_FAILED', message: expect.stringContaining('SIGKILL') });
    expect(r.stdout).toContain('still running');
    expect(r.status).toBe(0);
  });
});
