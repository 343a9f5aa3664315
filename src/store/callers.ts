import * as crypto from 'node:crypto';
import { Demographics } from '../flow/types';
import { Store } from './store';

/** A caller, known only by a keyed hash of their number: the number is never stored. */
export interface Caller {
  _id: string;
  language?: string;
  lastCommune?: string;
  /**
   * A rating begun and not finished, offered to be continued on the next call within a day of
   * `at`. `indicatorIndex` is where it began in call `callSid`; how far it got is read from that
   * call's ratings (src/calls/call-turns.ts). Without `callSid` (written before it existed) it is
   * the next indicator itself.
   */
  unfinishedRating?: { communeCode: string; service: string; indicatorIndex: number; facilityId?: string; at: Date; callSid?: string };
  /**
   * The caller's answers about themselves, and the reporting year (Cambodian calendar year) in
   * which they were last asked to the end (answered or skipped with 0): not asked again that year.
   */
  demographics?: Demographics;
  demographicsYear?: number;
  firstCallAt: Date;
  lastCallAt: Date;
}

/**
 * HMAC-SHA256 of the number's digits under CALLER_HASH_SECRET. A plain hash would not do:
 * phone numbers are few enough to be hashed exhaustively.
 */
export function callerIdFor(phoneNumber: string, secret: string): string {
  const digits = phoneNumber.replace(/[^0-9A-Za-z]/g, '');
  return crypto.createHmac('sha256', secret).update(digits).digest('hex');
}

export class CallersRepository {
  constructor(private readonly store: Store) {}
  private get c() {
    return this.store.collection<Caller>('callers');
  }

  find(id: string): Promise<Caller | null> {
    return this.c.findOne({ _id: id });
  }

  /** Notes a call from this caller, creating the caller on the first call; returns what is known. */
  async recordCall(id: string, at: Date): Promise<Caller> {
    const caller = await this.c.findOneAndUpdate({ _id: id }, { $set: { lastCallAt: at }, $min: { firstCallAt: at } }, { upsert: true });
    return caller ?? { _id: id, firstCallAt: at, lastCallAt: at };
  }

  async rememberLanguage(id: string, language: string): Promise<void> {
    await this.c.updateOne({ _id: id }, { $set: { language } }, { upsert: true });
  }

  async rememberUnfinishedRating(id: string, rating: { communeCode: string; service: string; indicatorIndex: number }, at: Date, callSid: string): Promise<void> {
    await this.c.updateOne({ _id: id }, { $set: { unfinishedRating: { ...rating, at, callSid } } }, { upsert: true });
  }

  async forgetUnfinishedRating(id: string): Promise<void> {
    await this.c.updateOne({ _id: id, unfinishedRating: { $exists: true } }, { $unset: { unfinishedRating: true } });
  }

  /** Keeps the answers given so far; `year` once the questions are over (the reporting year they hold for). */
  async rememberDemographics(id: string, demographics: Demographics, year?: number): Promise<void> {
    await this.c.updateOne({ _id: id }, { $set: { demographics, ...(year !== undefined ? { demographicsYear: year } : {}) } }, { upsert: true });
  }

  async rememberCommune(id: string, communeCode: string): Promise<void> {
    await this.c.updateOne({ _id: id }, { $set: { lastCommune: communeCode } }, { upsert: true });
  }
}
