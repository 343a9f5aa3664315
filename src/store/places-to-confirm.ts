import { DuplicateKeyError } from '../errors';
import { markRepeatsOf } from './repeat-ratings';
import type { Rating } from './ratings';
import { Filter, Store } from './store';

/**
 * Places callers said instead of a commune code ("I don't know the code": a Record in the call,
 * src/flow/engine.ts `place-record`). Each is kept here, keyed by the carrier's RecordingSid, as
 * "to confirm"; its audio travels the voice-message download pipeline (src/messages, as a
 * recording with callerChoice 'place', never listed as a message). The ratings and messages of
 * that call carry `spokenPlaceId` and an empty commune (ratings also `placeToConfirm: true`, so
 * reports leave them out and count them apart) until staff listen and pick the commune: then
 * `confirm` writes the commune onto them, and they count from then on.
 *
 * No transactions: `confirm` writes the ratings and messages first and the place last, so a
 * confirm interrupted half-way leaves the place "to confirm" and doing it again finishes it; a
 * rating saved after its place was confirmed takes the confirmed commune (`communeFor`).
 */

export type PlaceState = 'to-confirm' | 'confirmed';

export interface PlaceConfirmation {
  communeCode: string;
  /** The facility staff heard named (a programme-areas id), set on the place's ratings and messages of its service. */
  facilityId?: string;
  districtCode: string;
  provinceCode: string;
  /** Staff username. */
  by: string;
  at: Date;
}

export interface PlaceToConfirm {
  /** The carrier's RecordingSid of the caller saying the place. */
  _id: string;
  callSid: string;
  /** What the caller went on to do: rate or message. */
  purpose: string;
  language: string;
  state: PlaceState;
  createdAt: Date;
  confirmed?: PlaceConfirmation;
  /** A staff "try the line" call: never listed. */
  testCall?: true;
}

/** Ratings still waiting for staff to confirm their place carry this flag; reports count only those without it. */
export const PLACE_TO_CONFIRM_FIELD = 'placeToConfirm';

export class PlacesToConfirmRepository {
  constructor(private readonly store: Store) {}
  get collection() {
    return this.store.collection<PlaceToConfirm>('places_to_confirm');
  }

  /** The caller said the place (the call's effect; applying it again changes nothing). */
  async keepFromCall(p: { recordingSid: string; callSid: string; purpose: string; language: string; at: Date; testCall?: boolean }): Promise<void> {
    try {
      await this.collection.insertOne({
        _id: p.recordingSid, callSid: p.callSid, purpose: p.purpose, language: p.language, state: 'to-confirm', createdAt: p.at,
        ...(p.testCall ? { testCall: true as const } : {}),
      });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
  }

  find(id: string): Promise<PlaceToConfirm | null> {
    return this.collection.findOne({ _id: id, testCall: { $ne: true } });
  }

  /** One page of places in a state, oldest first (the longest waiting at the top). */
  async list(state: PlaceState, page: number, perPage: number): Promise<{ places: PlaceToConfirm[]; total: number }> {
    const query: Filter = { state, testCall: { $ne: true } };
    const [places, total] = await Promise.all([
      this.collection.find(query, { sort: { createdAt: state === 'to-confirm' ? 1 : -1, _id: 1 }, skip: (page - 1) * perPage, limit: perPage }),
      this.collection.countDocuments(query),
    ]);
    return { places, total };
  }

  /**
   * The commune a place was confirmed as, for a rating or message saved after staff confirmed it
   * (a late retry of a turn); null while it waits.
   */
  async communeFor(id: string): Promise<string | null> {
    const place = await this.collection.findOne({ _id: id });
    return place?.state === 'confirmed' && place.confirmed ? place.confirmed.communeCode : null;
  }

  /**
   * Staff picked the commune: the place's ratings and messages are moved to it (the ratings then
   * count, each caller's latest per key as everywhere), and the place is marked confirmed.
   * Returns false when there is no such place. Confirming again (a correction) moves them again.
   */
  async confirm(id: string, communeCode: string, by: string, at: Date, facility?: { id: string; service: string }): Promise<boolean> {
    const place = await this.find(id);
    if (!place) return false;
    const where = { communeCode, districtCode: communeCode.slice(0, 4), provinceCode: communeCode.slice(0, 2) };
    // The facility belongs to one service: only that service's ratings and messages are about it.
    const forFacility = facility ? { spokenPlaceId: id, service: facility.service } : null;
    const otherServices = facility ? { spokenPlaceId: id, service: { $ne: facility.service } } : { spokenPlaceId: id };
    const ratings = this.store.collection<Rating>('ratings');
    const keyFields = { projection: { callerId: 1, communeCode: 1, service: 1, indicatorId: 1, facilityId: 1 } } as const;
    // A correction moves ratings out of a commune: its repeat marks are recomputed as well.
    const before = place.state === 'confirmed' ? await ratings.find({ spokenPlaceId: id }, keyFields) : [];
    await ratings.updateMany(otherServices, { $set: where, $unset: { [PLACE_TO_CONFIRM_FIELD]: true, facilityId: true } });
    if (forFacility) await ratings.updateMany(forFacility, { $set: { ...where, facilityId: facility!.id }, $unset: { [PLACE_TO_CONFIRM_FIELD]: true } });
    // Now that they have a commune, a caller's repeated ratings of it count once, as any other.
    const moved = await ratings.find({ spokenPlaceId: id }, keyFields);
    for (const r of [...before, ...moved]) await markRepeatsOf(ratings, r);
    const messages = this.store.collection<{ _id: string }>('messages');
    await messages.updateMany(otherServices, { $set: where, $unset: { facilityId: true } });
    if (forFacility) await messages.updateMany(forFacility, { $set: { ...where, facilityId: facility!.id } });
    await this.collection.updateOne({ _id: id }, { $set: { state: 'confirmed', confirmed: { ...where, ...(facility ? { facilityId: facility.id } : {}), by, at } } });
    return true;
  }
}
