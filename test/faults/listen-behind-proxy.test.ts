import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { freePort, HotlineProcess, REPO_ROOT } from './fault-support';
import { tempDir } from '../support/engine';
import { nodeEntry } from '../support/node-entry';

jest.setTimeout(90_000);

/**
 * Issue 21: TRUST_PROXY=1 with HOST=0.0.0.0 believed any direct client's X-Forwarded-For. The
 * real server (src/server.ts) as a child process: with a proxy trusted and HOST empty it listens
 * on loopback only and says so; a hop count with a public HOST does not start.
 */
describe('the server behind a trusted proxy', () => {
  let app: HotlineProcess | null = null;
  afterEach(async () => {
    await app?.stop();
    app = null;
  });

  it('HOST empty and TRUST_PROXY=1: listens on 127.0.0.1 only, and the start-up log says why', async () => {
    const port = await freePort();
    app = new HotlineProcess(port, { HOST: '', TRUST_PROXY: '1' });
    await app.start();
    const lines = app.output.join('').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as { msg: string; host?: string }; } catch { return { msg: l }; } });
    expect(lines.find((l) => l.msg.startsWith('hotline listening'))?.host).toBe('127.0.0.1');
    expect(lines.map((l) => l.msg)).toContain(`listening on 127.0.0.1:${port} only, because TRUST_PROXY names a proxy and HOST is empty: every client must come through the proxy. If the proxy is on another machine, set HOST to this machine's address and TRUST_PROXY to the proxy's address`);
  });

  it('TRUST_PROXY=1 with HOST=0.0.0.0 does not start (exit 78), saying what to do', () => {
    const r = spawnSync(process.execPath, nodeEntry('src/server.ts'), {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', HOST: '0.0.0.0', TRUST_PROXY: '1', PORT: '1', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' },
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/TRUST_PROXY=1 \(a hop count\) believes the X-Forwarded-For of whoever connects, and HOST=0\.0\.0\.0/);
    expect(r.stderr).toMatch(/leave HOST empty/);
  });
});
