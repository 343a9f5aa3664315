/**
 * npm run bench:journeys [-- --only <name>]: what each caller task costs the caller, driven through
 * the real webhooks (signed posts, TwiML followed as the carrier does) on an embedded store of its
 * own. For each task: seconds of audio heard (the length of every file the line would play, read
 * from the shipped audio folder, as a caller who listens to the end hears them), seconds spent
 * waiting out time-outs, key presses, menus answered before the content, the longest prompt, the
 * most options any menu reads, and what the caller heard last when the hotline ended the call.
 *
 * The caller is a policy, not a fixed list of keys: each turn is answered by the first rule whose
 * prompt matches what was just heard (language menu: 1, code entry: the code, ...). A flow that
 * adds a question still gets a figure; a turn no rule knows stops that task with its prompts named.
 * Figures are seconds of audio, not of the machine: they do not depend on its load. Exit status 1
 * when a target of issue 22 is missed.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { loadCatalog } from '../src/prompts/catalog';
import { buildRuntime } from '../src/runtime';
import { CallerAction, CallSimulator, parseTwiml, promptOf } from '../src/simulator/call-simulator';
import { EmbeddedStore } from '../src/store/embedded-store';
import { INDEXES } from '../src/store/indexes';
import { REPO_ROOT } from './call-load';

const AUTH = 'journeys-auth-token-0123456789abcdef';

/** The targets of issue 22 ("How it is measured"). */
export const TARGETS = {
  newCallerRatingSeconds: 150,
  returningCallerRatingSeconds: 90,
  maxMenuOptions: 4,
  maxPromptSeconds: 20,
};

/** Seconds of audio in a WAV file: its data chunk over its byte rate (the format the hotline plays). */
export function wavSeconds(file: string): number {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file} is not a WAV file`);
  let byteRate = 0;
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') byteRate = b.readUInt32LE(at + 16);
    if (id === 'data') {
      if (!byteRate) throw new Error(`${file}: data before fmt`);
      return Math.min(size, b.length - at - 8) / byteRate;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no data chunk`);
}

/** How long each prompt plays: its file in the caller's language, else Khmer (the line's fallback). */
export class PromptLengths {
  private readonly cache = new Map<string, number>();
  constructor(private readonly audioDir: string, private readonly fallback = 'km') {}

  seconds(id: string, language: string): number {
    const key = `${language}/${id}`;
    let s = this.cache.get(key);
    if (s === undefined) {
      const own = path.join(this.audioDir, language, `${id}.wav`);
      const file = fs.existsSync(own) ? own : path.join(this.audioDir, this.fallback, `${id}.wav`);
      s = fs.existsSync(file) ? wavSeconds(file) : 0;
      this.cache.set(key, s);
    }
    return s;
  }
}

/** How many choices a turn reads out: the distinct keys 1-9 its prompts offer ("press 2"), or one per language option. */
export function optionsRead(promptIds: readonly string[], englishText: (id: string) => string | undefined): number {
  const languages = promptIds.filter((id) => id.startsWith('language.option.')).length;
  const keys = new Set<string>();
  for (const id of promptIds) {
    for (const m of (englishText(id) ?? '').matchAll(/press ([1-9])\b/gi)) keys.add(m[1]);
  }
  // A spoken list names each place then its key (digit prompts after a name).
  const listed = promptIds.filter((id, i) => /^digit\.[1-9]$/.test(id) && i > 0 && /^(place|facility)\./.test(promptIds[i - 1])).length;
  return Math.max(languages, keys.size + listed);
}

/** I4C content (a topic or a piece of one) may be longer than a prompt: it is what the caller came for. */
const isContent = (id: string) => /^info\.(commune|health|school)\.(hours|fees|documents|rights)(\.\d+)?$/.test(id) || id === 'info.privacy';

type Rule = [RegExp, string];
export interface Journey {
  name: string;
  /** Heard first in the turn that delivers what the caller called for. */
  content: RegExp;
  /** The prompt after which the task is done (the caller hangs up). */
  done: RegExp;
  rules: Rule[];
  /** The same caller as an earlier journey (returning). */
  from?: string;
  /** A target on seconds heard plus time-outs. */
  targetSeconds?: number;
}

