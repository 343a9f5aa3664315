import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../logging/logger';

export const AUDIO_EXTENSION = 'wav';

/**
 * Which prompt recordings exist, per language, and their public URLs. A prompt missing in the
 * caller's language falls back to the default language (Khmer), and the fallback is logged.
 * The listing is read at start-up, and again off callers' turns when the folder changes
 * (src/prompts/recordings-watch.ts): answering a turn reads memory only.
 */
export class PromptAudio {
  private available = new Map<string, Set<string>>();
  private readonly fallbackLoggedAt = new Map<string, number>();
  private scans = 0;

  constructor(
    private readonly audioDir: string,
    private readonly publicBaseUrl: string,
    private readonly defaultLanguage: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.rescan();
  }

  /** Reads the folder now, synchronously (start-up and tests; the running line uses readListing). */
  rescan(): void {
    let languages: string[] = [];
    try {
      languages = languageFolders(fs.readdirSync(this.audioDir, { withFileTypes: true }));
    } catch (err) {
      this.cannotRead(err);
    }
    this.commit(new Map(languages.map((lang) => [lang, promptIds(fs.readdirSync(path.join(this.audioDir, lang)))])));
  }

  /** Reads the folder without blocking; the listing changes only when the returned function is called. */
  async readListing(): Promise<() => void> {
    let languages: string[] = [];
    try {
      languages = languageFolders(await fs.promises.readdir(this.audioDir, { withFileTypes: true }));
    } catch (err) {
      this.cannotRead(err);
    }
    const next = new Map<string, Set<string>>();
    for (const lang of languages) {
      try {
        next.set(lang, promptIds(await fs.promises.readdir(path.join(this.audioDir, lang))));
      } catch {
        // Removed since the folder was listed: no language any more.
      }
    }
    return () => this.commit(next);
  }

  private cannotRead(err: unknown) {
    this.logger.error({ audioDir: this.audioDir, err: (err as Error).message }, 'cannot read the prompt audio folder (AUDIO_DIR)');
  }

  private commit(listing: Map<string, Set<string>>) {
    this.available = listing;
    this.scans++;
  }

  /** Changes at every re-read of the folder: what was worked out from the recordings before may be stale. */
  generation(): number {
    return this.scans;
  }

  has(promptId: string, language: string): boolean {
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

/** Dot folders (the studio's .history of earlier versions) are no language. */
function languageFolders(entries: fs.Dirent[]): string[] {
  return entries.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
}

function promptIds(files: string[]): Set<string> {
  return new Set(files.filter((f) => f.endsWith(`.${AUDIO_EXTENSION}`)).map((f) => f.slice(0, -(AUDIO_EXTENSION.length + 1))));
}
