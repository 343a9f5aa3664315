/**
 * Service providers' PINs for the phone self-assessment: one per facility, or per commune and
 * service where the programme names no facility. Each has a stable 5-digit provider number (what
 * the provider keys first) and a 6-digit PIN (shown once to staff when set, then kept only as a
 * keyed hash).
 *
 * Why a keyed hash (HMAC-SHA256 under CALLER_HASH_SECRET, as caller ids) and not the staff
 * passwords' scrypt: a 6-digit PIN has a million values, so a slow salted hash alone falls to a
 * million guesses offline once the database is copied; the key, which is not in the database,
 * makes the stored hashes worthless without it. Online guessing is what the lockout limits. And a
 * keyed hash costs nothing per call turn, where scrypt would spend CPU on a two-core server in the
 * middle of a call.
 *
 * Wrong tries are counted in the store (`provider_pin_failures`), per phone (its keyed hash) and
 * per provider number typed (whether or not such a number exists, so a lockout tells nothing
 * about which numbers exist), so every app instance sees them.
 */
import * as crypto from 'node:crypto';
import { BadRequestError, DuplicateKeyError } from '../errors';
import { CountersRepository } from '../store/counters';
import { Store } from '../store/store';

export const PROVIDER_NUMBER_DIGITS = 5;
export const PROVIDER_PIN_DIGITS = 6;

/** Whose PIN it is: a programme facility, or a commune's service where no facility is named. */
export type ProviderTarget = { facilityId: string } | { communeCode: string; service: string };

export interface ProviderPin {
  /** targetKey(): `facility:<id>` or `service:<commune>:<service>`. */
  _id: string;
  providerNumber: string;
  facilityId?: string;
  communeCode?: string;
  service: string;
  /** HMAC-SHA256 (hex) of the PIN with this record's id and salt. */
  pinHash: string;
  salt: string;
  setAt: Date;
  setBy: string;
}

interface PinFailures {
  /** `phone:<caller hash>` or `number:<digits typed>`. */
  _id: string;
  failures: number;
  firstAt: Date;
  lockedUntil?: Date;
}

export function targetKey(t: ProviderTarget): string {
  return 'facilityId' in t ? `facility:${t.facilityId}` : `service:${t.communeCode}:${t.service}`;
}

/** A new PIN: 6 random digits, never one of the easy guesses (all one digit, a run up or down). */
export function newPin(random: (max: number) => number = crypto.randomInt): string {
  for (;;) {
    const pin = Array.from({ length: PROVIDER_PIN_DIGITS }, () => String(random(10))).join('');
    if (!isGuessable(pin)) return pin;
  }
}

function isGuessable(pin: string): boolean {
  if (/^(\d)\1+$/.test(pin)) return true;
  const steps = new Set([...pin].slice(1).map((d, i) => (Number(d) - Number(pin[i]) + 10) % 10));
  return steps.size === 1;
}

function hashPin(secret: string, id: string, salt: string, pin: string): string {
  return crypto.createHmac('sha256', secret).update(`provider-pin\0${id}\0${salt}\0${pin}`).digest('hex');
}

export type SignInCheck =
  | { result: 'accepted'; pin: ProviderPin }
  | { result: 'refused'; lockedNow: boolean }
  | { result: 'locked' };

export class ProviderPinsRepository {
  constructor(
    private readonly store: Store,
    private readonly secret: string,
    private readonly limits: { maxFailures: number; lockoutMinutes: number },
  ) {}

  private get pins() {
    return this.store.collection<ProviderPin>('provider_pins');
  }

  private get failures() {
    return this.store.collection<PinFailures>('provider_pin_failures');
  }

  list(): Promise<ProviderPin[]> {
    return this.pins.find({}, { sort: { providerNumber: 1 } });
  }

  find(t: ProviderTarget): Promise<ProviderPin | null> {
    return this.pins.findOne({ _id: targetKey(t) });
  }

  /**
   * Sets (or resets) the target's PIN and returns it with the provider number: the only time the
   * PIN exists in clear. The provider number stays the same across resets.
   */
  async setPin(t: ProviderTarget, service: string, by: string, at: Date, counters: CountersRepository): Promise<{ providerNumber: string; pin: string }> {
    const _id = targetKey(t);
    const existing = await this.pins.findOne({ _id });
    const providerNumber = existing?.providerNumber ?? String(10_000 + (await counters.next('provider-number')));
    if (providerNumber.length !== PROVIDER_NUMBER_DIGITS) throw new BadRequestError('every provider number is in use');
    const pin = newPin();
    const salt = crypto.randomBytes(16).toString('hex');
    const record: ProviderPin = {
      _id, providerNumber, service, pinHash: hashPin(this.secret, _id, salt, pin), salt, setAt: at, setBy: by,
      ...('facilityId' in t ? { facilityId: t.facilityId } : { communeCode: t.communeCode }),
    };
    const { _id: __, ...fields } = record;
    await this.pins.updateOne({ _id }, { $set: fields }, { upsert: true });
    return { providerNumber, pin };
  }

