/**
 * Voice messages: the caller's side (saveFromCall / discardFromCall, through the call's effects),
 * the carrier's side (recordCarrierCallback, from POST /voice/recording-status) and the download
 * queue the worker in ./recording-download-worker.ts drains.
 *
 * For the staff pages (how to play a message's audio):
 * - A message's audio exists when `download.state === 'stored'`. It is in `store.files` under the
 *   id `download.fileId` (today `recording-<RecordingSid>.wav`), `download.bytes` long, of type
 *   `download.contentType` ('audio/wav': 8 kHz PCM WAV as the carrier records it; 'audio/mpeg' is
 *   possible if a carrier only serves MP3).
 * - Stream it with `store.files.size(fileId)` for Content-Length and
 *   `store.files.read(fileId, { start, end })` (inclusive byte range) for `Range: bytes=start-end`
 *   (answer 206 with Content-Range); `store.files.read(fileId)` for the whole file.
 * - `audioOf(message)` below returns `{ fileId, contentType, bytes }` or null.
 * - Other download states: queued / downloading (still at the carrier), failed (`lastError` says
 *   why; staff see it), discarded (the caller recorded again: no audio kept anywhere).
 * - Never list `callerChoice: 'discarded'` messages: the caller replaced them.
 * - `callerChoice` 'unknown' means the carrier reported a recording the caller never confirmed
 *   (hung up at the confirm menu, or a call this app did not see): its commune, service and
 *   reference number may be empty strings.
 */
import { MessageSink } from '../calls/call-turns';
import { AppError, DuplicateKeyError } from '../errors';

/** A call tried to keep a recording that another call made. */
export class RecordingOfAnotherCallError extends AppError {
  override readonly code = 'RECORDING_OF_ANOTHER_CALL';
  override readonly status = 400;
}
import { CountersRepository } from '../store/counters';
import { Store } from '../store/store';

/**
 * Where the audio is: the carrier holds it until the worker has downloaded, verified and stored
 * it. discarded: the caller pressed "record again", so nothing is kept here (and, where
 * configured, it is deleted at the carrier).
 */
export type DownloadState = 'queued' | 'downloading' | 'stored' | 'failed' | 'discarded';
export const DOWNLOAD_STATES: readonly DownloadState[] = ['queued', 'downloading', 'stored', 'failed', 'discarded'];
/** Where staff are with it. */
export type ReviewState = 'new' | 'in-review' | 'forwarded' | 'resolved' | 'dismissed';
export const REVIEW_STATES: readonly ReviewState[] = ['new', 'in-review', 'forwarded', 'resolved', 'dismissed'];

/**
 * Every change staff make to a message's review (a state move, a note, a step) carries the
 * version it produced: a form opened at version N finds what others did since (version > N).
 * Entries from before versions were kept have none.
 */
/** One move of a message from one review state to another. */
export interface ReviewChange {
  from: ReviewState;
  to: ReviewState;
  by: string;
  at: Date;
  version?: number;
}

export interface ReviewNote {
  by: string;
  at: Date;
  text: string;
  version?: number;
}

/**
 * A step that is neither a state move nor a note: who works on the message (taken, assigned to
 * someone, released) and the answer call (a reviewer recorded an answer, confirmed the call, or
 * the call was called off when the message was dismissed).
 */
export type ReviewStepKind = 'taken' | 'assigned' | 'released' | 'answer-recorded' | 'answer-call-queued' | 'answer-call-cancelled';
export interface ReviewStep {
  kind: ReviewStepKind;
  by: string;
  at: Date;
  /** taken / assigned: the new owner; released: who had it. */
  owner?: string;
  /** answer-call-queued: the answer's catalog prompt id, or RECORDED_ANSWER (src/outbound/answer-outcome.ts). */
  answer?: string;
  version?: number;
}

export interface MessageDownload {
  state: DownloadState;
  /** The carrier's recording resource (no credentials, no file extension). */
  recordingUrl: string;
  /** Duration the carrier reported in the status callback, checked against the audio. */
  carrierDurationSeconds?: number;
  /** Times the worker took this message up (download and carrier delete together). */
  attempts: number;
  /** When the worker should next take it up; for 'downloading' the end of the worker's lease. Absent: nothing left to do. */
  nextAttemptAt?: Date;
  /** Which worker claim holds it, so a worker that lost its lease cannot overwrite another's result. */
  claimId?: string;
  lastError?: string;
  /** Id of the audio in Store.files once stored. */
  fileId?: string;
  bytes?: number;
  contentType?: string;
  storedAt?: Date;
  /** true once the carrier answered 2xx to the DELETE; false while a delete is due, off or refused. */
  deletedAtCarrier?: boolean;
  /** Why the carrier still holds the audio when it will not be deleted there (staff see "kept at the carrier"). */
  keptAtCarrier?: string;
}

