import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CallSimulator, parseTwiml, promptOf } from '../../src/simulator/call-simulator';
import { processAlive } from '../../src/process-alive';
import { MongoStore } from '../../src/store/mongo-store';
import { ENGINE } from '../support/engine';
import { nodeEntry } from '../support/node-entry';

/**
 * What the fault tests need beyond test/support: the hotline as a child process (so it can be
 * killed), a MongoDB-compatible server of their own (so it can be stopped and restarted on the
 * same port and data), and a caller that plays one turn at a time.
 */

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CHILD_AUTH_TOKEN = 'fault-auth-token-0123456789abcdef';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Thrown by a probe to stop waiting at once (the process it waits for has exited). */
class GaveUp extends Error {}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch((err) => {
      if (err instanceof GaveUp) throw err;
      return undefined; // not answering yet
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The hotline (src/server.ts, test/support/node-entry.ts) as its own process, restartable with the same settings and port. */
export class HotlineProcess {
  private child: ChildProcess | null = null;
  readonly output: string[] = [];
  readonly url: string;
  readonly dataDir: string;

  constructor(readonly port: number, private readonly extraEnv: Record<string, string> = {}) {
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-fault-'));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(this.port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: this.url,
      DATA_DIR: this.dataDir,
      TWILIO_AUTH_TOKEN: CHILD_AUTH_TOKEN,
      TWILIO_ACCOUNT_SID: 'ACfault',
      CALLER_HASH_SECRET: 'fault-caller-secret',
      SESSION_SECRET: 'fault-session-secret',
      LOG_LEVEL: 'info',
      MONGODB_URI: '',
      ...this.extraEnv,
    };
    const child = spawn(process.execPath, nodeEntry('src/server.ts'), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b) => this.output.push(String(b)));
    child.stderr!.on('data', (b) => this.output.push(String(b)));
    this.child = child;
    await until('the hotline child to answer /health', async () => {
      if (child.exitCode !== null) throw new GaveUp(`the hotline exited (${child.exitCode}): ${this.output.join('')}`);
      const res = await fetch(`${this.url}/health`);
      return res.ok ? true : undefined;
    }, 45_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.output.join('').slice(-3000)}`);
    });
  }

  /** Kills the process the hard way (no shutdown handler runs) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }
}

/** The cached FerretDB binary that ../shared/tools/mongo-compatible-server/start builds; built through that script if missing. */
export function mongoCompatibleBinary(): string | null {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mongo-compatible-server');
  const find = () => {
    try {
      return fs.readdirSync(cache).filter((f) => /^server-[0-9a-f]+$/.test(f)).map((f) => path.join(cache, f))
        .filter((f) => fs.statSync(f).isFile()).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0] ?? null;
    } catch {
      return null;
    }
  };
  const found = find();
  if (found) return found;
  if (!fs.existsSync(path.resolve(REPO_ROOT, '../shared/tools/mongo-compatible-server/start'))) return null;
  // The same starter as npm test: the shared start script.
  const r = spawnSync(path.resolve(REPO_ROOT, '../shared/tools/mongo-compatible-server/start'), { encoding: 'utf8', timeout: 600_000 });
  const pid = Number(/MONGO_COMPAT_PID=(\d+)/.exec(r.stdout ?? '')?.[1]);
  const dir = /MONGO_COMPAT_DIR='([^']+)'/.exec(r.stdout ?? '')?.[1];
  if (pid) process.kill(pid, 'SIGTERM');
  // That server was started only to build the binary: its data goes once it has stopped.
  for (let i = 0; pid && i < 100 && processAlive(pid); i++) spawnSync('sleep', ['0.1']);
  if (dir && !(pid && processAlive(pid))) fs.rmSync(dir, { recursive: true, force: true });
  return find();
}

/** A FerretDB server owned by one test: stop it and start it again on the same port with the same data. */
export class MongoCompatibleServer {
  private child: ChildProcess | null = null;
  uri = '';
  private constructor(private readonly bin: string, readonly port: number, readonly dir: string) {}

  static async start(bin: string): Promise<MongoCompatibleServer> {
    const s = new MongoCompatibleServer(bin, await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-fault-')));
    await s.restart();
    return s;
  }

  async restart(): Promise<void> {
    const child = spawn(this.bin, ['-listen', `127.0.0.1:${this.port}`, '-dir', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => { out += String(b); });
    child.stderr!.on('data', (b) => { err += String(b); });
    this.uri = await until('the MongoDB-compatible server to print its URI', async () => {
      if (child.exitCode !== null) throw new GaveUp(`the MongoDB-compatible server exited: ${err}`);
      const line = out.split('\n')[0].trim();
      return out.includes('\n') && line ? line : undefined;
    }, 20_000);
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered, as with a stalled disk. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server abruptly, as a crash or a network cut would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || (child.signalCode !== null && child.signalCode !== 'SIGSTOP')) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A caller who plays one turn at a time, so a test can break things between two turns. */
export class StepCaller {
  lastStatus = 0;
  lastBody = '';
  /** Where the last request went (a retry goes there again). */
  lastUrl = '';
  private action: string | undefined;
  constructor(readonly sim: CallSimulator) {}

  get callSid(): string {
    return this.sim.callSid;
  }

  private params(): Record<string, string> {
    return { CallSid: this.sim.callSid, AccountSid: 'ACsimulator', From: '+85512000777', To: '+855000000', CallStatus: 'in-progress', Direction: 'inbound' };
  }

  private async send(urlOrPath: string, params: Record<string, string>): Promise<string[]> {
    this.lastUrl = urlOrPath;
    const res = await this.sim.post(urlOrPath, params);
    this.lastStatus = res.status;
    this.lastBody = res.body;
    const verbs = parseTwiml(res.body);
    this.action = verbs.find((v) => v.name === 'Gather' || v.name === 'Record')?.attrs.action;
    return this.heard();
  }

  /** Prompt ids of the last reply, in the order played. */
  heard(): string[] {
    const ids: string[] = [];
    for (const v of parseTwiml(this.lastBody)) {
      if (v.name === 'Play') ids.push(promptOf(v.text).id);
      for (const c of v.children) if (c.name === 'Play') ids.push(promptOf(c.text).id);
    }
    return ids;
  }

  hungUp(): boolean {
    return parseTwiml(this.lastBody).some((v) => v.name === 'Hangup');
  }

  /** The URL the next key press goes to (the last Gather's action). */
  get nextAction(): string | undefined {
    return this.action;
  }

  dial(): Promise<string[]> {
    return this.send('/voice/incoming', { ...this.params(), CallStatus: 'ringing' });
  }

  press(digits: string, action = this.action): Promise<string[]> {
    if (!action) throw new Error('the hotline is not waiting for keys');
    return this.send(action, { ...this.params(), Digits: digits });
  }

  async pressAll(keys: string[]): Promise<string[]> {
    let heard: string[] = [];
    for (const k of keys) heard = await this.press(k);
    return heard;
  }
}

/** Stops a hotline process and removes everything it left: its MongoDB database (on that engine) and its data folder. */
export async function discardHotlineProcess(app: HotlineProcess, dbName: string): Promise<void> {
  await app.stop();
  if (ENGINE === 'mongodb') {
    const s = await MongoStore.connect(process.env.MONGODB_URI!, dbName);
    await s.dropEverything();
    await s.close();
  }
  fs.rmSync(app.dataDir, { recursive: true, force: true });
}
