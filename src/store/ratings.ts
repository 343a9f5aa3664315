import { spokenPlaceKey } from '../flow/engine';
import { Demographics } from '../flow/types';
import { markRepeatsOf } from './repeat-ratings';
import { Store } from './store';

/** One answer to one indicator: the unit every scorecard figure is counted from. */
export interface Rating {
  /** callSid:commune:service:indicator, so a retried turn rewrites the same rating. */
  _id: string;
  callSid: string;
  callerId: string;
  communeCode: string;
  districtCode: string;
  provinceCode: string;
  service: string;
  indicatorId: string;
  /** 1-5; null for "don't know / did not use" (noScore), which reports count apart and never average. */
  score: number | null;
  noScore?: 'dont-know';
  language: string;
  languageGroup: 'khmer' | 'indigenous' | 'other';
  demographics: Demographics;
  ratedAt: Date;
  /**
   * When the same caller next rated the same indicator of the same service in the same commune
   * (that rating's ratedAt); absent on the latest. Kept by src/store/repeat-ratings.ts.
   */
  supersededAt?: Date;
  /** Set on ratings given on a staff "try the line" test call: reports must leave these out. */
  testCall?: true;
  /**
   * The place the caller said instead of a code (its RecordingSid; src/store/places-to-confirm.ts).
   * While `placeToConfirm` is set, the commune, district and province are '' and reports leave
   * the rating out (counting it apart); staff confirming the place fill them in and clear the flag.
   */
  spokenPlaceId?: string;
  placeToConfirm?: true;
  /** The facility rated (a programme-areas id, src/site/programme-areas.ts), where known. */
  facilityId?: string;
}

/**
 * CallSids of staff test calls (src/staff/try-the-line.ts) start with this. A carrier never
 * issues one: Twilio's are CA + 32 hex digits, Somleng's are UUIDs (hex digits and dashes).
 */
export const TEST_CALL_SID_PREFIX = 'CAtestline';

export function isTestCall(callSid: string): boolean {
  return callSid.startsWith(TEST_CALL_SID_PREFIX);
}

/** A rating of a place still to confirm is keyed by the place the caller said: its id stays when staff confirm the commune. */
export function ratingId(r: Pick<Rating, 'callSid' | 'communeCode' | 'service' | 'indicatorId' | 'spokenPlaceId' | 'facilityId'>): string {
  // The facility too: a caller who rates two schools of one commune in a call keeps both.
  return `${r.callSid}:${r.spokenPlaceId ? spokenPlaceKey(r.spokenPlaceId) : r.communeCode}:${r.service}:${r.indicatorId}${r.facilityId ? `:${r.facilityId}` : ''}`;
}

export class RatingsRepository {
  constructor(private readonly store: Store) {}
  get collection() {
    return this.store.collection<Rating>('ratings');
  }

  /**
   * Saves (or, on a retried turn, rewrites) a rating, then marks which of the caller's ratings
   * of that key it replaces. `mayReplace: false` (a caller who had never rated before this call)
   * skips that read: there is nothing earlier to replace.
   */
  async save(rating: Omit<Rating, '_id' | 'supersededAt' | 'testCall'>, opts: { mayReplace?: boolean } = {}): Promise<void> {
    const _id = ratingId(rating);
    const test = isTestCall(rating.callSid);
    await this.collection.updateOne({ _id }, { $set: { ...rating, ...(test ? { testCall: true as const } : {}) } }, { upsert: true, likelyNew: true });
    // A rating waiting for its place replaces nothing yet: its marks are made when staff confirm it.
    if (!test && !rating.placeToConfirm && opts.mayReplace !== false) await markRepeatsOf(this.collection, rating);
  }

  /** Demographics are asked after the ratings: stamp them on every rating of the call. */
  async setDemographicsForCall(callSid: string, demographics: Demographics, ratedKeys?: readonly string[]): Promise<void> {
    // By _id when the call's ratings are known, one update per rating in one bulk write: each is
    // found by the primary index. (An updateMany on `_id: {$in: …}` scanned the collection on the
    // test server: 10-18 ms with 50,000 ratings against 1.5 ms, three times per call.)
    // The engine's keys (FlowVars.rated) are commune:service:indicator[:facility], the tail of ratingId().
    if (!ratedKeys) {
      await this.collection.updateMany({ callSid }, { $set: { demographics } });
      return;
    }
    await this.collection.updateEachById(ratedKeys.map((key) => ({ _id: `${callSid}:${key}`, update: { $set: { demographics } } })));
  }

  forCall(callSid: string): Promise<Rating[]> {
    return this.collection.find({ callSid }, { sort: { ratedAt: 1 } });
  }
}