/**
 * A caller's voice message: tied to commune, service, language and call, never to the number.
 * Created by whichever comes first, the caller pressing "send" (saveFromCall) or the carrier's
 * recording status callback; each fills in what it knows.
 */
export interface VoiceMessage {
  /** The carrier's RecordingSid. */
  _id: string;
  callSid: string;
  communeCode: string;
  districtCode: string;
  provinceCode: string;
  service: string;
  language: string;
  referenceNumber: string;
  durationSeconds: number;
  /**
   * sent: the caller pressed "send"; discarded: the caller recorded again; unknown: only the
   * carrier's callback has arrived; place: not a message but a caller saying where they are (no
   * code), downloaded like a message for staff to confirm (src/store/places-to-confirm.ts), never listed.
   */
  callerChoice: 'sent' | 'discarded' | 'unknown' | 'place';
  /** The place the caller said instead of a code: communeCode stays '' until staff confirm it. */
  spokenPlaceId?: string;
  /** The facility the message is about (a programme-areas id), where known. */
  facilityId?: string;
  download?: MessageDownload;
  /** The recording held no speech: it is not a message (callerChoice is then 'discarded'). */
  silent?: boolean;
  review?: {
    state: ReviewState;
    notes: ReviewNote[];
    /** Every change of state, oldest first (messages reviewed before this was kept have none). */
    history?: ReviewChange[];
    /** Ownership and answer-call steps, oldest first. */
    steps?: ReviewStep[];
    /** The staff member working on it (helpdesk "assignee"); absent: nobody. */
    owner?: string;
    ownedAt?: Date;
    /** Bumped by every change staff make (src/messages/review-desk.ts); absent: 0. */
    version?: number;
    updatedAt?: Date;
    updatedBy?: string;
  };
  /** The call that told the caller the answer (src/outbound), once it ended. */
  answerCall?: { outcome: string; attempts: number; answerPromptId: string; endedAt: Date };
  createdAt: Date;
}

/** What the staff player needs to stream a stored message. */
export function audioOf(m: Pick<VoiceMessage, 'download'>): { fileId: string; contentType: string; bytes: number } | null {
  const d = m.download;
  if (!d || d.state !== 'stored' || !d.fileId) return null;
  return { fileId: d.fileId, contentType: d.contentType ?? 'audio/wav', bytes: d.bytes ?? 0 };
}

/** The carrier's recording status callback, already checked by the route. */
export interface CarrierRecordingReport {
  recordingSid: string;
  /** The recording resource under CARRIER_API_URL, without extension. */
  recordingUrl: string;
  /** completed, absent (nothing recorded) or failed. */
  status: 'completed' | 'absent' | 'failed';
  durationSeconds?: number;
  callSid?: string;
}

/** Reference numbers start at 6 digits and grow; they are read back digit by digit. */
const FIRST_REFERENCE = 100001;

export class MessagesRepository implements MessageSink {
  private readonly counters: CountersRepository;
  constructor(private readonly store: Store, private readonly now: () => Date = () => new Date()) {
    this.counters = new CountersRepository(store);
  }
  get collection() {
    return this.store.collection<VoiceMessage>('messages');
  }

  async newReferenceNumber(): Promise<string> {
    return String(FIRST_REFERENCE - 1 + (await this.counters.next('message-reference')));
  }

  /**
   * A recording already tied to another call is never taken over by this one: a turn can only
   * keep its own call's recording (a forged or confused RecordingSid changes nothing).
   */
  private async assertRecordingOfCall(recordingSid: string, callSid: string): Promise<void> {
    const existing = await this.collection.findOne({ _id: recordingSid });
    if (existing && existing.callSid && existing.callSid !== callSid) {
      throw new RecordingOfAnotherCallError(`recording ${recordingSid} belongs to another call`);
    }
  }

  /** Matches a message that is this call's, or not yet tied to a call. */
  private static ofCall(recordingSid: string, callSid: string) {
    return { _id: recordingSid, $or: [{ callSid }, { callSid: '' }, { callSid: { $exists: false } }] };
  }

  async saveFromCall(msg: Parameters<MessageSink['saveFromCall']>[0]): Promise<void> {
    await this.assertRecordingOfCall(msg.recording.recordingSid, msg.callSid);
    await this.collection.updateOne(
      MessagesRepository.ofCall(msg.recording.recordingSid, msg.callSid),
      {
        $set: {
          callSid: msg.callSid,
          communeCode: msg.communeCode,
          districtCode: msg.communeCode.slice(0, 4),
          provinceCode: msg.communeCode.slice(0, 2),
          ...(msg.spokenPlaceId ? { spokenPlaceId: msg.spokenPlaceId } : {}),
          ...(msg.facilityId ? { facilityId: msg.facilityId } : {}),
          service: msg.service,
          language: msg.language,
          referenceNumber: msg.recording.referenceNumber,
          durationSeconds: msg.recording.durationSeconds,
          callerChoice: 'sent',
          createdAt: msg.at,
        },
      },
      { upsert: true },
    );
    // A message staff see starts as "new"; only set when no review exists yet.
    await this.collection.updateOne({ _id: msg.recording.recordingSid, review: { $exists: false } }, { $set: { review: { state: 'new', notes: [] } } });
  }

