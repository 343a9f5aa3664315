import { DuplicateKeyError } from '../errors';
import { Store } from '../store/store';
import { NumberCipher } from './number-cipher';

/**
 * Callers who asked to be called when their commune's JAAP promises change (docs/call-flow.md,
 * "Promise news calls"). One sign-up per caller and commune (`_id` `<callerId>:<commune>`, so a
 * retried webhook signs up nothing more). The number is sealed with the callback number key,
 * bound to the sign-up's id, and goes with the document: stopping deletes it, and the database's
 * expiry index deletes it PROMISE_ALERT_MONTHS after the sign-up.
 */
export interface PromiseAlert {
  _id: string;
  callerId: string;
  communeCode: string;
  /** The language of the call that signed up: the news is spoken in it. */
  language: string;
  /** The number, AES-256-GCM sealed (NumberCipher, CALLBACK_NUMBER_KEY) with `_id` bound in. */
  sealedNumber: string;
  createdAt: Date;
  /** The sign-up ends here: never called after, and the database deletes it (number and all). */
  expiresAt: Date;
}

/** How long a sign-up lasts: a JAAP runs 12 months from its meeting; a caller may sign up again after. */
export const PROMISE_ALERT_MONTHS = 12;

export function promiseAlertId(callerId: string, communeCode: string): string {
  return `${callerId}:${communeCode}`;
}

export class PromiseAlerts {
  constructor(
    private readonly store: Store,
    private readonly cipher: NumberCipher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get collection() {
    return this.store.collection<PromiseAlert>('promise_alerts');
  }

  private active(at: Date) {
    return { expiresAt: { $gt: at } };
  }

  /** Signs the caller up for news of the commune (`number` already checked as callable); 'already' when they are. */
  async subscribe(s: { callerId: string; number: string; communeCode: string; language: string }): Promise<'subscribed' | 'already'> {
    const at = this.now();
    const _id = promiseAlertId(s.callerId, s.communeCode);
    const expiresAt = new Date(at);
    expiresAt.setUTCMonth(expiresAt.getUTCMonth() + PROMISE_ALERT_MONTHS);
    const doc: PromiseAlert = {
      _id, callerId: s.callerId, communeCode: s.communeCode, language: s.language, sealedNumber: this.cipher.encrypt(s.number, _id), createdAt: at, expiresAt,
    };
    for (let tries = 0; tries < 2; tries++) {
      try {
        await this.collection.insertOne(doc);
        return 'subscribed';
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        // An expired sign-up the database has not deleted yet does not stand in the way of a new one.
        if (!(await this.collection.deleteOne({ _id, expiresAt: { $lte: at } }))) return 'already';
      }
    }
    return 'already';
  }

  /** The communes the caller is signed up for now (not asked again about these). */
  async communesOf(callerId: string): Promise<string[]> {
    const found = await this.collection.find({ callerId, ...this.active(this.now()) }, { projection: { communeCode: 1 }, limit: 100 });
    return found.map((a) => a.communeCode);
  }

  /** Everyone signed up for news of this commune now. */
  subscribersOf(communeCode: string): Promise<PromiseAlert[]> {
    return this.collection.find({ communeCode, ...this.active(this.now()) }, { limit: 10_000 });
  }

  /** The number of a sign-up, in clear, to seal into its news call; null when it cannot be read (the key changed). */
  numberOf(alert: PromiseAlert): string | null {
    try {
      return this.cipher.decrypt(alert.sealedNumber, alert._id);
    } catch {
      return null;
    }
  }

  /** Ends the sign-up: the document, and the sealed number in it, is deleted. True when there was one. */
  async stop(callerId: string, communeCode: string): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: promiseAlertId(callerId, communeCode) })) > 0;
  }
}
