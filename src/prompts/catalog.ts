import * as fs from 'node:fs';
import { lazyAjv } from '../schema-validation';
import { DefinitionError } from '../errors';

/** Every prompt id the flow can play, with its reference text per language (en is the reference). */
export interface PromptEntry {
  /** Reference text by language code; `en` is required, other languages as translated. */
  text: Record<string, string>;
  /** Free note for voice talent (tone, pronunciation). */
  note?: string;
  /**
   * The day (YYYY-MM-DD, UTC) the prompt's words last changed: a recording made before it says
   * the old words (coverage, the doctor and the studio ask for it to be recorded again).
   */
  wordsChanged?: string;
  /** The day the words changed in one language only (a reviewed translation): its recordings say the old words. */
  wordsChangedIn?: Record<string, string>;
  /** "needed" (or absent) until a native Khmer speaker has read the Khmer text; then "done" (npm run i18n -- import). */
  kmReview?: 'needed' | 'done';
  /**
   * The languages this prompt is recorded in; any other language plays the default language's
   * recording (the usual fallback) and does not need its own to be offered. For words meant for
   * service providers, who work in Khmer, so that they never hold an indigenous language back.
   */
  onlyIn?: string[];
}
export interface PromptCatalog {
  prompts: Record<string, PromptEntry>;
}

const validate = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['prompts'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    prompts: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$' },
      additionalProperties: {
        type: 'object',
        required: ['text'],
        additionalProperties: false,
        properties: {
          text: {
            type: 'object',
            required: ['en'],
            propertyNames: { pattern: '^[a-z]{2,3}$' },
            additionalProperties: { type: 'string', minLength: 1 },
          },
          note: { type: 'string' },
          wordsChanged: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
          wordsChangedIn: {
            type: 'object',
            propertyNames: { pattern: '^[a-z]{2,3}$' },
            additionalProperties: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
          },
          kmReview: { enum: ['needed', 'done'] },
          onlyIn: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z]{2,3}$' } },
        },
      },
    },
  },
});

export function parseCatalog(raw: unknown, source = 'prompt catalog'): PromptCatalog {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new DefinitionError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return raw as PromptCatalog;
}

export function loadCatalog(file: string): PromptCatalog {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DefinitionError(`cannot read the prompt catalog ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseCatalog(raw, file);
}

/** The day a prompt's words last changed in a language (for all languages, or in that one alone), if ever. */
export function wordsChangedFor(entry: PromptEntry | undefined, language: string): string | undefined {
  const dates = [entry?.wordsChanged, entry?.wordsChangedIn?.[language]].filter((d): d is string => Boolean(d));
  return dates.sort().at(-1);
}

/** Place names are prompts too, but they come from the gazetteer, not the catalog. */
export function isPlacePrompt(id: string): boolean {
  return /^place\.[0-9]{2,6}$/.test(id);
}

/** Writes the catalog back in its file layout (two-space JSON, UTF-8), atomically. */
export function saveCatalog(file: string, catalog: PromptCatalog): void {
  parseCatalog(catalog, file);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(catalog, null, 2) + '\n');
  fs.renameSync(temp, file);
}
