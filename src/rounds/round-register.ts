/**
 * Scorecard rounds and their stored results (meeting, self-assessment) in the store:
 * `scorecard_rounds` and `round_results`. A state change is a compare-and-set on the state it was
 * read with; a result is written whole (one per round, channel and indicator), so re-entering or
 * re-importing the same result changes nothing but its entry time.
 */
import { ConflictError, DuplicateKeyError, NotFoundError } from '../errors';
import { Store } from '../store/store';
import { changedRoundState, resultId, RoundResult, RoundState, RoundStateChange, roundId, ScorecardRound, StoredChannel } from './scorecard-round';

/** The states in which a round takes providers' self-assessment by phone. */
export const SELF_ASSESSMENT_OPEN_STATES: readonly RoundState[] = ['open', 'in-review'];

type Counts = [number, number, number, number, number];

export interface RoundFilter {
  year?: number;
  communes?: string[];
  districts?: string[];
  provinces?: string[];
  states?: RoundState[];
}

function roundQuery(f: RoundFilter = {}): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (f.year !== undefined) q.year = f.year;
  if (f.states?.length) q.state = { $in: f.states };
  const any: Record<string, unknown>[] = [];
  if (f.communes?.length) any.push({ communeCode: { $in: f.communes } });
  if (f.districts?.length) any.push({ districtCode: { $in: f.districts } });
  if (f.provinces?.length) any.push({ provinceCode: { $in: f.provinces } });
  if (any.length === 1) Object.assign(q, any[0]);
  else if (any.length > 1) q.$or = any;
  return q;
}

export class RoundRegister {
  constructor(private readonly store: Store) {}

  private get rounds() {
    return this.store.collection<ScorecardRound>('scorecard_rounds');
  }

  private get results() {
    return this.store.collection<RoundResult>('round_results');
  }

  /** Records a new round; a second one for the same commune, service or facility, and year is refused. */
  async addRound(round: ScorecardRound): Promise<void> {
    try {
      await this.rounds.insertOne(round);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new ConflictError(`there is already a round ${round._id}`, { cause: err });
      throw err;
    }
  }

  round(id: string): Promise<ScorecardRound | null> {
    return this.rounds.findOne({ _id: id });
  }

  /** Rounds newest year first, then by commune and id. */
  list(filter?: RoundFilter, limit = 500): Promise<ScorecardRound[]> {
    return this.rounds.find(roundQuery(filter), { sort: { year: -1, communeCode: 1, _id: 1 }, limit });
  }

  /** Updates the planned or held day, or the phone period (not the state: setState). */
  async setDates(id: string, dates: Partial<Pick<ScorecardRound, 'plannedOn' | 'heldOn' | 'phoneFrom' | 'phoneTo'>>): Promise<void> {
    const r = await this.rounds.updateOne({ _id: id }, { $set: dates });
    if (r.matched === 0) throw new NotFoundError(`no scorecard round ${id}`);
  }

  /** Records that an imported DCS scorecard belongs to this round. */
  async linkDcsScorecard(id: string, dcsScorecardId: string): Promise<void> {
    const r = await this.rounds.updateOne({ _id: id }, { $addToSet: { dcsScorecardIds: dcsScorecardId } });
    if (r.matched === 0) throw new NotFoundError(`no scorecard round ${id}`);
  }

  /** Moves a round on (or back) if it is still in the state read; otherwise ConflictError. */
  async setState(id: string, from: RoundState, change: RoundStateChange): Promise<ScorecardRound> {
    const current = await this.round(id);
    if (!current) throw new NotFoundError(`no scorecard round ${id}`);
    if (current.state !== from) throw new ConflictError(`round ${id} is now ${current.state}, not ${from}: someone changed it meanwhile`);
    const next = changedRoundState(current, change);
    const updated = await this.rounds.findOneAndUpdate({ _id: id, state: from }, { $set: { state: next.state }, $push: { history: change } });
    if (!updated) throw new ConflictError(`round ${id} changed meanwhile: look again`);
    return updated;
  }

