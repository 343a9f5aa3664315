import { parseRecordingUrl, redactUrl, redirectAllowed, recordingResourceUrl, trustedRecordingUrl, UntrustedRecordingUrlError } from '../../src/messages/carrier-recordings';

const SID = 'RE0123456789abcdef0123456789abcdef';
const API = 'https://api.twilio.com';

describe('which RecordingUrl the app will fetch with its carrier credentials', () => {
  it('accepts the recording resource under CARRIER_API_URL and drops a media extension', () => {
    const url = `${API}/2010-04-01/Accounts/AC123/Recordings/${SID}`;
    expect(trustedRecordingUrl(url, SID, API)).toBe(url);
    expect(trustedRecordingUrl(`${url}.wav`, SID, API)).toBe(url);
    expect(trustedRecordingUrl(`${url}.mp3`, SID, API)).toBe(url);
  });

  it('accepts a carrier API mounted under a path (Somleng-style deployments)', () => {
    const api = 'https://carrier.example.org/api';
    expect(trustedRecordingUrl(`${api}/2010-04-01/Accounts/AC1/Recordings/${SID}`, SID, api)).toBe(`${api}/2010-04-01/Accounts/AC1/Recordings/${SID}`);
    expect(() => trustedRecordingUrl(`https://carrier.example.org/2010-04-01/Accounts/AC1/Recordings/${SID}`, SID, api)).toThrow(UntrustedRecordingUrlError);
  });

  it.each([
    ['another host', `https://evil.example/2010-04-01/Accounts/AC1/Recordings/${SID}`],
    ['a look-alike host', `https://api.twilio.com.evil.example/2010-04-01/Accounts/AC1/Recordings/${SID}`],
    ['plain http', `http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/${SID}`],
    ['another port', `https://api.twilio.com:8443/2010-04-01/Accounts/AC1/Recordings/${SID}`],
    ['credentials in the URL', `https://user:pw@api.twilio.com/2010-04-01/Accounts/AC1/Recordings/${SID}`],
    ['a query string', `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/${SID}?x=1`],
    ['another resource', `https://api.twilio.com/2010-04-01/Accounts/AC1/Calls/${SID}`],
    ['path traversal', `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/../Calls/${SID}`],
    ['another recording', `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE999`],
    ['not a URL', 'recording'],
  ])('refuses %s', (_what, url) => {
    expect(() => trustedRecordingUrl(url, SID, API)).toThrow(UntrustedRecordingUrlError);
  });

  it('logs a URL without user, password or query', () => {
    expect(redactUrl('https://user:secret@evil.example/a/b?token=x')).toBe('https://evil.example/a/b');
    expect(redactUrl('nonsense')).toBe('(not a URL)');
  });

  it('builds the resource URL of a recording from the account', () => {
    expect(recordingResourceUrl('https://api.twilio.com/', 'AC1', SID)).toBe(`https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/${SID}`);
  });

  it("reads Somleng's form, which names the call, and takes the recording's identity from the URL when no RecordingSid came", () => {
    const api = 'https://api.somleng.org';
    const account = '0f6f4d8e-2b1a-4c52-9d7e-1c0b2f3a4d5e';
    const call = 'a1b2c3d4-0000-4000-8000-000000000001';
    const rec = 'b2c3d4e5-0000-4000-8000-000000000002';
    const url = `${api}/2010-04-01/Accounts/${account}/Calls/${call}/Recordings/${rec}`;
    expect(parseRecordingUrl(url, api, { accountSid: account, callSid: call })).toEqual({ url, accountSid: account, callSid: call, recordingSid: rec });
    expect(() => parseRecordingUrl(url, api, { accountSid: account, callSid: 'another-call-0000000000' })).toThrow(/another call/);
    expect(() => parseRecordingUrl(url, api, { accountSid: 'ACsomeoneelse0000000' })).toThrow(/another account/);
    expect(() => parseRecordingUrl(url, api, { recordingSid: 'RE0000000000000000' })).toThrow(/another recording/);
  });

  it('follows a download redirect only to the API, its subdomains, or CARRIER_MEDIA_HOSTS', () => {
    const api = 'https://api.somleng.org';
    const ok = (u: string, hosts: string[] = []) => redirectAllowed(new URL(u), api, hosts);
    expect(ok('https://api.somleng.org/x.wav')).toBe(true);
    expect(ok('https://media.api.somleng.org/x.wav')).toBe(true);
    expect(ok('https://uploads.s3.amazonaws.com/x.wav')).toBe(false);
    expect(ok('https://uploads.s3.amazonaws.com/x.wav', ['uploads.s3.amazonaws.com'])).toBe(true);
    expect(ok('https://b.s3.amazonaws.com/x.wav', ['*.s3.amazonaws.com'])).toBe(true);
    expect(ok('http://uploads.s3.amazonaws.com/x.wav', ['uploads.s3.amazonaws.com'])).toBe(false); // not https
    expect(ok('https://u:p@api.somleng.org/x.wav')).toBe(false);
    expect(ok('https://api.somleng.org.evil.example/x.wav')).toBe(false);
  });
});

