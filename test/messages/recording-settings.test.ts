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
});
