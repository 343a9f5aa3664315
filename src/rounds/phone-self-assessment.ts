/**
 * Providers' self-assessment by phone: each provider phone's answers for a round, kept apart
 * (`phone_self_assessments`, one document per round and phone, the phone as its keyed hash), and
 * the round's self-assessment counts recounted from them (RoundRegister.savePhoneSelfAssessment).
 *
 * One phone counts once per round: a later call from the same phone replaces its earlier answers
 * (at the new call's first answer, the earlier call's are dropped). A call that breaks off keeps the
 * answers already given, as a citizen's rating does.
 */
import type { ProviderSignIn } from '../flow/types';
import type { AuditLog } from '../staff/audit-log';
import { Store } from '../store/store';
import { ProviderPinsRepository } from './provider-pins';
import { RoundRegister } from './round-register';

export interface PhoneSelfAssessment {
  /** `<roundId>:<caller hash>` */
  _id: string;
  roundId: string;
  callerId: string;
  /** The call these answers are from: a later call replaces them. */
  callSid: string;
  /** Score 1-5 per indicator id. */
  scores: Record<string, number>;
  updatedAt: Date;
}

export class PhoneSelfAssessments {
  constructor(private readonly store: Store, private readonly rounds: RoundRegister) {}

  private get answers() {
    return this.store.collection<PhoneSelfAssessment>('phone_self_assessments');
  }

  /**
   * Keeps one answer and recounts the round. Applying the same answer again changes nothing (the
   * call's score for that indicator is set, not added).
   */
  async answer(a: { roundId: string; callerId: string; callSid: string; indicatorId: string; score: number; at: Date }): Promise<void> {
    if (!Number.isInteger(a.score) || a.score < 1 || a.score > 5) throw new Error(`a self-assessment score is 1 to 5, not ${a.score}`);
    const _id = `${a.roundId}:${a.callerId}`;
    const same = await this.answers.findOne({ _id, callSid: a.callSid });
    if (same) {
      await this.answers.updateOne({ _id, callSid: a.callSid }, { $set: { [`scores.${a.indicatorId}`]: a.score, updatedAt: a.at } });
    } else {
      // This phone's first answer in this call: its earlier call's answers are replaced whole.
      await this.answers.updateOne({ _id }, { $set: { roundId: a.roundId, callerId: a.callerId, callSid: a.callSid, scores: { [a.indicatorId]: a.score }, updatedAt: a.at } }, { upsert: true });
    }
    await this.recount(a.roundId, a.at);
  }

  /** How many phones answered in a round (for tests and the desk). */
  forRound(roundId: string): Promise<PhoneSelfAssessment[]> {
    return this.answers.find({ roundId }, { sort: { _id: 1 } });
  }

  /** The round's phone counts per indicator, from every phone's answers, written to its self-assessment results. */
  async recount(roundId: string, at: Date): Promise<void> {
    const counts = new Map<string, [number, number, number, number, number]>();
    for (const doc of await this.forRound(roundId)) {
      for (const [indicator, score] of Object.entries(doc.scores)) {
        const c = counts.get(indicator) ?? [0, 0, 0, 0, 0];
        c[score - 1] += 1;
        counts.set(indicator, c);
      }
    }
    await this.rounds.savePhoneSelfAssessment(roundId, counts, at);
  }
}

/** What the providers' entry of a call needs: the PIN check and where answers go (src/calls/call-turns.ts). */
export interface ProviderLine {
  signIn(a: { callerId: string; providerNumber: string; pin: string; at: Date; callSid: string }): Promise<ProviderSignIn>;
  answer(a: { roundIds: readonly string[]; callerId: string; callSid: string; indicatorId: string; score: number; at: Date }): Promise<void>;
}

/** The audit log's two writes (src/staff/audit-log.ts). */
type Audit = Pick<AuditLog, 'record' | 'recordRepeated'>;

/** Audited as the hotline, not as a staff member. */
export const PHONE_AUDIT_USER = 'hotline';

/**
 * The providers' entry: a PIN check (audited: every right PIN, merged wrong ones, every lockout;
 * never the PIN, the caller only as the start of their keyed hash), then the rounds of this year
 * that take the self-assessment.
 */
export class ProviderSelfAssessmentLine implements ProviderLine {
  constructor(
    private readonly pins: ProviderPinsRepository,
    private readonly rounds: RoundRegister,
    private readonly answers: PhoneSelfAssessments,
    private readonly audit: Audit,
    private readonly year: (at: Date) => number,
  ) {}

  async signIn(a: { callerId: string; providerNumber: string; pin: string; at: Date; callSid: string }): Promise<ProviderSignIn> {
    const caller = a.callerId.slice(0, 12);
    const checked = await this.pins.check(a.callerId, a.providerNumber, a.pin, a.at);
    if (checked.result === 'locked') {
      await this.audit.recordRepeated({ username: PHONE_AUDIT_USER, action: 'provider-pin-locked', detail: { providerNumber: a.providerNumber.slice(0, 12), caller } });
      return { result: 'locked' };
    }
    if (checked.result === 'refused') {
      await this.audit.recordRepeated({ username: PHONE_AUDIT_USER, action: 'provider-pin-refused', detail: { providerNumber: a.providerNumber.slice(0, 12), caller } });
      if (checked.lockedNow) await this.audit.record({ username: PHONE_AUDIT_USER, action: 'provider-pin-locked', detail: { providerNumber: a.providerNumber.slice(0, 12), caller, lockedNow: true } });
      // The try that locks is told as a lockout: the next would be refused whatever the PIN.
      return { result: checked.lockedNow ? 'locked' : 'refused' };
    }
    const pin = checked.pin;
    const target = pin.facilityId ? { facilityId: pin.facilityId } : { communeCode: pin.communeCode!, service: pin.service };
    const rounds = await this.rounds.currentRoundsOf(target, this.year(a.at));
    await this.audit.record({ username: PHONE_AUDIT_USER, action: 'provider-pin-accepted', detail: { providerNumber: pin.providerNumber, caller, rounds: rounds.map((r) => r._id) } });
    if (rounds.length === 0) return { result: 'no-round' };
    return { result: 'accepted', service: pin.service, ...(pin.facilityId ? { facilityId: pin.facilityId } : {}), roundIds: rounds.map((r) => r._id) };
  }

  async answer(a: { roundIds: readonly string[]; callerId: string; callSid: string; indicatorId: string; score: number; at: Date }): Promise<void> {
    for (const roundId of a.roundIds) await this.answers.answer({ roundId, callerId: a.callerId, callSid: a.callSid, indicatorId: a.indicatorId, score: a.score, at: a.at });
  }
}
