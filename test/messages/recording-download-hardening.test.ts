import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { RecordingDownloadWorker, recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';

const ACCOUNT = 'ACours0000000000000000000000000001';
let seq = 0;
const newRecordingSid = () => `RE${String(Date.now()).padStart(20, '0')}${String(++seq).padStart(12, '0')}`;

/**
 * Issue 12, findings 6 and 11: a recording download goes only where the carrier API is, only for
 * our account, only for the call that made it; and one slow download does not hold up the rest.
 */
describe(`recording downloads stay with our carrier account and do not queue behind a slow one (${ENGINE} store)`, () => {
  let carrier: FakeCarrier;
  let h: TestHotline;
  let worker: RecordingDownloadWorker;
  let elsewhere: http.Server | undefined;
  let elsewhereHits = 0;

  beforeEach(async () => {
    carrier = await new FakeCarrier(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, TWILIO_ACCOUNT_SID: ACCOUNT });
    worker = recordingDownloadWorkerFor(h.rt);
    elsewhereHits = 0;
  });
  afterEach(async () => {
    await worker?.stop();
    await h?.stop();
    await carrier?.stop();
    if (elsewhere) {
      elsewhere.closeAllConnections?.();
      await new Promise<void>((resolve) => elsewhere!.close(() => resolve()));
      elsewhere = undefined;
    }
  });

  const simulator = (o: { accountSid?: string; callSid?: string } = {}) => new CallSimulator({
    serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: `+855120${String(++seq).padStart(5, '0')}`, // a new caller each time
    accountSid: o.accountSid ?? ACCOUNT, carrierApiUrl: carrier.url, callSid: o.callSid,
  });

  const status = (sim: CallSimulator, recordingSid: string, seconds: number, extra: Record<string, string> = {}) => sim.post('/voice/recording-status', {
    AccountSid: ACCOUNT, CallSid: sim.callSid, RecordingSid: recordingSid, RecordingUrl: carrier.recordingUrl(recordingSid),
    RecordingStatus: 'completed', RecordingDuration: String(seconds), ...extra,
  });

  async function leaveMessage(seconds = 6) {
    const recordingSid = newRecordingSid();
    carrier.addRecording(recordingSid, wavOf(seconds));
    const sim = simulator();
    const t = await sim.run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds, recordingSid }, ...parseScript('1,hangup')]);
    expect(t.heard.map((p) => p.id)).toContain('message.saved');
    return { sim, recordingSid };
  }

  it('a redirect to a host outside CARRIER_API_URL is not followed: nothing is fetched there, nothing stored, the carrier keeps its copy', async () => {
    elsewhere = http.createServer((_req, res) => { elsewhereHits += 1; res.writeHead(200, { 'content-type': 'audio/x-wav' }); res.end(wavOf(6)); });
    await new Promise<void>((resolve) => elsewhere!.listen(0, '127.0.0.1', resolve));
    carrier.redirectTo = `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}/evil.wav`;
    const { sim, recordingSid } = await leaveMessage();
    await status(sim, recordingSid, 6);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'retry' }]);
    expect(elsewhereHits).toBe(0);
    const m = await h.rt.messages.find(recordingSid);
    expect(m?.download?.state).toBe('queued');
    expect(m?.download?.lastError).toMatch(/redirected to http:\/\/127\.0\.0\.2:\d+, which is not under CARRIER_API_URL nor in CARRIER_MEDIA_HOSTS/);
    expect(await h.store.files.size(`recording-${recordingSid}.wav`)).toBeNull();
    expect(carrier.requestsFor(recordingSid, 'DELETE')).toEqual([]);
    expect(carrier.has(recordingSid)).toBe(true);
  });

  it('a RecordingUrl of another account is refused, in the status callback and in the Record action', async () => {
    const recordingSid = newRecordingSid();
    const other = 'ACother000000000000000000000000002';
    const sim = simulator();
    await sim.run(parseScript('1,hangup'));
    const r = await status(sim, recordingSid, 6, { RecordingUrl: `${carrier.url}/2010-04-01/Accounts/${other}/Recordings/${recordingSid}` });
    expect(r.status).toBe(400);
    expect(await h.rt.messages.find(recordingSid)).toBeNull();

    // The same in the call: the caller hears error.system, and nothing is kept.
    const caller = simulator({ accountSid: other });
    const t = await caller.run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 6, recordingSid }, ...parseScript('1,hangup')]);
    expect(t.heard.map((p) => p.id).slice(-1)).toEqual(['error.system']);
    expect(await h.rt.messages.find(recordingSid)).toBeNull();
  });

  it("a turn keeps only its own call's recording: another call's RecordingUrl, RecordingSid or status callback changes nothing", async () => {
    const { sim: first, recordingSid } = await leaveMessage();
    expect((await h.rt.messages.find(recordingSid))?.callSid).toBe(first.callSid);

    // Somleng's URL form names the call: another call's recording posted to this call's Record is refused.
    const second = simulator();
    await second.run(parseScript('1,3,120101,1,2,hangup')); // the call now waits at the Record
    const turn = (await h.rt.calls.find(second.callSid))!.turn;
    const somlengUrl = `${carrier.url}/2010-04-01/Accounts/${ACCOUNT}/Calls/${first.callSid}/Recordings/${recordingSid}`;
    const refused = await second.post(`/voice/turn?t=${turn}&l=km`, { CallSid: second.callSid, AccountSid: ACCOUNT, RecordingUrl: somlengUrl, RecordingDuration: '6' });
    expect(refused.body).toContain('error.system');
    expect((await h.rt.calls.find(second.callSid))!.turn).toBe(turn);

    // Twilio's form does not name the call: another call's RecordingSid is still not taken over.
    const intruder = simulator();
    const steal = await intruder.run([...parseScript('1,3,120101,1,1'), { type: 'record', seconds: 6, recordingSid }, ...parseScript('1,hangup')]);
    expect(steal.heard.map((p) => p.id)).toContain('error.system');
    expect(await h.rt.messages.find(recordingSid)).toMatchObject({ callSid: first.callSid, service: 'health', callerChoice: 'sent' });

    // A status callback that names another call for this recording is refused; its own call's is taken.
    expect((await status(intruder, recordingSid, 6)).status).toBe(400);
    expect((await h.rt.messages.find(recordingSid))?.download).toBeUndefined();
    expect((await status(first, recordingSid, 6)).status).toBe(204);
    expect((await h.rt.messages.find(recordingSid))?.download?.state).toBe('queued');
  });

  it('one recording held up by a slow carrier does not hold up the others; each is downloaded once', async () => {
    const slow = await leaveMessage();
    const quick = [await leaveMessage(), await leaveMessage(), await leaveMessage()];
    const release = carrier.hold(slow.recordingSid);
    await status(slow.sim, slow.recordingSid, 6);
    for (const q of quick) await status(q.sim, q.recordingSid, 6);
    const draining = worker.drain();
    const deadline = Date.now() + 15_000;
    const storedQuick = async () => (await Promise.all(quick.map((q) => h.rt.messages.find(q.recordingSid)))).filter((m) => m?.download?.state === 'stored').length;
    while ((await storedQuick()) < quick.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await storedQuick()).toBe(quick.length);
    expect((await h.rt.messages.find(slow.recordingSid))?.download?.state).toBe('downloading');
    release();
    const outcomes = await draining;
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['stored', 'stored', 'stored', 'stored']);
    // The in-call listen made one GET each; the worker one more: no recording was claimed twice.
    for (const m of [slow, ...quick]) expect(carrier.requestsFor(m.recordingSid, 'GET')).toHaveLength(2);
  });
});
