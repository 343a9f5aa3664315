import { randomUUID } from 'node:crypto';
import { Logger } from '../logging/logger';
import { isTestCall } from '../store/ratings';
import { Store } from '../store/store';
import { CarrierRecordings, recordingResourceUrl } from './carrier-recordings';
import { checkRecording } from './recording-audio-check';
import { MessagesRepository, VoiceMessage } from './messages';

/** A 2-minute recording is about 2 MB as 8 kHz WAV; anything far bigger is not one of ours. */
export const RECORDING_MAX_BYTES = 25 * 1024 * 1024;
const MAX_BACKOFF_SECONDS = 3600;

export interface RecordingDownloadWorkerOptions {
  store: Store;
  messages: MessagesRepository;
  carrier: CarrierRecordings;
  logger: Logger;
  deleteAtCarrier: boolean;
  maxAttempts: number;
  retryBaseSeconds: number;
  /** For the sweep that queues messages whose status callback never came. */
  carrierApiUrl: string;
  accountSid: string;
  /** How long a claimed message stays with one worker before another may take it over. */
  leaseSeconds?: number;
  /** How long after "send" a missing status callback is given up on and the recording fetched anyway. */
  sweepAfterSeconds?: number;
  pollIntervalMs?: number;
  maxBytes?: number;
  now?: () => Date;
}

export type WorkOutcome =
  | 'stored'            // audio stored (and deleted at the carrier, where configured)
  | 'stored-not-deleted' // audio stored; the carrier delete failed and will be retried
  | 'deleted-at-carrier' // a retried carrier delete went through
  | 'discarded'         // the caller recorded again: nothing kept
  | 'retry'             // failed; queued again after a backoff
  | 'failed'            // failed for the last time
  | 'lost-claim';       // another worker took it over (lease ran out)

/**
 * Drains the download queue kept in the messages collection: a message is due when
 * `download.nextAttemptAt` has passed. Each instance claims one message at a time with
 * findOneAndUpdate (moving nextAttemptAt to the end of a lease), so several app instances share
 * the queue and a crashed worker's claim is picked up again when its lease runs out.
 * Order: download, verify, store, and only then DELETE at the carrier.
 */
export class RecordingDownloadWorker {
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<unknown> = Promise.resolve();
  private lastSweep = 0;

  constructor(private readonly o: RecordingDownloadWorkerOptions) {
    this.now = o.now ?? (() => new Date());
    this.leaseMs = (o.leaseSeconds ?? 300) * 1000;
  }

  private get messages() {
    return this.o.messages.collection;
  }

  /** Polls until stop(); each poll drains what is due and, every minute, sweeps for missed callbacks. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async () => {
      try {
        if (this.now().getTime() - this.lastSweep >= 60_000) await this.sweepMissedCallbacks();
        await this.drain();
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, 'recording download worker: poll failed; will try again');
      }
      if (this.running) this.timer = setTimeout(() => { this.current = tick(); }, this.o.pollIntervalMs ?? 2000);
    };
    this.current = tick();
  }

  /** Stops polling and waits for the message in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  /** Works through every due message, one at a time, up to `limit`. */
  async drain(limit = 100): Promise<{ recordingSid: string; outcome: WorkOutcome }[]> {
    const done: { recordingSid: string; outcome: WorkOutcome }[] = [];
    while (done.length < limit) {
      const r = await this.runOnce();
      if (!r) break;
      done.push(r);
    }
    return done;
  }

  /** Claims one due message and works on it; null when nothing is due. */
  async runOnce(): Promise<{ recordingSid: string; outcome: WorkOutcome } | null> {
    const at = this.now();
    const claimId = randomUUID();
    const doc = await this.messages.findOneAndUpdate(
      { 'download.nextAttemptAt': { $lte: at } },
      { $set: { 'download.nextAttemptAt': new Date(at.getTime() + this.leaseMs), 'download.claimId': claimId }, $inc: { 'download.attempts': 1 } },
      { sort: { 'download.nextAttemptAt': 1 } },
    );
    if (!doc?.download || doc.download.claimId !== claimId) return null;
    return { recordingSid: doc._id, outcome: await this.work(doc, claimId) };
  }

