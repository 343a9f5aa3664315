import { Request } from 'express';
import { UntrustedRecordingUrlError } from '../../src/messages/carrier-recordings';
import { CARRIER_SID, carrierParam, postedRecording } from '../../src/telephony/carrier-params';

/**
 * What a Record action's webhook carries, read from the form the carrier posted:
 * - Twilio posts RecordingUrl, RecordingDuration, Digits and RecordingSid
 *   (https://www.twilio.com/docs/voice/twiml/record#attributes-action);
 * - Somleng posts only RecordingUrl and RecordingDuration (somleng-switch
 *   components/app/app/workflows/execute_record.rb, build_callback_params), its RecordingUrl
 *   .../Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{RecordingSid} (test/carriers/somleng-model.ts).
 */
const API = 'https://api.somleng.org';
const ACCOUNT = 'ACtest';
const CALL = 'CA0123456789abcdef';
const SID = 'RE0123456789abcdef0123456789abcdef';
const url = (sid = SID, account = ACCOUNT, call = CALL) => `${API}/2010-04-01/Accounts/${account}/Calls/${call}/Recordings/${sid}`;
const req = (body: unknown) => ({ body }) as Request;
const read = (body: Record<string, unknown>, opts: { accountSid?: string; callSid?: string } = {}) =>
  postedRecording(req(body), { carrierApiUrl: API, accountSid: opts.accountSid ?? ACCOUNT, callSid: opts.callSid ?? CALL });

describe('carrier form parameters', () => {
  it('reads a single string, and nothing from a repeated field, a missing one or a missing body', () => {
    expect(carrierParam(req({ From: '+85512345678' }), 'From')).toBe('+85512345678');
    expect(carrierParam(req({ From: ['+85512345678', '+85598765432'] }), 'From')).toBeUndefined();
    expect(carrierParam(req({}), 'From')).toBeUndefined();
    expect(carrierParam(req(undefined), 'From')).toBeUndefined();
    expect(carrierParam(req(null), 'From')).toBeUndefined(); // typeof null is 'object'
    expect(carrierParam(req('From=+85512345678'), 'From')).toBeUndefined();
  });

  it('takes carrier ids of 10 to 64 letters, digits and dashes (Twilio: 2 letters + 32 hex; Somleng: UUIDs)', () => {
    expect(CARRIER_SID.test(SID)).toBe(true);
    expect(CARRIER_SID.test('6f1c2a3e-0b7d-4e8a-9c5f-1a2b3c4d5e6f')).toBe(true);
    expect(CARRIER_SID.test('a'.repeat(10))).toBe(true);
    expect(CARRIER_SID.test('a'.repeat(64))).toBe(true);
    expect(CARRIER_SID.test('a'.repeat(9))).toBe(false);
    expect(CARRIER_SID.test('a'.repeat(65))).toBe(false);
    expect(CARRIER_SID.test(`${SID}/..`)).toBe(false);
    expect(CARRIER_SID.test(`x${SID.slice(1)} `)).toBe(false);
  });
});

describe('the recording a Record action posted', () => {
  it('is none when no RecordingUrl was posted', () => {
    expect(read({ RecordingDuration: '7' })).toBeUndefined();
  });

  it("reads Somleng's form: the recording id from RecordingUrl, the duration in seconds", () => {
    expect(read({ RecordingUrl: url(), RecordingDuration: '7' })).toEqual({ recordingSid: SID, recordingUrl: url(), durationSeconds: 7, silent: false });
  });

  it("reads Twilio's form with RecordingSid, and refuses a RecordingUrl naming another recording", () => {
    expect(read({ RecordingUrl: url(), RecordingSid: SID, RecordingDuration: '12' })).toMatchObject({ recordingSid: SID, durationSeconds: 12 });
    expect(() => read({ RecordingUrl: url(), RecordingSid: 'RE' + '9'.repeat(32), RecordingDuration: '12' })).toThrow(UntrustedRecordingUrlError);
  });

  it('says a recording of 0 s (or less) is silent, and takes a missing or unreadable duration as unknown, not silent', () => {
    expect(read({ RecordingUrl: url(), RecordingDuration: '0' })).toMatchObject({ durationSeconds: 0, silent: true });
    expect(read({ RecordingUrl: url(), RecordingDuration: '-3' })).toMatchObject({ durationSeconds: 0, silent: true });
    expect(read({ RecordingUrl: url(), RecordingDuration: '1' })).toMatchObject({ durationSeconds: 1, silent: false });
    expect(read({ RecordingUrl: url(), RecordingDuration: 'soon' })).toMatchObject({ durationSeconds: 0, silent: false });
    expect(read({ RecordingUrl: url(), RecordingDuration: 'Infinity' })).toMatchObject({ durationSeconds: 0, silent: false });
    expect(read({ RecordingUrl: url() })).toMatchObject({ durationSeconds: 0, silent: false });
  });

  it('refuses a recording id that is not a carrier id, another account and another call', () => {
    expect(() => read({ RecordingUrl: url('RE12345') })).toThrow(/not a carrier id/);
    expect(() => read({ RecordingUrl: url(SID, 'ACother') })).toThrow(/another account/);
    expect(() => read({ RecordingUrl: url(SID, ACCOUNT, 'CAother0123456') })).toThrow(/another call/);
    // No account configured (TWILIO_ACCOUNT_SID empty): the account is not compared.
    expect(read({ RecordingUrl: url(SID, 'ACother') }, { accountSid: '' })).toMatchObject({ recordingSid: SID });
  });
});
