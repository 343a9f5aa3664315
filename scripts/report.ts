/**
 * npm run report -- [options]: scorecard summaries and the satisfaction table from the
 * ratings in the configured store (MONGODB_URI, or the embedded store in DATA_DIR).
 */
import * as fs from 'node:fs';
import { loadToolConfig, takeEnvFileFromProcessArgs, toolOutput } from '../src/config/tool-settings';
import { AppError, BadRequestError } from '../src/errors';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { csvDocument } from '../src/exports/csv';
import { jaapReportRows } from '../src/jaap/jaap-results';
import { countJaapResults } from '../src/jaap/jaap-results-count';
import { jaapResultsWorkbook } from '../src/jaap/jaap-results-workbook';
import { cambodianDay } from '../src/outbound/cambodia-time';
import { cambodianMidnight, parsePeriod, parsePeriodRange } from '../src/reports/period';
import { checkArea, reportCsv, runReport } from '../src/reports/scorecard-report';
import { loadScorecard } from '../src/scorecard/scorecard';
import { loadProgrammeAreas, offeredProgramme } from '../src/site/programme-areas';
import { ensureRepeatRatingsMarked } from '../src/store/repeat-ratings';
import { openStore } from '../src/store/open-store';

const HELP = `Usage: npm run report -- --from YYYY-MM-DD --to YYYY-MM-DD [options]

Scorecard figures for a period, counted from the ratings in the store: per commune, service and
indicator the distinct callers and the answers (ratings) the figure rests on, median, mean,
count at each scale point 1-5 and share satisfied (4 or 5), rolled up to district, province and
country. One caller's repeated ratings of one indicator count once per period (the latest).

Privacy: a figure resting on fewer than REPORT_MIN_CALLERS distinct callers (default and
minimum 5) is withheld, status "too-few"; a figure that would let a withheld one be worked out
by subtraction (from a total, its other groups, indicators or areas) is withheld too, status
"protects-another". Withheld figures are null in JSON and empty in CSV, with the status in the
"status" field or column. "no-ratings" (0 callers, 0 answers) is not withheld.

Period: --from is inclusive, --to exclusive, both calendar days in Cambodia (UTC+07:00).
  --from 2026-01-01 --to 2026-04-01   is the first quarter of 2026.

Options:
  --from DAY, --to DAY     the period (required)
  --commune CODES          6-digit commune codes; repeat or separate with commas
  --district CODES         4-digit district codes (the district and its communes)
  --province CODES         2-digit province codes (the province, its districts and communes)
                           with no area: every rated commune, all roll-ups and the country
  --table                  the satisfaction table for one area, or the country with none
                           (rows: services; columns: all, disability, indigenous, women, men;
                           cells: share satisfied, callers and answers)
  --compare FROM..TO       a baseline period set beside the main one, with the change; the
                           two periods must not overlap
  --breakdown              add figures for women, men, age groups, disability, Khmer and
                           indigenous-language callers to every service and indicator
  --format json|csv        default json. CSV has a header row and is UTF-8 with a byte order
                           mark so Excel keeps Khmer names intact
  --no-bom                 CSV without the byte order mark
  --out FILE               write to FILE instead of standard output
  --help                   this text

JAAP results (--jaap): for the JAAPs agreed on days in [--from, --to), each area's action
items: agreed, solvedWithin12Months (done no later than 12 months after the JAAP's agreement),
share (solved within 12 months / agreed), doneLater, stillInside12Months, notSolved, dropped;
for every commune, district and province with items and the country, by section (A external,
B internal) and facility type. JSON: { period, asOf, entries: [{ level, code, nameKm,
nameLatin, agreed, solvedWithin12Months, share, ..., bySection, byService }] }; CSV: one row
per area and breakdown. JAAP items are public commitments: nothing is withheld.
  --jaap                   the JAAP result indicator instead of the scorecard figures
  --as-of DAY              count unfinished items' 12 months up to this day (default today)
  --format xlsx            (with --jaap and --out) an Excel workbook of the CSV's rows, its
                           header row in English, or in Khmer with --lang km
  --lang en|km             the workbook's header language (default en)

Examples:
  npm run report -- --jaap --from 2023-01-01 --to 2024-01-01 --format csv
  npm run report -- --jaap --from 2023-01-01 --to 2024-01-01 --format xlsx --lang km --out jaap-2023.xlsx
  npm run report -- --province 01 --from 2026-01-01 --to 2026-04-01
  npm run report -- --table --from 2026-01-01 --to 2026-04-01 --compare 2025-01-01..2025-04-01 --format csv

Exit status: 0 report written, 1 the store or configuration failed, 2 bad options.`;

interface Options {
  from?: string;
  to?: string;
  communes: string[];
  districts: string[];
  provinces: string[];
  table: boolean;
  breakdown: boolean;
  jaap: boolean;
  asOf?: string;
  compare?: string;
  format: 'json' | 'csv' | 'xlsx';
  /** The language of an Excel workbook's header row (--jaap --format xlsx). */
  lang: 'en' | 'km';
  bom: boolean;
  out?: string;
  help: boolean;
}

