import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../logging/logger';

/**
 * Keeps what the line knows about its recordings (which prompts exist, which languages are
 * offered, which place names are drafts) up to date without a restart, and off callers' turns:
 * a turn reads memory only. Everything is worked out at start-up, before the line listens; after
 * that it is read again, without blocking, when a file in the audio folder changes (the studio, an
 * import in another process, a file copied in by hand), and at least every `intervalMs` in case a
 * change sends no event (a network share).
 */

/** One part of what is known: reads the folder without blocking, and returns the step that puts the result in use. */
export type RecordingsReader = () => Promise<() => void>;

export interface RecordingsWatchOptions {
  audioDir: string;
  /** The language folders watched beside the audio folder itself (which holds the manifests). */
  languages: readonly string[];
  /** Read one after another, then put in use together, so no turn sees one part new and another old. */
  readers: RecordingsReader[];
  /** Runs once the new parts are in use: works out in advance what a turn would otherwise work out from them. */
  afterUse?: () => void;
  logger: Logger;
  /** A re-read at least this often (default a minute). */
  intervalMs?: number;
  /** Change events this close together make one re-read (a copy of many files). */
  settleMs?: number;
}

export class RecordingsWatch {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private settling: NodeJS.Timeout | undefined;
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private stopped = true;
  /** How many re-reads have been put in use (tests wait on it). */
  reads = 0;

  constructor(private readonly opts: RecordingsWatchOptions) {}

  /** Whether it watches (folders, the regular re-read): false before start and after stop. */
  get active(): boolean {
    return !this.stopped || this.watchers.size > 0 || this.timer !== undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.watchFolders();
    // unref: a running line has its server to keep it alive; a script or test ends when its work does.
    this.timer = setInterval(() => void this.refreshNow(), this.opts.intervalMs ?? 60_000).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.settling) clearTimeout(this.settling);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /**
   * Reads everything again now and resolves once the line uses the result (the studio after a
   * save). Asked while a read runs, it waits for one more read after it, shared by everyone who
   * asked meanwhile, since the running read may have missed the change. Never rejects: a folder
   * that cannot be read is logged, and what was known stays in use.
   */
  refreshNow(): Promise<void> {
    if (!this.current) {
      this.current = this.read().finally(() => {
        this.current = null;
      });
      return this.current;
    }
    this.next ??= this.current.then(() => {
      this.next = null;
      return this.refreshNow();
    });
    return this.next;
  }

  private async read(): Promise<void> {
    try {
      const uses: (() => void)[] = [];
      for (const reader of this.opts.readers) uses.push(await reader());
      for (const use of uses) use();
      this.opts.afterUse?.();
      this.reads++;
    } catch (err) {
      this.opts.logger.error({ audioDir: this.opts.audioDir, err: (err as Error).message }, 'could not re-read the prompt audio folder; the line keeps what it knew (fix the folder or the manifest named above)');
    }
    // A language folder made since (an import of a new language) is watched from now on.
    if (!this.stopped) this.watchFolders();
  }

  private changed = () => {
    if (this.settling) clearTimeout(this.settling);
    this.settling = setTimeout(() => {
      this.settling = undefined;
      if (!this.stopped) void this.refreshNow();
    }, this.opts.settleMs ?? 200).unref();
  };

  private watchFolders() {
    for (const dir of [this.opts.audioDir, ...this.opts.languages.map((l) => path.join(this.opts.audioDir, l))]) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, { persistent: false }, this.changed);
        watcher.on('error', (err) => {
          // A removed folder ends its watch; the interval's re-reads carry on, and a folder made again is watched again.
          watcher.close();
          this.watchers.delete(dir);
          this.opts.logger.warn({ folder: dir, err: err.message }, 'stopped watching a prompt audio folder; changes in it are seen at the next regular re-read');
        });
        this.watchers.set(dir, watcher);
      } catch (err) {
        // A language with no folder yet is watched once it has one.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.opts.logger.warn({ folder: dir, err: (err as Error).message }, 'cannot watch a prompt audio folder; changes in it are seen at the regular re-read (at least every minute)');
      }
    }
  }
}
