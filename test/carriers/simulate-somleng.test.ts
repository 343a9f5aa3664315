import * as net from 'node:net';
import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { RecordingApiStandIn } from '../../src/simulator/recording-api-stand-in';
import { SOMLENG_KEEPS_RECORDINGS } from '../../src/telephony/carrier-profile';
import { ENGINE } from '../support/engine';
import { startHotline, TEST_AUTH_TOKEN } from '../support/hotline';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe(`npm run simulate -- --carrier somleng (${ENGINE} store)`, () => {
  it('plays a whole voice message as Somleng would: UUID ids, the /Calls/ URL form, the recording held by the stand-in API, stored here and kept there', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const account = '7b1c7ad4-8f3c-4f6e-9c0a-2a4f5d6e7f80';
    const standIn = new RecordingApiStandIn({ carrier: 'somleng', url: api });
    await standIn.start();
    const h = await startHotline({ CARRIER: 'somleng', CARRIER_API_URL: api, TWILIO_ACCOUNT_SID: account });
    try {
      const sim = new CallSimulator({
        serverUrl: h.url, publicBaseUrl: h.url, authToken: TEST_AUTH_TOKEN, from: '+85512300001', carrier: 'somleng', accountSid: account, carrierApiUrl: api,
        sendRecordingStatus: true, onRecorded: (sid, seconds) => standIn.add(sid, seconds),
      });
      const t = await sim.run(parseScript('1,3,120101,1,2,record:12,1,hangup'));
      expect(t.errors).toEqual([]);
      expect(t.callSid).toMatch(UUID);
      expect(t.heard.map((p) => p.id)).toContain('message.saved');
      const recorded = t.events.find((e) => e.type === 'recorded');
      const sid = recorded && recorded.type === 'recorded' ? recorded.recordingSid : '';
      expect(sid).toMatch(UUID);
      expect(await recordingDownloadWorkerFor(h.rt).drain()).toEqual([{ recordingSid: sid, outcome: 'stored' }]);
      expect((await h.rt.messages.find(sid))?.download).toMatchObject({ state: 'stored', keptAtCarrier: SOMLENG_KEEPS_RECORDINGS });
      expect(standIn.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
      expect(standIn.requests.filter((r) => r.status === 302).map((r) => r.path)).toEqual([
        `/2010-04-01/Accounts/${account}/Calls/${t.callSid}/Recordings/${sid}.wav`, // listened to during the call
        `/2010-04-01/Accounts/${account}/Calls/${t.callSid}/Recordings/${sid}.wav`, // downloaded after
      ]);
    } finally {
      await h.stop();
      await standIn.stop();
    }
  });
});
