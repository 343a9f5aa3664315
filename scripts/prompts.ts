/**
 * The prompt library from the command line:
 *   npm run prompts -- import <file-or-folder>...   recordings -> AUDIO_DIR/<lang>/<promptId>.wav
 *   npm run prompts -- synthesize [--places ...]     Khmer drafts from reference text (Google Cloud TTS)
 *   npm run prompts -- coverage [--require ...]      what each language lacks; refuses to go live with gaps
 *   npm run prompts -- sync-content                  copy I4C content texts into the prompt catalog
 * Each command has --help. Exit status: 0 done, 1 some file failed or a required language has
 * gaps, 2 wrong usage, 3 the machine or configuration is not ready (ffmpeg, credentials, voice, files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { FfmpegError } from '../src/audio/ffmpeg';
import { AppConfig } from '../src/config/config';
import { loadToolConfig, takeEnvFileArg } from '../src/config/tool-settings';
import { loadLanguages } from '../src/config/languages';
import { AppError, ConfigError, DefinitionError } from '../src/errors';
import { loadFlow } from '../src/flow/definition';
import { Gazetteer, loadGazetteer } from '../src/gazetteer/gazetteer';
import { catalogDrift, I4cLibrary, loadI4cContent, topicsOfFlow, withContentTexts } from '../src/i4c/content';
import { isPlacePrompt, loadCatalog, PromptCatalog, saveCatalog } from '../src/prompts/catalog';
import { loadSiteCatalog, prepareSiteAudio, saveSiteCatalog } from '../src/site/site-folder';
import { formatCoverage, gapsOf, placeCoverage, promptCoverage, requiredPrompts } from '../src/prompts/coverage';
import { buildScript, programmeNameLines, SCRIPT_FILE_PREFIX, scriptCsv, scriptHtml } from '../src/prompts/recording-script';
import { AudioSources } from '../src/prompts/audio-sources';
import { loadProgrammeAreas, offeredProgramme, ProgrammePlaces } from '../src/site/programme-areas';
import { allPlaceCodes } from '../src/prompts/place-names';
import { IMPORT_EXTENSIONS, importRecordings, listInputs } from '../src/prompts/prompt-import';
import { createGoogleSpeechClient, findKhmerVoice, SpeechClient, SynthesisError, SynthesisItem, synthesizePrompts } from '../src/prompts/prompt-synthesis';
import { indicatorIds, loadScorecard } from '../src/scorecard/scorecard';

export const EXIT = { ok: 0, failures: 1, usage: 2, notReady: 3 } as const;

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `Usage: npm run prompts -- <command> [options]

Commands:
  import <path>...   import recordings (${IMPORT_EXTENSIONS.join(', ')}) as telephony prompts
  synthesize         draft Khmer prompts (and place names) with Google Cloud Text-to-Speech
  coverage           list, per language, prompts that are missing, placeholders or machine voice
  script             write a recording script (CSV or printable HTML) for voice talent
  sync-content       copy the I4C texts of content/i4c into prompts/catalog.json

Run "npm run prompts -- <command> --help" for a command's options.
Exit status: 0 done, 1 a file failed or a required language has gaps, 2 wrong usage, 3 not ready.`,
  import: `Usage: npm run prompts -- import [--dry-run] [--jobs N] <file-or-folder>...

Turns recordings into AUDIO_DIR/<language>/<promptId>.wav: mono, 8 kHz, loudness-normalised
(EBU R128, -18 LUFS), leading and trailing silence trimmed, G.711 mu-law WAV.
Name each recording by prompt id and language, either way:
  <language>/<promptId>.<ext>     e.g. cmo/info.health.fees.m4a
  <promptId>.<language>.<ext>     e.g. info.health.fees.cmo.m4a
Folders are searched recursively. Formats: ${IMPORT_EXTENSIONS.join(', ')}.
A file that is unreadable, silent, unnamed or for an unknown prompt or language is reported
and skipped; nothing is half-written. Importing over a placeholder or a machine voice makes it
a recording.

Options:
  --dry-run   check and convert every file, write nothing
  --jobs N    conversions at once (default 2)
  --json      print the outcome of every file as JSON`,
  synthesize: `Usage: npm run prompts -- synthesize [--only id,...] [--places all|<code-prefix>,...] [--no-prompts] [--voice NAME] [--redo-machine]

Drafts Khmer prompts from their Khmer reference text (prompts/catalog.json, I4C texts from
content/i4c) with Google Cloud Text-to-Speech, straight into AUDIO_DIR/km/ in telephony format,
and lists them in AUDIO_DIR/machine-voice.json so coverage reports "machine voice".
Needs GOOGLE_APPLICATION_CREDENTIALS (a service-account key file); checks first that a Khmer
(km-KH) voice exists. Never overwrites a person's recording.

Options:
  --only id,...          only these prompt ids
  --places all|12,0102   also place names place.<code> from the gazetteer's Khmer names
                         (all, or the places whose code starts with one of the prefixes)
  --no-prompts           place names only
  --voice NAME           a specific km-KH voice (default: the first listed)
  --redo-machine         re-synthesize prompts that are already machine voice`,
  coverage: `Usage: npm run prompts -- coverage [--require km,cmo|offered] [--allow-machine-voice] [--json]

For each language offered (config/languages.json): prompts recorded, machine voice,
placeholders and missing (a missing prompt is played in the default language instead; in the
default language it is not played at all), and how many place names are recorded.

Options:
  --require LIST           exit 1 when any of these languages (or "offered": all of them) has a
                           missing prompt, a placeholder or (unless allowed) a machine voice
  --allow-machine-voice    Khmer machine voices do not count as gaps for --require (as with
                           ACCEPT_KHMER_MACHINE_VOICE=true; never another language's)

A language with no gap is what the language menu offers in production (ONLY_READY_LANGUAGES);
a language with a gap is left off it. Place names are no gap: see "place names" below the report.
  --json                   print the report as JSON`,
  script: `Usage: npm run prompts -- script --language CODE [--missing] [--format csv|html] [--out FOLDER]
       npm run prompts -- script --places [--missing] [--format csv|html] [--out FOLDER]

Writes FOLDER/recording-script.<language>.<csv|html> (FOLDER defaults to ./recordings-<language>):
every prompt to record in that language, in the order a speaker should read them (the order of
the call), with its reference text (the language's own where written, else Khmer and English),
about how long it should last, and the file name to save it under (<promptId>.<language>.m4a;
any audio format will do). Save the recordings in FOLDER; "npm run prompts -- import FOLDER"
then takes it as it is (it skips the script itself). The HTML prints on A4 with Khmer fonts.

Options:
  --language CODE   a language of config/languages.json (required)
  --missing         only prompts not yet recorded by a person (missing, placeholder, machine voice),
                    and recordings made before their words changed (the catalog's wordsChanged)
  --format csv|html csv (UTF-8 with a byte order mark, for Excel) or html (default)
  --out FOLDER      where to write the script
  --places          instead of the prompts: exactly the names the programme's callers hear
                    (config/programme-areas.json: each commune, the districts of those communes,
                    heard when a caller confirms the commune, each facility), recorded once in
                    the default language (they are proper nouns)`,
  'sync-content': `Usage: npm run prompts -- sync-content [--check]

Copies the text of every I4C topic (content/i4c/<service>.<language>.json) into the
info.<service>.<topic> entries of the prompt catalog: the content files are the one source.

Options:
  --check   write nothing; exit 1 when the catalog differs from the content`,
};

interface Context {
  audioDir: string;
  catalogFile: string;
  config: AppConfig;
  catalog: PromptCatalog;
  content: I4cLibrary;
  languages: ReturnType<typeof loadLanguages>;
  gazetteer: Gazetteer;
  googleCredentialsFile: string;
  acceptKhmerMachineVoice: boolean;
  /** The flow lets callers choose a commune by name (a place-list node), so place names count. */
  browseByName: boolean;
}

