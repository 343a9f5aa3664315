import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../logging/logger';

export const AUDIO_EXTENSION = 'wav';

/**
 * Which prompt recordings exist, per language, and their public URLs. A prompt missing in the
 * caller's language falls back to the default language (Khmer), and the fallback is logged.
 * The listing is re-read periodically so a newly imported recording is used without a restart.
 */
export class PromptAudio {
  private available = new Map<string, Set<string>>();
  private scannedAt = 0;
  private readonly fallbackLoggedAt = new Map<string, number>();
  private scans = 0;

  constructor(
    private readonly audioDir: string,
    private readonly publicBaseUrl: string,
    private readonly defaultLanguage: string,
    private readonly logger: Logger,
    private readonly rescanMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rescan();
  }

  rescan(): void {
    const next = new Map<string, Set<string>>();
    let languages: string[] = [];
    try {
      // Dot folders (the studio's .history of earlier versions) are no language.
      languages = fs.readdirSync(this.audioDir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
    } catch (err) {
      this.logger.error({ audioDir: this.audioDir, err: (err as Error).message }, 'cannot read the prompt audio folder (AUDIO_DIR)');
    }
    for (const lang of languages) {
      const ids = new Set<string>();
      for (const f of fs.readdirSync(path.join(this.audioDir, lang))) {
        if (f.endsWith(`.${AUDIO_EXTENSION}`)) ids.add(f.slice(0, -(AUDIO_EXTENSION.length + 1)));
      }
      next.set(lang, ids);
    }
    this.available = next;
    this.scannedAt = this.now();
    this.scans++;
  }

  /** Changes at every re-read of the folder: what was worked out from the recordings before may be stale. */
  generation(): number {
    this.fresh();
    return this.scans;
  }

  private fresh() {
    if (this.now() - this.scannedAt > this.rescanMs) this.rescan();
  }

  has(promptId: string, language: string): boolean {
    this.fresh();
    return this.available.get(language)?.has(promptId) ?? false;
  }

  /** The language whose recording will be played, or null when none exists at all. */
  resolve(promptId: string, language: string): string | null {
    if (this.has(promptId, language)) return language;
    if (this.has(promptId, this.defaultLanguage)) {
      const key = `${language}/${promptId}`;
      const last = this.fallbackLoggedAt.get(key) ?? 0;
      // Logged once per prompt and language every 10 minutes: enough to see the gap, not a flood.
      if (this.now() - last > 600_000) {
        this.fallbackLoggedAt.set(key, this.now());
        this.logger.info({ promptId, language, fallback: this.defaultLanguage }, 'prompt not recorded in this language; playing the fallback');
      }
      return this.defaultLanguage;
    }
    this.logger.error({ promptId, language }, 'prompt has no recording in any language; it is skipped');
    return null;
  }

  url(promptId: string, language: string): string | null {
    const lang = this.resolve(promptId, language);
    return lang ? `${this.publicBaseUrl}/audio/${lang}/${promptId}.${AUDIO_EXTENSION}` : null;
  }
}
