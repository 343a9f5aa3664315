import { parseScript } from '../../src/simulator/call-simulator';
import { ratingsWaitingForPlace } from '../../src/reports/places-waiting';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { MessageQueries, StaffVisibleMessage } from '../../src/messages/message-queries';
import { AuditEntry } from '../../src/staff/audit-log';
import { PlaceToConfirm } from '../../src/store/places-to-confirm';
import { Rating } from '../../src/store/ratings';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient, toneWav } from './staff-support';

/**
 * A caller who does not know the commune code, through the real webhooks (signed, as the carrier
 * sends them): * at code entry, the place said after the beep, the rating goes on; the ratings
 * wait out of every figure until a reviewer listens on /staff/places-to-confirm and picks the
 * commune, which is audited; then they count for that commune.
 */

const PLACE = 'RE0000000000000000000000000000c001';

describe(`a place said instead of a code, confirmed by staff (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
  });
  afterEach(async () => {
    await h.stop();
  });

  const period = () => {
    const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 31 * 3600 * 1000).toISOString().slice(0, 10);
    return parsePeriod('2026-01-01', tomorrow > today ? tomorrow : today);
  };

  /** Language 1, rate 2, * at code entry, the place said, service 1, then answers (1 is a score, or "yes, I used it", either way the rating goes on). */
  const callWithoutCode = () => h.call([
    ...parseScript('1,2,*'),
    { type: 'record', seconds: 6, recordingSid: PLACE },
    ...parseScript('1,1,4,4,4,4,4,4,4,4,hangup'),
  ]);

  it('the caller says the place and rates; the ratings wait for staff and count nowhere, the recording is no message', async () => {
    const t = await callWithoutCode();
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    expect(heard).toContain('rate.place.say');
    expect(heard.indexOf('rate.place.saved')).toBeGreaterThan(heard.indexOf('rate.place.say'));
    expect(heard.indexOf('rate.service.menu')).toBeGreaterThan(heard.indexOf('rate.place.saved'));

    expect(await h.store.collection<PlaceToConfirm>('places_to_confirm').find({})).toEqual([
      expect.objectContaining({ _id: PLACE, callSid: t.callSid, purpose: 'rate', language: 'km', state: 'to-confirm' }),
    ]);
    const saved = await h.store.collection<Rating>('ratings').find({ callSid: t.callSid });
    expect(saved.length).toBeGreaterThan(0);
    for (const r of saved) expect(r).toMatchObject({ communeCode: '', provinceCode: '', spokenPlaceId: PLACE, placeToConfirm: true });
    // Its audio comes through the recording pipeline (the status callback queued it), but it is not a voice message.
    expect((await h.simulator({ callSid: t.callSid }).sendRecordingStatus(PLACE, 6)).status).toBe(204);
    const audio = await h.rt.messages.find(PLACE);
    expect(audio).toMatchObject({ callerChoice: 'place', download: { state: 'queued' } });
    // No reference number is spent on it: that is read back for voice messages only.
    expect(audio?.referenceNumber ?? '').toBe('');
    expect((await h.store.collection<{ _id: string; value: number }>('counters').findOne({ _id: 'message-reference' }))?.value ?? 0).toBe(0);
    expect((await new MessageQueries(h.store.collection<StaffVisibleMessage>('messages')).list({}, 1, 20)).total).toBe(0);
    expect((await RatingScope.of(h.store, period()).countBy(['service'])).length).toBe(0);
    expect(await ratingsWaitingForPlace(h.store, period())).toMatchObject({ ratings: saved.length, callers: 1, status: 'too-few' });
  });

  it('a reviewer listens and picks the commune: audited, and the ratings count for that commune from then on', async () => {
    const t = await callWithoutCode();
    const saved = await h.store.collection<Rating>('ratings').find({ callSid: t.callSid });
    // The worker's part, done here: the recording stored.
    await h.store.files.write(`recording-${PLACE}.wav`, toneWav(2), {});
    await h.store.collection('messages').updateOne({ _id: PLACE }, { $set: { 'download.state': 'stored', 'download.fileId': `recording-${PLACE}.wav`, 'download.contentType': 'audio/wav' } });

    const rev = await new StaffClient(h).signedIn('rev1');
    const { res, text } = await rev.page('/staff/places-to-confirm');
    expect(res.status).toBe(200);
    expect(text).toContain('Places to confirm');
    expect(text).toContain(`/staff/places-to-confirm/${PLACE}/audio`);
    expect(text).toContain(`Ratings that wait for this place: ${saved.length}.`);

    const play = await rev.request(`/staff/places-to-confirm/${PLACE}/audio`, { headers: { range: 'bytes=0-' } });
    expect(play.status).toBe(206);
    expect(play.headers.get('content-type')).toBe('audio/wav');

    const refused = await rev.post(`/staff/places-to-confirm/${PLACE}/confirm`, { code: '999999' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Choose the commune');
    // No facility of the programme serves 120101 (the shipped sample is in the test's settings, not offered to callers).
    const wrongFacility = await rev.post(`/staff/places-to-confirm/${PLACE}/confirm`, { code: '120101', facility: 'no-such-facility' });
    expect(wrongFacility.status).toBe(400);
    expect(await rev.request('/staff/places-to-confirm').then((r) => r.text())).toContain('Ratings that wait for this place');

    const done = await rev.post(`/staff/places-to-confirm/${PLACE}/confirm`, { province: '12', district: '1201', commune: '120101', back: '/staff/places-to-confirm?' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/staff/places-to-confirm?confirmed=1');

    for (const r of await h.store.collection<Rating>('ratings').find({ callSid: t.callSid })) {
      expect(r).toMatchObject({ communeCode: '120101', districtCode: '1201', provinceCode: '12' });
      expect(r.placeToConfirm).toBeUndefined();
    }
    const counted = await RatingScope.of(h.store, period(), { communes: ['120101'] }).countBy(['communeCode']);
    expect(counted[0].counts.reduce((a, b) => a + b, 0)).toBe(saved.length);
    expect(await ratingsWaitingForPlace(h.store, period())).toMatchObject({ ratings: 0, status: 'none' });

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({});
    const actions = audit.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['list-places', 'play-place', 'confirm-place']));
    expect(audit.find((e) => e.action === 'confirm-place')).toMatchObject({ username: 'rev1', detail: { place: PLACE, commune: '120101' } });

    const after = await rev.page('/staff/places-to-confirm?state=confirmed');
    expect(after.text).toContain('Confirmed as');
    expect(after.text).toContain('Tonle Basak');
  });

  it('a viewer cannot list or confirm places, and nothing changes', async () => {
    await callWithoutCode();
    const viewer = await new StaffClient(h).signedIn('view1');
    expect((await viewer.request('/staff/places-to-confirm')).status).toBe(403);
    expect((await viewer.post(`/staff/places-to-confirm/${PLACE}/confirm`, { code: '120101' })).status).toBe(403);
    expect(await h.rt.places.find(PLACE)).toMatchObject({ state: 'to-confirm' });
  });

  it('the whole country\'s report says how many ratings wait for a place once enough callers stand behind the number', async () => {
    // Five callers' ratings waiting for their places, as calls leave them (the call itself is the first test's).
    for (let i = 0; i < 5; i++) {
      await h.rt.ratings.save({
        callSid: `CA-waiting-${i}`, callerId: `caller-${i}`, communeCode: '', districtCode: '', provinceCode: '', spokenPlaceId: `RE0000000000000000000000000000d00${i}`, placeToConfirm: true,
        service: 'health', indicatorId: 'staff-attitude', score: 4, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: new Date(),
      });
    }
    const waiting = await ratingsWaitingForPlace(h.store, period());
    expect(waiting).toMatchObject({ callers: 5, status: 'shown' });
    const rev = await new StaffClient(h).signedIn('rev1');
    const { text } = await rev.page(`/staff/reports?from=2026-01-01&to=${period().label.to}`);
    expect(text).toContain(`${waiting.ratings} ratings of this period wait for a place`);
  });
});
