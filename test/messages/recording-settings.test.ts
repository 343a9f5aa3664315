import { loadConfig, startupWarnings } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { tempDir } from '../support/engine';

const base = { DATA_DIR: tempDir(), NODE_ENV: 'test' };

describe('settings of the recording download', () => {
  it('defaults: the Twilio API, delete at the carrier, 12 attempts, 30 s first retry', () => {
    expect(loadConfig(base)).toMatchObject({
      carrierApiUrl: 'https://api.twilio.com', deleteRecordingsAtCarrier: true, recordingDownloadMaxAttempts: 12, recordingRetryBaseSeconds: 30,
    });
  });

  it('reads each setting and warns when recordings stay at the carrier', () => {
    const c = loadConfig({ ...base, CARRIER_API_URL: 'http://127.0.0.1:9999', DELETE_RECORDINGS_AT_CARRIER: 'false', RECORDING_DOWNLOAD_MAX_ATTEMPTS: '3', RECORDING_RETRY_BASE_SECONDS: '5' });
    expect(c).toMatchObject({ carrierApiUrl: 'http://127.0.0.1:9999', deleteRecordingsAtCarrier: false, recordingDownloadMaxAttempts: 3, recordingRetryBaseSeconds: 5 });
    expect(startupWarnings(c).join('\n')).toMatch(/DELETE_RECORDINGS_AT_CARRIER=false/);
    expect(startupWarnings(loadConfig(base)).join('\n')).not.toMatch(/DELETE_RECORDINGS_AT_CARRIER/);
  });

  it('refuses a carrier URL that is not http(s) and a delete flag that is not true or false', () => {
    expect(() => loadConfig({ ...base, CARRIER_API_URL: 'ftp://api.twilio.com' })).toThrow(/CARRIER_API_URL/);
    expect(() => loadConfig({ ...base, DELETE_RECORDINGS_AT_CARRIER: 'yes' })).toThrow(/DELETE_RECORDINGS_AT_CARRIER/);
  });

  it('production needs the account SID the recordings are downloaded with', () => {
    const production = {
      NODE_ENV: 'production', DATA_DIR: tempDir(), PUBLIC_BASE_URL: 'https://hotline.example.org', TWILIO_AUTH_TOKEN: 't', CALLER_HASH_SECRET: 'c', SESSION_SECRET: 's',
      CALLBACK_NUMBER_KEY: 'ab'.repeat(32),
    };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/TWILIO_ACCOUNT_SID is required in production/);
    expect(loadConfig({ ...production, TWILIO_ACCOUNT_SID: 'AC1' }).twilioAccountSid).toBe('AC1');
  });

  it('CARRIER names the platform once: twilio by default, somleng accepted, anything else refused', () => {
    expect(loadConfig(base).carrier).toBe('twilio');
    expect(loadConfig({ ...base, CARRIER: 'somleng', CARRIER_API_URL: 'https://api.somleng.org' }).carrier).toBe('somleng');
    expect(() => loadConfig({ ...base, CARRIER: 'plivo' })).toThrow(/CARRIER="plivo" must be one of: twilio, somleng/);
  });

  it('CARRIER=somleng with the Twilio API left in CARRIER_API_URL is refused at start-up, saying what to set', () => {
    expect(() => loadConfig({ ...base, CARRIER: 'somleng' })).toThrow(/CARRIER=somleng but CARRIER_API_URL is still Twilio's: set it to your Somleng API/);
  });

  it('CARRIER left at twilio with a carrier API that is not Twilio\'s is warned about at start-up', () => {
    expect(startupWarnings(loadConfig({ ...base, CARRIER_API_URL: 'https://api.somleng.org' })).join('\n')).toMatch(/if this is Somleng, set CARRIER=somleng/);
    expect(startupWarnings(loadConfig(base)).join('\n')).not.toMatch(/CARRIER=twilio/);
  });

  it('on Somleng the start-up warns that recordings stay there, and why', () => {
    const c = loadConfig({ ...base, CARRIER: 'somleng', CARRIER_API_URL: 'https://api.somleng.org' });
    expect(startupWarnings(c).join('\n')).toMatch(/CARRIER=somleng: Somleng's API has no DELETE for recordings/);
  });

  it('CARRIER_MEDIA_HOSTS takes host names, host:port and *.suffix, and refuses URLs', () => {
    expect(loadConfig({ ...base, CARRIER_MEDIA_HOSTS: 'uploads.s3.ap-southeast-1.amazonaws.com, *.example.org,localhost:9000' }).carrierMediaHosts)
      .toEqual(['uploads.s3.ap-southeast-1.amazonaws.com', '*.example.org', 'localhost:9000']);
    expect(() => loadConfig({ ...base, CARRIER_MEDIA_HOSTS: 'https://evil.example/' })).toThrow(/CARRIER_MEDIA_HOSTS entry "https:\/\/evil.example\/" is not a host name/);
  });
});

