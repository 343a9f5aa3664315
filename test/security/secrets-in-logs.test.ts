import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';
import { addAccount, PASSWORD, StaffClient } from '../staff/staff-support';
import { CHILD_AUTH_TOKEN, freePort, discardHotlineProcess, HotlineProcess } from '../faults/fault-support';

jest.setTimeout(90_000);

const ACCOUNT = 'ACsecretsinlogs0000000000000000000';
const CALLER = '+85512345987';
const WRONG_PASSWORD = 'Wrong-Password-0f-An-Attacker';

/** Everything that must never reach a log line, in the forms it could take there. */
function forbidden(secrets: { authToken: string; callerSecret: string; sessionSecret: string; passwords: string[]; extra?: string[] }): string[] {
  const digits = CALLER.replace(/\D/g, '');
  return [
    CALLER, digits, digits.slice(3), `0${digits.slice(3)}`, // +855 12 345 987, 85512345987, 12345987, 012345987
    secrets.authToken, secrets.callerSecret, secrets.sessionSecret, ...secrets.passwords, ...(secrets.extra ?? []),
    Buffer.from(`${ACCOUNT}:${secrets.authToken}`).toString('base64'), // the Basic credentials of carrier requests
  ];
}

/** A URL with user:password@ in it, anywhere in the text. */
const URL_WITH_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/"'@]+:[^\s/"'@]+@/i;

function expectClean(log: string, needles: string[]) {
  expect(log.length).toBeGreaterThan(0);
  for (const n of needles) {
    if (log.includes(n)) throw new Error(`the log contains ${JSON.stringify(n)}: …${log.slice(Math.max(0, log.indexOf(n) - 200), log.indexOf(n) + 100)}…`);
  }
  expect(log).not.toMatch(URL_WITH_CREDENTIALS);
}

describe(`no secret, phone number or recording credentials in the logs (${ENGINE} store)`, () => {
  let carrier: FakeCarrier;
  let h: TestHotline;
  beforeEach(async () => {
    carrier = await new FakeCarrier(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, TWILIO_ACCOUNT_SID: ACCOUNT, LOG_LEVEL: 'debug', RECORDING_RETRY_BASE_SECONDS: '1' });
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
    await carrier.stop();
  });

  it('a rating call, a voice message fetched from the carrier, refused webhooks and staff sign-ins log none of them', async () => {
    const sim = (o: Partial<ConstructorParameters<typeof CallSimulator>[0]> = {}) =>
      new CallSimulator({ serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: CALLER, accountSid: ACCOUNT, carrierApiUrl: carrier.url, ...o });

    // A full rating, then a call that leaves a voice message.
    const rating = await sim().run(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,0,hangup'));
    expect(rating.errors).toEqual([]);
    const recordingSid = 'RE5ec7e75000000000000000000000abcd';
    carrier.addRecording(recordingSid, wavOf(3));
    const messageCall = sim();
    await messageCall.run([...parseScript('3,120101,1,2'), { type: 'record', seconds: 3, recordingSid }, ...parseScript('1,hangup')]);
    expect(messageCall.transcript.errors).toEqual([]);
    expect(messageCall.transcript.heard.map((p) => p.id)).toContain('message.saved');
    const callback = (url: string, sid = recordingSid) => messageCall.post('/voice/recording-status', {
      AccountSid: ACCOUNT, CallSid: messageCall.callSid, From: CALLER, RecordingSid: sid, RecordingUrl: url, RecordingStatus: 'completed', RecordingDuration: '3',
    });
    expect((await callback(carrier.recordingUrl(recordingSid))).status).toBe(204);
    // A callback whose RecordingUrl carries credentials is refused, and the credentials are not logged.
    const withCredentials = carrier.recordingUrl('RE5ec7e75000000000000000000000ffff').replace('://', `://${ACCOUNT}:${TEST_AUTH_TOKEN}@`);
    expect((await callback(withCredentials, 'RE5ec7e75000000000000000000000ffff')).status).toBe(400);

    // The worker downloads with the auth token (once failing, so the error path logs too), then stores and deletes.
    const worker = recordingDownloadWorkerFor(h.rt);
    carrier.failNext(1, 401);
    expect((await worker.drain()).map((r) => r.outcome)).toEqual(['retry']);
    await h.store.collection('messages').updateOne({ _id: recordingSid }, { $set: { 'download.nextAttemptAt': new Date(0) } });
    expect((await worker.drain()).map((r) => r.outcome)).toEqual(['stored']);

    // Forged webhooks: no signature, and a signature made with the auth token for another path.
    await fetch(`${h.url}/voice/incoming`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': TEST_AUTH_TOKEN }, body: `CallSid=CA1&From=${encodeURIComponent(CALLER)}` });

    // Staff: a wrong password, then a sign-in, the messages page and the audio.
    const staff = new StaffClient(h);
    expect((await staff.signIn('rev1', WRONG_PASSWORD)).status).toBe(401);
    await staff.signedIn('rev1');
    const session = staff.cookies.get('staff_session')!;
    expect((await staff.request(`/staff/messages/${recordingSid}`)).status).toBe(200);
    expect((await staff.request(`/staff/messages/${recordingSid}/audio`)).status).toBe(200);

    const log = h.logs.join('');
    // The log did see the events (so the test can fail): the call, the message, the sign-ins.
    expect(log).toContain('voice message stored');
    expect(log).toContain('staff signed in');
    expect(log).toContain('webhook refused');
    expectClean(log, forbidden({
      authToken: TEST_AUTH_TOKEN, callerSecret: 'test-caller-secret', sessionSecret: 'test-session-secret',
      passwords: [PASSWORD, WRONG_PASSWORD], extra: [session, staff.csrf],
    }));
  });
});

describe(`the server process's own output has no secret or phone number either (${ENGINE} store)`, () => {
  const dbName = `secrets_${process.pid}_${Date.now()}`;
  let app: HotlineProcess;
  afterEach(async () => {
    await discardHotlineProcess(app, dbName);
  });

  it('start-up, a call, a bad request and shutdown print nothing secret on stdout or stderr', async () => {
    app = new HotlineProcess(await freePort(), {
      LOG_LEVEL: 'debug',
      ...(ENGINE === 'mongodb' ? { MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: dbName } : {}),
    });
    await app.start();
    const t = await new CallSimulator({ serverUrl: app.url, publicBaseUrl: app.url, authToken: CHILD_AUTH_TOKEN, from: CALLER })
      .run(parseScript('1,2,120101,1,1,1,4,5,3,4,2,hangup'));
    expect(t.errors).toEqual([]);
    await fetch(`${app.url}/voice/turn?t=1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `CallSid=CAx&From=${encodeURIComponent(CALLER)}` });
    await app.stop();
    const out = app.output.join('');
    expect(out).toContain('hotline listening');
    expectClean(out, forbidden({ authToken: CHILD_AUTH_TOKEN, callerSecret: 'fault-caller-secret', sessionSecret: 'fault-session-secret', passwords: [] }));
  });
});
