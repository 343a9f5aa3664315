import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { SKIPPED_CHECK } from '../../src/messages/recording-silence';
import { cancelAnswerCall } from '../../src/outbound/answer-cancellation';
import { callerIdFor } from '../../src/store/callers';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { acts, CarrierCall } from './carrier-model';
import { SomlengModel } from './somleng-model';

const CITIZEN = '+85512444556';
/** Send the message, then 1: "call me back with the answer". */
const SILENT_MESSAGE_WITH_OPT_IN = '1,3,120101,1,2,record:10:silent,1,1,hangup';

/**
 * Somleng serves a recording from two buckets: its raw-recordings bucket until ProcessRecording
 * has run (somleng app/controllers/twilio_api/recordings_controller.rb:31-36 and :49-51,
 * app/models/raw_recording_presigned_url.rb:9-13, RAW_RECORDINGS_BUCKET in config/app_settings.yml:18),
 * its uploads bucket after (recordings_controller.rb:28-29). The recording status callback is
 * sent only after that job (app/workflows/process_recording.rb:18-27), so while the caller is on
 * the line the audio is in the raw bucket. ./somleng-model.ts plays both buckets.
 */
describe(`Somleng's two recording buckets (${ENGINE} store)`, () => {
  let model: SomlengModel;
  let h: TestHotline;
  const start = async (mediaHosts: (m: SomlengModel) => string) => {
    model = new SomlengModel();
    await model.api.start();
    h = await startHotline({ ...model.env(), CARRIER_MEDIA_HOSTS: mediaHosts(model), OUTBOUND_CALLING_HOURS: '00:00-24:00' });
  };
  afterEach(async () => {
    await h?.stop();
    await model?.api.stop();
  });
  const warnings = () => h.logs.map((l) => JSON.parse(l) as { level: number; msg: string; fix?: string; err?: string }).filter((l) => l.level === 40);

  it('with only the uploads bucket listed, the in-call check is skipped as a warning naming the raw bucket; the silent message is dropped later and its answer call called off, its number erased', async () => {
    await start((m) => m.api.storageHost);
    const r = await new CarrierCall(model, h, acts(SILENT_MESSAGE_WITH_OPT_IN), { from: CITIZEN }).run();
    // The check could not reach the raw bucket: the caller was told the silence was saved.
    expect(r.heard).toContain('message.saved');
    expect(r.heard).not.toContain('error.noinput');
    const skipped = warnings().filter((l) => l.msg === SKIPPED_CHECK);
    expect(skipped).toHaveLength(1);
    expect(skipped[0].fix).toContain(`add ${model.api.rawRecordingsHost} to CARRIER_MEDIA_HOSTS`);
    expect(skipped[0].err).toContain(`redirected to http://${model.api.rawRecordingsHost}`);

    const [sid] = r.recordings;
    const [waiting] = await h.rt.outbound.queue.collection.find({ messageId: sid });
    expect(waiting).toMatchObject({ kind: 'message-answer', state: 'awaiting-answer', callerId: callerIdFor(CITIZEN, h.config.callerHashSecret) });
    expect(waiting.sealedNumber).toBeTruthy();

    // After processing (the status callback came), the download goes to the uploads bucket, hears silence, and drops it.
    expect(await recordingDownloadWorkerFor(h.rt).drain()).toEqual([{ recordingSid: sid, outcome: 'silent' }]);
    expect(await h.rt.messages.find(sid)).toMatchObject({ callerChoice: 'discarded', silent: true });
    const ended = await h.rt.outbound.queue.find(waiting._id);
    expect(ended).toMatchObject({ state: 'abandoned', outcome: 'refused', activeKey: `ended:${waiting._id}` });
    expect(ended?.sealedNumber).toBeUndefined();
    expect(ended?.history.map((e) => e.status)).toEqual(['message-discarded']);
    // Nothing is left for staff to answer, so no call can be placed for it.
    expect(await h.rt.outbound.queue.queueAnswer(sid, { promptId: 'answer.standard.resolved' }, 'rev1')).toBe(false);
  });

  it('with both buckets listed (as README says), the silence is heard during the call from the raw bucket and the caller is asked again', async () => {
    await start((m) => `${m.api.storageHost},${m.api.rawRecordingsHost}`);
    const r = await new CarrierCall(model, h, acts('1,3,120101,1,2,record:10:silent,record:9,1,2,hangup'), { from: CITIZEN }).run();
    expect(r.heard.filter((id) => id === 'error.noinput')).toHaveLength(1);
    expect(r.heard).toContain('message.saved');
    expect(model.api.requests.some((q) => q.host === model.api.rawRecordingsHost && q.status === 200)).toBe(true);
    expect(warnings().filter((l) => l.msg === SKIPPED_CHECK)).toEqual([]);
  });
});

