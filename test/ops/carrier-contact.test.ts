import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { CarrierContact } from '../../src/ops/carrier-contact';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { startHotline, TestHotline, TEST_AUTH_TOKEN } from '../support/hotline';

jest.setTimeout(60_000);

const ACCOUNT = 'ACcontact';

/**
 * /health's carrier check reads what the workers noted in the database (src/ops/carrier-contact.ts):
 * here the recording download worker against a loopback carrier stand-in that fails, then answers.
 */
describe('the recording download worker notes its contact with the carrier', () => {
  let carrier: FakeCarrier;
  let h: TestHotline;
  afterEach(async () => {
    await h?.stop();
    await carrier?.stop();
  });

  it('a 503 as the last failure with its reason, then the download that went through', async () => {
    carrier = await new FakeCarrier(ACCOUNT, TEST_AUTH_TOKEN).start();
    h = await startHotline({ CARRIER_API_URL: carrier.url, TWILIO_ACCOUNT_SID: ACCOUNT, RECORDING_RETRY_BASE_SECONDS: '1' });
    let skewMs = 0;
    const worker = recordingDownloadWorkerFor(h.rt, { now: () => new Date(Date.now() + skewMs) });
    const recordingSid = `RE${'c'.repeat(32)}`;
    carrier.addRecording(recordingSid, wavOf(14));
    const sim = new CallSimulator({ serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: '+85512000111', accountSid: ACCOUNT, carrierApiUrl: carrier.url });
    await sim.run([...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 14, recordingSid }, ...parseScript('1,hangup')]);
    expect((await sim.sendRecordingStatus(recordingSid, 14)).status).toBe(204);
    const contact = new CarrierContact(h.store);

    carrier.failNext(1, 503, 'GET');
    expect(await worker.drain()).toEqual([{ recordingSid, outcome: 'retry' }]);
    const failed = await contact.read();
    expect(failed).toMatchObject({ lastFailureVia: 'recording download' });
    expect(failed?.lastFailureReason).toMatch(/503/);
    expect(failed?.lastOkAt).toBeUndefined();

    skewMs = 60_000;
    expect((await worker.drain()).map((r) => r.outcome)).toEqual(['stored']);
    const after = await contact.read();
    expect(after?.lastOkAt).toBeInstanceOf(Date);
    expect(after!.lastOkAt!.getTime()).toBeGreaterThan(after!.lastFailureAt!.getTime());
    await worker.stop();
  });
});
