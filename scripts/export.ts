/**
 * npm run export -- floip --out DIR: every rating as a Flow Results (FLOIP) package.
 * npm run export -- --isaf --format json|ndjson --out FILE: the national ISAF roll-up.
 */
import { Presets, SingleBar } from 'cli-progress';
import { loadToolConfig, takeEnvFileFromProcessArgs, toolOutput } from '../src/config/tool-settings';
import { writeFlowResultsPackage } from '../src/exports/flow-results';
import { BadRequestError } from '../src/errors';
import { IsafRollupFormat, writeIsafRollup } from '../src/exports/isaf-rollup';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { cambodianDay } from '../src/outbound/cambodia-time';
import { parsePeriod, cambodianMidnight } from '../src/reports/period';
import { loadScorecard } from '../src/scorecard/scorecard';
import { openStore } from '../src/store/open-store';

const HELP = `Usage: npm run export -- floip --out DIR [--id UUID]
       npm run export -- --isaf --format json|ndjson --out FILE [--from DAY --to DAY] [--as-of DAY]

Writes every rating in the store (MONGODB_URI, or the embedded store in DATA_DIR) as a Flow
Results package of the Flow Interoperability Project (specification 1.0.0-rc1), which tools
such as Ona and RapidPro-compatible analysers read:
  DIR/datapackage.json          the descriptor: one resource "flow-results-data" whose schema
                                lists the questions (one per indicator, plus commune, service,
                                gender, age group, disability, language group)
  DIR/flow-results-data.json    the responses: [timestamp, row_id, contact_id, session_id,
                                question_id, response, response_metadata]
contact_id is the caller's HMAC id (never a phone number); session_id is the call.
Raw responses: nothing is withheld; keep the files where only staff can read them.
"Try the line" test calls are left out. Questions a caller was never asked (a hang-up before
the gender, age and disability questions) have no rows. A rating the same caller later
replaced is kept with response_metadata.superseded_at; \`npm run report\` counts a rating in
[from, to) when it has no superseded_at or one at or after \`to\`, so totals match.

Versions: with --id of the package already in DIR, the export is a new version of it
(Flow Results "Results Versioning"): created is kept, every question stays listed (retired
indicators too), new questions may be added (modified is then this export's time), and a
changed question (a new label or choice) is refused with exit status 2: use a new --id.

Options:
  --out DIR    the folder to write (created if needed; files in it are replaced)
  --id UUID    the package id (default: a new version 4 UUID); the id of the package in DIR
               writes a newer version of it
  --help       this text

The national ISAF roll-up (--isaf): what an implementer sends for national policy reflection,
as typed records, each with "type" and "schemaVersion" (docs/isaf-rollup.schema.json):
  export            one, first: when, the period, the day outcomes are counted on
  scorecard-round   a round (commune x service or facility x year) with its state history and
                    its stored meeting and self-assessment results per indicator
  jaap-plan         a commune's JAAP (year, agreement day)
  jaap-item         an action item in the official columns, its status and status history
  jaap-result       a row of the JAAP result indicator (as npm run report -- --jaap --format csv)
No caller data at all: no caller ids, no phone numbers; staff usernames and status-change notes
are left out too. Phone-channel figures are not included: publish them with npm run report,
which withholds every figure resting on fewer than 5 callers.
  --format json|ndjson  json: one document {type, schemaVersion, records}; ndjson: a record a line
  --from DAY --to DAY   rounds held (else planned, else their year's 1 January) and JAAPs agreed
                        on days in [from, to), Cambodian calendar days; default everything
  --as-of DAY           the day unfinished JAAP items are counted on (default today)
  --out FILE            the file to write (written whole, or not at all)

Exit status: 0 written, 1 the store or a file failed, 2 bad options.`;

