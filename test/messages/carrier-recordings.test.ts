import { redactUrl, recordingResourceUrl, trustedRecordingUrl, UntrustedRecordingUrlError } from '../../src/messages/carrier-recordings';

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
});
