/**
 * npm run export -- floip --out DIR: every rating as a Flow Results (FLOIP) package.
 */
import { Presets, SingleBar } from 'cli-progress';
import { loadToolConfig, takeEnvFileFromProcessArgs, toolOutput } from '../src/config/tool-settings';
import { writeFlowResultsPackage } from '../src/exports/flow-results';
import { BadRequestError } from '../src/errors';
import { loadScorecard } from '../src/scorecard/scorecard';
import { openStore } from '../src/store/open-store';

const HELP = `Usage: npm run export -- floip --out DIR [--id UUID]

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

Exit status: 0 written, 1 the store or a file failed, 2 bad options.`;

async function main(): Promise<number> {
  const envFile = takeEnvFileFromProcessArgs();
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
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
    console.error('export: the only export is "floip" (npm run export -- floip --out DIR)');
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
    if (err instanceof BadRequestError) {
      console.error(`export: ${err.message}`);
      return 2;
    }
    const cause = (err as { cause?: Error }).cause;
    console.error(`export: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

main().then((code) => { process.exitCode = code; });
