/**
 * The JAAP register from the command line:
 *   npm run jaap -- import FILE --commune CODE --year YEAR [--agreed-on DAY] [--by NAME] [--dry-run]
 *   npm run jaap -- export --commune CODE --year YEAR [--headers en|km] [--out FILE]
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadToolConfig, takeEnvFileFromProcessArgs, toolOutput } from '../src/config/tool-settings';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { Jaap, jaapId, twelveMonthsAfter } from '../src/jaap/jaap';
import { importJaapFile, jaapCsv, jaapWorkbook, readJaapFile, readJaapWorkbook } from '../src/jaap/jaap-file';
import { JaapRegister } from '../src/jaap/jaap-register';
import { cambodianMidnight } from '../src/reports/period';
import { loadScorecard } from '../src/scorecard/scorecard';
import { AuditLog } from '../src/staff/audit-log';
import { openStore } from '../src/store/open-store';
import { Store } from '../src/store/store';

const HELP = `Usage:
  npm run jaap -- import FILE --commune CODE --year YEAR [--agreed-on DAY] [--by NAME] [--dry-run]
  npm run jaap -- export --commune CODE --year YEAR [--headers en|km] [--out FILE]

import  reads a commune's JAAP from an Excel workbook (.xlsx, its first sheet) or a CSV file (the
        staff desk's download, or a spreadsheet saved as CSV UTF-8) with English or Khmer headers, in the columns of the official letter:
        section (A external / B internal), no, agreed activity, proposer, target response,
        location ("Health centre: its name"), quantity, unit, start month, end month (2025-04),
        beneficiaries total and female, estimated cost riel, implementer, fund source,
        indicator, status. The plan is made if missing (then --agreed-on, the day of the
        interface meeting, is required). The whole file is checked first: with any problem
        (a wrong header, a service, a month or a number that does not read, an item twice, an
        item already in the register with other words, a file over 1 MB) nothing is written
        and every problem is listed by row and column. Items already there with the same words
        are left as they are, so importing the same file again changes nothing. A status in the
        file is recorded as of the import, by --by (default "command line").
export  writes the plan's items in the same columns (--headers km for the Khmer headers), as
        Excel when --out ends in .xlsx, else CSV.
Settings: --env-file FILE or HOTLINE_ENV_FILE, as the other tools.
Exit status: 0 done, 1 the file was refused or the store failed, 2 wrong usage.`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2), allowPositionals: true, strict: true,
      options: { commune: { type: 'string' }, year: { type: 'string' }, 'agreed-on': { type: 'string' }, by: { type: 'string' }, 'dry-run': { type: 'boolean' }, headers: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`jaap: ${(err as Error).message} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  const year = Number(values.year);
  if (!['import', 'export'].includes(command) || extra.length || (command === 'import') !== Boolean(file) || !values.commune || !/^20[0-9]{2}$/.test(values.year ?? '')) {
    console.error('jaap: give import FILE or export, with --commune CODE and --year YEAR (see --help)');
    return 2;
  }
  if (values.headers && values.headers !== 'en' && values.headers !== 'km') {
    console.error('jaap: --headers is en or km');
    return 2;
  }
  let store: Store | undefined;
  try {
    const config = loadToolConfig('npm run jaap', envFile);
    const gazetteer = loadGazetteer(config.gazetteerDir);
    if (!gazetteer.isCommune(values.commune)) {
      console.error(`jaap: --commune ${values.commune} is not a commune in the gazetteer`);
      return 2;
    }
    if (values['agreed-on']) cambodianMidnight(values['agreed-on'], '--agreed-on');
    const card = loadScorecard(config.scorecardFile);
    store = await openStore(config, { tool: 'npm run jaap', readOnly: command === 'export' || values['dry-run'] });
    const register = new JaapRegister(store);
    const id = jaapId(values.commune, year);
    let plan = await register.plan(id);
    if (command === 'export') {
      if (!plan) {
        console.error(`jaap: there is no JAAP for commune ${values.commune} in ${year}`);
        return 1;
      }
      const items = await register.itemsOf(id);
      const lang = (values.headers as 'en' | 'km') ?? 'en';
      if (values.out) {
        fs.writeFileSync(values.out, values.out.toLowerCase().endsWith('.xlsx') ? await jaapWorkbook(items, card, lang) : jaapCsv(items, card, lang));
        toolOutput(values.out);
      } else process.stdout.write(jaapCsv(items, card, lang));
      return 0;
    }
    if (plan && values['agreed-on'] && values['agreed-on'] !== plan.agreedOn) {
      console.error(`jaap: the JAAP ${id} was agreed on ${plan.agreedOn}, not ${values['agreed-on']}`);
      return 2;
    }
    const newPlan: Jaap | null = plan ? null : values['agreed-on'] ? { _id: id, communeCode: values.commune, year, agreedOn: values['agreed-on'], createdAt: new Date(), createdBy: values.by ?? 'command line' } : null;
    if (!plan && !newPlan) {
      console.error(`jaap: there is no JAAP for commune ${values.commune} in ${year} yet: give --agreed-on, the day of the interface meeting`);
      return 2;
    }
    plan = plan ?? newPlan!;
    const deadline = twelveMonthsAfter(plan.agreedOn);
    const read = file.toLowerCase().endsWith('.xlsx') ? await readJaapWorkbook(fs.readFileSync(file), plan, card, deadline) : readJaapFile(fs.readFileSync(file, 'utf8'), plan, card, deadline);
    if (values['dry-run']) {
      for (const p of read.problems) console.error(`  row ${p.row}, ${p.column}: ${p.message}`);
      console.log(`jaap: --dry-run: ${read.items.length} items read, ${read.problems.length} problems; nothing written`);
      return read.problems.length ? 1 : 0;
    }
    // Check the file before making the plan: a refused file leaves nothing behind.
    if (read.problems.length === 0 && newPlan) await register.addPlan(newPlan);
    const result = await importJaapFile(register, plan, read, card, { by: values.by ?? 'command line', now: new Date(), deadline });
    if (result.problems.length) {
      console.error(`jaap: ${file} refused, nothing was changed. ${result.problems.length} problem(s):`);
      for (const p of result.problems) console.error(`  row ${p.row}, ${p.column}: ${p.message}`);
      return 1;
    }
    await new AuditLog(store).record({ username: values.by ?? 'command line', action: 'import-jaap', detail: { jaap: id, added: result.added.length, unchanged: result.unchanged.length } });
    console.log(`jaap: ${id}: ${result.added.length} items added, ${result.unchanged.length} already there unchanged`);
    return 0;
  } catch (err) {
    console.error(`jaap: ${(err as Error).message}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

if (require.main === module) main().then((code) => { process.exitCode = code; });
