import * as fs from 'node:fs';
import * as path from 'node:path';
import { lazyAjv } from '../schema-validation';
import { DefinitionError } from '../errors';
import { PromptCatalog } from '../prompts/catalog';

/**
 * Information for Citizens (I4C) as data: one file per service and language,
 * content/i4c/<service>.<language>.json. What a topic says is the single source of the
 * reference text of the prompt info.<service>.<topic> (the catalog carries a copy, kept in step by
 * `npm run prompts -- sync-content` and checked at start-up).
 */

export interface I4cContentFile {
  service: string;
  language: string;
  /** `sample` until the province's official I4C replaces it; a sample says so to the caller. */
  status: 'sample' | 'official';
  /** Spoken before every topic while the file is a sample. */
  sampleNotice?: string;
  /** Where the statements come from (documents, decisions); required once official. */
  sources: string[];
  /** Topic id -> its sentences, in the order spoken. */
  topics: Record<string, string[]>;
}

// Spoken text has no numerals: voice talent and text-to-speech read "five thousand riel", not "5000".
const sentence = { type: 'string', minLength: 2, maxLength: 200, pattern: '^[^0-9\u17E0-\u17E9]*$' };

const validate = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['service', 'language', 'status', 'sources', 'topics'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    service: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
    language: { type: 'string', pattern: '^[a-z]{2,3}$' },
    status: { enum: ['sample', 'official'] },
    sampleNotice: sentence,
    sources: { type: 'array', items: { type: 'string', minLength: 1 } },
    topics: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      additionalProperties: { type: 'array', minItems: 1, maxItems: 12, items: sentence },
    },
  },
  allOf: [
    { if: { properties: { status: { const: 'sample' } } }, then: { required: ['sampleNotice'] } },
    { if: { properties: { status: { const: 'official' } } }, then: { properties: { sources: { type: 'array', minItems: 1 } } } },
  ],
});

export class I4cLibrary {
  constructor(readonly files: readonly I4cContentFile[]) {}

  find(service: string, language: string): I4cContentFile | undefined {
    return this.files.find((f) => f.service === service && f.language === language);
  }

  /** The words a caller hears for one topic, or undefined when there is no content in that language. */
  textOf(service: string, topic: string, language: string): string | undefined {
    return this.piecesOf(service, topic, language)?.join(' ');
  }

  /**
   * A topic as the caller hears it: pieces of at most about 20 s of slow speech, split only
   * between sentences, in order; the sample notice opens the first piece. A language translated
   * sentence by sentence is grouped like the reference (en), so its pieces say the same things.
   */
  piecesOf(service: string, topic: string, language: string): string[] | undefined {
    const file = this.find(service, language);
    const sentences = file?.topics[topic];
    if (!file || !sentences) return undefined;
    const notice = file.status === 'sample' && file.sampleNotice ? file.sampleNotice : undefined;
    const reference = this.find(service, 'en')?.topics[topic];
    const groups = reference && reference.length === sentences.length && language !== 'en'
      ? pieceGroups(reference, this.find(service, 'en')?.status === 'sample' ? this.find(service, 'en')?.sampleNotice : undefined)
      : pieceGroups(sentences, notice);
    return groups.map((g, i) => [...(i === 0 && notice ? [notice] : []), ...g.map((at) => sentences[at])].join(' '));
  }

  /** Prompt id -> language -> text, for every piece of every topic of every file. */
  promptTexts(): Map<string, Record<string, string>> {
    const out = new Map<string, Record<string, string>>();
    for (const f of this.files) {
      for (const topic of Object.keys(f.topics)) {
        this.piecesOf(f.service, topic, f.language)!.forEach((text, i) => {
          const id = `info.${f.service}.${topic}.${i + 1}`;
          out.set(id, { ...out.get(id), [f.language]: text });
        });
      }
    }
    return out;
  }

  /** How many pieces a topic is played in for a language (0 when it has no content there). */
  pieceCount(service: string, topic: string, language: string): number {
    return this.piecesOf(service, topic, language)?.length ?? 0;
  }

  samples(): I4cContentFile[] {
    return this.files.filter((f) => f.status === 'sample');
  }
}

/**
 * About 20 s of slow speech (some 110 words a minute, as elderly callers are read to): the most
 * words one piece of a topic holds. Words, not characters: the budget is counted on the English
 * reference, which every translation is grouped like where it follows it sentence by sentence.
 */
/** Whether a prompt id is a piece of an I4C text (info.<service>.<topic>.<n>, made from content/i4c by promptTexts). */
export function isContentPromptId(id: string): boolean {
  return /^info\.[a-z0-9-]+\.[a-z0-9-]+\.[0-9]+$/.test(id);
}

export const PIECE_MAX_WORDS = 36;
/** The same budget for a text without spaces between words (Khmer): characters. */
export const PIECE_MAX_CHARS = 200;

function sizeOf(text: string): number {
  const words = text.trim().split(/\s+/).length;
  // A script written without spaces between words (Khmer) is counted by characters instead.
  return words * 6 < text.length / 2 ? Math.ceil((text.length * PIECE_MAX_WORDS) / PIECE_MAX_CHARS) : words;
}

/** Sentence indices grouped in order, each group within the budget (a longer sentence stands alone). The notice joins the first group. */
export function pieceGroups(sentences: readonly string[], notice?: string): number[][] {
  const groups: number[][] = [];
  let used = notice ? sizeOf(notice) : 0;
  let current: number[] = [];
  sentences.forEach((sentence, at) => {
    const size = sizeOf(sentence);
    if (current.length > 0 && used + size > PIECE_MAX_WORDS) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(at);
    used += size;
  });
  if (current.length) groups.push(current);
  return groups;
}

