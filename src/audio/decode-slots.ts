import { AppError } from '../errors';

/** Every decode slot stayed taken for the whole wait: the upload is refused, to be sent again shortly. */
export class DecodesBusyError extends AppError {
  override readonly code = 'AUDIO_DECODES_BUSY';
  override readonly status = 503;
}

/** How long an upload waits for a free slot before it is refused. */
export const DECODE_WAIT_MS = 20_000;

/**
 * At most `max` uploaded recordings are converted at once by this app instance
 * (AUDIO_DECODES_AT_ONCE): each conversion is several ffmpeg passes that take a core, and four
 * uploads at once left nothing for callers' turns on a two-core machine (issue 21, section 4).
 * More wait, first come first served, up to `waitMs`; then DecodesBusyError. The slots count this
 * process's own CPU, so they are kept in its memory: another instance has cores of its own.
 */
export class DecodeSlots {
  private running = 0;
  private readonly waiting: { start: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(readonly max: number, readonly waitMs = DECODE_WAIT_MS) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await this.turn();
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start(); // the slot passes straight to the next upload
      } else this.running -= 1;
    }
  }

  private turn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = {
        start: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new DecodesBusyError(
            `${this.max} recording${this.max === 1 ? ' is' : 's are'} being converted already: try again in a minute`,
            { key: 'audio.decodes-busy' },
          ));
        }, this.waitMs),
      };
      this.waiting.push(entry);
    });
  }
}
