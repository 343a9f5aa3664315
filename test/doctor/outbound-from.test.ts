import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { AppConfig, loadConfig } from '../../src/config/config';
import { carrierItems, DoctorItem } from '../../src/doctor/doctor';
import { tempDir } from '../support/engine';

/**
 * The doctor checks that OUTBOUND_FROM_NUMBER is an active number of the carrier account, or
 * every callback would be refused (Somleng 400 code 21210: app/request_schemas/twilio_api/
 * phone_call_request_schema.rb:28-35 looks From up in `account.incoming_phone_numbers.active`;
 * Twilio 21210, twilio.com/docs/errors/21210).
 *
 * The numbers API as both carriers serve it: GET /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json
 * with a PhoneNumber filter, answering { incoming_phone_numbers: [...] }. Twilio: "Read multiple
 * IncomingPhoneNumber resources" (twilio.com/docs/phone-numbers/api/incomingphonenumber-resource).
 * Somleng (github.com/somleng/somleng commit dcdc755): app/controllers/twilio_api/incoming_phone_numbers_controller.rb:3-11
 * `index` with scope `current_account.incoming_phone_numbers.active` (line 54-56), filter
 * app/request_schemas/twilio_api/incoming_phone_number_filter_request_schema.rb:7-17 (PhoneNumber ->
 * number), each number's "status" is "in-use" (app/serializers/twilio_api/incoming_phone_number_serializer.rb:121-123);
 * a released number is not listed.
 */
const ROOT = path.resolve(__dirname, '../..');
const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'carrier-token-0123456789abcdef01';

async function carrierWithNumbers(active: string[], opts: { numbersStatus?: number } = {}) {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`) return json(401, { code: '20003', message: 'Authenticate', status: 401 });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === `/2010-04-01/Accounts/${SID}.json`) return json(200, { sid: SID, status: 'active' });
    if (url.pathname === `/2010-04-01/Accounts/${SID}/IncomingPhoneNumbers.json`) {
      const wanted = url.searchParams.get('PhoneNumber');
      if (wanted) asked.push(wanted);
      if (wanted && opts.numbersStatus) return json(opts.numbersStatus, { code: '20001', message: 'Bad request', status: opts.numbersStatus });
      const digits = (n: string) => n.replace(/\D/g, '');
      const list = active.filter((n) => !wanted || digits(n) === digits(wanted));
      return json(200, { incoming_phone_numbers: list.map((n) => ({ phone_number: n, voice_url: 'https://hotline.example.org/voice/incoming', status: 'in-use' })) });
    }
    return json(404, { code: 20404, status: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const config = (carrierUrl: string, from: string): AppConfig => loadConfig({
  DATA_DIR: tempDir(), NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://hotline.example.org', CARRIER_API_URL: carrierUrl,
  TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, CALLER_HASH_SECRET: 'c', SESSION_SECRET: 's', OUTBOUND_FROM_NUMBER: from,
}, { cwd: ROOT });
const item = (items: DoctorItem[], id: string) => items.find((i) => i.id === id);

describe('doctor: OUTBOUND_FROM_NUMBER is an active number of the carrier account', () => {
  it('ok when the account lists it; a warning naming the setting and the fix when it does not', async () => {
    const carrier = await carrierWithNumbers(['+85523900900', '+85523900901']);
    try {
      expect(item(await carrierItems(config(carrier.url, '+85523900900')), 'carrier.outbound-from')).toMatchObject({ status: 'ok' });
      expect(carrier.asked).toEqual(['+85523900900']);
      const wrong = item(await carrierItems(config(carrier.url, '+85523111222')), 'carrier.outbound-from');
      expect(wrong).toMatchObject({ status: 'warning', message: expect.stringContaining('OUTBOUND_FROM_NUMBER +85523111222 is not an active number'), fix: expect.stringContaining('set OUTBOUND_FROM_NUMBER') });
    } finally {
      await carrier.close();
    }
  });

  it('says it could not check when the numbers API refuses, and checks nothing when no number is set', async () => {
    const carrier = await carrierWithNumbers(['+85523900900'], { numbersStatus: 400 });
    try {
      expect(item(await carrierItems(config(carrier.url, '+85523900900')), 'carrier.outbound-from')).toMatchObject({ status: 'warning', message: expect.stringContaining('could not check') });
      expect(item(await carrierItems(config(carrier.url, '')), 'carrier.outbound-from')).toBeUndefined();
    } finally {
      await carrier.close();
    }
  });
});