/** The settings file named by --env-file (src/config/tool-settings.ts), taken out of the arguments by main. */
let settingsFile: string | undefined;

function loadContext(): Context {
  const config = loadToolConfig('npm run prompts', settingsFile);
  // Imports and drafts land in the site folder; seed it first so coverage sees every shipped prompt.
  prepareSiteAudio(config);
  const languages = loadLanguages(config.languagesFile);
  const catalog = loadSiteCatalog(config);
  const services = indicatorIds(loadScorecard(config.scorecardFile));
  // The pieces of I4C topics are made from the content by sync-content itself: not yet in the catalog is no reason to refuse.
  const flow = loadFlow(config.flowFile, { services, languages: languages.languages.map((l) => l.code), hasPrompt: (id) => id in catalog.prompts || /^info\.[a-z0-9-]+\.[a-z0-9-]+\.\d+$/.test(id) });
  const content = loadI4cContent(config.i4cContentDir, { services: Object.keys(services), topics: topicsOfFlow(flow.nodes), requiredLanguages: ['en', languages.default] });
  return {
    config, audioDir: config.audioDir, catalogFile: config.promptCatalogFile, catalog, content, languages,
    gazetteer: loadGazetteer(config.gazetteerDir), googleCredentialsFile: config.googleCredentialsFile,
    acceptKhmerMachineVoice: config.acceptKhmerMachineVoice,
    browseByName: Object.values(flow.nodes).some((n) => n.type === 'place-list'),
  };
}

