import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ffmpeg from '../../src/audio/ffmpeg';
import { DecodeSlots, DecodesBusyError } from '../../src/audio/decode-slots';
import { MAX_INPUT_SECONDS } from '../../src/audio/telephony-conversion';
import { parseScript } from '../../src/simulator/call-simulator';
import { LANGUAGE_COOKIE } from '../../src/staff/i18n/i18n';
import { ENGINE } from '../support/engine';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { addAccount, StaffClient, toneWav } from './staff-support';

/**
 * Issue 21, section 4: uploads cannot tie up the machine or lose an answer.
 * - A 243 KB FLAC kept ffmpeg busy until its 60-120 s time-out: a FLAC of silence packs half an
 *   hour into a few KB, and the slow loudness pass ran over all of it before the length was
 *   checked. The length is now found first, by a decode that stops after MAX_INPUT_SECONDS.
 * - Conversions run at most AUDIO_DECODES_AT_ONCE at once; a refusal says so in the staff
 *   member's language.
 * - Two answers recorded for one message at once: the one not queued removed the file the queued
 *   call was to play (both had the same name).
 * - A refused studio upload showed ffmpeg's words, with the server's scratch path in them.
 */
describe(`uploaded recordings (${ENGINE} store)`, () => {
  const FROM = '+85523900900';
  const CITIZEN = '+85512444556';
  const RECORDING = 'RE00000000000000000000000000000043';
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-limits-'));
  let halfHourFlac: Buffer;
  let carrier: FakeCarrierCalls;
  let h: TestHotline;
  let admin: StaffClient;

  beforeAll(async () => {
    // 30 minutes of silence as FLAC (large frames): about 20 KB.
    const file = path.join(scratch, 'half-hour.flac');
    await ffmpeg.runFfmpeg(['-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '1800', '-c:a', 'flac', '-frame_size', '16384', file], { timeoutMs: 60_000 });
    halfHourFlac = fs.readFileSync(file);
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  beforeEach(async () => {
    carrier = await new FakeCarrierCalls('ACtest', TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, OUTBOUND_FROM_NUMBER: FROM, OUTBOUND_CALLING_HOURS: '00:00-24:00' });
    await addAccount(h.store, 'admin1', 'admin');
    admin = await new StaffClient(h).signedIn('admin1');
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await h.stop();
    await carrier.stop();
  });

  const studioUpload = (client: StaffClient, body: Buffer, type: string) => fetch(`${h.url}/staff/studio/km/welcome/recording`, {
    method: 'POST', headers: { cookie: client.cookieHeader, 'x-csrf-token': client.csrf, 'content-type': type }, body,
  });
  const answerUpload = (client: StaffClient, body: Buffer, type = 'audio/wav') => fetch(`${h.url}/staff/outbound/answer-recording?messageId=${RECORDING}`, {
    method: 'POST', headers: { cookie: client.cookieHeader, 'x-csrf-token': client.csrf, 'content-type': type }, body,
  });
  /** A caller leaves a message and asks to be called back with the answer. */
  const leaveMessageWantingAnswer = () => h.call([
    ...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 10, recordingSid: RECORDING }, ...parseScript('1,1,hangup'),
  ], { from: CITIZEN });

  it('a tiny FLAC that decodes to half an hour is refused as too long, after one decode that stops at the limit', async () => {
    expect(halfHourFlac.length).toBeLessThan(64 * 1024);
    await admin.page('/staff/studio/km');
    const runs = jest.spyOn(ffmpeg, 'runFfmpeg');
    const res = await studioUpload(admin, halfHourFlac, 'audio/flac');
    expect(res.status).toBe(422);
    const body = await res.json() as { ok: boolean; code: string; message: string };
    expect(body).toMatchObject({ ok: false, code: 'AUDIO_TOO_LONG' });
    expect(body.message).toMatch(new RegExp(`more than ${MAX_INPUT_SECONDS} s`));
    // Only the bounded decode ran (no pass over the whole half hour).
    expect(runs.mock.calls.length).toBeGreaterThan(0);
    for (const [args] of runs.mock.calls) expect(args[args.indexOf('-t') + 1]).toBe(String(MAX_INPUT_SECONDS + 1));
  });

  it('an answer longer than the recorder\'s minute is refused before it is converted; nothing is queued', async () => {
    await leaveMessageWantingAnswer();
    const reviewer = await new StaffClient(h).signedIn('admin1');
    await reviewer.page('/staff/outbound');
    const res = await answerUpload(reviewer, toneWav(100));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/at most 90 s/);
    expect(await h.rt.outbound.queue.collection.countDocuments({ state: 'queued' })).toBe(0);
  });

  it('a damaged studio upload is refused naming the file, never where the server keeps it', async () => {
    await admin.page('/staff/studio/km');
    // A WAV header with garbage after it: ffmpeg's complaint names the input by its path.
    const damaged = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.from('garbage'.repeat(50))]);
    const res = await studioUpload(admin, damaged, 'audio/wav');
    expect(res.status).toBe(422);
    const { message } = await res.json() as { message: string };
    expect(message).toBe('Not saved: the file is damaged or cut short. Send the original recording again.');
    expect(message).not.toContain(os.tmpdir());
    expect(message).not.toMatch(/\/[\w.-]+\/[\w.-]+/); // no absolute path of any kind
  });

  it('two answers recorded for one message at once: one is kept as the draft to confirm, and its audio is there', async () => {
    await leaveMessageWantingAnswer();
    const [a, b] = [await new StaffClient(h).signedIn('admin1'), await new StaffClient(h).signedIn('admin1')];
    await a.page('/staff/outbound');
    await b.page('/staff/outbound');
    const writes = jest.spyOn(h.store.files, 'write');
    const replies = await Promise.all([answerUpload(a, toneWav(2)), answerUpload(b, toneWav(3))]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const entries = await h.rt.outbound.queue.collection.find({ draftAnswerFileId: { $exists: true } });
    expect(entries).toHaveLength(1);
    expect(entries[0].state).toBe('awaiting-answer');
    const audio = await h.store.files.read(entries[0].draftAnswerFileId!).catch(() => null);
    expect(audio?.subarray(0, 4).toString()).toBe('RIFF');
    // Each upload wrote a file of its own; the one not kept is gone.
    const written = writes.mock.calls.map(([id]) => id).filter((id) => id.startsWith('answer-'));
    expect(new Set(written).size).toBe(2);
    for (const id of written.filter((w) => w !== entries[0].draftAnswerFileId)) expect(await h.store.files.size(id)).toBeNull();
  });

  it('when every decode slot stays taken, the upload is refused in the staff member\'s language with what to do', async () => {
    await admin.page('/staff/studio/km');
    admin.cookies.set(LANGUAGE_COOKIE, 'km');
    const busy = () => new DecodesBusyError('2 recordings are being converted already: try again in a minute', { key: 'audio.decodes-busy' });
    const run = jest.spyOn(DecodeSlots.prototype, 'run').mockRejectedValueOnce(busy());
    const res = await studioUpload(admin, toneWav(2), 'audio/wav');
    expect(run).toHaveBeenCalled();
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, code: 'AUDIO_DECODES_BUSY', message: expect.stringContaining('សូមផ្ញើការថតនេះម្ដងទៀត') });

    await leaveMessageWantingAnswer();
    await admin.page('/staff/outbound');
    run.mockRejectedValueOnce(busy());
    const answer = await answerUpload(admin, toneWav(2));
    expect(answer.status).toBe(503);
    expect(await answer.text()).toContain('សូមផ្ញើការថតនេះម្ដងទៀត');
    expect(await h.rt.outbound.queue.collection.countDocuments({ state: 'queued' })).toBe(0);
  });
});
