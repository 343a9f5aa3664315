/**
 * Run by test/audio/ffmpeg-child-failures.test.ts as a process of its own, so that an error
 * nobody listens to ends this process (as it would end the hotline) instead of the test runner.
 * Argument: which failure to cause. Prints one JSON line with how the call ended, waits a moment
 * for late errors (a broken pipe is reported after the kill), then says it is still alive.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { recordingIsSilent } from '../../src/messages/recording-audio-check';
import { wavOf } from '../support/fake-carrier';

/** An "ffmpeg" that never reads its input (a busy machine's, at worst): a shell that sleeps. */
function neverReads(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffmpeg-never-reads-'));
  const file = path.join(dir, 'ffmpeg');
  fs.writeFileSync(file, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  return file;
}

async function cause(kind: string): Promise<unknown> {
  switch (kind) {
    // The finding as reported: the in-call check's time-out hits while the input is being written.
    case 'silence-check-time-out':
      return recordingIsSilent(wavOf(8, 48_000), 'wav', { timeoutMs: 30 });
    // The same without depending on the machine's speed: ffmpeg takes nothing, the time-out kills it.
    case 'time-out-mid-write':
      return runFfmpeg(['-i', 'pipe:0', '-f', 'null', '-'], { input: Buffer.alloc(8 * 1024 * 1024), timeoutMs: 300, binary: neverReads() });
    // Someone else (the kernel's OOM killer, an operator) kills ffmpeg while its input is being written.
    case 'killed-mid-write': {
      const binary = neverReads();
      const pending = runFfmpeg(['-i', 'pipe:0', '-f', 'null', '-'], { input: Buffer.alloc(8 * 1024 * 1024), timeoutMs: 30_000, binary });
      setTimeout(() => {
        for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) process.kill(Number(pid), 'SIGKILL');
          } catch { /* gone already */ }
        }
      }, 300);
      return pending;
    }
    default:
      throw new Error(`unknown case ${kind}`);
  }
}

cause(process.argv[2]).then(
  (result) => console.log(JSON.stringify({ outcome: 'resolved', result: typeof result === 'boolean' ? result : 'output' })),
  (err: Error & { code?: string }) => console.log(JSON.stringify({ outcome: 'rejected', code: err.code, message: err.message })),
).then(() => new Promise((r) => setTimeout(r, 500))).then(() => console.log('still running'));
