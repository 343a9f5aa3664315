import { randomUUID } from 'node:crypto';
import { cancelAnswerCall } from '../outbound/answer-cancellation';
import { CallbackQueue } from '../outbound/callback-queue';
import { Logger } from '../logging/logger';
import { isTestCall } from '../store/ratings';
import { Store } from '../store/store';
import { CARRIER_PROFILES, CarrierName, SOMLENG_KEEPS_RECORDINGS } from '../telephony/carrier-profile';
import { CarrierContact } from '../ops/carrier-contact';
import type { HotlineMetrics } from '../ops/metrics';
import { CarrierDeleteResult, CarrierRecordings, CarrierRequestError, recordingResourceUrl } from './carrier-recordings';
import { checkRecording, recordingIsSilent } from './recording-audio-check';
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
  /** Why recordings stay at the carrier when deleteAtCarrier is false (shown to staff). */
  keptReason?: string;
  /** How many recordings are worked on at once, so one slow download does not hold up the rest. */
  concurrency?: number;
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
  /**
   * Calls off the answer call a caller asked for on a message that turns out to be none (silent):
   * their sealed number is erased with it (src/outbound/answer-cancellation.ts).
   */
  cancelAnswerCall?: (messageId: string, reason: string) => Promise<unknown>;
  /** Where the last contact with the carrier's API is noted for /health (src/ops/carrier-contact.ts). */
  carrierContact?: CarrierContact;
  /** Told what each claimed recording came to ('error': the work threw), for the metrics (src/ops/metrics.ts). */
  onOutcome?: (outcome: WorkOutcome | 'error') => void;
}

export type WorkOutcome =
  | 'stored'            // audio stored (and deleted at the carrier, where configured)
  | 'stored-not-deleted' // audio stored; the carrier delete failed and will be retried
  | 'kept-at-carrier'   // audio stored; the carrier did not delete it and will not (reason in download.keptAtCarrier)
  | 'silent'            // the recording holds no speech: not kept as a message
  | 'deleted-at-carrier' // a retried carrier delete went through
  | 'discarded'         // the caller recorded again: nothing kept
  | 'retry'             // failed; queued again after a backoff
  | 'failed'            // failed for the last time
  | 'lost-claim';       // another worker took it over (lease ran out)

