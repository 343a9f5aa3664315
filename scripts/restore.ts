/**
 * npm run restore -- FILE   restores a backup into an empty store (MONGODB_URI/MONGODB_DB, or the
 *                           embedded store in DATA_DIR), and the site folder's missing files.
 */
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { restoreBackup } from '../src/maintenance/backup';
import { openStore } from '../src/store/open-store';

const HELP = `Usage: npm run restore -- FILE
Restores a backup made by npm run backup into the store the settings name (MONGODB_URI and
MONGODB_DB, or the embedded store in DATA_DIR), which must be empty, and writes the site
folder's files (SITE_DIR) that are not there yet. Stop the hotline first on the embedded store.`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`restore: name one backup file\n\n${HELP}`);
    return 2;
  }
  const config = loadToolConfig('npm run restore', envFile);
  const store = await openStore(config, { tool: 'npm run restore', socketTimeoutMS: 0 });
  try {
    const r = await restoreBackup(positionals[0], store, { siteDir: config.siteDir });
    const docs = Object.values(r.collections).reduce((a, b) => a + b, 0);
    console.error(`restore: ${docs} document(s) in ${Object.keys(r.collections).length} collection(s), ${r.files} recording(s), ${r.site} site file(s) restored into the ${store.engine} store`
      + `${r.siteSkipped ? ` (${r.siteSkipped} site file(s) already there were kept)` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  const cause = (err as { cause?: Error }).cause;
  console.error(`restore failed: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  process.exit(1);
});
