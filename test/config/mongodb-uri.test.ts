import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { mongodbUriProblem } from '../../src/config/mongodb-uri';
import { tempDir } from '../support/engine';

const root = path.resolve(__dirname, '../..');

/** Starts src/server.ts as systemd would and waits for it to exit (or kills it once it listens). */
function start(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/server.ts'], {
      cwd: root, env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), HOST: '127.0.0.1', PORT: String(20000 + Math.floor(Math.random() * 20000)), ...env },
    });
    let out = '';
    const seen = (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('hotline listening')) child.kill('SIGTERM');
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('a malformed MONGODB_URI (issue 23)', () => {
  jest.setTimeout(60_000);

  it('stops the server with exit 78 (systemd does not restart it) and one clear line, without the password', async () => {
    // An unencoded @ in the password: the commonest way to break the string.
    const { code, out } = await start({ MONGODB_URI: 'mongodb://hotline:s3cr@t:pw@db.example.org:27017/?authSource=admin' });
    expect(code).toBe(78);
    expect(out).toMatch(/MONGODB_URI is not a MongoDB connection string/);
    expect(out).toMatch(/percent-encoded/);
    expect(out).toMatch(/The hotline did not start/);
    expect(out).not.toMatch(/s3cr|t:pw/);
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each([
    ['localhost:27017', /mongodb:\/\//],
    ['mongodb://', /host list/],
    ['mongodb://db.example.org/?replicaSet', /replicaSet/],
  ])('%s is refused, saying why', (uri, why) => {
    expect(mongodbUriProblem(uri)).toMatch(why);
  });

  it.each(['', 'mongodb://db.example.org:27017', 'mongodb://u:p%40ss@db.example.org/?authSource=admin', 'mongodb+srv://cluster.example.org'])('%s is accepted', (uri) => {
    expect(mongodbUriProblem(uri)).toBeNull();
  });
});
