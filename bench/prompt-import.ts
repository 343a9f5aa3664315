/**
 * How long `npm run prompts -- import` takes: per prompt (one file at a time) and for a batch of
 * 200 prompts (as a voice-talent session delivers them), on encoded recordings this script makes
 * first with the bundled ffmpeg (not timed). The mix imitates a real library: most prompts are
 * 2-8 s menus and answers, a few are 30-45 s I4C topics; formats as phones and chat apps send them.
 *   npm run bench:import [-- --count 200 --jobs 2 --single 20]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { runFfmpeg } from '../src/audio/ffmpeg';
import { importRecordings } from '../src/prompts/prompt-import';

const FORMATS: { ext: string; args: string[] }[] = [
  { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'] },
  { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  { ext: 'amr', args: ['-c:a', 'libopencore_amrnb', '-ar', '8000', '-ac', '1', '-b:a', '12.2k'] },
  { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '24k'] },
  { ext: 'wav', args: ['-c:a', 'pcm_s16le', '-ac', '2'] },
];

/** Seconds of "speech" for prompt i: every 16th is an I4C topic, the rest short menus. */
const speechSeconds = (i: number) => (i % 16 === 0 ? 30 + (i % 4) * 5 : 2 + (i % 7));

async function makeInputs(dir: string, count: number): Promise<string[]> {
  const files: string[] = [];
  const bar = new SingleBar({ format: 'making inputs [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true });
  bar.start(count, 0);
  for (let i = 0; i < count; i++) {
    const f = FORMATS[i % FORMATS.length];
    const speech = speechSeconds(i);
    // Speech-like: a tone whose pitch wanders, with 0.6 s of silence before and 0.8 s after.
    const expr = `if(between(t,0.6,${0.6 + speech}),0.25*sin(2*PI*(180+60*sin(2*PI*3*t))*t),0)`;
    const file = path.join(dir, `bench.${i}.km.${f.ext}`);
    await runFfmpeg(['-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=44100:d=${speech + 1.4}`, ...f.args, file]);
    files.push(file);
    bar.update(i + 1);
  }
  bar.stop();
  return files;
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

async function main() {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '200' }, jobs: { type: 'string', default: '2' }, single: { type: 'string', default: '20' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('Usage: npm run bench:import [-- --count 200 --jobs 2 --single 20]');
    return;
  }
  const count = Number(values.count);
  const jobs = Number(values.jobs);
  const single = Math.min(Number(values.single), count);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  try {
    const inbox = path.join(work, 'inbox');
    fs.mkdirSync(inbox);
    const inputs = await makeInputs(inbox, count);
    const opts = { languages: ['km'], isPromptId: (id: string) => /^bench\.\d+$/.test(id) };
    const totalSpeech = inputs.reduce((sum, _f, i) => sum + speechSeconds(i), 0);

    // One prompt at a time: what a staff member waits for when importing a single re-recording.
    const perPrompt: number[] = [];
    const perShort: number[] = [];
    for (let i = 0; i < single; i++) {
      const started = performance.now();
      const [o] = await importRecordings([inputs[i]], { ...opts, audioDir: path.join(work, 'single'), concurrency: 1 });
      if (o.status !== 'imported') throw new Error(`${inputs[i]} failed: ${o.reason}`);
      const ms = performance.now() - started;
      perPrompt.push(ms);
      if (speechSeconds(i) < 10) perShort.push(ms);
    }

    // The batch: every file, `jobs` at a time, as `npm run prompts -- import <folder>` runs it.
    const bar = new SingleBar({ format: 'import [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true });
    bar.start(count, 0);
    const started = performance.now();
    const outcomes = await importRecordings(inputs, { ...opts, audioDir: path.join(work, 'batch'), concurrency: jobs, onFileDone: (_o, done) => bar.update(done) });
    const batchMs = performance.now() - started;
    bar.stop();
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (failed.length) throw new Error(`${failed.length} file(s) failed in the batch`);

    const one = stats(perPrompt);
    const short = stats(perShort);
    console.log(`prompt import benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'})`);
    console.log(`inputs: ${count} recordings (${FORMATS.map((f) => f.ext).join('/')}), ${totalSpeech} s of speech in all, ${count - inputs.filter((_f, i) => speechSeconds(i) < 10).length} of them 30-45 s I4C topics`);
    console.log(`one prompt at a time (${single} prompts): median ${one.median.toFixed(0)} ms, p95 ${one.p95.toFixed(0)} ms, mean ${one.mean.toFixed(0)} ms; short prompts (2-8 s) median ${short.median.toFixed(0)} ms`);
    console.log(`batch of ${count} prompts, ${jobs} at a time: ${(batchMs / 1000).toFixed(1)} s total, ${(batchMs / count).toFixed(0)} ms per prompt`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
