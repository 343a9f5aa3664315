/**
 * npm run backup -- --out FILE   a consistent snapshot of the store (every collection and every
 *                                recording) and the site folder, while the hotline runs, on either engine.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs, toolOutput } from '../src/config/tool-settings';
import { recordBackup, storeLabel } from '../src/doctor/backup-record';
import { createBackup } from '../src/maintenance/backup';
import { openSource } from '../src/maintenance/store-source';

const HELP = `Usage: npm run backup -- --out FILE [--env-file /etc/hotline/hotline.env]
Writes one gzip file (FILE.partial until it is complete): every document, every voice-message
recording and every file of the site folder (SITE_DIR). Works while the hotline runs, on the
embedded store and on MongoDB. Restore with: npm run restore -- FILE
Keep a copy off this machine (README, "Backups").`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const { values } = parseArgs({ options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) {
    console.error(`backup: --out FILE is required\n\n${HELP}`);
    return 2;
  }
  const config = loadToolConfig('npm run backup', envFile);
  const source = await openSource(config);
  try {
    const out = path.resolve(values.out);
    toolOutput(out);
    const started = new Date();
    const summary = await createBackup(source, out, { siteDir: config.siteDir, now: started });
    recordBackup(config.dataDir, { at: started.toISOString(), file: out, engine: source.engine, store: storeLabel(config) });
    const docs = Object.values(summary.collections).reduce((a, b) => a + b, 0);
    console.error(`backup: ${out}: ${docs} document(s) in ${Object.keys(summary.collections).length} collection(s), ${summary.files} recording(s), ${summary.site} site file(s)`);
    return 0;
  } finally {
    await source.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  const cause = (err as { cause?: Error }).cause;
  console.error(`backup failed: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  process.exit(1);
});