const SCORES = ['4', '5', '3', '4', '2', '5', '4', '4'];
/** A task still going after this many turns is stuck in a loop. */
const MAX_TURNS = 60;
/** What a caller does at each question of a rating, in the order the rules are tried. */
const RATING: Rule[] = [
  [/^language\.menu$/, '1'],
  [/^rate\.resume\.press$/, '2'],
  [/^main\.menu$/, '2'],
  [/^rate\.commune\.last$/, '1'],
  [/^rate\.commune\.enter/, '120101'],
  [/^rate\.commune\.unknown$/, '120101'],
  [/^rate\.commune\.confirm/, '1'],
  [/^rate\.area\.menu$/, '1'],
  [/^rate\.facility\.menu$/, '1'],
  [/^rate\.service\.menu$/, '2'],
  [/^rate\.used$/, '1'],
  [/^indicator\./, 'score'],
  [/^ask\.gender$/, '1'],
  [/^ask\.age$/, '3'],
  [/^ask\.disability$/, '2'],
  [/^ask\.idpoor$/, '1'],
  // The promise-news offer: she presses nothing, which is "no" (and not counted as a silence).
  [/^jaap\.alerts\.offer$/, 'silence'],
];

export const JOURNEYS: Journey[] = [
  {
    name: 'hear the health centre fees', content: /^info\.health\.fees/, done: /^info\.after$/,
    rules: [[/^language\.menu$/, '1'], [/^main\.menu$/, '1'], [/^info\.service\.menu$/, '2'], [/^info\.health\.menu$/, '2'], [/^info\.more$/, '1']],
  },
  {
    name: 'rate a health centre, new caller', content: /^indicator\./, done: /^rate\.thanks$/, from: '+85512900001',
    rules: RATING, targetSeconds: TARGETS.newCallerRatingSeconds,
  },
  {
    name: 'rate a health centre, returning caller', content: /^indicator\./, done: /^rate\.thanks$/, from: '+85512900001',
    rules: RATING, targetSeconds: TARGETS.returningCallerRatingSeconds,
  },
  {
    name: 'leave a message', content: /^message\.intro$/, done: /^message\.answer\.ask$/,
    rules: [[/^language\.menu$/, '1'], [/^main\.menu$/, '3'], [/^message\.commune\.last$/, '1'], ...RATING.slice(4, 9),
      [/^message\.service\.menu$/, '2'], [/^message\.intro$/, 'record:30'], [/^message\.confirm$/, '1']],
  },
  {
    name: 'a caller who presses nothing', content: /^$/, done: /^$/,
    rules: [[/./, 'silence']],
  },
  {
    name: 'wrong keys at the service menu', content: /^$/, done: /^error\.to\.main$/,
    rules: [[/^rate\.service\.menu$/, '7'], ...RATING],
  },
  {
    name: 'a wrong code, then the right one, then a rating', content: /^indicator\./, done: /^rate\.thanks$/,
    rules: [[/^rate\.commune\.enter/, '999999'], [/^rate\.commune\.unknown$/, '120101'], ...RATING],
  },
  {
    name: 'no code: say the place, then rate', content: /^indicator\./, done: /^rate\.thanks$/,
    rules: [[/^rate\.commune\.enter/, '*'], [/^rate\.place\.say$/, 'record:8'], [/^place\.say$/, 'record:8'], ...RATING],
  },
];

export interface JourneyFigures {
  name: string;
  heardSeconds: number;
  timeoutSeconds: number;
  spokeSeconds: number;
  keyPresses: number;
  menusBeforeContent: number | null;
  longestPrompt: { id: string; seconds: number };
  mostOptions: { turn: string; options: number };
  endedBy: 'caller' | 'hotline';
  lastHeard: string;
  error?: string;
}

