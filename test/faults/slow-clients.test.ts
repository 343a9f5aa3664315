import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, TIMEOUT_CHECK_INTERVAL_MS } from '../../src/http-server';
import { CallSimulator, parseScript } from '../../src/simulator/call-simulator';
import { MongoStore } from '../../src/store/mongo-store';
import { ENGINE, tempDir } from '../support/engine';
import { ids } from '../support/hotline';
import { nodeEntry } from '../support/node-entry';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '../..');
const TOKEN = 'slow-clients-auth-token';

/**
 * The real server (src/server.ts) in a child process: Node enforces headersTimeout and
 * requestTimeout from a timer that does not run inside jest's sandbox, so the timeouts are
 * tested where they run in production.
 */
async function startServer(env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(p));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const db = `test_slow_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const child = spawn(process.execPath, nodeEntry('src/server.ts'), {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: url,
      DATA_DIR: tempDir(), TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: 'ACtest', CALLER_HASH_SECRET: 'x-caller', SESSION_SECRET: 'x-session',
      MONGODB_URI: process.env.MONGODB_URI ?? '', MONGODB_DB: db, LOG_LEVEL: 'warn',
      ...env,
    },
  });
  let out = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { out += String(d); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 300 || child.exitCode !== null) throw new Error(`the server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (ENGINE === 'mongodb') {
        const store = await MongoStore.connect(process.env.MONGODB_URI!, db);
        await store.dropEverything();
        await store.close();
      }
    },
  };
}

/** A raw connection to the server that reports when the server closes it. */
function connect(url: string): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - opened)));
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) the 408, so the server's close is seen
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/**
 * Issue 12, finding 7: slow clients cannot hold the server. Node's defaults let a request's
 * headers take 60 s and its body 300 s; the hotline closes them after 10 s and 15 s (the
 * carrier's own limit), and caps connections (HTTP_MAX_CONNECTIONS).
 */
describe(`slow and idle clients (${ENGINE} store)`, () => {
  let server: { url: string; stop: () => Promise<void> } | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  const call = (from: string) =>
    new CallSimulator({ serverUrl: server!.url, publicBaseUrl: server!.url, authToken: TOKEN, from }).run(parseScript('1,2,120101,1,3,hangup'));

  it('idle connections and clients trickling headers or a body neither delay a call nor stay connected past the carrier\'s 15 s', async () => {
    server = await startServer();
    const { url } = server;
    const idle = await Promise.all(Array.from({ length: 20 }, () => connect(url)));
    const headerTricklers = await Promise.all(Array.from({ length: 10 }, () => connect(url)));
    const bodyTricklers = await Promise.all(Array.from({ length: 10 }, () => connect(url)));
    for (const { socket } of headerTricklers) socket.write('POST /voice/incoming HTTP/1.1\r\nHost: hotline\r\n');
    for (const { socket } of bodyTricklers) {
      socket.write('POST /voice/incoming HTTP/1.1\r\nHost: hotline\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nCallSid=');
    }
    const trickle = setInterval(() => {
      for (const { socket } of headerTricklers) if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
      for (const { socket } of bodyTricklers) if (!socket.destroyed) socket.write('a');
    }, 500);
    try {
      // Calls are answered while all of them hang on, from the first turn to the end.
      for (let i = 0; i < 3; i++) {
        const t = await call(`+8551200000${i}`);
        expect(t.errors).toEqual([]);
        expect(ids(t)).not.toContain('error.system');
        expect(ids(t).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
      }
      expect(idle.concat(headerTricklers, bodyTricklers).every(({ socket }) => !socket.destroyed)).toBe(true);

      // ...and the server lets none of them stay longer than the timeouts.
      const slack = TIMEOUT_CHECK_INTERVAL_MS + 3000;
      for (const ms of await Promise.all(idle.map((c) => c.closed))) expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + slack);
      for (const ms of await Promise.all(headerTricklers.map((c) => c.closed))) expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + slack);
      for (const ms of await Promise.all(bodyTricklers.map((c) => c.closed))) expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + slack);
    } finally {
      clearInterval(trickle);
      for (const c of idle.concat(headerTricklers, bodyTricklers)) c.socket.destroy();
    }
  });

  it('connections beyond HTTP_MAX_CONNECTIONS are closed at once', async () => {
    server = await startServer({ HTTP_MAX_CONNECTIONS: '10' });
    const held = await Promise.all(Array.from({ length: 10 }, () => connect(server!.url)));
    await new Promise((r) => setTimeout(r, 200));
    const extra = await connect(server.url);
    const closedAfter = await Promise.race([extra.closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    expect(closedAfter).toBeGreaterThanOrEqual(0);
    for (const c of held) c.socket.destroy();
  });
});
