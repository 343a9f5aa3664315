import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../logging/logger';

/** A call's status as the carrier posted it, kept until the database takes it. */
export interface PendingCallStatus {
  callSid: string;
  status: string;
  durationSeconds?: number;
  /** When the carrier posted it (the time recorded on the call, not the time it is replayed). */
  at: string;
}

/** What the journal needs of the calls repository. */
export interface CallStatusWriter {
  recordStatus(callSid: string, status: string, durationSeconds: number | undefined, at: Date): Promise<unknown>;
}

/** How often pending statuses are tried again while there are any. */
export const REPLAY_INTERVAL_MS = 10_000;

/**
 * Call statuses the database would not take, kept on this instance's disk until it does.
 *
 * Neither carrier retries a status callback: Somleng posts it once from a job that ignores the
 * answer (somleng app/workflows/twilio_api/notify_webhook.rb:33-45 posts and returns whatever came
 * back; app/jobs/application_job.rb:2 retries only ActiveRecord::StaleObjectError), and Twilio
 * retries only with a connection override. So a 503 loses the call's final status and duration;
 * instead the route appends it here (one JSON line, fsynced) and it is written to the database
 * as soon as it answers again: after the next status it saves, and every REPLAY_INTERVAL_MS
 * while anything is pending, and at start-up for what a previous process left.
 *
 * The file is this instance's (DATA_DIR): another instance never needs it, since a status only
 * moves a call's record forward and writing it late changes nothing else. Replaying moves the
 * file aside first, so a status appended meanwhile is never lost; a crash mid-replay leaves that
 * file, which the next replay reads first. A status written twice is harmless: recordStatus only
 * moves a call's status forward.
 */
export class CallStatusJournal {
  private readonly file: string;
  private readonly replayingFile: string;
  private timer: NodeJS.Timeout | null = null;
  private replaying: Promise<number> | null = null;

  /** `callEnded`: a replayed status made the call's status final (recordStatus answered true): its call-end line is written then. */
  constructor(dir: string, private readonly calls: CallStatusWriter, private readonly logger: Logger, private readonly callEnded?: (entry: PendingCallStatus) => void) {
    this.file = path.join(dir, 'pending-call-statuses.jsonl');
    this.replayingFile = `${this.file}.replaying`;
    if (this.hasPending()) this.schedule();
  }

  hasPending(): boolean {
    return fs.existsSync(this.file) || fs.existsSync(this.replayingFile);
  }

  /** Keeps a status on disk (fsynced before it returns). Throws if the disk will not take it either. */
  append(entry: PendingCallStatus): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.schedule();
  }

  /** Writes what is pending to the database; returns how many were saved. One replay at a time. */
  replay(): Promise<number> {
    if (!this.replaying) this.replaying = this.replayOnce().finally(() => { this.replaying = null; });
    return this.replaying;
  }

  /** Stops the timer (a test's teardown, or shutdown); pending statuses stay on disk for the next start. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.replay().catch(() => undefined), REPLAY_INTERVAL_MS);
    this.timer.unref();
  }

  private async replayOnce(): Promise<number> {
    if (!fs.existsSync(this.replayingFile)) {
      if (!fs.existsSync(this.file)) return 0;
      fs.renameSync(this.file, this.replayingFile);
    }
    const lines = fs.readFileSync(this.replayingFile, 'utf8').split('\n').filter(Boolean);
    const left: string[] = [];
    let saved = 0;
    for (const line of lines) {
      let entry: PendingCallStatus;
      try {
        entry = JSON.parse(line) as PendingCallStatus;
      } catch {
        this.logger.error({ line: line.slice(0, 200) }, 'a pending call status could not be read; dropped');
        continue;
      }
      // Once the database refuses one, the rest would fail too: keep them all for the next try.
      if (left.length) {
        left.push(line);
        continue;
      }
      try {
        if ((await this.calls.recordStatus(entry.callSid, entry.status, entry.durationSeconds, new Date(entry.at))) === true) this.callEnded?.(entry);
        saved += 1;
      } catch {
        left.push(line);
      }
    }
    if (left.length) {
      // Back in front of anything appended meanwhile.
      const newer = fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8') : '';
      fs.writeFileSync(`${this.file}.tmp`, `${left.join('\n')}\n${newer}`, { mode: 0o600 });
      fs.renameSync(`${this.file}.tmp`, this.file);
    }
    fs.rmSync(this.replayingFile, { force: true });
    if (saved) this.logger.info({ saved, stillPending: left.length }, 'call statuses kept during a database outage are saved');
    if (!this.hasPending()) this.stop();
    return saved;
  }
}
