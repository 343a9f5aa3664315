import * as fs from 'node:fs';
import * as path from 'node:path';
import { ANSWER_UPLOAD_MAX_BYTES } from '../../src/outbound/answer-recordings';
import { MAX_UPLOAD_BYTES } from '../../src/staff/studio-pages';
import { tempDir } from '../support/engine';
import { DEPLOY, needs, nginxTest, ROOT, throwAwayCertificate, verifyUnits } from '../support/deploy-kit';

/**
 * The deploy/ kit, each file checked with the tool that reads it where this machine has it
 * (Debian's nginx, systemd-analyze). A missing tool is a failure under CI=true.
 * test/deploy/going-live.test.ts runs the kit in the README's order.
 */
const read = (f: string) => fs.readFileSync(path.join(DEPLOY, f), 'utf8');

describe('deploy/nginx-hotline.conf', () => {
  const conf = read('nginx-hotline.conf');

  it('has TLS, the carrier 15 s timeout, a body limit and the forwarded headers TRUST_PROXY relies on', () => {
    expect(conf).toMatch(/listen 443 ssl( http2)?;/);
    expect(conf).toMatch(/return 301 https:\/\/\$host\$request_uri;/);
    expect(conf).toMatch(/proxy_read_timeout 15s;/);
    expect(conf).toMatch(/client_max_body_size \d+k;/);
    for (const h of ['X-Forwarded-For $proxy_add_x_forwarded_for', 'X-Forwarded-Proto $scheme', 'Host $host']) expect(conf).toContain(`proxy_set_header ${h};`);
    expect(conf).toMatch(/TRUST_PROXY=loopback/);
  });

  /** The body size nginx lets through to a location (`client_max_body_size` inside its block, else the server's). */
  const bodyLimit = (location: string): number => {
    const at = conf.indexOf(location);
    expect(at).toBeGreaterThan(-1);
    const block = conf.slice(at, conf.indexOf('}', at));
    const m = /client_max_body_size (\d+)([km]);/.exec(block) ?? /client_max_body_size (\d+)([km]);/.exec(conf);
    return Number(m![1]) * (m![2] === 'm' ? 1024 * 1024 : 1024);
  };

  it('lets the studio and answer uploads through at the sizes the hotline itself accepts, and keeps the rest small', () => {
    expect(bodyLimit('location ~ ^/staff/studio/[^/]+/[^/]+/recording$')).toBeGreaterThanOrEqual(MAX_UPLOAD_BYTES);
    expect(bodyLimit('location = /staff/outbound/answer-recording')).toBeGreaterThanOrEqual(ANSWER_UPLOAD_MAX_BYTES);
    expect(bodyLimit('location / {')).toBeLessThanOrEqual(256 * 1024);
    // The locations nginx picks for the two upload URLs are those blocks (regex and exact match beat the /staff/ prefix).
    expect(conf).toMatch(/location ~ \^\/staff\/studio\/\[\^\/\]\+\/\[\^\/\]\+\/recording\$ \{/);
  });

  it('limits each client: connections per address everywhere, and a request rate and fewer connections on the staff pages', () => {
    expect(conf).toMatch(/^limit_conn_zone \$binary_remote_addr zone=hotline_per_client:\d+m;$/m);
    expect(conf).toMatch(/^limit_req_zone \$binary_remote_addr zone=hotline_staff_rate:\d+m rate=\d+r\/s;$/m);
    const server = conf.slice(conf.indexOf('listen 443'));
    expect(server.slice(0, server.indexOf('location'))).toMatch(/limit_conn hotline_per_client \d+;/);
    const staff = conf.slice(conf.indexOf('location /staff/ {'), conf.indexOf('}', conf.indexOf('location /staff/ {')));
    expect(staff).toMatch(/limit_req zone=hotline_staff_rate burst=\d+ nodelay;/);
    expect(staff).toMatch(/limit_conn hotline_per_client \d+;/);
  });

  it('passes nginx -t (with a throw-away certificate in place of the real one)', () => {
    if (!needs('nginx') || !needs('openssl')) return;
    const dir = tempDir('nginx-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    throwAwayCertificate(cert, key, ['hotline.example.org']);
    const site = conf
      .replace('/etc/letsencrypt/live/hotline.example.org/fullchain.pem', cert)
      .replace('/etc/letsencrypt/live/hotline.example.org/privkey.pem', key)
      .replace(/\/var\/log\/nginx\//g, `${dir}/`)
      .replace('/var/www/html', dir);
    fs.writeFileSync(path.join(dir, 'hotline.conf'), site);
    const r = nginxTest(dir, path.join(dir, 'hotline.conf'));
    expect(r.stderr).toMatch(/syntax is ok/);
    expect(r.stderr).toMatch(/test is successful/);
    expect(r.status).toBe(0);
  });
});

describe('deploy/ systemd units', () => {
  it('run the built server as the unprivileged user hotline, DATA_DIR 0700, no compile, production', () => {
    const unit = read('hotline.service');
    expect(unit).toMatch(/^User=hotline$/m);
    expect(unit).toMatch(/^Environment=DATA_DIR=\/var\/lib\/hotline$/m);
    expect(unit).toMatch(/^StateDirectory=hotline$/m);
    expect(unit).toMatch(/^StateDirectoryMode=0700$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node dist\/src\/server\.js$/m);
    expect(unit).toMatch(/^Environment=NODE_ENV=production$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m); // a doctor blocker is not fixed by restarting
    expect(read('hotline-backup.service')).toMatch(/scripts\/backup\.ts --out \/var\/backups\/hotline\//);
    expect(read('hotline-backup.timer')).toMatch(/^OnCalendar=\*-\*-\* 02:30:00$/m);
  });

  it('pass systemd-analyze verify', () => {
    if (!needs('systemd-analyze')) return;
    const r = verifyUnits(['hotline.service', 'hotline-backup.service', 'hotline-backup.timer'].map((f) => path.join(DEPLOY, f)));
    expect(r.about).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('deploy/ logs: the journal, no file systemd opens as root', () => {
  // systemd.exec(5), StandardOutput=: "append:path ... the file is created if it does not exist"
  // by the service manager (root), so a rotation run as the service user cannot replace it.
  it.each(['hotline.service', 'hotline-backup.service'])('%s writes its output to the journal (no file:, append:, truncate:)', (file) => {
    const unit = read(file);
    for (const m of unit.matchAll(/^Standard(?:Output|Error)=(.*)$/gm)) expect(m[1]).toMatch(/^(journal|inherit)$/);
    expect(unit).not.toMatch(/^(LogsDirectory|StandardOutput|StandardError)=.*(file|append|truncate):/m);
    expect(unit).not.toMatch(/\/var\/log\/hotline/);
  });

  it('ships no logrotate file, and the README reads the journal', () => {
    expect(fs.existsSync(path.join(DEPLOY, 'logrotate-hotline'))).toBe(false);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/logrotate-hotline|\/var\/log\/hotline/);
    expect(readme).toMatch(/journalctl -u hotline/);
  });
});

describe('deploy/Dockerfile and compose.yaml', () => {
  it('build with dev tools and run the built server without them, with MongoDB beside it', () => {
    const docker = read('Dockerfile');
    expect(docker).toMatch(/RUN npm run build && npm prune --omit=dev/);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^CMD \["node", "dist\/src\/server\.js"\]$/m);
    // The runtime stage decodes with Debian's ffmpeg (security fixes), not the 2018 bundled build (issue 21, section 4).
    const runtime = docker.slice(docker.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg\b/m);
    expect(runtime).toMatch(/^ENV .*\bFFMPEG_PATH=\/usr\/bin\/ffmpeg\b/m);
    const compose = read('compose.yaml');
    expect(compose).toMatch(/image: mongo:7/);
    expect(compose).toMatch(/MONGODB_URI: mongodb:\/\/mongo:27017/);
    expect(compose).toMatch(/"127\.0\.0\.1:3000:3000"/); // only the TLS proxy on this machine reaches it
  });
});
