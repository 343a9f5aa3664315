/**
 * npm run doctor            is this installation ready for a real line? (exit 1 on a blocker)
 * npm run doctor -- --json  the same items as JSON
 * Each item is ok, WARNING or BLOCKER, with the fix. In production `npm start` runs the same
 * checks and refuses to start on a blocker unless DOCTOR_ALLOW names it.
 */
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { loadDoctorDefinitions } from '../src/doctor/definitions';
import { formatDoctor, runDoctor, unallowedBlockers } from '../src/doctor/doctor';

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npm run doctor [-- --json] [--env-file /etc/hotline/hotline.env]\nChecks settings, the store, the carrier, prompt coverage, I4C texts, disk, memory and backups.\nExit 1 when a blocker is not allowed by DOCTOR_ALLOW.');
    return 0;
  }
  let config;
  try {
    config = loadToolConfig('npm run doctor', envFile);
  } catch (err) {
    console.error(`BLOCKER settings: ${(err as Error).message}\n        fix: correct the setting(s) above in the settings file (.env, or the --env-file / HOTLINE_ENV_FILE named); .env.example documents each one`);
    return 1;
  }
  const items = await runDoctor(config, loadDoctorDefinitions(config));
  console.log(values.json ? JSON.stringify({ nodeEnv: config.nodeEnv, items }, null, 2) : formatDoctor(items));
  return unallowedBlockers(items).length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`the doctor could not finish: ${(err as Error).message}`);
  process.exit(1);
});
