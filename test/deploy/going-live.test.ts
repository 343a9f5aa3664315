import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEnvFile } from '../../src/config/config';
import { MongoStore } from '../../src/store/mongo-store';
import { DEPLOY, fillIn, have, needs, nginxTest, ROOT, throwAwayCertificate, unitEnvironment, unitSetting, verifyUnits } from '../support/deploy-kit';
import { ENGINE, tempDir, testDbName } from '../support/engine';
import { freePort } from '../support/free-port';

/**
 * README "Going live", followed step by step in its order on a fresh copy of the code (the
 * repository's tracked files), each step's check run and passing: the "done when" of issue 23.
 * The commands are the README's own text, asserted to be there and then run with this machine's
 * paths. What a test machine cannot do has a stand-in, said where it is used: no apt-get, npm ci
 * or git clone (the tracked files are copied, node_modules linked), no DNS or Let's Encrypt (a
 * throw-away certificate at certbot's path), no systemd (each unit's ExecStart run with its
 * WorkingDirectory, Environment=, EnvironmentFile= and UMask=, as its User= when this test runs as
 * root: "hotline" is nobody here), a carrier API stand-in on this machine, and free ports in place
 * of 80, 443 and 3000.
 */
jest.setTimeout(60_000);

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const GOING_LIVE = README.slice(README.indexOf('## Going live\n'), README.indexOf('\n### Reading the logs'));
const DOMAIN = 'hotline.example.org';
const STEPS = [
  'Node.js 20.19 or later.', 'The code, a user and the data folder.', 'Settings.', 'The first staff account.', 'The service.',
  'DNS and the certificate.', 'HTTPS in front.', 'Logs.', 'Backups.', 'Your content.', 'The carrier.', 'Alerts.', 'When the server is down.',
];
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** The service user: "hotline" on a server; nobody here when root can run the service as another user. */
const SERVICE = asRoot ? { uid: 65534, gid: 65534 } : null;

interface Ran { status: number | null; stdout: string; stderr: string }