export function parseReportArgs(argv: string[]): Options {
  const o: Options = { communes: [], districts: [], provinces: [], table: false, breakdown: false, jaap: false, format: 'json', lang: 'en', bom: true, help: false };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new BadRequestError(`${flag} needs a value`);
    return v;
  };
  const codes = (v: string) => v.split(',').map((c) => c.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--help': case '-h': o.help = true; break;
      case '--table': o.table = true; break;
      case '--breakdown': o.breakdown = true; break;
      case '--jaap': o.jaap = true; break;
      case '--as-of': o.asOf = value(i++, a); break;
      case '--no-bom': o.bom = false; break;
      case '--from': o.from = value(i++, a); break;
      case '--to': o.to = value(i++, a); break;
      case '--compare': o.compare = value(i++, a); break;
      case '--out': o.out = value(i++, a); break;
      case '--commune': o.communes.push(...codes(value(i++, a))); break;
      case '--district': o.districts.push(...codes(value(i++, a))); break;
      case '--province': o.provinces.push(...codes(value(i++, a))); break;
      case '--format': {
        const f = value(i++, a);
        if (f !== 'json' && f !== 'csv' && f !== 'xlsx') throw new BadRequestError(`--format must be json, csv or xlsx (with --jaap), not ${JSON.stringify(f)}`);
        o.format = f;
        break;
      }
      case '--lang': {
        const l = value(i++, a);
        if (l !== 'en' && l !== 'km') throw new BadRequestError(`--lang must be en or km, not ${JSON.stringify(l)}`);
        o.lang = l;
        break;
      }
      default: throw new BadRequestError(`unknown option ${JSON.stringify(a)} (see --help)`);
    }
  }
  if (o.jaap && (o.table || o.breakdown || o.compare)) throw new BadRequestError('--jaap cannot be combined with --table, --breakdown or --compare');
  if (o.asOf && !o.jaap) throw new BadRequestError('--as-of goes with --jaap');
  if (o.format === 'xlsx' && !o.jaap) throw new BadRequestError('--format xlsx goes with --jaap (the scorecard figures are json or csv)');
  if (o.format === 'xlsx' && !o.out) throw new BadRequestError('--format xlsx needs --out FILE (a workbook is not text for the terminal)');
  if (argv.includes('--lang') && o.format !== 'xlsx') throw new BadRequestError('--lang goes with --format xlsx (the language of the header row)');
  return o;
}

function write(text: string | Buffer, out: string | undefined): void {
  if (out) {
    fs.writeFileSync(out, text);
    toolOutput(out);
  } else {
    process.stdout.write(text);
  }
}

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  let o: Options;
  let period;
  let baseline;
  try {
    o = parseReportArgs(process.argv.slice(2));
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    if (!o.from || !o.to) throw new BadRequestError('--from and --to are required (calendar days, --to exclusive)');
    period = parsePeriod(o.from, o.to);
    baseline = o.compare ? parsePeriodRange(o.compare) : undefined;
    if (o.asOf) cambodianMidnight(o.asOf, '--as-of');
  } catch (err) {
    console.error(`report: ${(err as Error).message}`);
    return 2;
  }

  let store;
  try {
    const config = loadToolConfig('npm run report', envFile);
    const gazetteer = loadGazetteer(config.gazetteerDir);
    const scorecard = loadScorecard(config.scorecardFile);
    // Facility names as the hotline offers them (none from the shipped sample: its facilities are made up).
    const { facilities } = offeredProgramme(loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: scorecard.services.map((s) => s.id) }));
    store = await openStore(config, { socketTimeoutMS: 0, readOnly: true, tool: 'npm run report' }); // a national report may take longer than a webhook may wait
    if (o.jaap) {
      const area = checkArea({ communes: o.communes, districts: o.districts, provinces: o.provinces }, gazetteer);
      const jaapReport = await countJaapResults(store, gazetteer, { period: { from: o.from!, to: o.to! }, asOfDay: o.asOf ?? cambodianDay(new Date()), area });
      if (o.format === 'xlsx') write(await jaapResultsWorkbook(jaapReport, o.lang), o.out);
      else write(o.format === 'csv' ? csvDocument(jaapReportRows(jaapReport), { bom: o.bom }) : `${JSON.stringify(jaapReport, null, 2)}\n`, o.out);
      return 0;
    }
    // Ratings stored before repeats were marked are marked once (the running hotline has done it already).
    await ensureRepeatRatingsMarked(store, (msg, fields) => console.error(`report: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`));
    const report = await runReport(
      { store, scorecard, gazetteer, minCallers: config.reportMinCallers, facilities },
      { period, baseline, area: { communes: o.communes, districts: o.districts, provinces: o.provinces }, table: o.table, breakdowns: o.breakdown },
    );
    write(o.format === 'csv' ? reportCsv(report, { bom: o.bom }) : `${JSON.stringify(report, null, 2)}\n`, o.out);
    return 0;
  } catch (err) {
    if (err instanceof BadRequestError) {
      console.error(`report: ${err.message}`);
      return 2;
    }
    const cause = (err as { cause?: Error }).cause;
    console.error(`report: ${(err as Error).message}${err instanceof AppError && cause ? ` (${cause.message})` : ''}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; });
}