export interface I4cCheck {
  /** Services the flow offers information about. */
  services: readonly string[];
  /** Topics the flow offers for each service. */
  topics: readonly string[];
  /** Languages every service and topic must be written in (the reference and the default). */
  requiredLanguages: readonly string[];
}

export function parseI4cFile(raw: unknown, source: string): I4cContentFile {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').slice(0, 20)
      .map((e) => `${e.instancePath || '/'} ${e.keyword === 'pattern' && /topics|sampleNotice/.test(e.instancePath) ? 'must be spoken words without numerals (write "five thousand riel")' : e.message}`);
    throw new DefinitionError(`${source} is not a valid I4C content file:\n  - ${problems.join('\n  - ')}`);
  }
  return raw as I4cContentFile;
}

/** Reads and checks every content file in `dir`; throws DefinitionError naming each problem. */
export function loadI4cContent(dir: string, check: I4cCheck): I4cLibrary {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new DefinitionError(`cannot read the I4C content folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const files: I4cContentFile[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    try {
      const content = parseI4cFile(raw, file);
      const expected = `${content.service}.${content.language}.json`;
      if (name !== expected) problems.push(`${file} holds ${content.service} in ${content.language}: name it ${expected}`);
      else if (!check.services.includes(content.service)) problems.push(`${file}: the flow offers no service ${content.service} (${check.services.join(', ')})`);
      else {
        for (const topic of Object.keys(content.topics)) {
          if (!check.topics.includes(topic)) problems.push(`${file}: the flow offers no topic ${topic} (${check.topics.join(', ')})`);
        }
        files.push(content);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const library = new I4cLibrary(files);
  for (const service of check.services) {
    for (const language of check.requiredLanguages) {
      const f = library.find(service, language);
      if (!f) {
        problems.push(`no I4C content for ${service} in ${language}: add ${path.join(dir, `${service}.${language}.json`)}`);
        continue;
      }
      for (const topic of check.topics) if (!f.topics[topic]) problems.push(`${dir}/${service}.${language}.json has no topic ${topic}`);
    }
  }
  if (problems.length) throw new DefinitionError(`I4C content is not valid:\n  - ${problems.join('\n  - ')}`);
  return library;
}

/** Catalog entries whose text differs from the content (the catalog's copy is stale). */
export function catalogDrift(catalog: PromptCatalog, library: I4cLibrary): string[] {
  const drift: string[] = [];
  for (const [id, texts] of library.promptTexts()) {
    const entry = catalog.prompts[id];
    for (const [language, text] of Object.entries(texts)) {
      if (entry?.text[language] !== text) drift.push(`${id} (${language})`);
    }
  }
  return drift;
}

/** The catalog with every piece info.<service>.<topic>.<n> taken from the content files (a whole topic or a piece no longer made is dropped). */
export function withContentTexts(catalog: PromptCatalog, library: I4cLibrary): PromptCatalog {
  const prompts = { ...catalog.prompts };
  const made = library.promptTexts();
  const topics = new Set(library.files.flatMap((f) => Object.keys(f.topics).map((t) => `info.${f.service}.${t}`)));
  for (const id of Object.keys(prompts)) {
    const topic = id.replace(/\.\d+$/, '');
    if (topics.has(topic) && !made.has(id)) delete prompts[id];
  }
  for (const [id, texts] of made) {
    const entry = prompts[id];
    prompts[id] = {
      ...entry,
      text: { ...entry?.text, ...texts } as PromptCatalog['prompts'][string]['text'],
      note: `From content/i4c/${id.split('.')[1]}.<language>.json: edit it there, then run npm run prompts -- sync-content.`,
    };
  }
  return { ...catalog, prompts };
}

/** The topics a flow offers: every value its menus set `topic` to. */
export function topicsOfFlow(nodes: Record<string, { type: string; options?: Record<string, { set?: { topic?: string } }> }>): string[] {
  const topics = new Set<string>();
  for (const n of Object.values(nodes)) {
    if (n.type === 'menu') for (const o of Object.values(n.options ?? {})) if (o.set?.topic) topics.add(o.set.topic);
  }
  return [...topics];
}

/**
 * The start-up check: the content of every service and topic the flow offers, in the reference
 * language (en) and the default language, valid against the schema. Warns (does not refuse) when
 * the catalog's copy of a text is stale or when content is still a sample.
 */
export function checkI4cContent(
  dir: string,
  flow: { nodes: Parameters<typeof topicsOfFlow>[0] },
  services: readonly string[],
  catalog: PromptCatalog,
  defaultLanguage: string,
  logger: { warn(obj: object, msg: string): void },
): I4cLibrary {
  const library = loadI4cContent(dir, { services, topics: topicsOfFlow(flow.nodes), requiredLanguages: [...new Set(['en', defaultLanguage])] });
  const drift = catalogDrift(catalog, library);
  if (drift.length) logger.warn({ prompts: drift }, 'the prompt catalog differs from the I4C content; run npm run prompts -- sync-content');
  const samples = library.samples().map((f) => `${f.service}.${f.language}`);
  if (samples.length) logger.warn({ files: samples }, 'I4C content is still SAMPLE text: replace it with the province\'s official I4C before a live line');
  return library;
}