  /**
   * The caller pressed "record again". Whatever already reached our store is removed; what is
   * still at the carrier is left to the worker, which deletes it there instead of downloading it.
   */
  async discardFromCall(callSid: string, recordingSid: string, at: Date = this.now()): Promise<void> {
    await this.assertRecordingOfCall(recordingSid, callSid);
    const doc = await this.collection.findOneAndUpdate(
      MessagesRepository.ofCall(recordingSid, callSid),
      { $set: { callSid, callerChoice: 'discarded', createdAt: at } },
      { upsert: true },
    );
    if (doc?.download?.state === 'stored') await this.removeDiscardedAudio(doc);
  }

  /**
   * The caller said their place instead of a code: its audio is fetched like a message's (the
   * carrier's callback may come first or after), but it is a place for staff to confirm, never a message.
   */
  async keepPlaceRecording(callSid: string, recordingSid: string, language: string, at: Date): Promise<void> {
    await this.assertRecordingOfCall(recordingSid, callSid);
    await this.collection.updateOne(
      MessagesRepository.ofCall(recordingSid, callSid),
      { $set: { callSid, callerChoice: 'place', language, createdAt: at }, $unset: { review: true } },
      { upsert: true },
    );
  }

  /** Removes the audio of a discarded message from our store and marks it discarded. */
  async removeDiscardedAudio(doc: VoiceMessage): Promise<void> {
    if (doc.download?.fileId) await this.store.files.remove(doc.download.fileId);
    await this.collection.updateOne(
      { _id: doc._id, callerChoice: 'discarded' },
      { $set: { 'download.state': 'discarded' }, $unset: { 'download.fileId': true, 'download.bytes': true, 'download.storedAt': true } },
    );
  }

  /**
   * The carrier's recording status callback. Idempotent: a repeated callback changes nothing,
   * a late one fills in a message the call already saved, an early one creates the message for
   * the call's "send" to complete. Queues the download (or, for a discarded message, the delete).
   */
  async recordCarrierCallback(r: CarrierRecordingReport): Promise<{ created: boolean; queued: boolean; otherCall?: boolean }> {
    const at = this.now();
    const download: MessageDownload =
      r.status === 'completed'
        ? { state: 'queued', recordingUrl: r.recordingUrl, carrierDurationSeconds: r.durationSeconds, attempts: 0, nextAttemptAt: at }
        : { state: 'failed', recordingUrl: r.recordingUrl, attempts: 0, lastError: `the carrier reported the recording ${r.status}` };
    const fresh: VoiceMessage = {
      _id: r.recordingSid,
      callSid: r.callSid ?? '',
      communeCode: '',
      districtCode: '',
      provinceCode: '',
      service: '',
      language: '',
      referenceNumber: '',
      durationSeconds: r.durationSeconds ?? 0,
      callerChoice: 'unknown',
      download,
      review: { state: 'new', notes: [] },
      createdAt: at,
    };
    try {
      await this.collection.insertOne(fresh);
      return { created: true, queued: download.state === 'queued' };
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    // The message exists (the caller pressed send or record again, or this is a repeat): queue
    // the download once; a repeated callback finds `download` set and changes nothing.
    const existing = await this.collection.findOne({ _id: r.recordingSid });
    if (r.callSid && existing?.callSid && existing.callSid !== r.callSid) return { created: false, queued: false, otherCall: true };
    const { matched } = await this.collection.updateOne({ _id: r.recordingSid, download: { $exists: false } }, { $set: { download } });
    return { created: false, queued: matched > 0 && download.state === 'queued' };
  }

  find(recordingSid: string) {
    return this.collection.findOne({ _id: recordingSid });
  }

  /** Messages of one call, oldest first (tests and the simulator). */
  forCall(callSid: string) {
    return this.collection.find({ callSid }, { sort: { createdAt: 1 } });
  }

  /** Puts a failed download back in the queue (an operator fixed the carrier credentials, say). */
  async requeue(recordingSid: string): Promise<boolean> {
    const { matched } = await this.collection.updateOne(
      { _id: recordingSid, 'download.state': 'failed' },
      { $set: { 'download.state': 'queued', 'download.attempts': 0, 'download.nextAttemptAt': this.now() } },
    );
    return matched > 0;
  }
}
