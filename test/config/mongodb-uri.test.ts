import { mongodbUriProblem } from '../../src/config/mongodb-uri';
import { startServerUntilListening } from '../support/server-start';

/** The server started as systemd would, on a port of its own. */
const start = (env: Record<string, string>) => startServerUntilListening({ PORT: String(20000 + Math.floor(Math.random() * 20000)), ...env });

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
