import * as path from 'node:path';
import { AppConfig, listenNote, loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { carrierMediaItems, listenItem, settingsItems } from '../../src/doctor/doctor';
import { tempDir } from '../support/engine';

const ROOT = path.resolve(__dirname, '../..');
const load = (env: Record<string, string>): AppConfig => loadConfig({ DATA_DIR: tempDir(), LOG_LEVEL: 'silent', ...env }, { cwd: ROOT });
const somleng = (hosts: string) => load({ CARRIER: 'somleng', CARRIER_API_URL: 'https://api.somleng.example', CARRIER_MEDIA_HOSTS: hosts });

/**
 * Somleng redirects a recording's audio to its raw-recordings bucket until ProcessRecording has
 * run, to its uploads bucket after (somleng app/controllers/twilio_api/recordings_controller.rb:28-36,49-51;
 * app/models/raw_recording_presigned_url.rb:9-13; config/app_settings.yml:17-18 names both buckets).
 */
describe('doctor: CARRIER_MEDIA_HOSTS on Somleng must cover both buckets', () => {
  it('empty, or one S3 bucket host, is a warning that names both buckets and how to list them', () => {
    const [empty] = carrierMediaItems(somleng(''));
    expect(empty).toMatchObject({ id: 'carrier.media-hosts', status: 'warning' });
    const [one] = carrierMediaItems(somleng('hotline-uploads.s3.ap-southeast-1.amazonaws.com'));
    expect(one.status).toBe('warning');
    expect(one.message).toMatch(/raw-recordings bucket.*silence check is skipped/);
    expect(one.fix).toMatch(/UPLOADS_BUCKET.*RAW_RECORDINGS_BUCKET/);
    expect(one.fix).toContain('*.s3.ap-southeast-1.amazonaws.com');
    // The doctor's settings list carries it.
    expect(settingsItems(somleng('hotline-uploads.s3.ap-southeast-1.amazonaws.com')).map((i) => i.id)).toContain('carrier.media-hosts');
  });

  it('both bucket hosts, or a wildcard over them, are ok; one path-style host is ok with what it must serve; Twilio is not asked', () => {
    expect(carrierMediaItems(somleng('up.s3.ap-southeast-1.amazonaws.com,raw.s3.ap-southeast-1.amazonaws.com'))[0].status).toBe('ok');
    expect(carrierMediaItems(somleng('*.s3.ap-southeast-1.amazonaws.com'))[0].status).toBe('ok');
    const [minio] = carrierMediaItems(somleng('minio.example.org:9000'));
    expect(minio.status).toBe('ok');
    expect(minio.message).toMatch(/must serve both/);
    expect(carrierMediaItems(load({}))).toEqual([]);
  });
});

describe('TRUST_PROXY and where the server listens', () => {
  it('HOST left empty listens everywhere with no proxy, and only on loopback once a proxy is trusted, saying so', () => {
    expect(load({}).host).toBe('0.0.0.0');
    for (const trust of ['1', 'loopback', '10.0.0.5']) {
      const c = load({ TRUST_PROXY: trust });
      expect(c.host).toBe('127.0.0.1');
      expect(c.hostChosenForProxy).toBe(true);
      expect(listenNote(c)).toMatch(/^listening on 127\.0\.0\.1:3000 only, because TRUST_PROXY names a proxy and HOST is empty/);
    }
  });

  it('a hop count with a HOST clients can reach directly is refused, saying what to do', () => {
    let message = '';
    try {
      load({ TRUST_PROXY: '1', HOST: '0.0.0.0' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/TRUST_PROXY=1 \(a hop count\) believes the X-Forwarded-For of whoever connects, and HOST=0\.0\.0\.0 lets clients connect without the proxy/);
    expect(message).toMatch(/leave HOST empty/);
    // Loopback with a hop count, and any HOST with proxies named by address, are accepted.
    expect(load({ TRUST_PROXY: '1', HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(load({ TRUST_PROXY: 'uniquelocal', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('the doctor says where it listens, and warns when a proxy can be gone around or a local proxy is not trusted', () => {
    expect(listenItem(load({ TRUST_PROXY: 'loopback' }))).toMatchObject({ id: 'http.listen', status: 'ok' });
    expect(listenItem(load({}))).toMatchObject({ status: 'ok', message: expect.stringContaining('HTTP_MAX_CONNECTIONS_PER_CLIENT') });
    expect(listenItem(load({ TRUST_PROXY: '10.0.0.5', HOST: '0.0.0.0' }))).toMatchObject({ status: 'warning', fix: expect.stringContaining('leave HOST empty') });
    expect(listenItem(load({ HOST: '127.0.0.1' }))).toMatchObject({ status: 'warning', fix: expect.stringContaining('TRUST_PROXY=loopback') });
  });

  it('the doctor says whether the plain HTTP port can be reached from other machines, and warns when an https line leaves it open with no proxy trusted', () => {
    expect(listenItem(load({ TRUST_PROXY: 'loopback' })).message).toMatch(/^listening on 127\.0\.0\.1:3000 only \(HOST empty, TRUST_PROXY set\): the plain HTTP port 3000 cannot be reached from other machines/);
    expect(listenItem(load({})).message).toMatch(/^listening on 0\.0\.0\.0:3000 with no proxy trusted: the plain HTTP port 3000 can be reached from other machines unless a firewall closes it/);
    expect(listenItem(load({ TRUST_PROXY: '10.0.0.5', HOST: '10.0.0.7' })).message).toMatch(/the plain HTTP port 3000 can be reached from other machines at 10\.0\.0\.7 unless a firewall closes it, so clients can go around the proxy/);
    // https means a TLS proxy is in front: with none trusted and the port open, clients go around it.
    const https = listenItem(load({ PUBLIC_BASE_URL: 'https://hotline.example.org' }));
    expect(https).toMatchObject({ status: 'warning', message: expect.stringMatching(/PUBLIC_BASE_URL is https .*the plain HTTP port 3000 can be reached from other machines/) });
    expect(https.fix).toMatch(/set TRUST_PROXY=loopback and leave HOST empty/);
    expect(listenItem(load({ PUBLIC_BASE_URL: 'https://hotline.example.org', TRUST_PROXY: 'loopback' })).status).toBe('ok');
  });

  it('HTTP_MAX_CONNECTIONS_PER_CLIENT defaults to 300 (above a carrier\'s peak from one address) and has a floor', () => {
    expect(load({}).httpMaxConnectionsPerClient).toBe(300);
    expect(() => load({ HTTP_MAX_CONNECTIONS_PER_CLIENT: '2' })).toThrow(/HTTP_MAX_CONNECTIONS_PER_CLIENT=2 is too low/);
  });
});
