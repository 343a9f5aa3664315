import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';
import { StepCaller } from './fault-support';

/**
 * Carriers retry webhooks they got no answer to, send status and recording callbacks more than
 * once and in any order, and sometimes call back about calls this app never answered. None of
 * that may duplicate, rewind or lose anything.
 */
describe(`the carrier retries and reorders its requests (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  const recordingUrl = (sid: string) => `https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/${sid}`;

  it('when the incoming webhook is retried, the caller hears the same answer and the call exists once', async () => {
    const caller = new StepCaller(h.simulator({ from: '+85512001001' }));
    await caller.dial();
    const first = caller.lastBody;
    await caller.dial();
    expect(caller.lastBody).toBe(first);
    expect(await h.store.collection('calls').countDocuments({ _id: caller.callSid })).toBe(1);
    expect(await h.store.collection('callers').countDocuments({})).toBe(1);
  });

  it('when a key press is retried, the answer is the same, the rating is saved once and the call is not advanced twice', async () => {
    const caller = new StepCaller(h.simulator({ from: '+85512001002' }));
    await caller.dial();
    await caller.pressAll(['1', '2', '120101', '1', '2', '1']);
    const url = caller.nextAction!;
    const answer = await caller.press('4', url);
    const body = caller.lastBody;
    const nextAction = caller.nextAction!;
    expect(answer).toContain('indicator.health.waiting-time');

    await caller.press('4', url);
    expect(caller.lastBody).toBe(body);
    // A retry that arrives with other digits (a corrupted copy) changes nothing either.
    await caller.press('1', url);
    expect(caller.lastBody).toBe(body);

    expect(await caller.press('5', nextAction)).toContain('indicator.health.medicines');
    const ratings = await h.rt.ratings.forCall(caller.callSid);
    expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4], ['waiting-time', 5]]);
  });

  it('when status callbacks come twice and out of order, the final status and duration stand', async () => {
    const caller = new StepCaller(h.simulator({ from: '+85512001003' }));
    await caller.dial();
    const t = { callSid: caller.callSid };
    const sim = caller.sim;
    const post = (status: string, duration?: string) =>
      sim.post('/voice/status', { CallSid: t.callSid, CallStatus: status, ...(duration ? { CallDuration: duration } : {}) });
    for (const [status, duration] of [['completed', '42'], ['in-progress', undefined], ['ringing', undefined], ['completed', '42'], ['in-progress', '3']] as const) {
      expect((await post(status, duration)).status).toBe(204);
    }
    expect(await h.rt.calls.findStatus(t.callSid)).toMatchObject({ status: 'completed', durationSeconds: 42 });
    expect(await h.store.collection('call_status').countDocuments({ _id: t.callSid })).toBe(1);
  });

  it('when a status callback names a call this app never saw, it is acknowledged and no call is invented', async () => {
    const sim = h.simulator({ callSid: 'CA00000000000000000000000000000bad' });
    const res = await sim.post('/voice/status', { CallSid: sim.callSid, CallStatus: 'completed', CallDuration: '9' });
    expect(res.status).toBe(204);
    expect(await h.rt.calls.find(sim.callSid)).toBeNull();
  });

  it('when a turn arrives for a call this app never saw (its record lost), the caller is started afresh instead of refused', async () => {
    const caller = new StepCaller(h.simulator({ from: '+85512001004' }));
    const heard = await caller.press('1', `${h.url}/voice/turn?t=5&l=km`);
    expect(caller.lastStatus).toBe(200);
    expect(heard.slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
    expect(await h.rt.calls.find(caller.callSid)).toMatchObject({ turn: 1 });
  });

  it('when recording callbacks come before the caller presses send, twice, and out of order, one message is kept with its download queued once', async () => {
    const caller = new StepCaller(h.simulator({ from: '+85512001005' }));
    await caller.dial();
    // Khmer, leave a message, commune 120101, confirm, health centre: the recording starts.
    await caller.pressAll(['1', '3', '120101', '1']);
    const heard = await caller.press('2');
    expect(heard).toContain('message.intro');
    const recordAction = caller.nextAction!;
    const recordingSid = 'RE0123456789abcdef0123456789abcdef';
    const callback = (status: string) => caller.sim.post('/voice/recording-status', {
      CallSid: caller.callSid, RecordingSid: recordingSid, RecordingUrl: recordingUrl(recordingSid), RecordingStatus: status, RecordingDuration: '14',
    });

    expect((await callback('completed')).status).toBe(204);
    expect((await callback('completed')).status).toBe(204);
    expect((await callback('in-progress')).status).toBe(204);

    const afterRecord = await caller.sim.post(recordAction, {
      CallSid: caller.callSid, From: '+85512001005', RecordingSid: recordingSid, RecordingUrl: recordingUrl(recordingSid), RecordingDuration: '14', Digits: '#',
    });
    expect(afterRecord.status).toBe(200);
    caller.lastBody = afterRecord.body;
    expect(caller.heard()).toContain('message.confirm');
    const confirmAction = /<Gather action="([^"]+)"/.exec(afterRecord.body)![1].replace(/&amp;/g, '&');
    expect(await caller.press('1', confirmAction)).toContain('message.saved');
    expect((await callback('completed')).status).toBe(204);

    const messages = await h.store.collection<any>('messages').find({ callSid: caller.callSid });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ _id: recordingSid, callerChoice: 'sent', communeCode: '120101', service: 'health' });
    expect(messages[0].download).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('when a recording callback names a call and a recording this app never saw, it is kept for staff and nothing else is invented', async () => {
    const sim = h.simulator({ callSid: 'CA11111111111111111111111111111111' });
    const recordingSid = 'RE11111111111111111111111111111111';
    const post = () => sim.post('/voice/recording-status', {
      CallSid: sim.callSid, RecordingSid: recordingSid, RecordingUrl: recordingUrl(recordingSid), RecordingStatus: 'completed', RecordingDuration: '7',
    });
    expect((await post()).status).toBe(204);
    expect((await post()).status).toBe(204);
    expect(await h.store.collection('messages').countDocuments({ _id: recordingSid })).toBe(1);
    expect(await h.rt.calls.find(sim.callSid)).toBeNull();
  });

  it('a whole rating call whose every request is sent twice ends with exactly one rating per indicator', async () => {
    const sim = h.simulator({ from: '+85512001006' });
    const original = sim.post.bind(sim);
    // The carrier sends each request, never hears back, and sends it again.
    sim.post = async (url, params) => {
      await original(url, params);
      return original(url, params);
    };
    const t = await sim.run(parseScript('1,2,120101,1,3,1,4,4,3,2,5,1,1,3,3,2,0,hangup'));
    expect(t.errors).toEqual([]);
    expect(ids(t)).toContain('rate.thanks');
    const ratings = await h.rt.ratings.forCall(t.callSid);
    expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([
      ['teacher-attendance', 4], ['teaching-quality', 4], ['informal-fees', 3], ['facilities', 2], ['parent-information', 5],
    ]);
    expect(ratings.every((r) => r.demographics.gender === 'woman' && r.demographics.disability === 'unstated')).toBe(true);
  });
});
