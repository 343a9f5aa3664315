import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app';
import { createHttpServer } from '../../src/http-server';
import { AppConfig, loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import { buildRuntime, Runtime } from '../../src/runtime';
import { CallerAction, CallSimulator, CallTranscript } from '../../src/simulator/call-simulator';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir, testDbName } from './engine';

export const TEST_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

/** A running hotline on a loopback port, on the test engine, with its log captured. */
export interface TestHotline {
  rt: Runtime;
  config: AppConfig;
  url: string;
  store: Store;
  logs: string[];
  call(actions: CallerAction[], opts?: { from?: string; callSid?: string }): Promise<CallTranscript>;
  simulator(opts?: { from?: string; callSid?: string }): CallSimulator;
  stop(): Promise<void>;
}

export async function startHotline(env: Record<string, string> = {}, opts: { store?: Store } = {}): Promise<TestHotline> {
  const dataDir = tempDir();
  // The same server settings as src/server.ts: timeouts and the connection cap.
  const server = createHttpServer({ maxConnections: Number(env.HTTP_MAX_CONNECTIONS ?? 1000), maxConnectionsPerClient: Number(env.HTTP_MAX_CONNECTIONS_PER_CLIENT ?? 300) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_BASE_URL: url,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: 'ACtest',
    CALLER_HASH_SECRET: 'test-caller-secret',
    SESSION_SECRET: 'test-session-secret',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...env,
  }, { cwd: process.cwd() });
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const store = opts.store ?? (await openTestStore(dataDir));
  const rt = await buildRuntime(config, { logger: createLogger(config.logLevel, sink), store });
  const app = createApp(rt);
  server.on('request', app);
  const simulator = (o: { from?: string; callSid?: string } = {}) =>
    new CallSimulator({
      serverUrl: url, publicBaseUrl: url, authToken: TEST_AUTH_TOKEN, from: o.from ?? '+85512345678', callSid: o.callSid,
      accountSid: config.twilioAccountSid, carrierApiUrl: config.carrierApiUrl,
    });
  return {
    rt, config, url, store, logs,
    simulator,
    call: (actions, o) => simulator(o).run(actions),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      // A hotline left watching its audio folder re-reads it every minute for the rest of the jest
      // worker's life: dozens of them kept libuv's thread pool busy and stalled later test files.
      rt.stopBackgroundWork();
      await closeTestStore(store);
    },
  };
}

export const ids = (t: CallTranscript) => t.heard.map((p) => p.id);

/** What the carrier believes the hotline's URL is when two instances sit behind one load balancer. */
export const SHARED_PUBLIC_URL = 'https://hotline.example';

/**
 * Two app instances on one database, as behind a load balancer: each has its own connection
 * and nothing in memory in common, and both answer to SHARED_PUBLIC_URL. On the embedded engine
 * the store's files belong to one process, so both apps share one store object; each still has
 * its own runtime, with the call records it holds (CallsRepository), as two instances would.
 */
export async function startHotlinePair(env: Record<string, string> = {}): Promise<[TestHotline, TestHotline]> {
  const shared = { PUBLIC_BASE_URL: SHARED_PUBLIC_URL, ...env };
  if (ENGINE !== 'mongodb') {
    const a = await startHotline(shared);
    // Stopping either closes the shared store; closing the embedded store twice is harmless.
    const b = await startHotline(shared, { store: a.store });
    return [a, b];
  }
  const dbName = testDbName('pair');
  const a = await startHotline(shared, { store: await openTestStore(tempDir(), dbName) });
  const b = await startHotline(shared, { store: await openTestStore(tempDir(), dbName) });
  return [a, b];
}

/** A simulated carrier leg to one instance of a pair (signatures over SHARED_PUBLIC_URL). */
export function simulatorFor(h: TestHotline, callSid: string, from = '+85512345678'): CallSimulator {
  return new CallSimulator({ serverUrl: h.url, publicBaseUrl: SHARED_PUBLIC_URL, authToken: TEST_AUTH_TOKEN, from, callSid });
}
