import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioSource, audioKey, AudioSources } from './audio-sources';
import { isPlacePrompt, PromptCatalog, wordsChangedFor } from './catalog';
import { AUDIO_EXTENSION } from './prompt-audio';

/**
 * Which prompts each language has, and from where: a person's recording, a machine voice, a
 * placeholder, or nothing (the caller then hears the default language, or, in the default
 * language itself, nothing at all).
 */

export interface LanguageCoverage {
  language: string;
  name: string;
  isDefault: boolean;
  required: number;
  recorded: string[];
  machine: string[];
  placeholder: string[];
  missing: string[];
  /**
   * Recorded (or machine voice) before the prompt's words last changed (the catalog's
   * `wordsChanged`): played, but saying the old words; to be recorded again. Not a gap.
   */
  outdated: string[];
}

export interface CoverageInput {
  audioDir: string;
  catalog: PromptCatalog;
  languages: readonly { code: string; name: string }[];
  defaultLanguage: string;
}

/**
 * Place names, counted once: a place name is a Khmer proper noun, so one recording per place
 * (in the default language's folder) serves every language. They are no gap for any language:
 * a province with a name missing is reached by commune code instead of by name.
 */
export interface PlaceCoverage {
  /** Whether the flow lets callers browse by name; when not, place names are not needed. */
  browseByName: boolean;
  recorded: number;
  machine: number;
  placeholder: number;
  total: number;
  /** Provinces whose every name (province, districts, communes) is recorded: only these are listed to callers. */
  provincesByName: string[];
  provincesTotal: number;
}

/** The catalog prompts a language needs: all but the other languages' own menu entries and prompts recorded only in other languages (onlyIn). */
export function requiredPrompts(catalog: PromptCatalog, language: string): string[] {
  return Object.keys(catalog.prompts)
    .filter((id) => !id.startsWith('language.option.') || id === `language.option.${language}`)
    .filter((id) => !catalog.prompts[id].onlyIn || catalog.prompts[id].onlyIn!.includes(language))
    .sort();
}

export function promptCoverage(input: CoverageInput): LanguageCoverage[] {
  const sources = AudioSources.load(input.audioDir);
  const savedAt = (code: string, id: string) => {
    try {
      return fs.statSync(sources.fileOf(code, id)).mtime;
    } catch {
      return null;
    }
  };
  return coverageFrom(input, (code, id) => sources.sourceOf(code, id), savedAt);
}

/** Whether a file saved at `savedAt` predates the day its prompt's words last changed. */
export function savedBeforeWordsChanged(savedAt: Date | null, wordsChanged: string | undefined): boolean {
  return Boolean(savedAt && wordsChanged && savedAt.getTime() < Date.parse(`${wordsChanged}T00:00:00Z`));
}

/** promptCoverage, reading and hashing the files without blocking (re-reads while calls are answered). */
export async function promptCoverageAsync(input: CoverageInput): Promise<LanguageCoverage[]> {
  const sources = await AudioSources.loadAsync(input.audioDir);
  const found = new Map<string, AudioSource | null>();
  const saved = new Map<string, Date>();
  for (const { code } of input.languages) {
    for (const id of requiredPrompts(input.catalog, code)) {
      const source = await sources.sourceOfAsync(code, id);
      found.set(audioKey(code, id), source);
      // Only prompts whose words changed need the file's date.
      if (source && source !== 'placeholder' && wordsChangedFor(input.catalog.prompts[id], code)) {
        const stat = await fs.promises.stat(sources.fileOf(code, id)).catch(() => null);
        if (stat) saved.set(audioKey(code, id), stat.mtime);
      }
    }
  }
  return coverageFrom(input, (code, id) => found.get(audioKey(code, id)) ?? null, (code, id) => saved.get(audioKey(code, id)) ?? null);
}

function coverageFrom(input: CoverageInput, sourceOf: (language: string, promptId: string) => AudioSource | null, savedAt: (language: string, promptId: string) => Date | null): LanguageCoverage[] {
  return input.languages.map(({ code, name }) => {
    const cov: LanguageCoverage = {
      language: code, name, isDefault: code === input.defaultLanguage, required: 0,
      recorded: [], machine: [], placeholder: [], missing: [], outdated: [],
    };
    const required = requiredPrompts(input.catalog, code);
    cov.required = required.length;
    for (const id of required) {
      const source = sourceOf(code, id);
      if (source === null) cov.missing.push(id);
      else if (source === 'recording') cov.recorded.push(id);
      else cov[source].push(id);
      // A placeholder is regenerated with the new words; a person's or machine's take is not.
      const changed = wordsChangedFor(input.catalog.prompts[id], code);
      if (source && source !== 'placeholder' && changed && savedBeforeWordsChanged(savedAt(code, id), changed)) cov.outdated.push(id);
    }
    return cov;
  });
}

