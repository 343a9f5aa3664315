import { MessageSink } from '../calls/call-turns';
import { CountersRepository } from '../store/counters';
import { Store } from '../store/store';

/** Where the audio is: the carrier holds it until the worker has downloaded, verified and stored it. */
export type DownloadState = 'queued' | 'downloading' | 'stored' | 'failed';
/** Where staff are with it. */
export type ReviewState = 'new' | 'in-review' | 'forwarded' | 'resolved' | 'dismissed';
export const REVIEW_STATES: readonly ReviewState[] = ['new', 'in-review', 'forwarded', 'resolved', 'dismissed'];

export interface ReviewNote {
  by: string;
  at: Date;
  text: string;
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
  /** sent: the caller pressed "send"; discarded: the caller recorded again; unknown: only the carrier's callback has arrived. */
  callerChoice: 'sent' | 'discarded' | 'unknown';
  download?: {
    state: DownloadState;
    attempts: number;
    nextAttemptAt?: Date;
    lastError?: string;
    /** Id of the audio in Store.files once stored. */
    fileId?: string;
    bytes?: number;
    contentType?: string;
    storedAt?: Date;
    deletedAtCarrier?: boolean;
  };
  review?: {
    state: ReviewState;
    notes: ReviewNote[];
    updatedAt?: Date;
    updatedBy?: string;
  };
  createdAt: Date;
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

  async saveFromCall(msg: Parameters<MessageSink['saveFromCall']>[0]): Promise<void> {
    await this.collection.updateOne(
      { _id: msg.recording.recordingSid },
      {
        $set: {
          callSid: msg.callSid,
          communeCode: msg.communeCode,
          districtCode: msg.communeCode.slice(0, 4),
          provinceCode: msg.communeCode.slice(0, 2),
          service: msg.service,
          language: msg.language,
          referenceNumber: msg.recording.referenceNumber,
          durationSeconds: msg.recording.durationSeconds,
          callerChoice: 'sent',
          createdAt: this.now(),
        },
      },
      { upsert: true },
    );
  }

  async discardFromCall(callSid: string, recordingSid: string): Promise<void> {
    await this.collection.updateOne({ _id: recordingSid }, { $set: { callSid, callerChoice: 'discarded', createdAt: this.now() } }, { upsert: true });
  }

  find(recordingSid: string) {
    return this.collection.findOne({ _id: recordingSid });
  }
}