async function isafExport(argv: string[], envFile: string | undefined): Promise<number> {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!['--format', '--from', '--to', '--as-of', '--out'].includes(argv[i]) || argv[i + 1] === undefined) {
      console.error(`export: unexpected ${JSON.stringify(argv[i])} (see --help)`);
      return 2;
    }
    opts[argv[i].slice(2)] = argv[i + 1];
  }
  let period: { from: string; to: string } | undefined;
  try {
    if (opts.format !== 'json' && opts.format !== 'ndjson') throw new BadRequestError('--format json or --format ndjson is required');
    if (!opts.out) throw new BadRequestError('--out FILE is required');
    if (Boolean(opts.from) !== Boolean(opts.to)) throw new BadRequestError('--from and --to go together (calendar days, --to exclusive)');
    if (opts.from) {
      parsePeriod(opts.from, opts.to);
      period = { from: opts.from, to: opts.to };
    }
    if (opts['as-of']) cambodianMidnight(opts['as-of'], '--as-of');
  } catch (err) {
    console.error(`export: ${(err as Error).message}`);
    return 2;
  }
  let store;
  try {
    const config = loadToolConfig('npm run export', envFile);
    toolOutput(opts.out);
    const gazetteer = loadGazetteer(config.gazetteerDir);
    store = await openStore(config, { socketTimeoutMS: 0, readOnly: true, tool: 'npm run export' });
    const counts = await writeIsafRollup(store, gazetteer, opts.out, opts.format as IsafRollupFormat, { period, asOfDay: opts['as-of'] ?? cambodianDay(new Date()), exportedAt: new Date() });
    console.error(`wrote ${counts['scorecard-round']} rounds, ${counts['jaap-plan']} JAAPs, ${counts['jaap-item']} JAAP items and ${counts['jaap-result']} result rows to ${opts.out}`);
    return 0;
  } catch (err) {
    return exitCodeFor(err);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  if (argv[0] === '--isaf') return isafExport(argv.slice(1), envFile);
  const [kind, ...rest] = argv;
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!['--out', '--id'].includes(rest[i]) || rest[i + 1] === undefined) {
      console.error(`export: unexpected ${JSON.stringify(rest[i])} (see --help)`);
      return 2;
    }
    opts[rest[i].slice(2)] = rest[i + 1];
  }
  if (kind !== 'floip') {
    console.error('export: the exports are "floip" (npm run export -- floip --out DIR) and --isaf (npm run export -- --isaf --format ndjson --out FILE)');
    return 2;
  }
  if (!opts.out) {
    console.error('export: --out DIR is required');
    return 2;
  }
  if (opts.id && !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(opts.id)) {
    console.error('export: --id must be a version 4 UUID');
    return 2;
  }
  let store;
  const bar = new SingleBar({ format: 'exporting {bar} {percentage}% | {value}/{total} ratings' }, Presets.shades_classic);
  try {
    const config = loadToolConfig('npm run export', envFile);
    toolOutput(opts.out);
    const scorecard = loadScorecard(config.scorecardFile);
    store = await openStore(config, { socketTimeoutMS: 0, readOnly: true, tool: 'npm run export' }); // a national report may take longer than a webhook may wait
    let started = false;
    const result = await writeFlowResultsPackage(store, scorecard, opts.out, {
      id: opts.id,
      onProgress: (done, total) => {
        if (!started) { bar.start(total, 0); started = true; }
        bar.update(done);
      },
    });
    if (started) bar.stop();
    console.error(`wrote ${result.ratings} ratings as ${result.rows} responses to ${opts.out} (package ${result.id}, created ${result.created.toISOString()}, version ${result.modified.toISOString()})`);
    return 0;
  } catch (err) {
    bar.stop();
    return exitCodeFor(err);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** The export's failure in one line: 2 for what the operator asked wrongly, 1 for anything else (with its cause). */
function exitCodeFor(err: unknown): number {
  if (err instanceof BadRequestError) {
    console.error(`export: ${err.message}`);
    return 2;
  }
  const cause = (err as { cause?: Error }).cause;
  console.error(`export: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  return 1;
}

main().then((code) => { process.exitCode = code; });