export function placeCoverage(input: {
  audioDir: string;
  defaultLanguage: string;
  browseByName: boolean;
  /** Every place code of the gazetteer. */
  placeCodes: readonly string[];
  /** Each province with every place code in it (itself, its districts and communes). */
  provinces: readonly { code: string; places: readonly string[] }[];
}): PlaceCoverage {
  const out: PlaceCoverage = {
    browseByName: input.browseByName, recorded: 0, machine: 0, placeholder: 0, total: input.placeCodes.length, provincesByName: [], provincesTotal: input.provinces.length,
  };
  const sources = AudioSources.load(input.audioDir);
  const places = new Set(input.placeCodes);
  const named = new Set<string>();
  for (const id of placeFiles(input.audioDir, input.defaultLanguage)) {
    const code = id.slice('place.'.length);
    if (!places.has(code)) continue;
    named.add(code);
    const source = sources.sourceOf(input.defaultLanguage, id);
    if (source === 'recording') out.recorded += 1;
    else if (source) out[source] += 1;
  }
  out.provincesByName = input.provinces.filter((p) => p.places.every((c) => named.has(c))).map((p) => p.code);
  return out;
}

function placeFiles(audioDir: string, language: string): string[] {
  const dir = path.join(audioDir, language);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith(`.${AUDIO_EXTENSION}`))
    .map((f) => f.slice(0, -(AUDIO_EXTENSION.length + 1)))
    .filter(isPlacePrompt);
}

/** The one language a machine voice exists for (Google Cloud Text-to-Speech km-KH). */
export const MACHINE_VOICE_LANGUAGE = 'km';

/**
 * What keeps a language from going live: missing prompts and placeholders, and machine voices
 * unless allowed, which only Khmer can be (no machine voice speaks the indigenous languages).
 * Place names are no gap: without them communes are chosen by code (see place-names.ts).
 */
export function gapsOf(cov: LanguageCoverage, opts: { allowMachineVoice?: boolean } = {}): string[] {
  const machineAllowed = opts.allowMachineVoice && cov.language === MACHINE_VOICE_LANGUAGE;
  return [...cov.missing, ...cov.placeholder, ...(machineAllowed ? [] : cov.machine)].sort();
}

/** A plain-text report: one block per language naming every gap. */
export function formatCoverage(report: readonly LanguageCoverage[], defaultLanguage: string, places?: PlaceCoverage): string {
  const lines: string[] = [];
  for (const c of report) {
    const missingMeans = c.isDefault ? 'NOT PLAYED AT ALL (no fallback)' : `played in ${defaultLanguage} instead`;
    lines.push(`${c.language} (${c.name})${c.isDefault ? ', default' : ''}: ${c.recorded.length}/${c.required} recorded, ${c.machine.length} machine voice, ${c.placeholder.length} placeholder, ${c.missing.length} missing`);
    if (c.missing.length) lines.push(`  missing, ${missingMeans}: ${c.missing.join(', ')}`);
    if (c.placeholder.length) lines.push(`  placeholder (not for a live line): ${c.placeholder.join(', ')}`);
    if (c.machine.length) lines.push(`  machine voice (draft): ${c.machine.join(', ')}`);
    if (c.outdated.length) lines.push(`  recorded before their words changed, record again (played meanwhile, saying the old words): ${c.outdated.join(', ')}`);
  }
  if (places?.browseByName) {
    lines.push(`place names (one Khmer recording per place serves every language; no gap for any language): ${places.recorded} recorded, ${places.machine} machine voice of ${places.total}`);
    lines.push(`  provinces callers can browse by name (every name in them recorded): ${places.provincesByName.length} of ${places.provincesTotal}${places.provincesByName.length ? ` (${places.provincesByName.join(', ')})` : ''}; in the others communes are chosen by code only`);
  } else if (places) {
    lines.push('place names: not needed (the flow has no browse-by-name path)');
  }
  return lines.join('\n');
}
