import { DuplicateKeyError } from '../errors';
import { Store } from '../store/store';
import { cambodianDay } from './cambodia-time';
import { OperatorProblem } from './carrier-refusals';

/**
 * The shared limits on outbound calling, kept in the database so they hold across every app
 * instance: lines (calls at once), the pace (calls started per minute), the day's budget, and
 * the staff pause switch. Each is taken with one atomic write.
 */
interface Line { _id: string; holder: string; until: Date }
/** The time of the last outbound start, one record for every instance. */
interface PaceRecord { _id: string; lastStartAt: Date }
const PACE_ID = 'last-start';
interface DayCount { _id: string; placed: number }
/**
 * A carrier refusal only the operator can fix (src/outbound/carrier-refusals.ts): calling is held
 * until `retryAt`, when one call tries again; a placed call clears it.
 */
export interface CarrierProblem extends OperatorProblem { since: Date; lastAt: Date; retryAt: Date }
export interface OutboundControl { _id: string; paused: boolean; changedBy?: string; changedAt?: Date; carrierProblem?: CarrierProblem }

export class OutboundLimits {
  private linesCreated = false;
  constructor(
    private readonly store: Store,
    private readonly o: { maxConcurrent: number; maxPerMinute: number; dailyBudget: number },
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get lines() { return this.store.collection<Line>('outbound_lines'); }
  private get pace() { return this.store.collection<PaceRecord>('outbound_pace'); }
  private get days() { return this.store.collection<DayCount>('outbound_days'); }
  private get control() { return this.store.collection<OutboundControl>('outbound_control'); }

  private lineIds(): string[] {
    return Array.from({ length: this.o.maxConcurrent }, (_, i) => `line-${i}`);
  }

  /** Takes a free line (or one whose holder's lease ran out) for `holder` until `until`; false when all are busy. */
  async takeLine(holder: string, until: Date): Promise<boolean> {
    const ids = this.lineIds();
    if (!this.linesCreated) {
      // Once per process: the line documents exist from then on (another instance may have made them).
      const existing = new Set((await this.lines.find({ _id: { $in: ids } }, { projection: { _id: 1 } })).map((l) => l._id));
      for (const _id of ids.filter((id) => !existing.has(id))) {
        try {
          await this.lines.insertOne({ _id, holder: '', until: new Date(0) });
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
        }
      }
      this.linesCreated = true;
    }
    const got = await this.lines.findOneAndUpdate(
      { _id: { $in: ids }, $or: [{ holder: '' }, { until: { $lt: this.now() } }] },
      { $set: { holder, until } },
    );
    return got?.holder === holder;
  }

  async releaseLine(holder: string): Promise<void> {
    await this.lines.updateMany({ holder }, { $set: { holder: '', until: new Date(0) } });
  }

  /** Gives a line taken under a placeholder to the entry that got claimed. */
  async handOverLine(from: string, to: string, until: Date): Promise<void> {
    await this.lines.updateMany({ holder: from }, { $set: { holder: to, until } });
  }

  async extendLine(holder: string, until: Date): Promise<void> {
    await this.lines.updateMany({ holder }, { $set: { until } });
  }

  async linesInUse(): Promise<number> {
    return this.lines.countDocuments({ _id: { $in: this.lineIds() }, holder: { $ne: '' }, until: { $gte: this.now() } });
  }

  /** Milliseconds between two starts: OUTBOUND_MAX_PER_MINUTE spread evenly over the minute. */
  get slotMs(): number {
    return Math.ceil(60_000 / this.o.maxPerMinute);
  }

  /**
   * Takes the right to start one call now, across instances: one compare-and-set on the time of
   * the last start, which must be at least slotMs ago. Any two starts are therefore slotMs apart,
   * so no window of any length holds more than the configured pace (slots aligned to the clock let
   * two starts fall on either side of a slot boundary, and a 10 s window could hold M/6 + 1).
   * False when the last start was too recent. Instances' clocks are assumed to agree (NTP).
   */
  async takePaceSlot(): Promise<boolean> {
    const at = this.now();
    await this.ensurePaceRecord();
    const got = await this.pace.findOneAndUpdate(
      { _id: PACE_ID, lastStartAt: { $lte: new Date(at.getTime() - this.slotMs) } },
      { $set: { lastStartAt: at } },
    );
    return got !== null;
  }

  /** Milliseconds until a start is allowed again (0 when it is now). */
  async msToNextSlot(): Promise<number> {
    const last = (await this.pace.findOne({ _id: PACE_ID }))?.lastStartAt;
    if (!last) return 0;
    return Math.max(0, new Date(last).getTime() + this.slotMs - this.now().getTime());
  }

  private paceRecordCreated = false;
  private async ensurePaceRecord(): Promise<void> {
    if (this.paceRecordCreated) return;
    try {
      await this.pace.insertOne({ _id: PACE_ID, lastStartAt: new Date(0) });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    this.paceRecordCreated = true;
  }

  /** Counts one call against today's budget; false (nothing counted) when the budget is spent. */
  async spendBudget(): Promise<boolean> {
    if (this.o.dailyBudget <= 0) return false;
    const _id = `day-${cambodianDay(this.now())}`;
    try {
      await this.days.insertOne({ _id, placed: 0 });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    const r = await this.days.updateOne({ _id, placed: { $lt: this.o.dailyBudget } }, { $inc: { placed: 1 } });
    return r.matched === 1;
  }

  /** Gives back a budgeted call that was certainly not placed. */
  async refundBudget(): Promise<void> {
    await this.days.updateOne({ _id: `day-${cambodianDay(this.now())}`, placed: { $gt: 0 } }, { $inc: { placed: -1 } });
  }

  async placedToday(): Promise<number> {
    return (await this.days.findOne({ _id: `day-${cambodianDay(this.now())}` }))?.placed ?? 0;
  }

  get dailyBudget(): number {
    return this.o.dailyBudget;
  }

  async isPaused(): Promise<boolean> {
    return (await this.control.findOne({ _id: 'control' }))?.paused === true;
  }

  async controlState(): Promise<OutboundControl> {
    return (await this.control.findOne({ _id: 'control' })) ?? { _id: 'control', paused: false };
  }

  /** Staff pause or resume; resuming also retries at once after a carrier problem (staff say it is fixed). */
  async setPaused(paused: boolean, by: string): Promise<void> {
    await this.control.updateOne({ _id: 'control' }, { $set: { paused, changedBy: by, changedAt: this.now() } }, { upsert: true });
    if (!paused) await this.retryCarrierNow();
  }

  /** Holds calling after a refusal the operator must fix; the next try is `retryInSeconds` away. */
  async setCarrierProblem(p: OperatorProblem, retryInSeconds: number): Promise<CarrierProblem> {
    const at = this.now();
    const since = (await this.controlState()).carrierProblem?.since ?? at;
    const problem: CarrierProblem = { ...p, since, lastAt: at, retryAt: new Date(at.getTime() + retryInSeconds * 1000) };
    await this.control.updateOne({ _id: 'control' }, { $set: { carrierProblem: problem } }, { upsert: true });
    return problem;
  }

  /** A call was placed: the carrier problem is over. True when there was one. */
  async clearCarrierProblem(): Promise<boolean> {
    return (await this.control.updateOne({ _id: 'control', carrierProblem: { $exists: true } }, { $unset: { carrierProblem: true } })).matched === 1;
  }

  /** The next call tries the carrier again now (a restart with new settings, or staff said it is fixed). */
  async retryCarrierNow(): Promise<void> {
    await this.control.updateOne({ _id: 'control', carrierProblem: { $exists: true } }, { $set: { 'carrierProblem.retryAt': this.now() } });
  }
}
