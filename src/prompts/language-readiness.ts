import * as fs from 'node:fs';
import * as path from 'node:path';
import { LanguageConfig, LanguageOption } from '../config/languages';
import { Logger } from '../logging/logger';
import { PromptCatalog } from './catalog';
import { gapsOf, LanguageCoverage, promptCoverage } from './coverage';

/**
 * Which languages the language menu offers. With `enforce` (production), a language is offered
 * only while every prompt a caller can reach in it is a person's recording (Khmer machine voice
 * too, when accepted); the default language always stays, as the line speaks it before any
 * choice. Without `enforce` every configured language is offered, and gaps are only reported.
 *
 * The answer follows the audio folder without a restart: the name, size and time of every
 * prompt file are compared at most every CHECK_MS (a few hundred stat calls), and checksums are
 * re-read when they differ or at least every REREAD_MS.
 */

export interface LanguageState {
  language: string;
  name: string;
  ready: boolean;
  offered: boolean;
  /** Offered earlier while this app ran, and no longer: a prompt it needs has gone. */
  withdrawn: boolean;
  gaps: string[];
  coverage: LanguageCoverage;
}

export interface LanguageReadinessOptions {
  audioDir: string;
  catalog: PromptCatalog;
  languages: LanguageConfig;
  enforce: boolean;
  acceptKhmerMachineVoice: boolean;
  logger: Logger;
  now?: () => number;
}

const CHECK_MS = 1_000;
const REREAD_MS = 60_000;

export class LanguageReadiness {
  private states: LanguageState[] = [];
  private signature = '';
  private checkedAt = -Infinity;
  private readAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: LanguageReadinessOptions) {
    this.now = opts.now ?? Date.now;
    this.refresh(true);
  }

  /** The languages on the menu now, in configured order. */
  offered(): LanguageOption[] {
    this.fresh();
    const offered = new Set(this.states.filter((s) => s.offered).map((s) => s.language));
    return this.opts.languages.languages.filter((l) => offered.has(l.code));
  }

  /** Every configured language with its gaps and whether it is offered. */
  report(): LanguageState[] {
    this.fresh();
    return this.states;
  }

  private fresh() {
    const now = this.now();
    if (now - this.checkedAt < CHECK_MS) return;
    this.checkedAt = now;
    const signature = folderSignature(this.opts.audioDir, this.opts.languages.languages.map((l) => l.code));
    if (signature !== this.signature || now - this.readAt >= REREAD_MS) this.refresh(false, signature);
  }

  /** Re-reads the audio folder now (the studio calls this after a save). */
  refresh(first = false, signature = folderSignature(this.opts.audioDir, this.opts.languages.languages.map((l) => l.code))): void {
    const { languages, catalog, audioDir, enforce, acceptKhmerMachineVoice, logger } = this.opts;
    const coverage = promptCoverage({ audioDir, catalog, languages: languages.languages, defaultLanguage: languages.default });
    const before = new Map(this.states.map((s) => [s.language, s.offered]));
    const wasWithdrawn = new Set(this.states.filter((s) => s.withdrawn).map((s) => s.language));
    this.states = coverage.map((cov) => {
      const gaps = gapsOf(cov, { allowMachineVoice: acceptKhmerMachineVoice });
      const ready = gaps.length === 0;
      const offered = !enforce || ready || cov.isDefault;
      const withdrawn = !offered && (before.get(cov.language) === true || wasWithdrawn.has(cov.language));
      return { language: cov.language, name: cov.name, ready, offered, withdrawn, gaps, coverage: cov };
    });
    this.signature = signature;
    this.readAt = this.now();
    if (!enforce) return;
    for (const s of this.states) {
      const detail = { language: s.language, gapCount: s.gaps.length, gaps: s.gaps.slice(0, 12) };
      if (s.coverage.isDefault && !s.ready) {
        if (first || before.get(s.language) !== undefined) logger.error(detail, `the default language ${s.language} is not fully recorded; it stays on the line, and callers hear what is missing as placeholders or not at all (npm run prompts -- coverage)`);
      } else if (first) {
        if (!s.ready) logger.warn(detail, `language ${s.language} is not offered on the language menu until every prompt is recorded (npm run prompts -- coverage)`);
      } else if (before.get(s.language) && !s.offered) {
        logger.warn(detail, `language ${s.language} withdrawn from the language menu: a prompt it needs is no longer recorded (npm run prompts -- coverage)`);
      } else if (before.get(s.language) === false && s.offered) {
        logger.info({ language: s.language }, `language ${s.language} is now fully recorded and offered on the language menu`);
      }
    }
  }
}

/** Names, sizes and times of every file in the language folders and manifests: cheap, and changes with any of them. */
function folderSignature(audioDir: string, languages: readonly string[]): string {
  const parts: string[] = [];
  const stat = (file: string) => {
    try {
      const st = fs.statSync(file);
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  for (const manifest of ['placeholders.json', 'machine-voice.json']) parts.push(`${manifest}=${stat(path.join(audioDir, manifest))}`);
  for (const lang of languages) {
    const dir = path.join(audioDir, lang);
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    // Place names do not decide readiness; skipping them keeps this cheap beside 1,887 of them.
    for (const name of names.filter((n) => !n.startsWith('place.')).sort()) parts.push(`${name}=${stat(path.join(dir, name))}`);
  }
  return parts.join('\n');
}