/**
 * Drains the download queue kept in the messages collection: a message is due when
 * `download.nextAttemptAt` has passed. Each claim is one findOneAndUpdate (moving nextAttemptAt
 * to the end of a lease and stamping a claim id), so several app instances share the queue and a
 * crashed worker's claim is picked up again when its lease runs out. Up to `concurrency`
 * recordings are worked on at once: a carrier that is slow on one recording holds one slot, and
 * the others go on claiming.
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

  private get concurrency() {
    return Math.max(1, this.o.concurrency ?? 4);
  }

  /** Polls until stop(); each poll fills the free slots with due messages and, every minute, sweeps for missed callbacks. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async () => {
      try {
        if (this.now().getTime() - this.lastSweep >= 60_000) await this.sweepMissedCallbacks();
        await this.fillSlots();
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, 'recording download worker: poll failed; will try again');
      }
      if (this.running) this.timer = setTimeout(() => { this.current = tick(); }, this.o.pollIntervalMs ?? 2000);
    };
    this.current = tick();
  }

  /** Stops polling and waits for the messages in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.current.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private readonly inFlight = new Set<Promise<unknown>>();
  /** Claims asked of the database and not yet answered: they count against the slots too. */
  private claiming = 0;

  /** Claims due messages into the free slots without waiting for the ones in hand. */
  private async fillSlots(): Promise<void> {
    while (this.running && this.inFlight.size + this.claiming < this.concurrency) {
      this.claiming += 1;
      let claimed: Awaited<ReturnType<RecordingDownloadWorker['claim']>>;
      try {
        claimed = await this.claim();
      } finally {
        this.claiming -= 1;
      }
      if (!claimed) return;
      const job: Promise<unknown> = this.work(claimed.doc, claimed.claimId)
        .catch((err) => this.o.logger.error({ recordingSid: claimed.doc._id, err: (err as Error).message }, 'recording work failed; its lease will run out and it will be retried'))
        .finally(() => {
          this.inFlight.delete(job);
          if (this.running) void this.fillSlots().catch(() => undefined);
        });
      this.inFlight.add(job);
    }
  }

  /** Works through every due message, `concurrency` at a time, up to `limit`; resolves when all are done. */
  async drain(limit = 100): Promise<{ recordingSid: string; outcome: WorkOutcome }[]> {
    const done: { recordingSid: string; outcome: WorkOutcome }[] = [];
    let started = 0;
    const slot = async () => {
      while (started < limit) {
        started += 1;
        const r = await this.runOnce();
        if (!r) return;
        done.push(r);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, slot));
    return done;
  }

  /** Claims one due message and works on it; null when nothing is due. */
  async runOnce(): Promise<{ recordingSid: string; outcome: WorkOutcome } | null> {
    const claimed = await this.claim();
    if (!claimed) return null;
    return { recordingSid: claimed.doc._id, outcome: await this.work(claimed.doc, claimed.claimId) };
  }

  /** One atomic claim in the database: the oldest due message, leased to this claim id. */
  private async claim(): Promise<{ doc: VoiceMessage; claimId: string } | null> {
    const at = this.now();
    const claimId = randomUUID();
    const doc = await this.messages.findOneAndUpdate(
      { 'download.nextAttemptAt': { $lte: at } },
      { $set: { 'download.nextAttemptAt': new Date(at.getTime() + this.leaseMs), 'download.claimId': claimId }, $inc: { 'download.attempts': 1 } },
      { sort: { 'download.nextAttemptAt': 1 } },
    );
    if (!doc?.download || doc.download.claimId !== claimId) return null;
    return { doc, claimId };
  }

  private mine(doc: VoiceMessage, claimId: string) {
    return { _id: doc._id, 'download.claimId': claimId };
  }

  /** One claimed recording's work, its outcome counted. */
  private async work(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    let outcome: WorkOutcome;
    try {
      outcome = await this.workOn(doc, claimId);
    } catch (err) {
      this.o.onOutcome?.('error');
      throw err;
    }
    this.o.onOutcome?.(outcome);
    return outcome;
  }

  private async workOn(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    const d = doc.download!;
    if (doc.callerChoice === 'discarded') return this.discard(doc, claimId);
    if (d.state === 'stored') return this.deleteAtCarrier(doc, claimId, false);

    await this.messages.updateOne(this.mine(doc, claimId), { $set: { 'download.state': 'downloading' } });
    let fileId: string;
    let checked: Awaited<ReturnType<typeof checkRecording>>;
    let bytes: number;
    try {
      let data: Buffer;
      try {
        ({ data } = await this.o.carrier.download(d.recordingUrl));
      } catch (err) {
        if (err instanceof CarrierRequestError) await this.o.carrierContact?.failed('recording download', err.message);
        throw err;
      }
      await this.o.carrierContact?.ok('recording download');
      const maxBytes = this.o.maxBytes ?? RECORDING_MAX_BYTES;
      checked = await checkRecording(data, { expectedSeconds: d.carrierDurationSeconds, maxBytes });
      if (await recordingIsSilent(data, checked.format)) return this.dropSilent(doc, claimId);
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

  /** Why the carrier keeps its copy when no DELETE is sent at all. */
  private get keptReason(): string {
    return this.o.keptReason ?? 'DELETE_RECORDINGS_AT_CARRIER=false';
  }

  /**
   * A recording with no speech in it (the caller said nothing, or the line carried only noise):
   * the caller was not leaving a message, so none is kept. It leaves the staff list like a
   * discarded one, and goes the discarded way at the carrier.
   */
  private async dropSilent(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    await this.messages.updateOne(this.mine(doc, claimId), { $set: { callerChoice: 'discarded', silent: true } });
    this.o.logger.info({ recordingSid: doc._id }, 'recording is silent; not kept as a message');
    // Before the carrier work: a failed DELETE must not leave the caller's number sealed for an answer nobody will give.
    const cancelled = await this.o.cancelAnswerCall?.(doc._id, 'the recording held no speech');
    if (cancelled === 'cancelled') this.o.logger.info({ recordingSid: doc._id }, 'answer call for a silent recording called off; the number is erased');
    if (cancelled === 'under-way') this.o.logger.warn({ recordingSid: doc._id }, 'an answer call for a silent recording is already under way; it is left to finish');
    await this.discard({ ...doc, callerChoice: 'discarded' }, claimId);
    return 'silent';
  }

  /** Called with the audio safely in our store. Only a 2xx to the DELETE counts as deleted. */
  private async deleteAtCarrier(doc: VoiceMessage, claimId: string, justStored: boolean): Promise<WorkOutcome> {
    if (doc.download!.deletedAtCarrier) {
      await this.messages.updateOne(this.mine(doc, claimId), { $unset: { 'download.nextAttemptAt': true, 'download.claimId': true } });
      return 'stored';
    }
    if (!this.o.deleteAtCarrier) {
      await this.messages.updateOne(this.mine(doc, claimId), {
        $set: { 'download.keptAtCarrier': this.keptReason }, $unset: { 'download.nextAttemptAt': true, 'download.claimId': true },
      });
      return 'stored';
    }
    const result = await this.o.carrier.delete(doc.download!.recordingUrl);
    await this.noteDelete(result);
    if (!result.deleted) {
      if (result.permanent) return this.keepAtCarrier(doc, claimId, result.reason);
      const outcome = await this.failAttempt(doc, claimId, 'delete', new Error(result.reason));
      return outcome === 'failed' ? 'kept-at-carrier' : 'stored-not-deleted';
    }
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: { 'download.deletedAtCarrier': true }, $unset: { 'download.nextAttemptAt': true, 'download.claimId': true, 'download.lastError': true, 'download.keptAtCarrier': true },
    });
    return justStored ? 'stored' : 'deleted-at-carrier';
  }

  /** A DELETE the carrier answered (deleted, or refused for good) shows it reachable; one that failed otherwise does not. */
  private async noteDelete(result: CarrierDeleteResult): Promise<void> {
    if (result.deleted || result.permanent) await this.o.carrierContact?.ok('recording delete');
    else await this.o.carrierContact?.failed('recording delete', result.reason);
  }

  /** The carrier refused the DELETE for good: say so, and stop asking. */
  private async keepAtCarrier(doc: VoiceMessage, claimId: string, reason: string): Promise<WorkOutcome> {
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: { 'download.deletedAtCarrier': false, 'download.keptAtCarrier': reason },
      $unset: { 'download.nextAttemptAt': true, 'download.claimId': true },
    });
    this.o.logger.warn({ recordingSid: doc._id, reason }, 'recording kept at the carrier: it did not delete it');
    return 'kept-at-carrier';
  }

  /** A recording the caller replaced: removed from our store and, where configured, at the carrier. Never downloaded. */
  private async discard(doc: VoiceMessage, claimId: string): Promise<WorkOutcome> {
    if (doc.download?.fileId) await this.o.store.files.remove(doc.download.fileId);
    let deleted: CarrierDeleteResult | null = null;
    if (this.o.deleteAtCarrier && !doc.download?.deletedAtCarrier) {
      deleted = await this.o.carrier.delete(doc.download!.recordingUrl);
      await this.noteDelete(deleted);
      if (!deleted.deleted && !deleted.permanent) {
        await this.messages.updateOne(this.mine(doc, claimId), { $set: { 'download.state': 'discarded' }, $unset: { 'download.fileId': true, 'download.bytes': true } });
        return this.failAttempt({ ...doc, download: { ...doc.download!, state: 'discarded' } }, claimId, 'delete', new Error(deleted.reason));
      }
    }
    const gone = Boolean(doc.download?.deletedAtCarrier) || Boolean(deleted?.deleted);
    const keptReason = gone ? undefined : deleted && !deleted.deleted ? deleted.reason : this.keptReason;
    await this.messages.updateOne(this.mine(doc, claimId), {
      $set: { 'download.state': 'discarded', 'download.deletedAtCarrier': gone, ...(keptReason ? { 'download.keptAtCarrier': keptReason } : {}) },
      $unset: { 'download.nextAttemptAt': true, 'download.claimId': true, 'download.fileId': true, 'download.bytes': true, 'download.storedAt': true, 'download.lastError': true },
    });
    this.o.logger.info({ recordingSid: doc._id, deletedAtCarrier: gone }, 'discarded recording not kept');
    return 'discarded';
  }

  private async failAttempt(doc: VoiceMessage, claimId: string, phase: 'download' | 'delete', err: unknown): Promise<WorkOutcome> {
    const attempts = doc.download!.attempts; // already counts this claim
    const reason = `${phase === 'download' ? 'download' : 'delete at the carrier'} failed: ${(err as Error).message ?? String(err)}`.slice(0, 500);
    const last = attempts >= this.o.maxAttempts;
    const backoff = Math.min(this.o.retryBaseSeconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS);
    const set: Record<string, unknown> = { 'download.lastError': reason };
    if (phase === 'download') set['download.state'] = last ? 'failed' : 'queued';
    if (phase === 'delete' && last) set['download.keptAtCarrier'] = `${reason} (gave up after ${attempts} attempts)`;
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
      { download: { $exists: false }, callerChoice: { $in: ['sent', 'discarded', 'place'] }, createdAt: { $lt: before }, testCall: { $ne: true } },
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
  store: Store; messages: MessagesRepository; logger: Logger; outbound?: { queue: CallbackQueue }; metrics?: Pick<HotlineMetrics, 'recordingWorked'>;
  config: {
    carrier: CarrierName; carrierApiUrl: string; carrierMediaHosts: string[]; twilioAccountSid: string; twilioAuthToken: string;
    deleteRecordingsAtCarrier: boolean; recordingDownloadMaxAttempts: number; recordingRetryBaseSeconds: number;
  };
}, extra: Partial<RecordingDownloadWorkerOptions> = {}): RecordingDownloadWorker {
  const c = rt.config;
  const profile = CARRIER_PROFILES[c.carrier];
  return new RecordingDownloadWorker({
    store: rt.store,
    messages: rt.messages,
    logger: rt.logger,
    carrier: carrierRecordingsFor(c),
    // A carrier that has no DELETE (Somleng) is not asked: its copy is kept, and staff are told why.
    deleteAtCarrier: c.deleteRecordingsAtCarrier && profile.deletesRecordings,
    keptReason: profile.deletesRecordings ? 'DELETE_RECORDINGS_AT_CARRIER=false' : SOMLENG_KEEPS_RECORDINGS,
    maxAttempts: c.recordingDownloadMaxAttempts,
    retryBaseSeconds: c.recordingRetryBaseSeconds,
    carrierApiUrl: c.carrierApiUrl,
    accountSid: c.twilioAccountSid,
    carrierContact: new CarrierContact(rt.store),
    ...(rt.metrics ? { onOutcome: (outcome: WorkOutcome | 'error') => rt.metrics!.recordingWorked(outcome) } : {}),
    ...(rt.outbound ? { cancelAnswerCall: (messageId: string, reason: string) => cancelAnswerCall(rt.outbound!.queue, messageId, reason) } : {}),
    ...extra,
  });
}

/** The carrier's recording API client, from the config. */
export function carrierRecordingsFor(c: { carrierApiUrl: string; carrierMediaHosts: string[]; twilioAccountSid: string; twilioAuthToken: string }, timeoutMs = 60_000): CarrierRecordings {
  return new CarrierRecordings({
    accountSid: c.twilioAccountSid, authToken: c.twilioAuthToken, apiUrl: c.carrierApiUrl, mediaHosts: c.carrierMediaHosts, maxBytes: RECORDING_MAX_BYTES, timeoutMs,
  });
}