  private mine(doc: VoiceMessage, claimId: string) {
    return { _id: doc._id, 'download.claimId': claimId };
  }

  private async work(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    const d = doc.download!;
    if (doc.callerChoice === 'discarded') return this.discard(doc, claimId);
    if (d.state === 'stored') return this.deleteAtCarrier(doc, claimId, false);

    await this.messages.updateOne(this.mine(doc, claimId), { $set: { 'download.state': 'downloading' } });
    let fileId: string;
    let checked: Awaited<ReturnType<typeof checkRecording>>;
    let bytes: number;
    try {
      const { data } = await this.o.carrier.download(d.recordingUrl);
      const maxBytes = this.o.maxBytes ?? RECORDING_MAX_BYTES;
      checked = await checkRecording(data, { expectedSeconds: d.carrierDurationSeconds, maxBytes });
      fileId = `recording-${doc._id}.${checked.format}`;
      bytes = data.length;
      await this.o.store.files.write(fileId, data, { recordingSid: doc._id, contentType: checked.contentType });
    } catch (err) {
      return this.failAttempt(doc, claimId, 'download', err);
    }
    const stored = await this.messages.updateOne(
      { ...this.mine(doc, claimId), callerChoice: { $ne: 'discarded' } },
      {
        $set: {
          'download.state': 'stored', 'download.fileId': fileId, 'download.bytes': bytes, 'download.contentType': checked.contentType,
          'download.storedAt': this.now(), 'download.deletedAtCarrier': false, durationSeconds: Math.round(checked.durationSeconds),
        },
        $unset: { 'download.lastError': true },
      },
    );
    if (stored.matched === 0) {
      const fresh = await this.o.messages.find(doc._id);
      // The caller pressed "record again" while we were downloading: keep nothing.
      if (fresh?.callerChoice === 'discarded' && fresh.download?.claimId === claimId) return this.discard({ ...fresh, download: { ...fresh.download, fileId } }, claimId);
      return 'lost-claim';
    }
    this.o.logger.info({ recordingSid: doc._id, bytes, seconds: Math.round(checked.durationSeconds) }, 'voice message stored');
    return this.deleteAtCarrier({ ...doc, download: { ...d, state: 'stored', fileId, deletedAtCarrier: false } }, claimId, true);
  }