function progressBar(label: string, total: number): SingleBar | null {
  if (total < 2) return null;
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {file}`, hideCursor: true, stream: process.stderr, clearOnComplete: true });
  bar.start(total, 0, { file: '' });
  return bar;
}

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean' }, jobs: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return help('import');
  if (positionals.length === 0) throw new UsageError('import needs at least one file or folder');
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new UsageError('--jobs must be a whole number from 1 to 16');
  const ctx = loadContext();
  let files: string[];
  try {
    files = listInputs(positionals.map((p) => path.resolve(p)));
  } catch (err) {
    throw new UsageError(`cannot read ${(err as NodeJS.ErrnoException).path ?? 'an input'}: ${(err as Error).message}`);
  }
  const bar = progressBar('import', files.length);
  const outcomes = await importRecordings(files, {
    audioDir: ctx.audioDir,
    languages: ctx.languages.languages.map((l) => l.code),
    isPromptId: (id) => id in ctx.catalog.prompts || (isPlacePrompt(id) && Boolean(ctx.gazetteer.find(id.slice('place.'.length))))
      || (id.startsWith('facility.') && Boolean(programmeOf(ctx).find(id.slice('facility.'.length)))),
    concurrency: jobs,
    dryRun: values['dry-run'],
    placeLanguage: ctx.languages.default,
    promptIds: Object.keys(ctx.catalog.prompts),
    onFileDone: (o, done) => bar?.update(done, { file: path.basename(o.file) }),
  });
  bar?.stop();
  if (values.json) console.log(JSON.stringify(outcomes, null, 2));
  else {
    for (const o of outcomes) {
      if (o.status === 'imported') {
        console.log(`ok      ${o.file} -> ${o.language}/${o.promptId}.wav (${o.durationSeconds.toFixed(2)} s${o.replaced ? `, replaced a ${o.replaced}` : ''})${values['dry-run'] ? ' [dry run]' : ''}`);
        for (const w of o.warnings) console.log(`  WARNING ${w}`);
      }
      else console.log(`FAILED  ${o.file}: ${o.reason} [${o.code}]`);
    }
  }
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const warned = outcomes.filter((o) => o.status === 'imported' && o.warnings.length).length;
  console.error(`${outcomes.length - failed} imported${warned ? ` (${warned} with a warning)` : ''}, ${failed} failed${values['dry-run'] ? ' (dry run: nothing written)' : ''}`);
  return failed ? EXIT.failures : EXIT.ok;
}

/** Builds the list to synthesize; `client` is injectable so tests run without Google. */
export async function runSynthesize(args: string[], makeClient: (keyFile: string) => SpeechClient = createGoogleSpeechClient): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { only: { type: 'string' }, places: { type: 'string' }, 'no-prompts': { type: 'boolean' }, voice: { type: 'string' }, 'redo-machine': { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) return help('synthesize');
  const ctx = loadContext();
  const catalog = withContentTexts(ctx.catalog, ctx.content);
  const items: SynthesisItem[] = [];
  const missingText: string[] = [];
  if (!values['no-prompts']) {
    const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
    for (const id of only ?? []) if (!catalog.prompts[id]) throw new UsageError(`--only: ${id} is not in the prompt catalog`);
    for (const [id, entry] of Object.entries(catalog.prompts)) {
      if (only && !only.includes(id)) continue;
      // Other languages' menu entries are spoken in those languages, never by a Khmer voice.
      if (id.startsWith('language.option.') && id !== `language.option.${ctx.languages.default}`) continue;
      if (entry.text.km) items.push({ promptId: id, text: entry.text.km });
      else missingText.push(id);
    }
  }
  if (values.places) {
    const prefixes = values.places === 'all' ? [''] : values.places.split(',').map((s) => s.trim());
    if (prefixes.some((p) => !/^[0-9]{0,6}$/.test(p))) throw new UsageError('--places takes "all" or code prefixes such as 12,0102');
    const places = [...ctx.gazetteer.provinces, ...ctx.gazetteer.provinces.flatMap((p) => ctx.gazetteer.childrenOf(p.code)), ...ctx.gazetteer.communes()];
    const seen = new Set<string>();
    for (const p of places) {
      if (seen.has(p.code) || !prefixes.some((x) => p.code.startsWith(x)) || !p.nameKm) continue;
      seen.add(p.code);
      items.push({ promptId: `place.${p.code}`, text: p.nameKm });
    }
  }
  if (missingText.length) console.error(`no Khmer reference text, not synthesized: ${missingText.join(', ')}`);
  if (items.length === 0) throw new UsageError('nothing to synthesize (check --only, --places, --no-prompts)');

  const client = makeClient(ctx.googleCredentialsFile);
  const voice = await findKhmerVoice(client, values.voice);
  console.error(`voice ${voice}: ${items.length} prompt(s) to draft into ${path.join(ctx.audioDir, 'km')}`);
  const bar = progressBar('synthesize', items.length);
  const outcomes = await synthesizePrompts(items, {
    client, voice, audioDir: ctx.audioDir, language: ctx.languages.default, redoMachine: values['redo-machine'],
    onItemDone: (o, done) => bar?.update(done, { file: o.promptId }),
  });
  bar?.stop();
  for (const o of outcomes) {
    if (o.status === 'synthesized') console.log(`ok       ${o.promptId} (${o.durationSeconds.toFixed(2)} s, machine voice)`);
    else if (o.status === 'skipped') console.log(`skipped  ${o.promptId}: ${o.reason}`);
    else console.log(`FAILED   ${o.promptId}: ${o.reason}`);
  }
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  console.error(`${count('synthesized')} synthesized, ${count('skipped')} skipped, ${count('failed')} failed`);
  return count('failed') ? EXIT.failures : EXIT.ok;
}

async function runCoverage(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { require: { type: 'string' }, 'allow-machine-voice': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return help('coverage');
  const ctx = loadContext();
  const offered = ctx.languages.languages.map((l) => l.code);
  const required = values.require === undefined ? [] : values.require === 'offered' ? offered : values.require.split(',').map((s) => s.trim()).filter(Boolean);
  for (const lang of required) if (!offered.includes(lang)) throw new UsageError(`--require: ${lang} is not a language the hotline offers (${offered.join(', ')})`);
  const report = promptCoverage({ audioDir: ctx.audioDir, catalog: ctx.catalog, languages: ctx.languages.languages, defaultLanguage: ctx.languages.default });
  const places = placeCoverage({
    audioDir: ctx.audioDir, defaultLanguage: ctx.languages.default, browseByName: ctx.browseByName, placeCodes: allPlaceCodes(ctx.gazetteer),
    provinces: ctx.gazetteer.provinces.map((p) => ({ code: p.code, places: allPlaceCodes(ctx.gazetteer).filter((c) => c.startsWith(p.code)) })),
  });
  const blocking = report.filter((c) => required.includes(c.language)).map((c) => ({ language: c.language, gaps: gapsOf(c, { allowMachineVoice: values['allow-machine-voice'] || ctx.acceptKhmerMachineVoice }) })).filter((b) => b.gaps.length);
  if (values.json) console.log(JSON.stringify({ languages: report, places, blocking }, null, 2));
  else console.log(formatCoverage(report, ctx.languages.default, places));
  if (required.length) {
    if (blocking.length) {
      console.error(`NOT READY: ${blocking.map((b) => `${b.language} has ${b.gaps.length} gap(s)`).join('; ')}`);
      return EXIT.failures;
    }
    console.error(`ready: ${required.join(', ')} have every prompt recorded`);
  }
  return EXIT.ok;
}

async function runScript(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { language: { type: 'string' }, missing: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' }, places: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return help('script');
  const ctx = loadContext();
  if (values.places) return runPlacesScript(ctx, values);
  const language = ctx.languages.languages.find((l) => l.code === values.language);
  if (!values.language) throw new UsageError('script needs --language (one of ' + ctx.languages.languages.map((l) => l.code).join(', ') + ')');
  if (!language) throw new UsageError(`--language: ${values.language} is not a language the hotline offers (${ctx.languages.languages.map((l) => l.code).join(', ')})`);
  const format = values.format ?? 'html';
  if (format !== 'csv' && format !== 'html') throw new UsageError('--format takes csv or html');
  const catalog = withContentTexts(ctx.catalog, ctx.content);
  const [cov] = promptCoverage({ audioDir: ctx.audioDir, catalog, languages: [language], defaultLanguage: ctx.languages.default });
  // --missing: what is still to record, and recordings saying words since changed.
  const promptIds = values.missing ? [...new Set([...gapsOf(cov, { allowMachineVoice: ctx.acceptKhmerMachineVoice }), ...cov.outdated])].sort() : requiredPrompts(catalog, language.code);
  const lines = buildScript({ catalog, language: language.code, languageName: language.name, promptIds });
  const folder = path.resolve(values.out ?? `recordings-${language.code}`);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${SCRIPT_FILE_PREFIX}${language.code}.${format}`);
  const body = format === 'csv'
    ? scriptCsv(lines)
    : scriptHtml(lines, { language: language.code, languageName: language.name, missingOnly: Boolean(values.missing), generatedAt: new Date() });
  fs.writeFileSync(file, body);
  const seconds = lines.reduce((sum, l) => sum + l.seconds, 0);
  console.error(`${lines.length} prompt(s) to record in ${language.name}, about ${Math.ceil(seconds / 60)} min of speech: ${file}`);
  console.log(file);
  return EXIT.ok;
}

