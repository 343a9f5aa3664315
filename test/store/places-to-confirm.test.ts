import { ratingsWaitingForPlace } from '../../src/reports/places-waiting';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { MessagesRepository } from '../../src/messages/messages';
import { MessageQueries, StaffVisibleMessage } from '../../src/messages/message-queries';
import { PlacesToConfirmRepository } from '../../src/store/places-to-confirm';
import { Rating, RatingsRepository } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

/**
 * Places callers said instead of a code, and their ratings: kept apart (no commune, out of every
 * figure, counted as waiting) until staff confirm the commune, then counted like any other.
 */

const PERIOD = parsePeriod('2026-03-01', '2026-04-01');
const at = (day: number, minute = 0) => new Date(Date.UTC(2026, 2, day, 3, minute));

describe(`places to confirm (${ENGINE} store)`, () => {
  let store: Store;
  let places: PlacesToConfirmRepository;
  let ratings: RatingsRepository;

  beforeEach(async () => {
    store = await openTestStore();
    places = new PlacesToConfirmRepository(store);
    ratings = new RatingsRepository(store);
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  /** A rating as src/calls/call-turns.ts saves one about a place still to confirm. */
  const waitingRating = (o: { callSid: string; callerId: string; place: string; indicatorId: string; score: number; ratedAt: Date }) =>
    ratings.save({
      callSid: o.callSid, callerId: o.callerId, communeCode: '', districtCode: '', provinceCode: '', spokenPlaceId: o.place, placeToConfirm: true,
      service: 'health', indicatorId: o.indicatorId, score: o.score, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: o.ratedAt,
    });
  const communeRating = (o: { callSid: string; callerId: string; communeCode: string; indicatorId: string; score: number; ratedAt: Date }) =>
    ratings.save({
      callSid: o.callSid, callerId: o.callerId, communeCode: o.communeCode, districtCode: o.communeCode.slice(0, 4), provinceCode: o.communeCode.slice(0, 2),
      service: 'health', indicatorId: o.indicatorId, score: o.score, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: o.ratedAt,
    });
  const countsIn = async (communeCode: string) => (await RatingScope.of(store, PERIOD, { communes: [communeCode] }).countBy(['communeCode']))[0]?.counts ?? [0, 0, 0, 0, 0];
  const national = async () => (await RatingScope.of(store, PERIOD).countBy(['service']))[0]?.counts ?? [0, 0, 0, 0, 0];

  it('keeping a place twice (a retried turn) keeps one, as it was first kept', async () => {
    await places.keepFromCall({ recordingSid: 'RE-place-0000000001', callSid: 'CA-1', purpose: 'rate', language: 'km', at: at(2) });
    await places.keepFromCall({ recordingSid: 'RE-place-0000000001', callSid: 'CA-1', purpose: 'rate', language: 'km', at: at(3) });
    const { places: listed, total } = await places.list('to-confirm', 1, 20);
    expect(total).toBe(1);
    expect(listed[0]).toMatchObject({ _id: 'RE-place-0000000001', callSid: 'CA-1', state: 'to-confirm', createdAt: at(2) });
  });

  it('a test call\'s place is never listed', async () => {
    await places.keepFromCall({ recordingSid: 'RE-place-0000000009', callSid: 'CAtestline-1', purpose: 'rate', language: 'km', at: at(2), testCall: true });
    expect((await places.list('to-confirm', 1, 20)).total).toBe(0);
  });

  it('ratings waiting for their place are in no figure, even the national one, and are counted apart', async () => {
    await places.keepFromCall({ recordingSid: 'RE-place-0000000002', callSid: 'CA-2', purpose: 'rate', language: 'km', at: at(2) });
    for (let i = 0; i < 6; i++) {
      await waitingRating({ callSid: `CA-w${i}`, callerId: `caller-${i}`, place: 'RE-place-0000000002', indicatorId: 'staff-attitude', score: 2, ratedAt: at(2, i) });
    }
    await waitingRating({ callSid: 'CA-w0', callerId: 'caller-0', place: 'RE-place-0000000002', indicatorId: 'cleanliness', score: 3, ratedAt: at(2, 9) });
    expect(await national()).toEqual([0, 0, 0, 0, 0]);
    expect(await ratingsWaitingForPlace(store, PERIOD)).toEqual({ ratings: 7, callers: 6, status: 'shown' });
    // The same rule as every figure: fewer callers than the threshold, and the number is not given.
    expect(await ratingsWaitingForPlace(store, PERIOD, 7)).toEqual({ ratings: 7, callers: 6, status: 'too-few' });
    expect(await ratingsWaitingForPlace(store, parsePeriod('2026-04-01', '2026-05-01'))).toEqual({ ratings: 0, callers: 0, status: 'none' });
  });

  it('confirming moves the place\'s ratings and messages to the commune: they count there from then on, and no longer wait', async () => {
    const place = 'RE-place-0000000003';
    await places.keepFromCall({ recordingSid: place, callSid: 'CA-3', purpose: 'rate', language: 'km', at: at(4) });
    await waitingRating({ callSid: 'CA-3', callerId: 'caller-a', place, indicatorId: 'staff-attitude', score: 5, ratedAt: at(4, 1) });
    await waitingRating({ callSid: 'CA-3', callerId: 'caller-a', place, indicatorId: 'cleanliness', score: 4, ratedAt: at(4, 2) });
    const messages = new MessagesRepository(store);
    await messages.saveFromCall({
      callSid: 'CA-3', communeCode: '', spokenPlaceId: place, service: 'health', language: 'km', at: at(4, 3),
      recording: { recordingSid: 'RE-message-00000003', recordingUrl: 'https://carrier.example/x', durationSeconds: 9, referenceNumber: '100001' },
    });
    expect(await countsIn('120101')).toEqual([0, 0, 0, 0, 0]);

    expect(await places.confirm(place, '120101', 'reviewer1', at(5))).toBe(true);
    expect(await countsIn('120101')).toEqual([0, 0, 0, 1, 1]);
    expect(await ratingsWaitingForPlace(store, PERIOD)).toMatchObject({ ratings: 0, status: 'none' });
    const moved = await store.collection<Rating>('ratings').find({ spokenPlaceId: place });
    expect(moved.map((r) => [r.communeCode, r.districtCode, r.provinceCode, r.placeToConfirm])).toEqual([
      ['120101', '1201', '12', undefined], ['120101', '1201', '12', undefined],
    ]);
    expect(await messages.find('RE-message-00000003')).toMatchObject({ communeCode: '120101', districtCode: '1201', provinceCode: '12' });
    expect(await places.find(place)).toMatchObject({ state: 'confirmed', confirmed: { communeCode: '120101', by: 'reviewer1', at: at(5) } });
    expect(await places.communeFor(place)).toBe('120101');
    expect((await places.list('to-confirm', 1, 20)).total).toBe(0);
    expect((await places.list('confirmed', 1, 20)).total).toBe(1);
  });

  it('once confirmed, a caller\'s repeated rating counts once, and a correction moves it (and mends the commune it left)', async () => {
    const place = 'RE-place-0000000004';
    // The caller rated commune 120101 by code on the 6th, and the same indicator from a place said on the 8th.
    await communeRating({ callSid: 'CA-earlier', callerId: 'caller-b', communeCode: '120101', indicatorId: 'staff-attitude', score: 1, ratedAt: at(6) });
    await places.keepFromCall({ recordingSid: place, callSid: 'CA-4', purpose: 'rate', language: 'km', at: at(8) });
    await waitingRating({ callSid: 'CA-4', callerId: 'caller-b', place, indicatorId: 'staff-attitude', score: 5, ratedAt: at(8, 1) });
    // Waiting, it replaces nothing: the earlier rating still counts.
    expect(await countsIn('120101')).toEqual([1, 0, 0, 0, 0]);

    await places.confirm(place, '120101', 'reviewer1', at(9));
    expect(await countsIn('120101')).toEqual([0, 0, 0, 0, 1]);

    // Staff heard it again: it was 120102. The earlier rating counts again in 120101.
    await places.confirm(place, '120102', 'reviewer2', at(10));
    expect(await countsIn('120101')).toEqual([1, 0, 0, 0, 0]);
    expect(await countsIn('120102')).toEqual([0, 0, 0, 0, 1]);
    expect(await places.find(place)).toMatchObject({ confirmed: { communeCode: '120102', by: 'reviewer2' } });
  });

  it('two places said by one caller are not taken for the same commune: each rating counts where its place is confirmed', async () => {
    await waitingRating({ callSid: 'CA-6', callerId: 'caller-c', place: 'RE-place-0000000006', indicatorId: 'staff-attitude', score: 2, ratedAt: at(12) });
    await waitingRating({ callSid: 'CA-7', callerId: 'caller-c', place: 'RE-place-0000000007', indicatorId: 'staff-attitude', score: 4, ratedAt: at(13) });
    for (const id of ['RE-place-0000000006', 'RE-place-0000000007']) await places.keepFromCall({ recordingSid: id, callSid: 'CA-x', purpose: 'rate', language: 'km', at: at(12) });
    await places.confirm('RE-place-0000000006', '120101', 'reviewer1', at(14));
    expect(await countsIn('120101')).toEqual([0, 1, 0, 0, 0]);
    await places.confirm('RE-place-0000000007', '120102', 'reviewer1', at(14));
    expect(await countsIn('120101')).toEqual([0, 1, 0, 0, 0]);
    expect(await countsIn('120102')).toEqual([0, 0, 0, 1, 0]);
  });

  it('a facility staff heard named is set on the ratings of its service only, and a correction without one clears it', async () => {
    const place = 'RE-place-0000000008';
    await places.keepFromCall({ recordingSid: place, callSid: 'CA-8', purpose: 'rate', language: 'km', at: at(15) });
    await waitingRating({ callSid: 'CA-8', callerId: 'caller-d', place, indicatorId: 'staff-attitude', score: 3, ratedAt: at(15, 1) });
    await ratings.save({
      callSid: 'CA-8', callerId: 'caller-d', communeCode: '', districtCode: '', provinceCode: '', spokenPlaceId: place, placeToConfirm: true,
      service: 'school', indicatorId: 'teacher-attendance', score: 4, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: at(15, 2),
    });
    await places.confirm(place, '080101', 'reviewer1', at(16), { id: 'hc-ampov-prey', service: 'health' });
    const byService = async () => Object.fromEntries((await store.collection<Rating>('ratings').find({ spokenPlaceId: place })).map((r) => [r.service, [r.communeCode, r.facilityId]]));
    expect(await byService()).toEqual({ health: ['080101', 'hc-ampov-prey'], school: ['080101', undefined] });
    expect(await places.find(place)).toMatchObject({ confirmed: { communeCode: '080101', facilityId: 'hc-ampov-prey' } });
    await places.confirm(place, '080101', 'reviewer2', at(17));
    expect(await byService()).toEqual({ health: ['080101', undefined], school: ['080101', undefined] });
  });

  it('confirming a place that does not exist changes nothing', async () => {
    expect(await places.confirm('RE-no-such-place-01', '120101', 'reviewer1', at(5))).toBe(false);
  });

  it('the audio of a place is kept like a message\'s but never listed among messages', async () => {
    const messages = new MessagesRepository(store);
    // The carrier's callback may come first: it makes an "unknown" message, which the call then marks as a place.
    await messages.recordCarrierCallback({ recordingSid: 'RE-place-0000000005', recordingUrl: 'https://carrier.example/r', status: 'completed', durationSeconds: 4, callSid: 'CA-5' });
    await messages.keepPlaceRecording('CA-5', 'RE-place-0000000005', 'km', at(11));
    const doc = await messages.find('RE-place-0000000005');
    expect(doc).toMatchObject({ callerChoice: 'place', download: { state: 'queued' } });
    expect(doc?.review).toBeUndefined();
    const queries = new MessageQueries(store.collection<StaffVisibleMessage>('messages'));
    expect((await queries.list({}, 1, 20)).total).toBe(0);
    expect(await queries.find('RE-place-0000000005')).toBeNull();
  });
});
