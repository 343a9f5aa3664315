/**
 * npm run doctor            is this installation ready for a real line? (exit 1 on a blocker)
 * npm run doctor -- --json  the same items as JSON
 * npm run doctor -- --alert only what changes while the line runs (backup age, free disk): the
 *                           warnings and blockers, exit 1 when there are any (hotline-doctor.timer;
 *                           its OnFailure= sends these lines through ALERT_COMMAND)
 * Each item is ok, WARNING or BLOCKER, with the fix. In production `npm start` runs the same
 * checks and refuses to start on a blocker unless DOCTOR_ALLOW names it.
 */
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { loadDoctorDefinitions } from '../src/doctor/definitions';
import { alertReport, formatDoctor, machineItems, runDoctor, unallowedBlockers } from '../src/doctor/doctor';

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, alert: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npm run doctor [-- --json | --alert] [--env-file /etc/hotline/hotline.env]\nChecks settings, the store, the carrier, prompt coverage, I4C texts, disk, memory and backups.\nExit 1 when a blocker is not allowed by DOCTOR_ALLOW.\n--alert: only the backup age and free disk; prints their warnings and blockers and exits 1 when there are any (for hotline-doctor.timer).');
    return 0;
  }
  let config;
  try {
    config = loadToolConfig('npm run doctor', envFile);
  } catch (err) {
    console.error(`BLOCKER settings: ${(err as Error).message}\n        fix: correct the setting(s) above in the settings file (.env, or the --env-file / HOTLINE_ENV_FILE named); .env.example documents each one`);
    return 1;
  }
  if (values.alert) {
    const { lines, problems } = alertReport(machineItems(config));
    console.log(lines);
    return problems ? 1 : 0;
  }
  const items = await runDoctor(config, loadDoctorDefinitions(config));
  console.log(values.json ? JSON.stringify({ nodeEnv: config.nodeEnv, items }, null, 2) : formatDoctor(items));
  return unallowedBlockers(items).length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`the doctor could not finish: ${(err as Error).message}`);
  process.exit(1);
});
