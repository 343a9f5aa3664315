import { parseScript } from '../../src/simulator/call-simulator';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { AuditLog } from '../../src/staff/audit-log';
import { callerIdFor } from '../../src/store/callers';
import { ENGINE } from '../support/engine';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { ids, startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient, toneWav } from '../staff/staff-support';

const FROM = '+85523900900';
const CITIZEN = '+85512444555';
const RECORDING = 'RE00000000000000000000000000000042';

describe(`closing the loop on a voice message (${ENGINE})`, () => {
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrierCalls('ACtest', TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_CALLING_HOURS: '00:00-24:00' });
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  const leaveMessage = (optIn: '1' | '2') => h.call([
    ...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 10, recordingSid: RECORDING }, ...parseScript(`1,${optIn},hangup`),
  ], { from: CITIZEN });

  it('2 (no): nothing is kept, nobody is called', async () => {
    const t = await leaveMessage('2');
    expect(ids(t)).toContain('message.answer.ask');
    expect(await h.rt.outbound.queue.collection.countDocuments({})).toBe(0);
  });

  it('1 (yes): staff choose a recorded answer, the hotline calls in the caller\'s language with * to repeat, and the outcome is on the message and in the audit log', async () => {
    const t = await leaveMessage('1');
    expect(ids(t)).toContain('message.answer.yes');
    const [waiting] = await h.rt.outbound.queue.collection.find({});
    expect(waiting).toMatchObject({ kind: 'message-answer', state: 'awaiting-answer', messageId: RECORDING, language: 'km', callerId: callerIdFor(CITIZEN, h.config.callerHashSecret) });
    expect(h.rt.outbound.queue.numberOf(waiting)).toBe(CITIZEN);
    const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN }) });
    expect(await worker.placeNext()).toBe('idle'); // not before staff answer

    const staff = await new StaffClient(h).signedIn('rev1');
    const page = await staff.page('/staff/outbound');
    expect(page.text).toContain(`message <code>${RECORDING}</code>`);
    expect((await staff.post('/staff/outbound/answer', { messageId: RECORDING, answer: 'answer.standard.resolved' })).status).toBe(303);
    expect((await h.rt.messages.find(RECORDING))?.review?.state).toBe('resolved');
    expect((await staff.post('/staff/outbound/answer', { messageId: RECORDING, answer: 'answer.standard.resolved' })).status).toBe(409);

    expect(await worker.placeNext()).toBe('placed');
    const call = carrier.calls[0];
    expect(call.to).toBe(CITIZEN);
    expect(call.url).toBe(`${h.url}/voice/answer?e=${waiting._id}`);
    const twiml = await carrier.answer(call);
    const reference = (await h.rt.messages.find(RECORDING))!.referenceNumber;
    const played = [...twiml.matchAll(/<Play>[^<]*\/audio\/(\w+)\/([^<]+)\.wav<\/Play>/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(played).toEqual(['km/answer.intro', ...[...reference].map((d) => `km/digit.${d}`), 'km/answer.standard.resolved', 'km/answer.repeat']);
    expect(twiml).toContain(`action="${h.url}/voice/answer?e=${waiting._id}&amp;k=1"`);
    // * plays it again; any other key says goodbye.
    const post = async (query: string, digits: string) => {
      const { signWebhook } = await import('../../src/telephony/signature');
      const url = `${h.url}/voice/answer?e=${waiting._id}${query}`;
      const params = { CallSid: call.sid, Digits: digits, Direction: 'outbound-api' };
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signWebhook(TEST_AUTH_TOKEN, url, params) }, body: new URLSearchParams(params).toString() });
      return r.text();
    };
    expect(await post('&k=1', '*')).toContain('answer.standard.resolved');
    expect(await post('&k=1', '5')).toMatch(/goodbye\.wav<\/Play><Hangup\/>/);

    await carrier.finish(call, 'completed');
    const entry = await h.rt.outbound.queue.find(waiting._id);
    expect(entry).toMatchObject({ state: 'completed', outcome: 'answered' });
    expect(entry?.sealedNumber).toBeUndefined();
    expect((await h.rt.messages.find(RECORDING))?.answerCall).toMatchObject({ outcome: 'answered', attempts: 1, answerPromptId: 'answer.standard.resolved' });
    const { entries } = await new AuditLog(h.store).page({ messageId: RECORDING }, 1, 20);
    expect(entries.map((e) => [e.username, e.action])).toEqual(expect.arrayContaining([['rev1', 'answer-call-queued'], ['hotline', 'answer-call']]));
    const detail = await staff.page(`/staff/messages/${RECORDING}`);
    expect(detail.text).toMatch(/Answer call<\/dt><dd>answered after 1 call/);
  });

  it('a staff member records a short answer in the browser: it is converted for the telephone and played, only during that call', async () => {
    await leaveMessage('1');
    const staff = await new StaffClient(h).signedIn('rev1');
    const page = await staff.page('/staff/outbound');
    expect(page.text).toContain('answer-recorder.js');
    expect(page.res.headers.get('permissions-policy')).toContain('microphone=(self)');
    const upload = (body: Buffer) => fetch(`${h.url}/staff/outbound/answer-recording?messageId=${RECORDING}`, {
      method: 'POST', headers: { cookie: staff.cookieHeader, 'x-csrf-token': staff.csrf, 'content-type': 'audio/wav' }, body,
    });
    // Silence is refused with what to do; nothing is queued.
    const silent = await upload(toneWav(1).fill(0, 44));
    expect(silent.status).toBe(400);
    expect(await silent.text()).toMatch(/silent/);
    expect((await upload(toneWav(2))).status).toBe(200);
    const [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry).toMatchObject({ state: 'queued', answerFileId: expect.stringMatching(new RegExp(`^answer-${entry._id}-[0-9a-f]{12}\\.wav$`)), answeredBy: 'rev1' });

    const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN }) });
    expect(await worker.placeNext()).toBe('placed');
    const call = carrier.calls[0];
    const twiml = await carrier.answer(call);
    const audioUrl = new RegExp(`${h.url}/answer-audio/${entry._id}/[A-Za-z0-9_-]{43}\\.wav`).exec(twiml)?.[0];
    expect(audioUrl).toBeDefined();
    const audio = await fetch(audioUrl!);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/audio\/wav/);
    expect(Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    expect((await fetch(audioUrl!.replace(/[A-Za-z0-9_-]{43}\.wav$/, `${'A'.repeat(43)}.wav`))).status).toBe(404);
    await carrier.finish(call, 'completed');
    expect((await fetch(audioUrl!)).status).toBe(404);
    expect((await h.rt.messages.find(RECORDING))?.answerCall).toMatchObject({ outcome: 'answered' });
  });

  it('an answer call whose status callback never came is settled with the carrier, and its outcome still reaches the message', async () => {
    await leaveMessage('1');
    await h.rt.outbound.queue.queueAnswer(RECORDING, { promptId: 'answer.standard.forwarded' }, 'rev1');
    const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN }) });
    expect(await worker.placeNext()).toBe('placed');
    carrier.calls[0].status = 'completed'; // the carrier knows; its callback was lost
    await h.rt.outbound.queue.collection.updateMany({}, { $set: { nextAttemptAt: new Date(Date.now() - 1000) } });
    expect(await worker.reconcileDue()).toBe(1);
    expect((await h.rt.messages.find(RECORDING))?.answerCall).toMatchObject({ outcome: 'answered', answerPromptId: 'answer.standard.forwarded' });
    const [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry.sealedNumber).toBeUndefined();
  });
});
