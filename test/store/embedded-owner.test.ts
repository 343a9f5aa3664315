import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError } from '../../src/errors';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { claimEmbeddedStore, runningHotlinePid } from '../../src/store/embedded-owner';
import { openStore } from '../../src/store/open-store';
import { tempDir } from '../support/engine';

// The embedded store is one process's; these tests are about that engine whatever the test pass.
describe('the embedded store belongs to the running hotline', () => {
  let other: ChildProcess;
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDir();
    other = spawn('sleep', ['30']);
  });
  afterEach(() => {
    other.kill();
  });
  const pretendHotlineRuns = () => fs.writeFileSync(path.join(dataDir, 'hotline.pid'), `${other.pid}\n`);

  it('refuses a second hotline on the same DATA_DIR, naming the running one', () => {
    pretendHotlineRuns();
    expect(() => claimEmbeddedStore(dataDir)).toThrow(new RegExp(`pid ${other.pid}`));
  });

  it('takes over a pid file left by a hotline that died', () => {
    fs.writeFileSync(path.join(dataDir, 'hotline.pid'), '999999999\n');
    const release = claimEmbeddedStore(dataDir);
    expect(fs.readFileSync(path.join(dataDir, 'hotline.pid'), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(runningHotlinePid(dataDir)).toBeNull();
  });

  it('refuses a writing tool while the hotline runs, saying what to do', async () => {
    pretendHotlineRuns();
    const config = { mongodbUri: '', mongodbDb: '', dataDir };
    await expect(openStore(config, { tool: 'npm run staff' })).rejects.toThrow(StoreError);
    await expect(openStore(config, { tool: 'npm run staff' })).rejects.toThrow(/npm run staff.*Stop it/);
  });

  it('gives a reading tool a snapshot of what the hotline wrote, without rewriting its files', async () => {
    const owner = new EmbeddedStore(dataDir);
    const ratings = owner.collection<{ _id: string; score: number }>('ratings');
    await ratings.insertOne({ _id: 'a', score: 4 });
    await ratings.insertOne({ _id: 'b', score: 2 });
    await ratings.updateOne({ _id: 'b' }, { $set: { score: 5 } });
    await ratings.deleteOne({ _id: 'a' });
    const file = path.join(dataDir, 'store', 'ratings.db');
    const before = fs.readFileSync(file);
    pretendHotlineRuns();

    const snapshot = await openStore({ mongodbUri: '', mongodbDb: '', dataDir }, { tool: 'npm run report', readOnly: true });
    expect(await snapshot.collection('ratings').find({})).toEqual([{ _id: 'b', score: 5 }]);
    await expect((async () => snapshot.collection('ratings').insertOne({ _id: 'c' }))()).rejects.toThrow(/read-only snapshot/);
    await snapshot.close();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    await owner.close();
  });
});