/** A command through sh, asynchronous: the carrier stand-in in this process must answer meanwhile. */
function sh(command: string, opts: { cwd: string; env: Record<string, string>; input?: string; asService?: boolean }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: opts.cwd, env: opts.env, ...(opts.asService && SERVICE ? SERVICE : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += String(c); });
    child.stderr.on('data', (c) => { stderr += String(c); });
    child.stdin.on('error', () => undefined); // a command that reads no input may be gone before it is written
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** GET or POST over TLS to DOMAIN at nginx's port, checking the certificate as a client would. */
function viaNginx(port: number, ca: string, pathname: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, servername: DOMAIN, ca, path: pathname, method: body === undefined ? 'GET' : 'POST',
      headers: { host: DOMAIN, ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += String(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('README "Going live", in its order, on a fresh copy of the code', () => {
  const machine = tempDir('going-live-');
  fs.chmodSync(machine, 0o755); // the service user must reach the code in it
  const code = path.join(machine, 'opt/hotline');
  const etc = path.join(machine, 'etc/hotline');
  const envFile = path.join(etc, 'hotline.env');
  const dataDir = path.join(machine, 'var/lib/hotline');
  const backups = path.join(machine, 'var/backups/hotline');
  const letsencrypt = path.join(machine, 'etc/letsencrypt');
  const www = path.join(machine, 'var/www');
  const nginxDir = path.join(machine, 'etc/nginx');
  const cert = path.join(letsencrypt, `live/${DOMAIN}/fullchain.pem`);
  const db = testDbName('golive');
  let appPort = 0;
  let httpPort = 0;
  let httpsPort = 0;
  let carrierPort = 0;
  let carrier: http.Server | undefined;
  let service: ChildProcess | undefined;
  let serviceLog = '';
  let nginx: ChildProcess | undefined;
  const carrierRequests: string[] = [];
  const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
  const authToken = 'c0ffee00d15ea5e0'.repeat(2);

  /** README text as it reads on this machine: its paths under `machine`, the test domain and ports. */
  const onMachine = (text: string) => text
    .replace(/\/opt\/hotline/g, code).replace(/\/etc\/hotline/g, etc).replace(/\/var\/lib\/hotline/g, dataDir)
    .replace(/\/var\/backups\/hotline/g, backups).replace(/\/etc\/letsencrypt/g, letsencrypt).replace(/\/var\/www/g, www)
    .replace(/\/etc\/nginx/g, nginxDir).replace(/\/var\/log\/nginx/g, nginxDir).replace(/your\.domain/g, DOMAIN)
    .replace(/127\.0\.0\.1:3000/g, `127.0.0.1:${appPort}`);
  /** A command the README shows, asserted to be there word for word, then as it runs here (root already: no sudo). */
  const readme = (command: string, where = GOING_LIVE) => {
    expect(where).toContain(command);
    return onMachine(command).replace(/(^|&& )sudo /g, '$1');
  };
  const toolEnv = () => ({ PATH: process.env.PATH ?? '', HOME: path.join(machine, 'root'), npm_config_update_notifier: 'false' });
  const runTool = (command: string, opts: { input?: string; env?: Record<string, string> } = {}) =>
    sh(command, { cwd: code, env: { ...toolEnv(), ...opts.env }, input: opts.input });
  /** A unit's ExecStart as systemd runs it: its WorkingDirectory, environment (EnvironmentFile= wins over Environment=), UMask= and User=. */
  const unitRun = (unitFile: string, instance = '') => {
    const unit = onMachine(fs.readFileSync(path.join(DEPLOY, unitFile), 'utf8')).replace(/%i/g, instance).replace(/%%/g, '%');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...unitEnvironment(unit), ...parseEnvFile(fs.readFileSync(unitSetting(unit, 'EnvironmentFile'), 'utf8')) };
    const exec = unitSetting(unit, 'ExecStart').replace(/\/usr\/bin\/node /g, `${process.execPath} `);
    let umask = '';
    try {
      umask = `umask ${unitSetting(unit, 'UMask')}; `;
    } catch { /* none */ }
    if (/^PrivateTmp=true$/m.test(unit)) {
      // The unit's own /tmp (tsx keeps its cache there), writable by its user as systemd makes it.
      const tmp = fs.mkdtempSync(path.join(machine, 'private-tmp-'));
      fs.chmodSync(tmp, 0o1777);
      env.TMPDIR = tmp;
    }
    return { command: `${umask}exec ${exec}`, cwd: unit.includes('WorkingDirectory=') ? unitSetting(unit, 'WorkingDirectory') : machine, env };
  };
  const doctorLines = (out: string) => new Map([...out.matchAll(/^(ok|WARNING|BLOCKER) +([a-z0-9.-]+): (.*)$/gm)].map((m) => [m[2], { status: m[1], message: m[3] }]));

  beforeAll(async () => {
    [appPort, httpPort, httpsPort, carrierPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // The carrier's API, as the doctor asks it (README step 11): the account, and the number's webhooks.
    carrier = http.createServer((req, res) => {
      carrierRequests.push(`${req.method} ${req.url}`);
      const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === `/2010-04-01/Accounts/${accountSid}.json`) return void res.end(JSON.stringify({ sid: accountSid, status: 'active' }));
      if (req.url?.startsWith(`/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json`)) {
        return void res.end(JSON.stringify({ incoming_phone_numbers: [{ phone_number: '+85523000000', status: 'in-use', voice_url: `https://${DOMAIN}/voice/incoming`, status_callback: `https://${DOMAIN}/voice/status` }] }));
      }
      res.end('{}');
    });
    await new Promise<void>((resolve) => carrier!.listen(carrierPort, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    service?.kill('SIGKILL');
    nginx?.kill('SIGKILL');
    await new Promise((resolve) => (carrier ? carrier.close(resolve) : resolve(undefined)));
    if (ENGINE === 'mongodb') {
      const s = await MongoStore.connect(process.env.MONGODB_URI!, db);
      await s.dropEverything();
      await s.close();
    }
  });

  it('the README has these steps, in this order', () => {
    expect([...GOING_LIVE.matchAll(/^(\d+)\. \*\*(.+?)\*\*/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual(STEPS.map((s, i) => `${i + 1} ${s}`));
  });

  it('1. Node.js: this one satisfies package.json engines, and the units run the /usr/bin/node the README installs', () => {
    const engines = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(engines)!.map(Number);
    expect(GOING_LIVE).toContain(`\`"engines": {"node": "${engines}"}\``);
    const [have0, have1] = process.versions.node.split('.').map(Number);
    expect(have0 > major || (have0 === major && have1 >= minor)).toBe(true);
    for (const unit of ['hotline.service', 'hotline-backup.service', 'hotline-doctor.service']) {
      expect(unitSetting(fs.readFileSync(path.join(DEPLOY, unit), 'utf8'), 'ExecStart')).toMatch(/(^|\s)\/usr\/bin\/node /);
    }
  });

  it('2. the code, a user and the data folder: the copy is built, the data folder is the service user\'s, 0700', async () => {
    // git clone: the tracked files, as the working copy has them.
    const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const file of tracked) {
      const from = path.join(ROOT, file);
      if (!fs.existsSync(from)) continue; // deleted in the working copy, not yet committed
      fs.mkdirSync(path.dirname(path.join(code, file)), { recursive: true });
      fs.copyFileSync(from, path.join(code, file));
      fs.chmodSync(path.join(code, file), fs.statSync(from).mode & 0o755);
    }
    // npm ci: the installed node_modules (no registry here). npm run build: tsc takes over 30 s on
    // this machine, so esbuild (tsx's) writes the same files, type-checking left to `npx tsc`.
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(code, 'node_modules'));
    const sources = (dir: string): string[] => fs.readdirSync(path.join(code, dir), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const files = [...sources('src'), ...sources('scripts')];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require(require.resolve('esbuild', { paths: [path.join(ROOT, 'node_modules/tsx')] })) as typeof import('esbuild');
    esbuild.buildSync({ entryPoints: files.filter((f) => f.endsWith('.ts')).map((f) => path.join(code, f)), outdir: path.join(code, 'dist'), outbase: code, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
    for (const f of files.filter((x) => x.endsWith('.json'))) fs.cpSync(path.join(code, f), path.join(code, 'dist', f));
    expect(fs.existsSync(path.join(code, 'dist/src/server.js'))).toBe(true);

    const owner = SERVICE ? `-o ${SERVICE.uid} -g ${SERVICE.gid}` : '';
    const made = await sh(readme('sudo install -d -o hotline -g hotline -m 0700 /var/lib/hotline').replace('-o hotline -g hotline', owner), { cwd: machine, env: toolEnv() });
    expect(made.status).toBe(0);
    const st = fs.statSync(dataDir);
    expect(st.mode & 0o777).toBe(0o700);
    if (SERVICE) expect(st.uid).toBe(SERVICE.uid);
  });

  it('3. settings: the copied .env.example filled in; the doctor names the store and data folder, the secrets, https and loopback are ok', async () => {
    const made = await sh(readme('sudo install -d -m 0750 -g hotline /etc/hotline').replace('-g hotline', SERVICE ? `-g ${SERVICE.gid}` : ''), { cwd: machine, env: toolEnv() });
    expect(made.status).toBe(0);
    expect(GOING_LIVE).toMatch(/copy `\.env\.example` to\s+`\/etc\/hotline\/hotline\.env` \(`chmod 0640`, group `hotline`\)/);
    const secret = async () => (await sh(readme('openssl rand -hex 32'), { cwd: machine, env: toolEnv() })).stdout.trim();
    fs.writeFileSync(envFile, fillIn(fs.readFileSync(path.join(code, '.env.example'), 'utf8'), {
      NODE_ENV: 'production', PUBLIC_BASE_URL: `https://${DOMAIN}`, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken,
      CARRIER_API_URL: `http://127.0.0.1:${carrierPort}`, // the stand-in
      CALLER_HASH_SECRET: await secret(), SESSION_SECRET: await secret(), CALLBACK_NUMBER_KEY: await secret(),
      ...(ENGINE === 'mongodb' ? { MONGODB_URI: process.env.MONGODB_URI!, MONGODB_DB: db } : {}),
      TRUST_PROXY: 'loopback', DATA_DIR: dataDir,
      // The placeholder prompts until step 10 (README step 3); the embedded store only where no MongoDB runs for the tests.
      DOCTOR_ALLOW: ENGINE === 'mongodb' ? 'prompts.km' : 'prompts.km,store.embedded',
      PORT: String(appPort), // port 3000 may be another test's
    }), { mode: 0o640 });
    if (SERVICE) fs.chownSync(envFile, 0, SERVICE.gid);
    expect(parseEnvFile(fs.readFileSync(envFile, 'utf8')).HOST).toBe(''); // left empty, as the example has it

    const doctor = await runTool(readme('cd /opt/hotline && sudo npm run doctor -- --env-file /etc/hotline/hotline.env'));
    const store = ENGINE === 'mongodb' ? `MongoDB [^;]+, database ${db}` : `the embedded store in ${path.join(dataDir, 'store')}`;
    expect(doctor.stderr).toMatch(new RegExp(`^npm run doctor: ${store}; data folder ${dataDir} \\(settings ${envFile}\\)$`, 'm'));
    const items = doctorLines(doctor.stdout);
    for (const id of ['secret.caller-hash', 'secret.session', 'secret.callback-number', 'secret.carrier-token', 'public-url.https']) expect(items.get(id)?.status).toBe('ok');
    expect(items.get('http.listen')).toEqual({ status: 'ok', message: expect.stringMatching(new RegExp(`^listening on 127\\.0\\.0\\.1:${appPort} only .*: the plain HTTP port ${appPort} cannot be reached from other machines`)) });
    // The carrier's credentials are set here, so the doctor asks the carrier now (step 11 says what it checks).
    expect(items.get('carrier.credentials')).toEqual({ status: 'ok', message: `the carrier at http://127.0.0.1:${carrierPort} accepts the account's credentials` });
    expect(items.get('carrier.webhooks')?.status).toBe('ok');
    expect(carrierRequests).toContain(`GET /2010-04-01/Accounts/${accountSid}.json`);
    expect(items.get('backup.age')?.status).toBe('WARNING'); // step 9's
    expect(items.get('alerts.command')?.status).toBe('WARNING'); // step 12's
  });

  it('4. the first staff account, before the service starts', async () => {
    const added = await runTool(readme('sudo npm run staff -- add <name> --role admin --env-file /etc/hotline/hotline.env').replace('<name>', 'sokha'), { input: 'a piped password 1\n' });
    expect(added.stderr).toMatch(/^npm run staff: /m);
    expect(added.status).toBe(0);
    const listed = await runTool(readme('sudo npm run staff -- list --env-file /etc/hotline/hotline.env'));
    expect(listed.stdout).toMatch(/sokha\s+admin/);
  });

  it('5. the service: deploy/hotline.service as systemd runs it listens on 127.0.0.1 only, and /health is ok', async () => {
    if (needs('systemd-analyze')) expect(verifyUnits([path.join(DEPLOY, 'hotline.service')]).about).toEqual([]);
    expect(GOING_LIVE).toContain('sudo cp deploy/hotline.service /etc/systemd/system/');
    const run = unitRun('hotline.service');
    service = spawn('sh', ['-c', run.command], { cwd: run.cwd, env: run.env, ...(SERVICE ?? {}) });
    const exited = new Promise<number | null>((resolve) => service!.on('exit', resolve));
    service.stdout!.on('data', (c) => { serviceLog += String(c); });
    service.stderr!.on('data', (c) => { serviceLog += String(c); });
    const listening = await Promise.race([
      (async () => { while (!serviceLog.includes('hotline listening')) await new Promise((r) => setTimeout(r, 50)); return true; })(),
      exited.then(() => false),
    ]);
    expect({ listening, log: listening ? '' : serviceLog }).toEqual({ listening: true, log: '' });
    expect(serviceLog).toContain(`listening on 127.0.0.1:${appPort} only, because TRUST_PROXY names a proxy and HOST is empty`);
    expect(serviceLog).toMatch(/DOCTOR_ALLOW: starting despite a blocker: Khmer \(km\)/);

    expect(readme('curl -s http://127.0.0.1:3000/health')).toContain(`127.0.0.1:${appPort}/health`);
    const health = await fetch(`http://127.0.0.1:${appPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    // What the staff tool wrote as root before the start is the service user's: it could write it.
    if (SERVICE) {
      const notOurs: string[] = [];
      const walk = (dir: string) => {
        for (const name of fs.readdirSync(dir)) {
          const p = path.join(dir, name);
          if (fs.lstatSync(p).uid !== SERVICE.uid) notOurs.push(p);
          if (fs.lstatSync(p).isDirectory()) walk(p);
        }
      };
      walk(dataDir);
      expect(notOurs).toEqual([]);
    }
  });

  it('6. DNS and the certificate: nginx -t fails before the certificate is in place, which is why this step comes first', () => {
    if (!needs('nginx') || !needs('openssl')) return;
    expect(GOING_LIVE).toContain(`sudo certbot certonly --webroot -w /var/www/html -d your.domain --deploy-hook 'systemctl reload nginx'`);
    fs.mkdirSync(path.join(www, 'html'), { recursive: true });
    const site = path.join(machine, 'early-site.conf');
    fs.writeFileSync(site, onMachine(fs.readFileSync(path.join(DEPLOY, 'nginx-hotline.conf'), 'utf8')));
    const early = nginxTest(fs.mkdtempSync(path.join(machine, 'nginx-early-')), site);
    expect(early.stderr).toMatch(/cannot load certificate/);
    expect(early.status).not.toBe(0);
    // certbot: a throw-away certificate where certbot puts Let's Encrypt's (and for localhost: step 11 calls through it).
    throwAwayCertificate(cert, path.join(letsencrypt, `live/${DOMAIN}/privkey.pem`), [DOMAIN, 'localhost']);
    expect(GOING_LIVE).toContain('`sudo ls /etc/letsencrypt/live/your.domain/` lists `fullchain.pem` and `privkey.pem`');
    expect(fs.readdirSync(path.join(letsencrypt, `live/${DOMAIN}`)).sort()).toEqual(['fullchain.pem', 'privkey.pem']);
  });

  it('7. HTTPS in front: the shipped site passes nginx -t, and /staff answers through it with TLS and HSTS; the plain port is closed to others', async () => {
    if (!needs('nginx') || !needs('openssl')) return;
    fs.mkdirSync(path.join(nginxDir, 'sites-available'), { recursive: true });
    fs.mkdirSync(path.join(nginxDir, 'sites-enabled'), { recursive: true });
    for (const command of [
      'sudo cp deploy/nginx-hotline.conf /etc/nginx/sites-available/hotline',
      "sudo sed -i 's/hotline\\.example\\.org/your.domain/g' /etc/nginx/sites-available/hotline",
      'sudo ln -s ../sites-available/hotline /etc/nginx/sites-enabled/hotline',
    ]) expect((await sh(readme(command), { cwd: code, env: toolEnv() })).status).toBe(0);
    // Installed; then this machine's paths and ports (80, 443, [::] and 3000 are not ours to take).
    const enabled = path.join(nginxDir, 'sites-enabled/hotline');
    fs.writeFileSync(path.join(nginxDir, 'sites-available/hotline'), onMachine(fs.readFileSync(enabled, 'utf8'))
      .replace(/^\s*listen \[::\]:.*$/gm, '').replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${httpPort};`).replace(/^(\s*)listen 443 ssl/m, `$1listen 127.0.0.1:${httpsPort} ssl`));
    expect(GOING_LIVE).toContain('sudo nginx -t && sudo systemctl reload nginx');
    const tested = nginxTest(nginxDir, enabled);
    expect(tested.stderr).toMatch(/test is successful/);
    expect(tested.status).toBe(0);
    fs.appendFileSync(tested.conf, '\ndaemon off;\nmaster_process off;\n');
    nginx = spawn('nginx', ['-p', nginxDir, '-e', `${nginxDir}/error.log`, '-c', tested.conf], { stdio: 'ignore' });
    const ca = fs.readFileSync(cert, 'utf8');
    let staff: Awaited<ReturnType<typeof viaNginx>> | undefined;
    for (let i = 0; i < 100 && !staff; i++) {
      staff = await viaNginx(httpsPort, ca, '/staff').catch(() => undefined);
      if (!staff) await new Promise((r) => setTimeout(r, 100));
    }
    expect(GOING_LIVE).toContain('`curl -I https://your.domain/staff`');
    expect(staff!.status).toBeLessThan(500); // the hotline's own answer (its sign-in), not nginx's 502
    expect(staff!.headers['strict-transport-security']).toBe('max-age=31536000');
    // Port 3000 from another machine: this machine's own non-loopback address stands in for one.
    const outside = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (outside) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: outside.address, port: appPort, timeout: 2000 }, () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
        s.on('timeout', () => { s.destroy(); resolve(false); });
      });
      expect(reached).toBe(false);
    }
  });

  it('8. logs: every line the service wrote is one JSON object, as journalctl -o cat shows them', () => {
    const lines = serviceLog.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } })).toEqual([]);
  });

  it('9. backups: the backup unit\'s command makes the first backup, as the service user', async () => {
    const owner = SERVICE ? `-o ${SERVICE.uid} -g ${SERVICE.gid}` : '';
    const made = await sh(readme('sudo install -d -o hotline -g hotline -m 0700 /var/backups/hotline', README).replace('-o hotline -g hotline', owner), { cwd: machine, env: toolEnv() });
    expect(made.status).toBe(0);
    expect(GOING_LIVE).toContain('`sudo systemctl start hotline-backup.service && sudo ls -l /var/backups/hotline`');
    const run = unitRun('hotline-backup.service');
    const r = await sh(run.command, { cwd: run.cwd, env: run.env, asService: true });
    expect(r.stderr).toMatch(/backup: .*: [1-9]\d* document\(s\)/);
    expect(r.status).toBe(0);
    expect(fs.readdirSync(backups).filter((f) => /^hotline-\d{8}-\d{4}\.backup\.gz$/.test(f))).toHaveLength(1);
  });

  it('10. your content: prompts coverage on the service\'s site folder lists what is still to record', async () => {
    const r = await runTool(readme('sudo npm run prompts -- coverage --env-file /etc/hotline/hotline.env'));
    expect(r.stderr).toMatch(new RegExp(`^npm run prompts: .*; data folder ${dataDir} `, 'm'));
    expect(`${r.stdout}${r.stderr}`).toMatch(/km/);
    expect(fs.existsSync(path.join(dataDir, 'site/audio/km/error.system.wav'))).toBe(true);
  });

  it('11. the carrier (its account checked by the doctor since step 3): a call signed with its auth token, through nginx, is answered', async () => {
    if (!nginx) return; // step 7 did not run
    const call = await runTool(readme('sudo npm run simulate -- --env-file /etc/hotline/hotline.env --url https://your.domain --keys 1,2,2,hangup')
      .replace(`https://${DOMAIN}`, `https://localhost:${httpsPort}`), { env: { NODE_EXTRA_CA_CERTS: cert } });
    expect(call.stderr).toMatch(new RegExp(`^npm run simulate: the hotline at https://localhost:${httpsPort}, signed for https://${DOMAIN} \\(settings ${envFile}\\)$`, 'm'));
    expect(call.stdout).toMatch(/▶ km\/info\.health\.fees\.1/);
    expect(call.status).toBe(0);
    const sid = /CallSid (CA[0-9a-f]{32})/.exec(call.stderr)![1];
    const callEnd = () => serviceLog.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.callSid === sid && String(l.msg).startsWith('call ended'));
    for (let i = 0; i < 100 && !callEnd(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(callEnd()).toMatchObject({ msg: 'call ended: information heard' });
    // The README's one-liner over the log finds it.
    if (needs('jq')) {
      const oneLiner = /journalctl -u hotline --since today -o cat \| (jq -rR 'fromjson\? \| select\(\.msg \| startswith\("call ended"\)\) \| "[^']*"')/.exec(README)![1];
      const logFile = path.join(machine, 'hotline.log');
      fs.writeFileSync(logFile, serviceLog);
      const jq = await sh(`cat '${logFile}' | ${oneLiner}`, { cwd: machine, env: toolEnv() });
      expect(jq.stdout).toMatch(new RegExp(`${sid} \\d+s information heard \\S*main>info\\.service>info\\.topics>info\\.topic$`, 'm'));
    }
  });

  it('12. alerts: with ALERT_COMMAND set, the notifier unit sends the test alert; the doctor then calls the line ready', async () => {
    const alert = path.join(machine, 'alert.txt');
    fs.writeFileSync(envFile, fillIn(fs.readFileSync(envFile, 'utf8'), { ALERT_COMMAND: `"cat > ${alert}"` }));
    expect(GOING_LIVE).toContain('sudo systemctl start hotline-notify@test.service');
    const run = unitRun('hotline-notify@.service', 'test');
    const sent = await sh(run.command, { cwd: run.cwd, env: run.env });
    expect(sent.stdout).toMatch(/alert about test sent/);
    expect(fs.readFileSync(alert, 'utf8')).toMatch(/This is a test alert/);

    const doctor = await runTool(readme('sudo npm run doctor -- --env-file /etc/hotline/hotline.env'));
    expect(doctorLines(doctor.stdout).get('alerts.command')?.status).toBe('ok');
    expect(doctorLines(doctor.stdout).get('backup.age')?.status).toBe('ok');
    expect(doctor.stdout).toMatch(/^no blockers(, \d+ warning\(s\))?: ready for a real line\.$/m);
    expect(GOING_LIVE).toMatch(/ends with `no blockers…: ready\s+for a real line\.`/);
    expect(doctor.status).toBe(0);
  });

  it('13. when the server is down: nginx answers the carrier with the fallback document, which plays the hotline\'s apology', async () => {
    if (!nginx) return;
    for (const command of [
      'sudo install -d /var/www/hotline-fallback',
      'sudo cp deploy/fallback/hotline-fallback.xml /var/www/hotline-fallback/',
      'sudo cp /var/lib/hotline/site/audio/km/error.system.wav /var/www/hotline-fallback/',
    ]) expect((await sh(readme(command, README), { cwd: code, env: toolEnv() })).status).toBe(0);
    const ca = fs.readFileSync(cert, 'utf8');
    const document = await viaNginx(httpsPort, ca, '/hotline-fallback/hotline-fallback.xml');
    expect(document.text).toContain(`<Play>https://${DOMAIN}/hotline-fallback/error.system.wav</Play>`);
    expect((await viaNginx(httpsPort, ca, '/hotline-fallback/error.system.wav')).status).toBe(200);

    if (service && service.exitCode === null && service.signalCode === null) {
      const stopped = new Promise((resolve) => service!.once('exit', resolve));
      service.kill('SIGTERM'); // systemctl stop hotline
      await stopped;
    }
    const down = await viaNginx(httpsPort, ca, '/voice/incoming', 'CallSid=CA1&From=%2B85512000000');
    expect(down.status).toBe(200);
    expect(down.text).toBe(fs.readFileSync(path.join(DEPLOY, 'fallback/hotline-fallback.xml'), 'utf8'));
  });
});

describe('the README shows the tools as they run on a server', () => {
  const section = (heading: string) => {
    const at = README.indexOf(`\n${heading}\n`);
    expect(at).toBeGreaterThan(-1);
    return README.slice(at, README.indexOf('\n## ', at + 1));
  };

  it.each(['## Backups', '## Moving to MongoDB', '## Staff web app', '## Scorecard reports'])('%s: every tool command in a code block is run with sudo and the service\'s settings file', (heading) => {
    const commands = [...section(heading).matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n'))
      .map((l) => l.replace(/\s+#.*$/, '')).filter((l) => /npm run (-s )?(doctor|backup|restore|migrate|staff|prompts|report|export|simulate)\b/.test(l));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(c).toMatch(/^sudo (MONGODB_DB=\S+ )?npm run (-s )?[a-z]+ -- .*--env-file \/etc\/hotline\/hotline\.env/);
  });
});
