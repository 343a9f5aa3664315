import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { tempDir } from '../support/engine';

const root = path.resolve(__dirname, '../..');
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: tempDir(), ...env }, { cwd: root });
function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

/** Issue 12: TRUST_PROXY as Express takes it, the connection cap and the audit retention rule. */
describe('hardening settings', () => {
  it('TRUST_PROXY is off by default, and takes a hop count or addresses, CIDRs and named ranges', () => {
    expect(load({}).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(load({ TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,loopback, fd00::/8' }).trustProxy).toEqual(['10.0.0.5', '192.168.0.0/16', 'loopback', 'fd00::/8']);
  });

  it('TRUST_PROXY=true (any client could pick its address) and malformed addresses are refused, saying what to give instead', () => {
    expect(refusal({ TRUST_PROXY: 'true' })).toMatch(/TRUST_PROXY=true would trust every X-Forwarded-For.*number of proxies/);
    expect(refusal({ TRUST_PROXY: '10.0.0.300' })).toMatch(/TRUST_PROXY="10.0.0.300" is not off, a hop count.*bad: 10.0.0.300/);
    expect(refusal({ TRUST_PROXY: '10.0.0.0/33' })).toMatch(/bad: 10.0.0.0\/33/);
  });

  it('the audit retention has a floor of 90 days and the connection cap a floor of 10', () => {
    expect(load({}).auditRetentionDays).toBe(400);
    expect(load({}).httpMaxConnections).toBe(1000);
    expect(refusal({ AUDIT_RETENTION_DAYS: '30' })).toMatch(/AUDIT_RETENTION_DAYS=30 is too short: at least 90 days/);
    expect(refusal({ HTTP_MAX_CONNECTIONS: '2' })).toMatch(/HTTP_MAX_CONNECTIONS=2 is too low/);
  });
});
