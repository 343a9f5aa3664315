import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioSources } from './audio-sources';
import { isPlacePrompt, PromptCatalog } from './catalog';
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
  /** Place names are optional (the code is read back as digits without one). */
  places: { recorded: number; machine: number; placeholder: number; total: number };
}

export interface CoverageInput {
  audioDir: string;
  catalog: PromptCatalog;
  languages: readonly { code: string; name: string }[];
  defaultLanguage: string;
  /** Every place code of the gazetteer (for the place-name count). */
  placeCodes: readonly string[];
}

/** The catalog prompts a language needs: all but the other languages' own menu entries. */
export function requiredPrompts(catalog: PromptCatalog, language: string): string[] {
  return Object.keys(catalog.prompts)
    .filter((id) => !id.startsWith('language.option.') || id === `language.option.${language}`)
    .sort();
}

export function promptCoverage(input: CoverageInput): LanguageCoverage[] {
  const sources = AudioSources.load(input.audioDir);
  return input.languages.map(({ code, name }) => {
    const cov: LanguageCoverage = {
      language: code, name, isDefault: code === input.defaultLanguage, required: 0,
      recorded: [], machine: [], placeholder: [], missing: [],
      places: { recorded: 0, machine: 0, placeholder: 0, total: input.placeCodes.length },
    };
    const required = requiredPrompts(input.catalog, code);
    cov.required = required.length;
    for (const id of required) {
      const source = sources.sourceOf(code, id);
      if (source === null) cov.missing.push(id);
      else if (source === 'recording') cov.recorded.push(id);
      else cov[source].push(id);
    }
    const places = new Set(input.placeCodes);
    for (const id of placeFiles(input.audioDir, code)) {
      if (!places.has(id.slice('place.'.length))) continue;
      const source = sources.sourceOf(code, id);
      if (source === 'recording') cov.places.recorded += 1;
      else if (source) cov.places[source] += 1;
    }
    return cov;
  });
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
export function formatCoverage(report: readonly LanguageCoverage[], defaultLanguage: string): string {
  const lines: string[] = [];
  for (const c of report) {
    const missingMeans = c.isDefault ? 'NOT PLAYED AT ALL (no fallback)' : `played in ${defaultLanguage} instead`;
    lines.push(`${c.language} (${c.name})${c.isDefault ? ', default' : ''}: ${c.recorded.length}/${c.required} recorded, ${c.machine.length} machine voice, ${c.placeholder.length} placeholder, ${c.missing.length} missing; place names ${c.places.recorded} recorded, ${c.places.machine} machine voice of ${c.places.total}`);
    if (c.missing.length) lines.push(`  missing, ${missingMeans}: ${c.missing.join(', ')}`);
    if (c.placeholder.length) lines.push(`  placeholder (not for a live line): ${c.placeholder.join(', ')}`);
    if (c.machine.length) lines.push(`  machine voice (draft): ${c.machine.join(', ')}`);
  }
  return lines.join('\n');
}
