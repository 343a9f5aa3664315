import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe(`npm run simulate -- --missed (${ENGINE})`, () => {
  let h: TestHotline;
  afterEach(() => h?.stop());

  it('rings the missed-call number, stands in for the carrier, and plays the callback the hotline places', async () => {
    const carrierApiUrl = `http://127.0.0.1:${await freePort()}`;
    h = await startHotline({ CARRIER_API_URL: carrierApiUrl, OUTBOUND_FROM_NUMBER: '+85523000000', OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_MAX_PER_MINUTE: '600' });
    const worker = callbackWorkerFor(h.rt, { pollIntervalMs: 200 });
    worker.start();
    try {
      const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/simulate.ts',
          '--missed', '--from', '+85512000999', '--keys', '1,hangup', '--url', h.url, '--public-url', h.url, '--auth-token', TEST_AUTH_TOKEN, '--wait', '20'], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), CARRIER_API_URL: carrierApiUrl, TWILIO_ACCOUNT_SID: 'ACtest', NODE_ENV: 'test' },
        });
        let text = '';
        child.stdout.on('data', (c) => { text += String(c); });
        child.stderr.on('data', (c) => { text += String(c); });
        child.on('close', (code) => resolve({ code, text }));
      });
      expect(out.text).toContain('<Reject reason="busy"/>');
      expect(out.text).toContain('the hotline calls +85512000999 back from +85523000000');
      expect(out.text).toContain('km/main.menu');
      expect(out.text).toContain('status callback "completed" sent: HTTP 204');
      expect(out.code).toBe(0);
      const [entry] = await h.rt.outbound.queue.collection.find({});
      expect(entry).toMatchObject({ state: 'completed', attempts: 1 });
      expect(entry.sealedNumber).toBeUndefined();
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