/** The programme's communes and facilities (site folder config/programme-areas.json). */
function programmeOf(ctx: Context): ProgrammePlaces {
  const services = Object.keys(indicatorIds(loadScorecard(ctx.config.scorecardFile)));
  const areas = loadProgrammeAreas(ctx.config.programmeAreasFile, { gazetteer: ctx.gazetteer, services });
  if (areas.sample) console.error(`${ctx.config.programmeAreasFile} is the shipped sample: no names are offered to callers, so none to record. Put your programme's communes and facilities in the site folder's config/programme-areas.json.`);
  return new ProgrammePlaces(offeredProgramme(areas), () => false);
}

/** `script --places`: the programme's commune, district and facility names, in the default language only. */
function runPlacesScript(ctx: Context, values: { language?: string; missing?: boolean; format?: string; out?: string }): number {
  const language = ctx.languages.languages.find((l) => l.code === ctx.languages.default)!;
  if (values.language && values.language !== language.code) {
    throw new UsageError(`--places: place and facility names are proper nouns, recorded once in ${language.code} (the default language); leave out --language`);
  }
  const format = values.format ?? 'html';
  if (format !== 'csv' && format !== 'html') throw new UsageError('--format takes csv or html');
  const programme = programmeOf(ctx);
  const sources = AudioSources.load(ctx.audioDir);
  const lines = programmeNameLines(programme, ctx.gazetteer, language.code, (id) => !values.missing || sources.sourceOf(language.code, id) !== 'recording');
  const folder = path.resolve(values.out ?? `recordings-${language.code}`);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${SCRIPT_FILE_PREFIX}${language.code}.places.${format}`);
  const body = format === 'csv'
    ? scriptCsv(lines)
    : scriptHtml(lines, { language: language.code, languageName: language.name, missingOnly: Boolean(values.missing), generatedAt: new Date() });
  fs.writeFileSync(file, body);
  console.error(`${lines.length} name(s) to record in ${language.name} (${ctx.config.programmeAreasFile}): ${file}`);
  console.log(file);
  return EXIT.ok;
}

async function runSyncContent(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { check: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return help('sync-content');
  const ctx = loadContext();
  const drift = catalogDrift(ctx.catalog, ctx.content);
  if (values.check) {
    if (drift.length) console.error(`the catalog differs from the I4C content: ${drift.join(', ')}`);
    return drift.length ? EXIT.failures : EXIT.ok;
  }
  const written = saveSiteCatalog(ctx.config, withContentTexts(ctx.catalog, ctx.content));
  console.error(drift.length ? `updated ${drift.length} text(s) in ${written}: ${drift.join(', ')}` : `${written} already matches the content`);
  return EXIT.ok;
}

function help(command: string): number {
  console.log(HELP[command]);
  return EXIT.ok;
}

export async function main(args: string[]): Promise<number> {
  const { envFile, rest: argv } = takeEnvFileArg(args);
  settingsFile = envFile;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'import': return await runImport(rest);
      case 'synthesize': return await runSynthesize(rest);
      case 'coverage': return await runCoverage(rest);
      case 'sync-content': return await runSyncContent(rest);
      case 'script': return await runScript(rest);
      case undefined: case '--help': case '-h': case 'help': return help('main');
      default: throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${HELP[command && HELP[command] ? command : 'main'].split('\n')[0]}`);
      return EXIT.usage;
    }
    if (err instanceof SynthesisError || err instanceof FfmpegError || err instanceof ConfigError || err instanceof DefinitionError) {
      console.error(`not ready: ${err.message}`);
      return EXIT.notReady;
    }
    console.error(err instanceof AppError ? err.message : err instanceof Error ? err.stack : String(err));
    return EXIT.failures;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