  /**
   * Checks a provider number and PIN keyed on a phone. A phone or number locked out is refused
   * without looking at the PIN; a wrong try counts against both; a right one clears the phone's
   * and the number's wrong tries.
   */
  async check(callerId: string, providerNumber: string, pin: string, at: Date): Promise<SignInCheck> {
    const keys = [`phone:${callerId}`, `number:${providerNumber.slice(0, 20)}`];
    const counted = await this.failures.find({ _id: { $in: keys } });
    if (counted.some((f) => f.lockedUntil && new Date(f.lockedUntil).getTime() > at.getTime())) return { result: 'locked' };
    const record = /^[0-9]+$/.test(providerNumber) ? await this.pins.findOne({ providerNumber }) : null;
    const expected = record ? Buffer.from(record.pinHash, 'hex') : crypto.randomBytes(32);
    const given = Buffer.from(hashPin(this.secret, record?._id ?? 'none', record?.salt ?? '', pin), 'hex');
    if (record && /^[0-9]+$/.test(pin) && crypto.timingSafeEqual(expected, given)) {
      await this.failures.deleteMany({ _id: { $in: keys } });
      return { result: 'accepted', pin: record };
    }
    let lockedNow = false;
    for (const key of keys) lockedNow = (await this.countFailure(key, at)) || lockedNow;
    return { result: 'refused', lockedNow };
  }

  /** One more wrong try for this key; true when it has just locked the key. */
  private async countFailure(_id: string, at: Date): Promise<boolean> {
    const windowMs = this.limits.lockoutMinutes * 60_000;
    const current = await this.failures.findOne({ _id });
    if (!current || at.getTime() - new Date(current.firstAt).getTime() > windowMs) {
      // A fresh count: written whole (an insert racing another is then an update of it).
      try {
        if (current) await this.failures.updateOne({ _id }, { $set: { failures: 1, firstAt: at }, $unset: { lockedUntil: true } });
        else await this.failures.insertOne({ _id, failures: 1, firstAt: at });
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        await this.failures.updateOne({ _id }, { $inc: { failures: 1 } });
      }
    } else {
      await this.failures.updateOne({ _id }, { $inc: { failures: 1 } });
    }
    const after = await this.failures.findOne({ _id });
    if (after && after.failures >= this.limits.maxFailures && !(after.lockedUntil && new Date(after.lockedUntil).getTime() > at.getTime())) {
      // Locked for the lockout's length; the count starts afresh once it is over.
      await this.failures.updateOne({ _id }, { $set: { lockedUntil: new Date(at.getTime() + windowMs), failures: 0, firstAt: new Date(at.getTime() + windowMs) } });
      return true;
    }
    return false;
  }
}

/** What a typed target is checked against: the programme's facilities, the gazetteer, the scorecard's services. */
export interface TargetCheck {
  facility(id: string): { id: string; service: string } | undefined;
  isCommune(code: string): boolean;
  services: readonly string[];
}

/**
 * A target as staff type it: a programme facility id, or `<commune code>:<service>` (120101:health)
 * where the programme names no facility. Returns the target and its service, or throws
 * BadRequestError saying what to type.
 */
export function parseProviderTarget(text: string, check: TargetCheck): { target: ProviderTarget; service: string } {
  const typed = text.trim();
  const byService = /^([0-9]{6}):([a-z0-9-]+)$/.exec(typed);
  if (byService) {
    const [, communeCode, service] = byService;
    if (!check.isCommune(communeCode)) throw new BadRequestError(`${communeCode} is not a commune code of the gazetteer`, { key: 'provider-pins.bad-commune' });
    if (!check.services.includes(service)) throw new BadRequestError(`${service} is not a service of the scorecard (${check.services.join(', ')})`, { key: 'provider-pins.bad-service' });
    return { target: { communeCode, service }, service };
  }
  const facility = check.facility(typed);
  if (!facility) throw new BadRequestError(`${typed.slice(0, 60)} is neither a facility of the programme areas nor <commune code>:<service> (for example 120101:health)`, { key: 'provider-pins.bad-target' });
  return { target: { facilityId: facility.id }, service: facility.service };
}
