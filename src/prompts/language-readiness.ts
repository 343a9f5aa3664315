import { LanguageConfig, LanguageOption } from '../config/languages';
import { Logger } from '../logging/logger';
import { PromptCatalog } from './catalog';
import { gapsOf, LanguageCoverage, promptCoverage, promptCoverageAsync } from './coverage';

/**
 * Which languages the language menu offers. With `enforce` (production), a language is offered
 * only while every prompt a caller can reach in it is a person's recording (Khmer machine voice
 * too, when accepted); the default language always stays, as the line speaks it before any
 * choice. Without `enforce` every configured language is offered, and gaps are only reported.
 *
 * The answer is worked out at start-up and follows the audio folder without a restart, re-read off
 * callers' turns (src/prompts/recordings-watch.ts): a turn asking for the menu reads memory only.
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
}

/**
 * Whether the language menu offers a language: with `enforce` (ONLY_READY_LANGUAGES) only when
 * every prompt is a person's recording, the default always. The doctor asks the same question.
 */
export function isOfferedLanguage(cov: LanguageCoverage, opts: { enforce: boolean; acceptKhmerMachineVoice: boolean }): boolean {
  return !opts.enforce || cov.isDefault || gapsOf(cov, { allowMachineVoice: opts.acceptKhmerMachineVoice }).length === 0;
}

export class LanguageReadiness {
  private states: LanguageState[] = [];

  constructor(private readonly opts: LanguageReadinessOptions) {
    this.apply(promptCoverage(this.coverageInput()), true);
  }

  /** The languages on the menu now, in configured order. */
  offered(): LanguageOption[] {
    const offered = new Set(this.states.filter((s) => s.offered).map((s) => s.language));
    return this.opts.languages.languages.filter((l) => offered.has(l.code));
  }

  /** Every configured language with its gaps and whether it is offered. */
  report(): LanguageState[] {
    return this.states;
  }

  /** Re-reads the audio folder now, synchronously (tests; the running line uses readCoverage). */
  refresh(): void {
    this.apply(promptCoverage(this.coverageInput()), false);
  }

  /** Reads and hashes the prompt files without blocking; the answer changes only when the returned function is called. */
  async readCoverage(): Promise<() => void> {
    const coverage = await promptCoverageAsync(this.coverageInput());
    return () => this.apply(coverage, false);
  }

  private coverageInput() {
    const { languages, catalog, audioDir } = this.opts;
    return { audioDir, catalog, languages: languages.languages, defaultLanguage: languages.default };
  }

  private apply(coverage: LanguageCoverage[], first: boolean): void {
    const { enforce, acceptKhmerMachineVoice, logger } = this.opts;
    const before = new Map(this.states.map((s) => [s.language, s.offered]));
    const wasWithdrawn = new Set(this.states.filter((s) => s.withdrawn).map((s) => s.language));
    this.states = coverage.map((cov) => {
      const gaps = gapsOf(cov, { allowMachineVoice: acceptKhmerMachineVoice });
      const ready = gaps.length === 0;
      const offered = isOfferedLanguage(cov, { enforce, acceptKhmerMachineVoice });
      const withdrawn = !offered && (before.get(cov.language) === true || wasWithdrawn.has(cov.language));
      return { language: cov.language, name: cov.name, ready, offered, withdrawn, gaps, coverage: cov };
    });
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
