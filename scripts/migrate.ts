/**
 * npm run migrate -- --to mongodb://…   copies the embedded store (DATA_DIR) into MongoDB:
 * every collection, recordings into GridFS; checks counts and report figures on both sides.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { claimTarget, copyStore, verifyCopy } from '../src/maintenance/migrate';
import { openSource } from '../src/maintenance/store-source';
import { loadScorecard } from '../src/scorecard/scorecard';
import { runningHotlinePid } from '../src/store/embedded-owner';
import { INDEXES } from '../src/store/indexes';

const HELP = `Usage: npm run migrate -- --to mongodb://host:27017 [--db NAME] [--env-file /etc/hotline/hotline.env]
Copies everything in the embedded store (DATA_DIR) into MongoDB (database NAME, default
MONGODB_DB): every collection, voice-message recordings into GridFS. Then checks the document
counts, recording sizes and every report figure on both sides, and says done only when they
agree. Stop the hotline first. The database must be empty: one holding anything else is refused
(choose another with --db). Safe to run again: it finishes its own interrupted copy and changes
nothing once complete. Then set MONGODB_URI (and MONGODB_DB) and start the hotline.`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const { values } = parseArgs({ options: { to: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.to || !/^mongodb(\+srv)?:\/\//.test(values.to)) {
    console.error(`migrate: --to mongodb://… is required\n\n${HELP}`);
    return 2;
  }
  const config = loadToolConfig('npm run migrate', envFile);
  const running = runningHotlinePid(config.dataDir);
  if (running) {
    console.error(`migrate: the hotline (pid ${running}) is running on ${config.dataDir}; calls taken during the copy would be left behind. Stop it, run this again, then start it with MONGODB_URI set.`);
    return 1;
  }
  const dbName = values.db ?? config.mongodbDb;
  const source = await openSource({ ...config, mongodbUri: '' });
  const targetView = await openSource({ mongodbUri: values.to, mongodbDb: dbName, dataDir: config.dataDir });
  const target = targetView.store;
  try {
    const where = `the database ${dbName} at ${values.to.replace(/\/\/[^@/]*@/, '//…@')}`;
    const claimed = await claimTarget(targetView, target, { host: os.hostname(), dataDir: fs.existsSync(config.dataDir) ? fs.realpathSync(config.dataDir) : config.dataDir }, where);
    if (claimed === 'resumed') console.error(`migrate: ${where} holds this store's copy from an earlier run: finishing it`);
    await target.ensureIndexes(INDEXES);
    const result = await copyStore(source, target, (msg) => console.error(`migrate: ${msg}`));
    console.error('migrate: checking counts, recordings and report figures on both sides…');
    await verifyCopy(source, target, { scorecard: loadScorecard(config.scorecardFile), gazetteer: loadGazetteer(config.gazetteerDir) });
    const copied = Object.values(result.collections).reduce((a, c) => a + c.copied, 0) + result.files.copied;
    console.error(`migrate: done${copied ? '' : ' (nothing left to copy)'}: both stores agree. Set MONGODB_URI=${values.to.replace(/\/\/[^@/]*@/, '//…@')} and MONGODB_DB=${dbName}, then start the hotline.`);
    return 0;
  } finally {
    await source.close();
    await targetView.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  const cause = (err as { cause?: Error }).cause;
  console.error(`migrate failed: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  process.exit(1);
});