export async function runJourney(j: Journey, deps: { url: string; lengths: PromptLengths; english: (id: string) => string | undefined; verbose?: boolean }): Promise<JourneyFigures> {
  const f: JourneyFigures = {
    name: j.name, heardSeconds: 0, timeoutSeconds: 0, spokeSeconds: 0, keyPresses: 0, menusBeforeContent: null,
    longestPrompt: { id: '', seconds: 0 }, mostOptions: { turn: '', options: 0 }, endedBy: 'caller', lastHeard: '',
  };
  let turnIds: string[] = [];
  let gatherTimeout = 0;
  let menus = 0;
  let scores = 0;
  let finished = false;
  let lastTurn: string[] = [];
  // The wrong code is typed once; the same question asked again gets the right one.
  let wrongCodes = 0;
  const onBody = (body: string) => {
    turnIds = [];
    gatherTimeout = 0;
    let language = 'km';
    for (const v of parseTwiml(body)) {
      const plays = v.name === 'Play' ? [v] : v.name === 'Gather' ? v.children.filter((c) => c.name === 'Play') : [];
      for (const p of plays) {
        const prompt = promptOf(p.text);
        language = prompt.language;
        turnIds.push(prompt.id);
        const s = deps.lengths.seconds(prompt.id, prompt.language);
        f.heardSeconds += s;
        if (deps.verbose) console.log(`  ${j.name}: ${s.toFixed(1).padStart(5)} s ${prompt.id}`);
        if (s > f.longestPrompt.seconds && !isContent(prompt.id)) f.longestPrompt = { id: prompt.id, seconds: s };
      }
      if (v.name === 'Gather') gatherTimeout = Number(v.attrs.timeout ?? 5);
      if (v.name === 'Hangup') f.endedBy = 'hotline';
    }
    void language;
    if (turnIds.length) lastTurn = turnIds;
    const options = optionsRead(turnIds, deps.english);
    if (options > f.mostOptions.options) f.mostOptions = { turn: turnIds.find((id) => !/^(digit|place|scale|error|keys|welcome)\./.test(id) && id !== 'welcome') ?? turnIds[0], options };
    if (f.menusBeforeContent === null && turnIds.some((id) => j.content.test(id))) f.menusBeforeContent = menus;
    if (turnIds.some((id) => j.done.test(id))) finished = true;
  };
  const next = async (): Promise<CallerAction | undefined> => {
    if (finished) return { type: 'hangup' };
    if (menus >= MAX_TURNS) throw new Error(`still going after ${MAX_TURNS} turns (at ${turnIds.join(' ')})`);
    // The first prompt of the turn that a rule knows decides (rate.commune.unknown before the code question it repeats).
    let rule: Rule | undefined;
    for (const id of turnIds) {
      rule = j.rules.find(([re]) => re.test(id));
      if (rule) break;
    }
    if (!rule) throw new Error(`no rule for a turn that played ${turnIds.join(' ')}`);
    const act = rule[1];
    menus += 1;
    if (act === 'silence') {
      f.timeoutSeconds += gatherTimeout;
      return { type: 'silence' };
    }
    const rec = /^record:(\d+)$/.exec(act);
    if (rec) {
      f.spokeSeconds += Number(rec[1]);
      return { type: 'record', seconds: Number(rec[1]) };
    }
    let digits = act === 'score' ? SCORES[scores++ % SCORES.length] : act;
    if (digits === '999999' && wrongCodes++ > 0) digits = '120101';
    f.keyPresses += digits.length;
    return { type: 'keys', digits };
  };
  const sim = new CallSimulator({
    serverUrl: deps.url, publicBaseUrl: deps.url, authToken: AUTH, from: j.from ?? `+8551290${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`,
    accountSid: 'ACjourneys', nextAction: next,
    // Every TwiML answer is read before the caller acts on it.
    fetchImpl: async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.clone().text();
      if (res.status === 200 && text.includes('<Response>')) onBody(text);
      return res;
    },
  });
  try {
    const t = await sim.run();
    if (t.errors.length) f.error = t.errors.join('; ');
  } catch (err) {
    f.error = (err as Error).message;
  }
  f.lastHeard = lastTurn[lastTurn.length - 1] ?? '';
  return f;
}

/** What a caller must be told before the hotline hangs up: how to go on, never a bare goodbye after trouble. */
const TELLS_WHAT_TO_DO = new Set(['goodbye.silence', 'goodbye', 'error.system']);

