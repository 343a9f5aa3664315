import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AudioInputError, ConversionWarning, convertToTelephony } from '../audio/telephony-conversion';
import { AudioSource, AudioSources } from './audio-sources';
import { isPlacePrompt } from './catalog';
import { SCRIPT_FILE_PREFIX } from './recording-script';

/**
 * Imports recordings into the prompt library. A recording is named by prompt id and language,
 * in either of two ways (both documented in audio/README.md):
 *   <lang>/<promptId>.<ext>      e.g. cmo/info.health.fees.m4a   (a folder per language)
 *   <promptId>.<lang>.<ext>      e.g. info.health.fees.cmo.m4a   (one flat folder, as sent by chat)
 * or both at once (cmo/info.health.fees.cmo.m4a), when the two languages agree,
 * and becomes AUDIO_DIR/<lang>/<promptId>.wav in the telephony format. Every file gets its own
 * outcome: one bad file never stops the others and never leaves a half-written prompt.
 */

export const IMPORT_EXTENSIONS = ['wav', 'mp3', 'm4a', 'aac', 'mp4', 'ogg', 'oga', 'opus', 'amr', '3gp', 'webm', 'flac'] as const;

export interface ImportTarget {
  language: string;
  promptId: string;
}

export type ImportOutcome =
  | { file: string; status: 'imported'; language: string; promptId: string; replaced: AudioSource | null; durationSeconds: number; output: string; warnings: string[]; warningCodes: ConversionWarning[] }
  | { file: string; status: 'failed'; code: string; reason: string; language?: string; promptId?: string };

export interface ImportOptions {
  audioDir: string;
  languages: readonly string[];
  isPromptId(id: string): boolean;
  /** Every catalog prompt id, to suggest the closest one for a misspelt name. */
  promptIds?: readonly string[];
  /** Conversions run side by side (ffmpeg is single-threaded on these short files). */
  concurrency?: number;
  dryRun?: boolean;
  /** Where place names go whatever folder they came in: one (Khmer) recording serves every language. */
  placeLanguage?: string;
  onFileDone?(outcome: ImportOutcome, done: number, total: number): void;
}

const LANGUAGE_LIKE = /^[a-z]{2,3}$/;

/** Reads a recording's name as a target, or says why it cannot be read. */
export function targetOf(
  file: string, languages: readonly string[], isPromptId: (id: string) => boolean, promptIds: readonly string[] = [],
): ImportTarget | { code: string; reason: string } {
  // Names in any case: phones and chat apps capitalise (Welcome.KM.MP3); ids and codes are lower case.
  const base = path.basename(file).toLowerCase();
  const ext = path.extname(base).slice(1);
  if (!(IMPORT_EXTENSIONS as readonly string[]).includes(ext)) {
    return { code: 'UNSUPPORTED_FORMAT', reason: `.${ext || '(none)'} is not an audio format this imports (${IMPORT_EXTENSIONS.join(', ')})` };
  }
  const stem = base.slice(0, -(ext.length + 1));
  const dir = path.basename(path.dirname(file)).toLowerCase();
  const dotted = /^(.+)\.([a-z]{2,3})$/.exec(stem);
  let target: ImportTarget;
  if (languages.includes(dir)) {
    // Both conventions at once (km/welcome.km.m4a), as a recording script's folders come back from
    // the speakers: the language is said twice. The whole stem wins when it is an id itself
    // (km/language.option.km.wav).
    if (dotted && languages.includes(dotted[2]) && !isPromptId(stem)) {
      if (dotted[2] !== dir) {
        return { code: 'LANGUAGE_MISMATCH', reason: `the name says ${dotted[2]} but the folder says ${dir}: move it into the ${dotted[2]}/ folder or rename it` };
      }
      target = { language: dir, promptId: dotted[1] };
    } else target = { language: dir, promptId: stem };
  }
  else if (dotted && languages.includes(dotted[2])) target = { language: dotted[2], promptId: dotted[1] };
  else if (LANGUAGE_LIKE.test(dir)) return { code: 'UNKNOWN_LANGUAGE', reason: `the folder ${dir} is not a language the hotline offers (${languages.join(', ')})` };
  else if (dotted) return { code: 'UNKNOWN_LANGUAGE', reason: `${dotted[2]} is not a language the hotline offers (${languages.join(', ')})` };
  else return { code: 'UNNAMED', reason: 'name it <promptId>.<language>.<ext> or put it in a folder named by its language' };
  if (!isPromptId(target.promptId)) {
    const guess = closestId(target.promptId, promptIds);
    return { code: 'UNKNOWN_PROMPT', reason: `${target.promptId} is not a prompt id in the catalog nor a place code${guess ? `; did you mean ${guess}?` : ''}` };
  }
  return target;
}

/** The catalog id nearest to a misspelt one (edit distance), when near enough to be a typo. */
export function closestId(id: string, ids: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of ids) {
    const d = editDistance(id, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A third of the name may be wrong: "wellcome" -> welcome, "info.helth.fees" -> info.health.fees.
  return best !== null && bestDistance <= Math.max(2, Math.floor(id.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Files under the given paths (folders are walked; hidden files and the recording script that
 * `prompts -- script` wrote into the folder are skipped, so the folder imports as it is).
 */
export function listInputs(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, inFolder: boolean) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) if (!name.startsWith('.')) walk(path.join(p, name), true);
    } else if (!(inFolder && path.basename(p).startsWith(SCRIPT_FILE_PREFIX))) out.push(p);
  };
  for (const p of paths) walk(p, false);
  return out;
}

export async function importRecordings(files: readonly string[], opts: ImportOptions): Promise<ImportOutcome[]> {
  const sources = AudioSources.load(opts.audioDir);
  const outcomes: ImportOutcome[] = new Array(files.length);
  const claimed = new Map<string, string>();
  let done = 0;
  const finish = (i: number, o: ImportOutcome) => {
    outcomes[i] = o;
    done += 1;
    opts.onFileDone?.(o, done, files.length);
  };

  const queue: { i: number; file: string; target: ImportTarget }[] = [];
  files.forEach((file, i) => {
    const target = targetOf(file, opts.languages, opts.isPromptId, opts.promptIds);
    if ('code' in target) return finish(i, { file, status: 'failed', code: target.code, reason: target.reason });
    if (opts.placeLanguage && isPlacePrompt(target.promptId)) target.language = opts.placeLanguage;
    const key = `${target.language}/${target.promptId}`;
    const first = claimed.get(key);
    if (first) {
      return finish(i, { file, status: 'failed', code: 'DUPLICATE', reason: `${first} is imported as ${key} in this run already`, ...target });
    }
    claimed.set(key, file);
    queue.push({ i, file, target });
  });

  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { i, file, target } = job;
      const output = sources.fileOf(target.language, target.promptId);
      const replaced = sources.sourceOf(target.language, target.promptId);
      try {
        // A dry run converts and probes in a scratch folder: the same checks, nothing in AUDIO_DIR.
        const scratch = opts.dryRun ? fs.mkdtempSync(path.join(os.tmpdir(), 'prompt-import-')) : null;
        const result = await convertToTelephony(file, scratch ? path.join(scratch, 'prompt.wav') : output).finally(() => {
          if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
        });
        finish(i, { file, status: 'imported', ...target, replaced, durationSeconds: result.probe.durationSeconds, output, warnings: result.warnings, warningCodes: result.warningCodes });
      } catch (err) {
        if (!(err instanceof AudioInputError)) throw err;
        finish(i, { file, status: 'failed', code: err.code, reason: err.message, ...target });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  return outcomes;
}
