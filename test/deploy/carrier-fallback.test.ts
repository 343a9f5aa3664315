import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseTwiml } from '../../src/simulator/call-simulator';

type TwimlVerb = ReturnType<typeof parseTwiml>[number];
import { tempDir } from '../support/engine';
import { freePort } from '../support/free-port';

/**
 * What the carrier does when the hotline does not answer (README, "When the server is down"):
 * - Twilio requests the number's fallback URL ("Primary handler fails") when it "is unable to
 *   retrieve or execute TwiML from your web server"; without one the caller hears Twilio's own
 *   error message. https://www.twilio.com/docs/usage/security/availability-reliability
 * - Somleng has no fallback URL: its API answers voice_fallback_url null
 *   (somleng/somleng app/serializers/twilio_api/incoming_phone_number_serializer.rb, lines 29-30
 *   and 113; db/schema.rb has voice_url and voice_method only), and somleng-switch reads the body
 *   of whatever comes back, whatever its status (components/app/app/models/twiml_endpoint.rb,
 *   line 36 `last_response.to_s`), and ends the call on TwiML it cannot read
 *   (components/app/app/workflows/execute_twiml.rb, lines 43 and 51-52).
 * So nginx answers the webhooks itself when the hotline does not: 200 and a fixed TwiML document.
 */
const ROOT = path.resolve(__dirname, '../..');
const DOCUMENT = path.join(ROOT, 'deploy/fallback/hotline-fallback.xml');
const NGINX_CONF = fs.readFileSync(path.join(ROOT, 'deploy/nginx-hotline.conf'), 'utf8');
/** The verbs the hotline may send (the developer guide's rule): no <Pause>. */
const ALLOWED = ['Play', 'Say', 'Gather', 'Record', 'Redirect', 'Hangup', 'Reject'];

describe('deploy/fallback/hotline-fallback.xml', () => {
  const xml = fs.readFileSync(DOCUMENT, 'utf8');
  const verbs = parseTwiml(xml);
  const all = (vs: TwimlVerb[]): TwimlVerb[] => vs.flatMap((v) => [v, ...all(v.children)]);

  it('is one <Response> of allowed verbs only, nothing else in it', () => {
    const body = xml.replace(/^<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '').trim();
    expect(body).toMatch(/^<Response>[\s\S]*<\/Response>$/);
    // Every element inside was read as a verb: nothing stray, nothing unclosed.
    const inner = body.slice('<Response>'.length, -'</Response>'.length);
    expect(inner.replace(/<(\w+)((?:\s+\w+="[^"]*")*)\s*(?:\/>|>([\s\S]*?)<\/\1>)/g, '').trim()).toBe('');
    expect(all(verbs).map((v) => v.name).filter((n) => !ALLOWED.includes(n))).toEqual([]);
  });

  it('says something (the hotline\'s own apology, error.system) and then hangs up: never silence', () => {
    expect(verbs.map((v) => v.name)).toEqual(['Play', 'Hangup']);
    expect(verbs[0].text).toBe('https://hotline.example.org/hotline-fallback/error.system.wav');
    const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'prompts/catalog.json'), 'utf8'));
    expect(catalog.prompts['error.system'].text.en).toMatch(/call again later/);
  });
});

/** The block `location <name> {…}` of the shipped nginx configuration, braces matched. */
function locationBlock(name: string): string {
  const start = NGINX_CONF.indexOf(`location ${name} {`);
  expect(start).toBeGreaterThan(-1);
  let depth = 0;
  for (let i = NGINX_CONF.indexOf('{', start); i < NGINX_CONF.length; i++) {
    if (NGINX_CONF[i] === '{') depth += 1;
    if (NGINX_CONF[i] === '}' && --depth === 0) return NGINX_CONF.slice(start, i + 1);
  }
  throw new Error(`unclosed location ${name}`);
}

describe('nginx answers the carrier with the fallback when the hotline does not (the shipped /voice/ block, run)', () => {
  const haveNginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;
  let nginx: ChildProcess | undefined;
  let nginxPort = 0;
  let appPort = 0;

  beforeAll(async () => {
    if (!haveNginx) {
      if (process.env.CI === 'true') throw new Error('nginx is not installed; CI=true, so this is a failure, not a skip');
      return;
    }
    const dir = tempDir('fallback-nginx-');
    fs.mkdirSync(path.join(dir, 'www/hotline-fallback'), { recursive: true });
    fs.copyFileSync(DOCUMENT, path.join(dir, 'www/hotline-fallback/hotline-fallback.xml'));
    [nginxPort, appPort] = [await freePort(), await freePort()];
    const blocks = [locationBlock('/voice/'), locationBlock('/hotline-fallback/')].join('\n')
      .replace(/127\.0\.0\.1:3000/g, `127.0.0.1:${appPort}`)
      .replace('root /var/www;', `root ${dir}/www;`);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), [
      'daemon off;', 'master_process off;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log;`, 'events {}',
      `http { access_log ${dir}/access.log; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;`,
      `  server { listen 127.0.0.1:${nginxPort}; ${blocks} } }`,
    ].join('\n'));
    nginx = spawn('nginx', ['-p', dir, '-e', `${dir}/error.log`, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${nginxPort}/hotline-fallback/hotline-fallback.xml`).then(() => true, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(() => {
    nginx?.kill('SIGTERM');
  });

  const postWebhook = () => fetch(`http://127.0.0.1:${nginxPort}/voice/incoming`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA1&From=%2B85512000000',
  });

  it('the hotline down: the carrier\'s POST gets 200 and the fallback TwiML', async () => {
    if (!nginx) return;
    const r = await postWebhook();
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await r.text()).toBe(fs.readFileSync(DOCUMENT, 'utf8'));
  });

  it('the hotline up: its own answers pass through untouched, a refusal too', async () => {
    if (!nginx) return;
    const app = http.createServer((req, res) => {
      res.writeHead(req.headers['x-twilio-signature'] ? 200 : 403, { 'content-type': 'text/xml' });
      res.end('<Response><Hangup/></Response>');
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    try {
      const refused = await postWebhook();
      expect(refused.status).toBe(403);
      const signed = await fetch(`http://127.0.0.1:${nginxPort}/voice/incoming`, { method: 'POST', headers: { 'x-twilio-signature': 'x' }, body: 'CallSid=CA2' });
      expect(signed.status).toBe(200);
      expect(await signed.text()).toBe('<Response><Hangup/></Response>');
    } finally {
      await new Promise((resolve) => app.close(resolve));
    }
  });
});
