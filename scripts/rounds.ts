/**
 * Scorecard rounds from the command line:
 *   npm run rounds -- import FILE.xlsx [--by NAME] [--dry-run]
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { DcsProblem, dcsHeader, importDcsReport, readDcsReport } from '../src/rounds/dcs-import';
import { RoundRegister } from '../src/rounds/round-register';
import { loadScorecard } from '../src/scorecard/scorecard';
import { loadProgrammeAreas, offeredProgramme } from '../src/site/programme-areas';
import { AuditLog } from '../src/staff/audit-log';
import { openStore } from '../src/store/open-store';
import { Store } from '../src/store/store';

const HELP = `Usage:
  npm run rounds -- import FILE.xlsx [--by NAME] [--dry-run]

import  reads the Digital Community Scorecard app's Excel scorecard report (the web app's
        "download in full", English or Khmer headers, as the app writes it) into scorecard
        rounds: one round per commune, service (or programme facility) and year of the meeting;
        a community scorecard gives the meeting's results, a self-assessment the provider's. A
        round not in the register is made (completed when the app says completed, else in
        review); a round already there gets the file's results for that channel in place of the
        earlier ones. The whole file is checked first: with any problem (a wrong header, a
        commune or facility not found, a date that does not read, bad counts, an indicator
        twice, a file over 1 MB) nothing is written and every problem is listed by row and
        column. Importing the same file again changes nothing. --by names who imported (default
        "command line"); --dry-run only checks.
Settings: --env-file FILE or HOTLINE_ENV_FILE, as the other tools.
Exit status: 0 done, 1 the file was refused or the store failed, 2 wrong usage.`;

const line = (p: DcsProblem) => `  row ${p.row}, ${dcsHeader(p.column, 'en')}: ${p.message}`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2), allowPositionals: true, strict: true,
      options: { by: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`rounds: ${(err as Error).message} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command !== 'import' || !file || extra.length) {
    console.error('rounds: give import FILE.xlsx (see --help)');
    return 2;
  }
  let store: Store | undefined;
  try {
    const config = loadToolConfig('npm run rounds', envFile);
    const gazetteer = loadGazetteer(config.gazetteerDir);
    const scorecard = loadScorecard(config.scorecardFile);
    const { facilities } = offeredProgramme(loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: scorecard.services.map((s) => s.id) }));
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (err) {
      console.error(`rounds: cannot read ${file}: ${(err as Error).message}`);
      return 2;
    }
    const read = await readDcsReport(data, { gazetteer, scorecard, facilities });
    if (values['dry-run']) {
      for (const p of read.problems) console.error(line(p));
      console.log(`rounds: --dry-run: ${read.rows.length} indicator results read, ${read.skipped.length} scorecards without results, ${read.problems.length} problems; nothing written`);
      return read.problems.length ? 1 : 0;
    }
    if (read.problems.length) {
      console.error(`rounds: ${file} refused, nothing was changed. ${read.problems.length} problem(s):`);
      for (const p of read.problems) console.error(line(p));
      return 1;
    }
    store = await openStore(config, { tool: 'npm run rounds' });
    const by = values.by ?? 'command line';
    const result = await importDcsReport(new RoundRegister(store), read, { by, now: new Date() });
    await new AuditLog(store).record({
      username: by, action: 'import-dcs-report',
      detail: { file: file.slice(-120), roundsAdded: result.roundsAdded.length, roundsUpdated: result.roundsUpdated.length, resultsWritten: result.resultsWritten, resultsUnchanged: result.resultsUnchanged, resultsRemoved: result.resultsRemoved },
    });
    console.log(`rounds: ${result.roundsAdded.length} rounds added, ${result.roundsUpdated.length} already there; ${result.resultsWritten} results written, ${result.resultsUnchanged} unchanged, ${result.resultsRemoved} removed${result.skipped.length ? `; ${result.skipped.length} scorecards without voted indicators left out (rows ${result.skipped.join(', ')})` : ''}`);
    return 0;
  } catch (err) {
    console.error(`rounds: ${(err as Error).message}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

if (require.main === module) main().then((code) => { process.exitCode = code; });