describe(`a message staff dismiss gets no answer call (${ENGINE} store)`, () => {
  let model: SomlengModel;
  let h: TestHotline;
  beforeEach(async () => {
    model = new SomlengModel();
    await model.api.start();
    h = await startHotline({ ...model.env(), OUTBOUND_CALLING_HOURS: '00:00-24:00' });
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h?.stop();
    await model?.api.stop();
  });

  it('dismissing it calls off the caller\'s opt-in and erases their number, and the audit log says so', async () => {
    const r = await new CarrierCall(model, h, acts('1,3,120101,1,2,record:10,1,1,hangup'), { from: CITIZEN }).run();
    const [sid] = r.recordings;
    const [waiting] = await h.rt.outbound.queue.collection.find({ messageId: sid });
    expect(waiting?.state).toBe('awaiting-answer');
    const staff = await new StaffClient(h).signedIn('rev1');
    // Another state keeps the opt-in; dismissing ends it (once the reviewer confirms it should).
    expect((await staff.post(`/staff/messages/${sid}/review`, { version: '0', state: 'in-review' })).status).toBe(303);
    expect((await h.rt.outbound.queue.find(waiting._id))?.state).toBe('awaiting-answer');
    expect((await staff.post(`/staff/messages/${sid}/review`, { version: '1', state: 'dismissed', confirm: 'cancel-answer-call' })).status).toBe(303);
    const ended = await h.rt.outbound.queue.find(waiting._id);
    expect(ended).toMatchObject({ state: 'abandoned', outcome: 'refused' });
    expect(ended?.sealedNumber).toBeUndefined();
    expect(ended?.history[0]).toMatchObject({ status: 'message-discarded', detail: 'message dismissed by rev1' });
    const audit = await h.store.collection<{ _id: string; action: string; messageId?: string; detail?: Record<string, unknown> }>('staff_audit').find({ messageId: sid, action: 'change-state' });
    expect(audit.map((e) => e.detail?.answerCall)).toContain('cancelled');
  });

  it('bulk dismissal calls off the opt-in too; an answer call already ringing is left to finish', async () => {
    const a = await new CarrierCall(model, h, acts('1,3,120101,1,2,record:10,1,1,hangup'), { from: CITIZEN }).run();
    const b = await new CarrierCall(model, h, acts('1,3,120101,1,2,record:11,1,1,hangup'), { from: '+85512444557' }).run();
    const entryOf = async (sid: string) => (await h.rt.outbound.queue.collection.find({ messageId: sid }))[0];
    const ringing = await entryOf(b.recordings[0]);
    await h.rt.outbound.queue.collection.updateOne({ _id: ringing._id }, { $set: { state: 'ringing' } });
    const staff = await new StaffClient(h).signedIn('rev1');
    expect((await staff.post('/staff/messages/bulk-state', { state: 'dismissed', id: a.recordings[0], confirm: 'cancel-answer-call' })).status).toBe(303);
    // A call already ringing is not stopped half-way: its entry (and number) stay until it ends.
    expect(await cancelAnswerCall(h.rt.outbound.queue, b.recordings[0], 'test')).toBe('under-way');
    expect((await h.rt.outbound.queue.find(ringing._id))?.sealedNumber).toBeTruthy();
    const first = await entryOf(a.recordings[0]);
    expect(first).toMatchObject({ state: 'abandoned' });
    expect(first.sealedNumber).toBeUndefined();
  });
});