function table(rows: JourneyFigures[]): string {
  const head = ['task', 'heard s', 'time-outs s', 'total s', 'keys', 'menus before content', 'longest prompt', 'most options', 'ends'];
  const lines = rows.map((r) => [
    r.name, r.heardSeconds.toFixed(1), r.timeoutSeconds.toFixed(0), (r.heardSeconds + r.timeoutSeconds).toFixed(1), String(r.keyPresses),
    r.menusBeforeContent === null ? '-' : String(r.menusBeforeContent), `${r.longestPrompt.seconds.toFixed(1)} s ${r.longestPrompt.id}`,
    `${r.mostOptions.options} ${r.mostOptions.turn}`, r.error ? `FAILED: ${r.error}` : `${r.endedBy === 'hotline' ? 'hotline hung up after' : 'caller hung up after'} ${r.lastHeard}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [head, head.map((_, i) => '-'.repeat(widths[i])), ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i])).join(' | ')).join('\n');
}

/** The verdicts of issue 22's targets, one line each; `ok` false when any is missed. */
export function verdicts(rows: JourneyFigures[]): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  const say = (pass: boolean, text: string) => {
    lines.push(`${pass ? 'ok  ' : 'MISS'} ${text}`);
    if (!pass) ok = false;
  };
  for (const r of rows) {
    if (r.error) say(false, `${r.name}: did not finish (${r.error})`);
    const j = JOURNEYS.find((x) => x.name === r.name);
    if (j?.targetSeconds) {
      const total = r.heardSeconds + r.timeoutSeconds;
      say(total <= j.targetSeconds, `${r.name}: ${total.toFixed(1)} s of ${j.targetSeconds} s (ratio ${(total / j.targetSeconds).toFixed(2)})`);
    }
    if (r.mostOptions.options > TARGETS.maxMenuOptions && !r.mostOptions.turn.startsWith('language.')) {
      say(false, `${r.name}: ${r.mostOptions.turn} reads ${r.mostOptions.options} options (at most ${TARGETS.maxMenuOptions})`);
    }
    if (r.longestPrompt.seconds > TARGETS.maxPromptSeconds) say(false, `${r.name}: ${r.longestPrompt.id} lasts ${r.longestPrompt.seconds.toFixed(1)} s (at most ${TARGETS.maxPromptSeconds}, I4C pieces aside)`);
    if (r.endedBy === 'hotline' && !TELLS_WHAT_TO_DO.has(r.lastHeard)) say(false, `${r.name}: the hotline hung up after ${r.lastHeard}, which does not tell the caller what to do`);
  }
  const menus = Math.max(...rows.map((r) => (r.mostOptions.turn.startsWith('language.') ? 0 : r.mostOptions.options)));
  say(menus <= TARGETS.maxMenuOptions, `most options in any menu (the language menu may page): ${menus}`);
  const longest = Math.max(...rows.map((r) => r.longestPrompt.seconds));
  say(longest <= TARGETS.maxPromptSeconds, `longest prompt outside I4C content: ${longest.toFixed(1)} s`);
  return { lines, ok };
}

async function main() {
  if (process.argv.includes('--help')) {
    console.log('npm run bench:journeys [-- --only "<task name>"] [--verbose: every prompt heard, with its seconds]: seconds heard, time-outs, keys, menus and prompt lengths per caller task (issue 22)');
    return;
  }
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journeys-'));
  const server = http.createServer();
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadConfig({
      NODE_ENV: 'test', PORT: new URL(url).port, PUBLIC_BASE_URL: url, TWILIO_AUTH_TOKEN: AUTH, TWILIO_ACCOUNT_SID: 'ACjourneys',
      CALLER_HASH_SECRET: 'journeys-secret', SESSION_SECRET: 'journeys-session', LOG_LEVEL: 'warn', DATA_DIR: dataDir,
    }, { cwd: REPO_ROOT });
    const store = new EmbeddedStore(path.join(dataDir, 'db'));
    await store.ensureIndexes(INDEXES);
    const rt = await buildRuntime(config, { store, logger: createLogger('warn', new Writable({ write(_c, _e, cb) { cb(); } })) });
    server.on('request', createApp(rt));
    const catalog = loadCatalog(path.join(REPO_ROOT, 'prompts/catalog.json'));
    const lengths = new PromptLengths(path.join(REPO_ROOT, 'audio'));
    const english = (id: string) => catalog.prompts[id]?.text.en;
    const rows: JourneyFigures[] = [];
    for (const j of JOURNEYS) {
      if (only && j.name !== only) continue;
      rows.push(await runJourney(j, { url, lengths, english, verbose: process.argv.includes('--verbose') }));
    }
    console.log(`Caller tasks through the real webhooks, seconds of the shipped audio (${path.join('audio', 'km')}) as a caller who listens to the end hears it:\n`);
    console.log(table(rows));
    const v = verdicts(rows);
    console.log(`\nTargets (issue 22):\n${v.lines.join('\n')}`);
    await store.close();
    if (!v.ok) process.exitCode = 1;
  } finally {
    server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  });
}
