import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the deploy/ tests share: the tools that read the kit's files, and how systemd reads a unit. */
export const ROOT = path.resolve(__dirname, '../..');
export const DEPLOY = path.join(ROOT, 'deploy');

export const have = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** A tool a check needs (nginx, openssl, systemd-analyze): missing is a warning, and a failure under CI=true. */
export function needs(bin: string): boolean {
  if (have(bin)) return true;
  if (process.env.CI === 'true') throw new Error(`${bin} is not installed; CI=true, so this is a failure, not a skip`);
  console.warn(`${bin} not installed: its deploy/ check did not run (apt-get install -y ${bin})`);
  return false;
}

/** A unit's `Environment=` assignments (each line may hold several, optionally quoted). */
export function unitEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, rest] of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const [, quoted, bare] of rest.matchAll(/"([^"]*)"|(\S+)/g)) {
      const assignment = quoted ?? bare;
      const at = assignment.indexOf('=');
      env[assignment.slice(0, at)] = assignment.slice(at + 1);
    }
  }
  return env;
}

/** One `Key=` setting of a unit (the last, as systemd reads a repeated single-valued key). */
export function unitSetting(text: string, key: string): string {
  const all = [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))];
  if (!all.length) throw new Error(`the unit has no ${key}=`);
  return all[all.length - 1][1];
}

/** README "Going live" step 3: set these in the copied `.env.example` (replacing the example's line, or adding one). */
export function fillIn(example: string, values: Record<string, string>): string {
  let text = example;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name}=.*$`, 'm');
    text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}\n${name}=${value}\n`;
  }
  return text;
}

/** A self-signed certificate in place of Let's Encrypt's, for these DNS names (the first is its subject). */
export function throwAwayCertificate(cert: string, key: string, names: string[]): void {
  fs.mkdirSync(path.dirname(cert), { recursive: true });
  fs.mkdirSync(path.dirname(key), { recursive: true });
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
}

/**
 * nginx's own test of a configuration (`nginx -t`), with every path nginx writes in `dir`: the
 * main file includes `site` inside its http block, as Debian's /etc/nginx/nginx.conf includes
 * sites-enabled/.
 */
export function nginxTest(dir: string, site: string): { status: number | null; stderr: string; conf: string } {
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, [
    `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log;`, 'events {}',
    `http { access_log ${dir}/access.log; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; include ${site}; }`,
  ].join('\n'));
  const r = spawnSync('nginx', ['-t', '-p', dir, '-e', `${dir}/error.log`, '-c', conf], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, conf };
}

/** `systemd-analyze verify` on unit files: the lines about them (none when they are sound) and its exit status. */
export function verifyUnits(files: string[]): { about: string[]; status: number | null } {
  const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
  return { about: `${r.stdout}${r.stderr}`.split('\n').filter((l) => /hotline/.test(l)), status: r.status };
}
