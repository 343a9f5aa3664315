import { CallSimulator, CallerAction, parseScript } from '../../src/simulator/call-simulator';
import { RecordingDownloadWorker, recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { SOMLENG_KEEPS_RECORDINGS } from '../../src/telephony/carrier-profile';
import { ENGINE } from '../support/engine';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';

const ACCOUNT = 'ACtest';
let seq = 0;
const newRecordingSid = () => `RE${String(Date.now()).padStart(20, '0')}${String(++seq).padStart(12, '0')}`;

describe(`voice messages are fetched from the carrier, stored, then deleted there (${ENGINE} store)`, () => {
  let carrier: FakeCarrier;
  let h: TestHotline;
  let worker: RecordingDownloadWorker;
  /** The worker's clock runs ahead of the wall clock by this much, to reach retry times without waiting. */
  let skewMs = 0;

  async function setUp(env: Record<string, string> = {}, envOf: (c: FakeCarrier) => Record<string, string> = () => ({})) {
    carrier = await new FakeCarrier(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, TWILIO_ACCOUNT_SID: ACCOUNT, RECORDING_RETRY_BASE_SECONDS: '30', ...env, ...envOf(carrier) });
    skewMs = 0;
    worker = recordingDownloadWorkerFor(h.rt, { now: () => new Date(Date.now() + skewMs) });
  }
  afterEach(async () => {
    await worker?.stop();
    await h?.stop();
    await carrier?.stop();
  });

  function simulator(opts: { nextAction?: () => Promise<CallerAction | undefined>; from?: string } = {}) {
    return new CallSimulator({
      serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: opts.from ?? '+85512000111', nextAction: opts.nextAction,
      accountSid: ACCOUNT, carrierApiUrl: carrier.url,
    });
  }

  /** Posts the carrier's recording status callback, signed as the carrier signs it. */
  function recordingStatus(sim: CallSimulator, recordingSid: string, seconds: number, extra: Record<string, string> = {}) {
    return sim.post('/voice/recording-status', {
      AccountSid: ACCOUNT, CallSid: sim.callSid, RecordingSid: recordingSid, RecordingUrl: carrier.recordingUrl(recordingSid),
      RecordingStatus: 'completed', RecordingDuration: String(seconds), RecordingChannels: '1', RecordingSource: 'RecordVerb', ...extra,
    });
  }

  /** A whole call that leaves a message; the carrier holds its audio. */
  async function callWithMessage(seconds = 14) {
    const recordingSid = newRecordingSid();
    const audio = wavOf(seconds);
    carrier.addRecording(recordingSid, audio);
    const sim = simulator();
    await sim.run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds, recordingSid }, ...parseScript('1,hangup')]);
    return { sim, recordingSid, audio };
  }

  it('a message left in a call ends byte-identical in the store, and the DELETE reaches the carrier only after it is stored', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(14);
    expect((await recordingStatus(sim, recordingSid, 14)).status).toBe(204);
    expect((await h.rt.messages.find(recordingSid))?.download?.state).toBe('queued');

    const storedWhenDeleted: (number | null)[] = [];
    carrier.onDelete = async () => {
      storedWhenDeleted.push(await h.store.files.size(`recording-${recordingSid}.wav`));
    };
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);

    const m = await h.rt.messages.find(recordingSid);
    expect(m).toMatchObject({ callerChoice: 'sent', communeCode: '120101', service: 'health', durationSeconds: 14 });
    expect(m?.download).toMatchObject({ state: 'stored', attempts: 1, contentType: 'audio/wav', bytes: audio.length, deletedAtCarrier: true });
    expect(m?.download?.nextAttemptAt).toBeUndefined();
    const stored = await h.store.files.read(m!.download!.fileId!);
    expect(stored.equals(audio)).toBe(true);
    expect(storedWhenDeleted).toEqual([audio.length]);
    // The first GET is the hotline listening to the recording during the call (src/messages/recording-silence.ts).
    expect(carrier.requestsFor(recordingSid).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'GET 200', 'DELETE 204']);
    expect(carrier.requestsFor(recordingSid).every((r) => r.authorized)).toBe(true);
    expect(carrier.has(recordingSid)).toBe(false);
    expect(await worker.runOnce()).toBeNull();
  });

  it('when the carrier redirects the media to a storage host listed in CARRIER_MEDIA_HOSTS, the audio is stored and the credentials stay with the carrier', async () => {
    await setUp({}, (c) => ({ CARRIER_MEDIA_HOSTS: c.mediaHost }));
    carrier.redirectMedia = true;
    const { sim, recordingSid, audio } = await callWithMessage(9);
    await recordingStatus(sim, recordingSid, 9);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    expect((await h.store.files.read(`recording-${recordingSid}.wav`)).equals(audio)).toBe(true);
    expect(carrier.mediaAuthorizations).toEqual([undefined, undefined]);
    expect(carrier.requestsFor(recordingSid).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 302', 'GET 302', 'DELETE 204']);
  });

  it('a carrier that fails twice then succeeds still ends with the message stored, after backing off', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(10);
    await recordingStatus(sim, recordingSid, 10);
    carrier.failNext(2, 503);

    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'retry' }]);
    let m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'queued', attempts: 1 });
    expect(m?.download?.lastError).toContain('HTTP 503');
    const firstRetryAt = m!.download!.nextAttemptAt!.getTime();
    expect(firstRetryAt - Date.now()).toBeGreaterThan(25_000); // RECORDING_RETRY_BASE_SECONDS=30
    expect(await worker.drain()).toEqual([]); // not due yet

    skewMs = 31_000;
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'retry' }]);
    m = await h.rt.messages.find(recordingSid);
    expect(m?.download?.attempts).toBe(2);
    // Exponential: the second wait is about twice the first.
    expect(m!.download!.nextAttemptAt!.getTime() - (Date.now() + skewMs)).toBeGreaterThan(55_000);

    skewMs = 31_000 + 61_000;
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', attempts: 3, deletedAtCarrier: true });
    expect(m?.download?.lastError).toBeUndefined();
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
  });

  it('after the last allowed attempt the message shows failed with the reason, and the carrier keeps the audio', async () => {
    await setUp({ RECORDING_DOWNLOAD_MAX_ATTEMPTS: '2' });
    const { sim, recordingSid } = await callWithMessage(6);
    await recordingStatus(sim, recordingSid, 6);
    carrier.failNext(5, 500);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'retry' }]);
    skewMs = 3600_000;
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'failed' }]);
    const m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'failed', attempts: 2 });
    expect(m?.download?.lastError).toContain('HTTP 500');
    expect(m?.download?.nextAttemptAt).toBeUndefined();
    expect(carrier.has(recordingSid)).toBe(true);
    expect(carrier.requestsFor(recordingSid, 'DELETE')).toEqual([]);
    // Once the carrier is back, an operator can put it back in the queue.
    carrier.failNext(0);
    expect(await h.rt.messages.requeue(recordingSid)).toBe(true);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
  });

  it('audio that is not WAV or MP3, or not as long as the carrier said, is not stored and the carrier copy is kept', async () => {
    await setUp();
    const html = newRecordingSid();
    carrier.addRecording(html, Buffer.from('<html>login</html>'), 'text/html');
    const short = newRecordingSid();
    carrier.addRecording(short, wavOf(3));
    const sim = simulator();
    await recordingStatus(sim, html, 10);
    await recordingStatus(sim, short, 30);
    const outcomes = await worker.drain();
    expect(outcomes.map((o) => o.outcome)).toEqual(['retry', 'retry']);
    expect((await h.rt.messages.find(html))?.download?.lastError).toContain('neither WAV nor MP3');
    expect((await h.rt.messages.find(short))?.download?.lastError).toContain('carrier reported 30 s');
    expect(await h.store.files.size(`recording-${html}.wav`)).toBeNull();
    expect(await h.store.files.size(`recording-${short}.wav`)).toBeNull();
    expect(carrier.has(html) && carrier.has(short)).toBe(true);
    expect(carrier.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('a RecordingUrl outside CARRIER_API_URL is refused and logged without its credentials, and nothing is fetched', async () => {
    await setUp();
    const recordingSid = newRecordingSid();
    const sim = simulator();
    const evil = `https://admin:hunter2secret@evil.example/2010-04-01/Accounts/${ACCOUNT}/Recordings/${recordingSid}?token=abc123`;
    const res = await recordingStatus(sim, recordingSid, 5, { RecordingUrl: evil });
    expect(res.status).toBe(400);
    // Same host as the carrier but another recording's id, or another scheme, is refused too.
    expect((await recordingStatus(sim, recordingSid, 5, { RecordingUrl: carrier.recordingUrl('RE99999999999999999999') })).status).toBe(400);
    expect((await recordingStatus(sim, recordingSid, 5, { RecordingUrl: carrier.recordingUrl(recordingSid).replace('http:', 'https:') })).status).toBe(400);
    expect(await h.rt.messages.find(recordingSid)).toBeNull();
    expect(await worker.drain()).toEqual([]);
    const log = h.logs.join('');
    expect(log).toContain('recording status callback refused');
    expect(log).toContain('evil.example');
    expect(log).not.toContain('hunter2secret');
    expect(log).not.toContain('abc123');
  });

  it('an unsigned recording status callback is refused', async () => {
    await setUp();
    const recordingSid = newRecordingSid();
    const res = await fetch(`${h.url}/voice/recording-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ RecordingSid: recordingSid, RecordingUrl: carrier.recordingUrl(recordingSid), RecordingStatus: 'completed' }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await h.rt.messages.find(recordingSid)).toBeNull();
  });

  it('a callback that comes twice fetches and deletes once', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(8);
    await recordingStatus(sim, recordingSid, 8);
    await recordingStatus(sim, recordingSid, 8);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    expect((await recordingStatus(sim, recordingSid, 8)).status).toBe(204); // again, after it is stored
    expect(await worker.drain()).toEqual([]);
    expect(await h.store.collection('messages').countDocuments({ _id: recordingSid })).toBe(1);
    expect(carrier.requestsFor(recordingSid).map((r) => r.method)).toEqual(['GET', 'GET', 'DELETE']); // in-call listen, download, delete
    expect((await h.store.files.read(`recording-${recordingSid}.wav`)).equals(audio)).toBe(true);
  });

  it('a callback before the caller pressed send: the message is completed by the call and stored', async () => {
    await setUp();
    const recordingSid = newRecordingSid();
    const audio = wavOf(11);
    carrier.addRecording(recordingSid, audio);
    const actions: CallerAction[] = [...parseScript('1,3,120101,1,3'), { type: 'record', seconds: 11, recordingSid }, ...parseScript('1,hangup')];
    let sim!: CallSimulator;
    let turn = 0;
    sim = simulator({
      nextAction: async () => {
        // Right after the recording, before the caller answers message.confirm: the carrier reports it, and the worker runs.
        if (turn === 6) {
          await recordingStatus(sim, recordingSid, 11);
          expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
          expect(await h.rt.messages.find(recordingSid)).toMatchObject({ callerChoice: 'unknown', communeCode: '' });
        }
        return actions[turn++];
      },
    });
    const t = await sim.run();
    expect(t.errors).toEqual([]);
    expect(turn).toBeGreaterThan(7);
    const m = await h.rt.messages.find(recordingSid);
    expect(m).toMatchObject({ callerChoice: 'sent', communeCode: '120101', service: 'school', callSid: sim.callSid, language: 'km' });
    expect(m?.referenceNumber).toMatch(/^\d{6,}$/);
    expect(m?.download).toMatchObject({ state: 'stored', deletedAtCarrier: true });
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
  });

  it('a callback for a call this app never saw is kept as an unconfirmed message', async () => {
    await setUp();
    const recordingSid = newRecordingSid();
    const audio = wavOf(4);
    carrier.addRecording(recordingSid, audio);
    await recordingStatus(simulator(), recordingSid, 4);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    expect(await h.rt.messages.find(recordingSid)).toMatchObject({ callerChoice: 'unknown', referenceNumber: '', download: { state: 'stored' } });
  });

  it('"record again": the first recording is deleted at the carrier without being downloaded, whether its callback comes before or after', async () => {
    await setUp();
    const early = newRecordingSid();
    const late = newRecordingSid();
    const kept = newRecordingSid();
    for (const sid of [early, late, kept]) carrier.addRecording(sid, wavOf(5));
    const actions: CallerAction[] = [
      ...parseScript('1,3,120101,1,1'),
      { type: 'record', seconds: 5, recordingSid: early }, { type: 'keys', digits: '2' },
      { type: 'record', seconds: 5, recordingSid: late }, { type: 'keys', digits: '2' },
      { type: 'record', seconds: 5, recordingSid: kept }, ...parseScript('1,hangup'),
    ];
    let turn = 0;
    const sim: CallSimulator = simulator({
      nextAction: async () => {
        if (turn === 6) await recordingStatus(sim, early, 5); // before the caller pressed 2
        return actions[turn++];
      },
    });
    await sim.run();
    await recordingStatus(sim, late, 5); // after
    await recordingStatus(sim, kept, 5);
    const outcomes = Object.fromEntries((await worker.drain()).map((o) => [o.recordingSid, o.outcome]));
    expect(outcomes).toEqual({ [early]: 'discarded', [late]: 'discarded', [kept]: 'stored' });
    for (const sid of [early, late]) {
      expect(carrier.requestsFor(sid).map((r) => r.method)).toEqual(['GET', 'DELETE']); // listened to in the call, never downloaded
      expect(await h.store.files.size(`recording-${sid}.wav`)).toBeNull();
      expect((await h.rt.messages.find(sid))?.download).toMatchObject({ state: 'discarded', deletedAtCarrier: true });
    }
    expect(carrier.has(early) || carrier.has(late)).toBe(false);
  });

  it('"record again" after the first recording was already stored removes it from the store', async () => {
    await setUp();
    const first = newRecordingSid();
    carrier.addRecording(first, wavOf(5));
    const actions: CallerAction[] = [
      ...parseScript('1,3,120101,1,1'), { type: 'record', seconds: 5, recordingSid: first }, ...parseScript('2,hangup'),
    ];
    let turn = 0;
    const sim: CallSimulator = simulator({
      nextAction: async () => {
        if (turn === 6) {
          await recordingStatus(sim, first, 5);
          await worker.drain();
          expect(await h.store.files.size(`recording-${first}.wav`)).toBeGreaterThan(0);
        }
        return actions[turn++];
      },
    });
    await sim.run();
    expect(await h.store.files.size(`recording-${first}.wav`)).toBeNull();
    expect((await h.rt.messages.find(first))?.download?.state).toBe('discarded');
  });

  it('with DELETE_RECORDINGS_AT_CARRIER=false the message is stored and the carrier keeps its copy', async () => {
    await setUp({ DELETE_RECORDINGS_AT_CARRIER: 'false' });
    const { sim, recordingSid, audio } = await callWithMessage(9);
    await recordingStatus(sim, recordingSid, 9);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    const m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', deletedAtCarrier: false });
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
    expect(carrier.requestsFor(recordingSid).map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(m?.download?.keptAtCarrier).toBe('DELETE_RECORDINGS_AT_CARRIER=false');
    expect(carrier.has(recordingSid)).toBe(true);
  });

  it('when the carrier delete fails after storing, the audio stays stored and the delete is retried later', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(7);
    await recordingStatus(sim, recordingSid, 7);
    carrier.failNext(1, 502, 'DELETE');
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored-not-deleted' }]);
    let m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', deletedAtCarrier: false });
    expect(m?.download?.lastError).toContain('delete at the carrier failed');
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
    expect(await worker.drain()).toEqual([]); // backing off
    skewMs = 3600_000;
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'deleted-at-carrier' }]);
    m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', deletedAtCarrier: true });
    expect(m?.download?.lastError).toBeUndefined();
    expect(carrier.requestsFor(recordingSid).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'GET 200', 'DELETE 502', 'DELETE 204']);
  });

  it('a claim left "downloading" by a crashed worker is taken over after its lease, by a new worker', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(6);
    await recordingStatus(sim, recordingSid, 6);
    // A worker claimed it and died: state downloading, lease running for 5 minutes.
    const leaseEnd = new Date(Date.now() + 300_000);
    await h.store.collection('messages').updateOne({ _id: recordingSid }, {
      $set: { 'download.state': 'downloading', 'download.claimId': 'dead-worker', 'download.nextAttemptAt': leaseEnd, 'download.attempts': 1 },
    });
    const restarted = recordingDownloadWorkerFor(h.rt, { now: () => new Date(Date.now() + skewMs) });
    expect(await restarted.drain()).toEqual([]);
    expect((await h.rt.messages.find(recordingSid))?.download?.state).toBe('downloading');
    skewMs = 301_000;
    expect(await restarted.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    const m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', attempts: 2 });
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
  });

  it('two workers never take the same message', async () => {
    await setUp();
    const sids: string[] = [];
    const sim = simulator();
    for (let i = 0; i < 6; i++) {
      const sid = newRecordingSid();
      sids.push(sid);
      carrier.addRecording(sid, wavOf(2));
      await recordingStatus(sim, sid, 2);
    }
    const other = recordingDownloadWorkerFor(h.rt);
    const [a, b] = await Promise.all([worker.drain(), other.drain()]);
    const all = [...a, ...b].map((o) => o.recordingSid).sort();
    expect(all).toEqual([...sids].sort());
    expect(carrier.requests.filter((r) => r.method === 'GET')).toHaveLength(6);
  });

  it('started as in the server, the worker stores a message without being driven, and stops cleanly', async () => {
    await setUp();
    const polling = recordingDownloadWorkerFor(h.rt, { pollIntervalMs: 50 });
    polling.start();
    try {
      const { sim, recordingSid } = await callWithMessage(5);
      await recordingStatus(sim, recordingSid, 5);
      // Waits as long as the machine needs; the bound only ends a hung test (100 polls of 50 ms, 5 s, a loaded machine could outlast).
      const deadline = Date.now() + 60_000;
      while ((await h.rt.messages.find(recordingSid))?.download?.state !== 'stored' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await h.rt.messages.find(recordingSid))?.download?.state).toBe('stored');
    } finally {
      await polling.stop();
    }
  });

  it('a sent message whose status callback never came is fetched by the sweep', async () => {
    await setUp();
    const { recordingSid, audio } = await callWithMessage(6);
    // A staff "try the line" test call never reached a carrier: the sweep leaves it alone.
    const testSid = newRecordingSid();
    await new CallSimulator({
      serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: '+0000000000', callSid: `${TEST_CALL_SID_PREFIX}0000000000000000000001`,
      accountSid: ACCOUNT, carrierApiUrl: carrier.url,
    })
      .run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 6, recordingSid: testSid }, ...parseScript('1,hangup')]);
    expect((await h.rt.messages.find(testSid))?.callerChoice).toBe('sent');
    expect((await h.rt.messages.find(recordingSid))?.download).toBeUndefined();
    expect(await worker.sweepMissedCallbacks()).toBe(0); // too early: the callback may still come
    skewMs = 16 * 60_000;
    expect(await worker.sweepMissedCallbacks()).toBe(1);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    expect((await h.store.files.read(`recording-${recordingSid}.wav`)).equals(audio)).toBe(true);
    expect((await h.rt.messages.find(testSid))?.download).toBeUndefined();
    expect(carrier.requestsFor(testSid)).toEqual([]);
  });

  it('a DELETE the carrier answers 404 (Somleng has no such route) is not counted as deleted: the message says "kept at the carrier" with the reason, and it is not retried', async () => {
    await setUp();
    const { sim, recordingSid, audio } = await callWithMessage(7);
    await recordingStatus(sim, recordingSid, 7);
    carrier.failNext(1, 404, 'DELETE');
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'kept-at-carrier' }]);
    const m = await h.rt.messages.find(recordingSid);
    expect(m?.download).toMatchObject({ state: 'stored', deletedAtCarrier: false, keptAtCarrier: 'the carrier answered HTTP 404 to the DELETE' });
    expect(m?.download?.nextAttemptAt).toBeUndefined();
    expect((await h.store.files.read(m!.download!.fileId!)).equals(audio)).toBe(true);
    skewMs = 24 * 3600_000;
    expect(await worker.drain()).toEqual([]);
    expect(carrier.has(recordingSid)).toBe(true);
  });

  it('CARRIER=somleng: no DELETE is sent (Somleng cannot delete recordings) and the message says why the copy is kept', async () => {
    await setUp({ CARRIER: 'somleng' });
    const { sim, recordingSid } = await callWithMessage(7);
    await recordingStatus(sim, recordingSid, 7);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored' }]);
    expect((await h.rt.messages.find(recordingSid))?.download).toMatchObject({ deletedAtCarrier: false, keptAtCarrier: SOMLENG_KEEPS_RECORDINGS });
    expect(carrier.requestsFor(recordingSid, 'DELETE')).toEqual([]);
  });

  it('a DELETE that keeps failing ends "kept at the carrier" with the last reason', async () => {
    await setUp({ RECORDING_DOWNLOAD_MAX_ATTEMPTS: '2' });
    const { sim, recordingSid } = await callWithMessage(7);
    await recordingStatus(sim, recordingSid, 7);
    carrier.failNext(5, 503, 'DELETE');
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'stored-not-deleted' }]);
    skewMs = 3600_000;
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'kept-at-carrier' }]);
    expect((await h.rt.messages.find(recordingSid))?.download?.keptAtCarrier).toBe('delete at the carrier failed: the carrier answered HTTP 503 to the DELETE (gave up after 2 attempts)');
  });

  it('a silent recording the call could not listen to in time is never kept: the worker finds it silent and drops it from the staff list', async () => {
    await setUp();
    const recordingSid = newRecordingSid();
    const silence = Buffer.concat([wavOf(6).subarray(0, 44), Buffer.alloc(6 * 16000)]);
    carrier.addRecording(recordingSid, silence);
    carrier.failNext(1, 503, 'GET'); // the in-call listen gets nothing: the caller goes on to "send"
    const sim = simulator();
    const t = await sim.run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 6, recordingSid }, ...parseScript('1,hangup')]);
    expect(t.heard.map((p) => p.id)).toContain('message.saved');
    await recordingStatus(sim, recordingSid, 6);
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'silent' }]);
    const m = await h.rt.messages.find(recordingSid);
    expect(m).toMatchObject({ callerChoice: 'discarded', silent: true, download: { state: 'discarded' } });
    expect(await h.store.files.size(`recording-${recordingSid}.wav`)).toBeNull();
    expect(await h.store.collection('messages').countDocuments({ callerChoice: { $ne: 'discarded' } })).toBe(0);
  });
});