  /** Called with the audio safely in our store. */
  private async deleteAtCarrier(doc: VoiceMessage, claimId: string, justStored: boolean): Promise<WorkOutcome> {
    if (!this.o.deleteAtCarrier || doc.download!.deletedAtCarrier) {
      await this.messages.updateOne(this.mine(doc, claimId), { $unset: { 'download.nextAttemptAt': true, 'download.claimId': true } });
      return 'stored';
    }
    try {
      await this.o.carrier.delete(doc.download!.recordingUrl);
    } catch (err) {
      await this.failAttempt(doc, claimId, 'delete', err);
      return 'stored-not-deleted';
    }
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: { 'download.deletedAtCarrier': true }, $unset: { 'download.nextAttemptAt': true, 'download.claimId': true, 'download.lastError': true },
    });
    return justStored ? 'stored' : 'deleted-at-carrier';
  }

  /** A recording the caller replaced: removed from our store and, where configured, at the carrier. Never downloaded. */
  private async discard(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    if (doc.download?.fileId) await this.o.store.files.remove(doc.download.fileId);
    if (this.o.deleteAtCarrier && !doc.download?.deletedAtCarrier) {
      try {
        await this.o.carrier.delete(doc.download!.recordingUrl);
      } catch (err) {
        await this.messages.updateOne(this.mine(doc, claimId), { $set: { 'download.state': 'discarded' }, $unset: { 'download.fileId': true, 'download.bytes': true } });
        return this.failAttempt({ ...doc, download: { ...doc.download!, state: 'discarded' } }, claimId, 'delete', err);
      }
    }
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: { 'download.state': 'discarded', 'download.deletedAtCarrier': this.o.deleteAtCarrier },
      $unset: { 'download.nextAttemptAt': true, 'download.claimId': true, 'download.fileId': true, 'download.bytes': true, 'download.storedAt': true, 'download.lastError': true },
    });
    this.o.logger.info({ recordingSid: doc._id, deletedAtCarrier: this.o.deleteAtCarrier }, 'discarded recording not kept');
    return 'discarded';
  }

  private async failAttempt(doc: VoiceMessage, claimId: string, phase: 'download' | 'delete', err: unknown): Promise<WorkOutcome> {
    const attempts = doc.download!.attempts; // already counts this claim
    const reason = `${phase === 'download' ? 'download' : 'delete at the carrier'} failed: ${(err as Error).message ?? String(err)}`.slice(0, 500);
    const last = attempts >= this.o.maxAttempts;
    const backoff = Math.min(this.o.retryBaseSeconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS);
    const set: Record<string, unknown> = { 'download.lastError': reason };
    if (phase === 'download') set['download.state'] = last ? 'failed' : 'queued';
    if (!last) set['download.nextAttemptAt'] = new Date(this.now().getTime() + backoff * 1000);
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: set,
      $unset: last ? { 'download.nextAttemptAt': true, 'download.claimId': true } : { 'download.claimId': true },
    });
    const log = { recordingSid: doc._id, attempts, err: reason, ...(last ? {} : { retryInSeconds: backoff }) };
    if (last) this.o.logger.error(log, phase === 'download' ? 'voice message download failed for good' : 'recording could not be deleted at the carrier; giving up');
    else this.o.logger.warn(log, 'recording work failed; will retry');
    return last ? 'failed' : 'retry';
  }

  /**
   * Queues messages the caller sent (or discarded) whose status callback never arrived, using
   * the recording's resource URL under CARRIER_API_URL, so no message stays only at the carrier.
   */
  async sweepMissedCallbacks(): Promise<number> {
    const at = this.now();
    this.lastSweep = at.getTime();
    if (!this.o.accountSid) return 0;
    const before = new Date(at.getTime() - (this.o.sweepAfterSeconds ?? 900) * 1000);
    const missed = await this.messages.find(
      // Test calls from the staff "try the line" page never reached a carrier: nothing to fetch.
      { download: { $exists: false }, callerChoice: { $in: ['sent', 'discarded'] }, createdAt: { $lt: before }, testCall: { $ne: true } },
      { limit: 100 },
    );
    let queued = 0;
    for (const m of missed) {
      if (isTestCall(m.callSid ?? '')) continue;
      const { matched } = await this.messages.updateOne({ _id: m._id, download: { $exists: false } }, {
        $set: { download: { state: 'queued', recordingUrl: recordingResourceUrl(this.o.carrierApiUrl, this.o.accountSid, m._id), attempts: 0, nextAttemptAt: at } },
      });
      queued += matched;
    }
    if (queued) this.o.logger.warn({ queued }, 'no recording status callback came for some voice messages; fetching them anyway');
    return queued;
  }
}

/** The worker as the app runs it, from the config. */
export function recordingDownloadWorkerFor(rt: {
  store: Store; messages: MessagesRepository; logger: Logger;
  config: { carrierApiUrl: string; twilioAccountSid: string; twilioAuthToken: string; deleteRecordingsAtCarrier: boolean; recordingDownloadMaxAttempts: number; recordingRetryBaseSeconds: number };
}, extra: Partial<RecordingDownloadWorkerOptions> = {}): RecordingDownloadWorker {
  const c = rt.config;
  return new RecordingDownloadWorker({
    store: rt.store,
    messages: rt.messages,
    logger: rt.logger,
    carrier: new CarrierRecordings({ accountSid: c.twilioAccountSid, authToken: c.twilioAuthToken, maxBytes: RECORDING_MAX_BYTES, timeoutMs: 60_000 }),
    deleteAtCarrier: c.deleteRecordingsAtCarrier,
    maxAttempts: c.recordingDownloadMaxAttempts,
    retryBaseSeconds: c.recordingRetryBaseSeconds,
    carrierApiUrl: c.carrierApiUrl,
    accountSid: c.twilioAccountSid,
    ...extra,
  });
}