  /** Writes one indicator's result for a channel, replacing any earlier one (the _id is round, channel, indicator). */
  async saveResult(result: RoundResult): Promise<void> {
    if (result._id !== resultId(result.roundId, result.channel, result.indicatorKey)) throw new Error(`result id ${result._id} does not match its round, channel and indicator`);
    const { _id, ...fields } = result;
    await this.results.updateOne({ _id }, { $set: fields }, { upsert: true });
  }

  /** A round's stored results, by channel then indicator. */
  resultsOf(roundId: string, channel?: StoredChannel): Promise<RoundResult[]> {
    return this.results.find({ roundId, ...(channel ? { channel } : {}) }, { sort: { channel: 1, indicatorKey: 1 } });
  }

  /**
   * The rounds of this year that take a provider's self-assessment: open or in review, of the
   * facility (every commune it serves that has a round), or of the commune's service where no
   * facility is named.
   */
  async currentRoundsOf(target: { facilityId: string } | { communeCode: string; service: string }, year: number): Promise<ScorecardRound[]> {
    const states = { $in: [...SELF_ASSESSMENT_OPEN_STATES] };
    if ('facilityId' in target) return this.rounds.find({ facilityId: target.facilityId, year, state: states }, { sort: { _id: 1 } });
    const round = await this.rounds.findOne({ _id: roundId(target.communeCode, target.service, year), state: states });
    return round ? [round] : [];
  }

  /**
   * Writes the providers' phone counts of a round (per indicator id) into its self-assessment
   * results: added to what the desk or an import entered, replacing the phone's earlier part.
   * An indicator left with no count at all loses its result.
   */
  async savePhoneSelfAssessment(round: string, phone: ReadonlyMap<string, Counts>, at: Date): Promise<void> {
    const existing = new Map((await this.resultsOf(round, 'self-assessment')).map((r) => [r.indicatorKey, r]));
    const indicators = new Set([...phone.keys(), ...[...existing.values()].filter((r) => r.phoneCounts).map((r) => r.indicatorKey)]);
    for (const indicatorKey of indicators) {
      const r = existing.get(indicatorKey);
      const zero: Counts = [0, 0, 0, 0, 0];
      // What the desk or an import entered: the counts less the phone's earlier part, unless they wrote after it.
      const base = r ? r.counts.map((n, i) => n - (r.source === 'phone-pin' ? r.phoneCounts?.[i] ?? 0 : 0)) : zero;
      const part = phone.get(indicatorKey) ?? zero;
      const counts = base.map((n, i) => Math.max(0, n) + part[i]) as Counts;
      const _id = resultId(round, 'self-assessment', indicatorKey);
      if (counts.every((n) => n === 0)) {
        if (r) await this.deleteResult(_id);
        continue;
      }
      await this.saveResult({
        _id, roundId: round, channel: 'self-assessment', indicatorKey, counts, phoneCounts: part,
        strengths: r?.strengths ?? [], weaknesses: r?.weaknesses ?? [], suggestedActions: r?.suggestedActions ?? [], priorityActions: r?.priorityActions ?? [],
        ...(r?.indicatorName ? { indicatorName: r.indicatorName } : {}),
        source: 'phone-pin', enteredBy: 'phone', enteredAt: at,
      });
    }
  }

  /**
   * The priority actions the commune's interface meetings of a year agreed (meeting results of its
   * rounds), each once, in round and indicator order: what a JAAP item of that year can answer.
   */
  async priorityActionsOf(communeCode: string, year: number): Promise<string[]> {
    const rounds = await this.rounds.find({ communeCode, year }, { sort: { _id: 1 }, projection: { _id: 1 } });
    if (rounds.length === 0) return [];
    const results = await this.results.find({ roundId: { $in: rounds.map((r) => r._id) }, channel: 'meeting' }, { sort: { roundId: 1, indicatorKey: 1 } });
    return [...new Set(results.flatMap((r) => r.priorityActions ?? []))];
  }

  async deleteResult(id: string): Promise<boolean> {
    return (await this.results.deleteOne({ _id: id })) > 0;
  }
}
