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
    const reference = (await h.rt.messages.find(RECORDING))!.referenceNumber;
    // The Outbound page names the message by its reference number, place and service, and sends the reviewer to it.
    const page = await staff.page('/staff/outbound');
    const awaiting = page.text.slice(page.text.indexOf('<ul class="awaiting-answers">'), page.text.indexOf('</ul>', page.text.indexOf('<ul class="awaiting-answers">')));
    expect(awaiting).toContain(`href="/staff/messages/${RECORDING}#answer-call" class="ref">No. ${reference}</a>`);
    expect(awaiting).toContain('Tonle Basak');
    expect(awaiting).not.toContain(`>${RECORDING}<`);
    expect(page.text).not.toContain('action="/staff/outbound/answer"');
    // The list and the message say the caller waits for an answer call; the message offers the answers with a preview.
    expect((await staff.page('/staff/messages')).text).toContain('<span class="answer-badge answer-awaiting">asks to be called back with the answer</span>');
    const message = await staff.page(`/staff/messages/${RECORDING}`);
    expect(message.text).toContain('The caller asked to be called back with the answer (');
    expect(message.text).toContain('name="answer" value="answer.standard.resolved"');
    expect(message.text).toContain('src="/audio/km/answer.standard.resolved.wav"');
    // Choosing shows what will happen; nothing is queued until it is confirmed.
    const check = await staff.page(`/staff/messages/${RECORDING}/answer-call?answer=answer.standard.resolved`);
    expect(check.res.status).toBe(200);
    expect(check.text).toContain('Call the caller back with this answer?');
    expect(check.text).toContain(`The hotline will call the caller of message No. ${reference}.`);
    expect(check.text).toContain('The message will be marked Resolved.');
    expect(check.text).toContain('name="version" value="0"');
    expect((await staff.post(`/staff/messages/${RECORDING}/answer-call`, { answer: 'answer.standard.resolved', version: '0' })).status).toBe(400);
    expect((await h.rt.outbound.queue.find(waiting._id))?.state).toBe('awaiting-answer');
    expect((await h.rt.messages.find(RECORDING))?.review?.state).toBe('new');
    const confirmed = await staff.post(`/staff/messages/${RECORDING}/answer-call`, { answer: 'answer.standard.resolved', version: '0', confirm: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`/staff/messages/${RECORDING}?saved=answer`);
    const resolved = await h.rt.messages.find(RECORDING);
    expect(resolved?.review?.state).toBe('resolved');
    // Resolved with its history: the state change and the confirmed call, one step.
    expect(resolved?.review?.history).toEqual([{ from: 'new', to: 'resolved', by: 'rev1', at: expect.any(Date), version: 1 }]);
    expect(resolved?.review?.steps).toEqual([{ kind: 'answer-call-queued', answer: 'answer.standard.resolved', by: 'rev1', at: expect.any(Date), version: 1 }]);
    expect((await staff.post(`/staff/messages/${RECORDING}/answer-call`, { answer: 'answer.standard.resolved', version: '1', confirm: 'yes' })).status).toBe(409);

    expect(await worker.placeNext()).toBe('placed');
    const call = carrier.calls[0];
    expect(call.to).toBe(CITIZEN);
    expect(call.url).toBe(`${h.url}/voice/answer?e=${waiting._id}`);
    const twiml = await carrier.answer(call);
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
    const history = detail.text.slice(detail.text.indexOf('<ol class="history">'));
    const steps = ['caller</span> asked to be called back with the answer', 'rev1</span> moved it:', 'rev1</span> confirmed the answer call: ', 'the hotline</span> answer call: the caller answered'].map((w) => history.indexOf(w));
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((x, y) => x - y)).toEqual(steps);
  });

  it('a staff member records a short answer in the browser: it is converted for the telephone and played, only during that call', async () => {
    await leaveMessage('1');
    const staff = await new StaffClient(h).signedIn('rev1');
    const page = await staff.page(`/staff/messages/${RECORDING}`);
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
    // A draft to listen to on the message page: nothing is called yet.
    let [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry).toMatchObject({ state: 'awaiting-answer', draftAnswerFileId: expect.stringMatching(new RegExp(`^answer-${entry._id}-[0-9a-f]{12}\\.wav$`)) });
    const draft = await staff.request(`/staff/messages/${RECORDING}/answer-audio`);
    expect(draft.status).toBe(200);
    expect(Buffer.from(await draft.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    const withDraft = await staff.page(`/staff/messages/${RECORDING}`);
    expect(withDraft.text).toMatch(/name="answer" value="recorded" required checked> <span>Your recorded answer<\/span>/);
    expect(withDraft.text).toContain('rev1</span> recorded an answer to check');
    expect((await staff.page(`/staff/messages/${RECORDING}/answer-call?answer=recorded`)).text).toContain(`src="/staff/messages/${RECORDING}/answer-audio"`);
    expect((await staff.post(`/staff/messages/${RECORDING}/answer-call`, { answer: 'recorded', version: '1', confirm: 'yes' })).status).toBe(303);
    [entry] = await h.rt.outbound.queue.collection.find({});
    expect(entry).toMatchObject({ state: 'queued', answerFileId: expect.stringMatching(new RegExp(`^answer-${entry._id}-[0-9a-f]{12}\\.wav$`)), answeredBy: 'rev1' });
    expect(entry.draftAnswerFileId).toBeUndefined();

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

  it('dismissing a message whose caller waits for an answer asks first; confirmed, the call is called off, the number erased, and the history says so', async () => {
    await leaveMessage('1');
    const staff = await new StaffClient(h).signedIn('rev1');
    await staff.page(`/staff/messages/${RECORDING}`);
    const asked = await staff.post(`/staff/messages/${RECORDING}/review`, { version: '0', state: 'dismissed', note: 'Not about a public service.', then: 'stay' });
    expect(asked.status).toBe(200);
    const text = await asked.text();
    expect(text).toContain('<h1>Dismiss and call off the answer call?</h1>');
    expect(text).toContain('name="confirm" value="cancel-answer-call"');
    // The form's fields go along unchanged.
    expect(text).toContain('name="note" value="Not about a public service."');
    expect((await h.rt.messages.find(RECORDING))?.review?.state).toBe('new');
    expect((await h.rt.outbound.queue.collection.findOne({}))?.state).toBe('awaiting-answer');
    const done = await staff.post(`/staff/messages/${RECORDING}/review`, { version: '0', state: 'dismissed', note: 'Not about a public service.', then: 'stay', confirm: 'cancel-answer-call' });
    expect(done.status).toBe(303);
    const entry = await h.rt.outbound.queue.collection.findOne({});
    expect(entry).toMatchObject({ state: 'abandoned', lastStatus: 'message-discarded' });
    expect(entry?.sealedNumber).toBeUndefined();
    const m = await h.rt.messages.find(RECORDING);
    expect(m?.review?.state).toBe('dismissed');
    expect(m?.review?.steps?.map((x) => x.kind)).toEqual(['answer-call-cancelled']);
    const { entries } = await new AuditLog(h.store).page({ messageId: RECORDING, action: 'change-state' }, 1, 5);
    expect(entries[0].detail).toEqual({ from: 'new', to: 'dismissed', answerCall: 'cancelled' });
    const page = await staff.page(`/staff/messages/${RECORDING}`);
    expect(page.text).toContain('rev1</span> called off the answer call');
    expect(page.text).not.toContain('the hotline</span> answer call called off');
  });

  it('a bulk dismissal that includes a caller waiting for an answer asks first, naming the message', async () => {
    await leaveMessage('1');
    const staff = await new StaffClient(h).signedIn('rev1');
    const list = await staff.page('/staff/messages');
    const reference = (await h.rt.messages.find(RECORDING))!.referenceNumber;
    expect(list.text).toContain(`value="${RECORDING}.0"`);
    const asked = await staff.post('/staff/messages/bulk-state', { state: 'dismissed', id: `${RECORDING}.0` });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain(`1 of these callers asked to be called back with the answer (No. ${reference}).`);
    expect((await h.rt.outbound.queue.collection.findOne({}))?.state).toBe('awaiting-answer');
    const done = await staff.post('/staff/messages/bulk-state', { state: 'dismissed', id: `${RECORDING}.0`, confirm: 'cancel-answer-call' });
    expect(done.headers.get('location')).toBe('/staff/messages?changed=1');
    expect((await h.rt.outbound.queue.collection.findOne({}))?.state).toBe('abandoned');
  });

  it('a confirmation opened before someone else changed the message is refused, and no call is queued', async () => {
    await leaveMessage('1');
    const [rev, other] = [await new StaffClient(h).signedIn('rev1'), await new StaffClient(h).signedIn('rev1')];
    const check = await rev.page(`/staff/messages/${RECORDING}/answer-call?answer=answer.standard.forwarded`);
    expect(check.text).toContain('name="version" value="0"');
    await other.page(`/staff/messages/${RECORDING}`);
    await other.post(`/staff/messages/${RECORDING}/review`, { version: '0', note: 'The caller called again: the problem is solved.' });
    const late = await rev.post(`/staff/messages/${RECORDING}/answer-call`, { answer: 'answer.standard.forwarded', version: '0', confirm: 'yes' });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain('The caller called again: the problem is solved.');
    expect((await h.rt.outbound.queue.collection.findOne({}))?.state).toBe('awaiting-answer');
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
