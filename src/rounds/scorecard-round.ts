/**
 * A scorecard round: one commune x service (a facility where the programme names it) x year of
 * the ISAF cycle, with planned and held dates and a state. Its results come from three channels,
 * shown side by side per indicator and never mixed:
 * - `phone`: citizens' keypad ratings on this line within the round's phone period (computed from
 *   the ratings with the reports' disclosure control, never stored here);
 * - `meeting`: the community scorecard meeting's counts per point of the 1-5 scale;
 * - `self-assessment`: the service providers' own scores on the same indicators.
 * Meeting and self-assessment results are stored per indicator (RoundResult), entered at the desk,
 * imported from the Digital Community Scorecard app's Excel report, or (self-assessment) keyed by
 * a provider on the phone.
 *
 * Rounds and their results carry no caller data: meeting counts are of a group, not of callers.
 */
import { BadRequestError } from '../errors';

export const ROUND_STATES = ['planned', 'open', 'in-review', 'completed'] as const;
export type RoundState = (typeof ROUND_STATES)[number];

/** The channels a round's results come from, in the order pages show them. */
export const ROUND_CHANNELS = ['phone', 'meeting', 'self-assessment'] as const;
export type RoundChannel = (typeof ROUND_CHANNELS)[number];
/** The channels stored per round (phone results are counted from the ratings). */
export type StoredChannel = Exclude<RoundChannel, 'phone'>;
export const STORED_CHANNELS: readonly StoredChannel[] = ['meeting', 'self-assessment'];

/** Where a stored result came from. */
export type ResultSource = 'desk' | 'dcs-import' | 'phone-pin';

export interface RoundStateChange {
  state: RoundState;
  at: Date;
  by: string;
}

export interface ScorecardRound {
  /** `<commune>-<service or facility>-<year>`: roundId(). */
  _id: string;
  communeCode: string;
  districtCode: string;
  provinceCode: string;
  /** The scorecard service (commune, health, school). */
  service: string;
  /** The facility (src/site/programme-areas.ts) when the programme names one. */
  facilityId?: string;
  year: number;
  /** Cambodian calendar days, YYYY-MM-DD. */
  plannedOn?: string;
  heldOn?: string;
  /**
   * The phone ratings that belong to the round: rated from `phoneFrom` (included) to `phoneTo`
   * (excluded), Cambodian days. By default the calendar year before the meeting.
   */
  phoneFrom: string;
  phoneTo: string;
  state: RoundState;
  history: RoundStateChange[];
  /** The Digital Community Scorecard app's scorecard ids matched to this round by an import. */
  dcsScorecardIds?: string[];
  createdAt: Date;
  createdBy: string;
}

/** One indicator's result from one channel: counts per point of the scale and what the meeting said. */
export interface RoundResult {
  /** `<roundId>:<channel>:<indicatorKey>`: resultId(). */
  _id: string;
  roundId: string;
  channel: StoredChannel;
  /**
   * A scorecard indicator id (src/scorecard/scorecard.ts) or, for an indicator the meeting
   * proposed itself, `proposed:<slug of its words>` with the words in `indicatorName`.
   */
  indicatorKey: string;
  indicatorName?: string;
  /** How many participants gave 1, 2, 3, 4 and 5 (index 0 is "1: very bad"). */
  counts: [number, number, number, number, number];
  strengths: string[];
  weaknesses: string[];
  suggestedActions: string[];
  /** Suggested actions the interface meeting made priorities (they lead to JAAP items). */
  priorityActions: string[];
  source: ResultSource;
  /**
   * Self-assessment only: the part of `counts` that providers keyed by phone (source phone-pin),
   * recounted from their answers (src/rounds/phone-self-assessment.ts) and added to what the desk
   * or an import had entered. A desk entry or import written after it replaces the counts whole.
   */
  phoneCounts?: [number, number, number, number, number];
  enteredBy: string;
  enteredAt: Date;
}

export function roundId(communeCode: string, serviceOrFacility: string, year: number): string {
  return `${communeCode}-${serviceOrFacility}-${year}`;
}

export function resultId(round: string, channel: StoredChannel, indicatorKey: string): string {
  return `${round}:${channel}:${indicatorKey}`;
}

/** The key of an indicator a meeting proposed in its own words: `proposed:` and a slug. */
export function proposedIndicatorKey(words: string): string {
  const slug = words.normalize('NFKC').trim().toLowerCase().replace(/[\s\p{P}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  if (!slug) throw new BadRequestError('a proposed indicator needs words');
  return `proposed:${slug}`;
}

/** The default phone period: the calendar year before the meeting (planned) day, or the round's year. */
export function defaultPhonePeriod(year: number, meetingDay?: string): { phoneFrom: string; phoneTo: string } {
  if (meetingDay) {
    const [y, m, d] = meetingDay.split('-').map(Number);
    const from = new Date(Date.UTC(y - 1, m - 1, d));
    // A meeting on 29 February looks back to the 28th (or 1 March) of the year before: the date rolls over.
    return { phoneFrom: from.toISOString().slice(0, 10), phoneTo: meetingDay };
  }
  return { phoneFrom: `${year}-01-01`, phoneTo: `${year + 1}-01-01` };
}

/** Which states a round may move to from each state (a step back is allowed, for corrections). */
const NEXT_STATES: Record<RoundState, readonly RoundState[]> = {
  planned: ['open'],
  open: ['planned', 'in-review'],
  'in-review': ['open', 'completed'],
  completed: ['in-review'],
};

/** The states a round in `state` may move to (the desk offers these). */
export function nextRoundStates(state: RoundState): readonly RoundState[] {
  return NEXT_STATES[state];
}

export function changedRoundState(round: Pick<ScorecardRound, 'state' | 'history'>, change: RoundStateChange): Pick<ScorecardRound, 'state' | 'history'> {
  if (!ROUND_STATES.includes(change.state)) throw new BadRequestError(`state must be one of ${ROUND_STATES.join(', ')}`);
  if (!NEXT_STATES[round.state].includes(change.state)) throw new BadRequestError(`a round that is ${round.state} cannot become ${change.state}`);
  return { state: change.state, history: [...round.history, change] };
}

/** Counts of participants per point, checked: five whole numbers, not all zero. */
export function checkedCounts(counts: readonly number[]): [number, number, number, number, number] {
  if (counts.length !== 5 || counts.some((n) => !Number.isInteger(n) || n < 0 || n > 100_000)) {
    throw new BadRequestError('counts must be five whole numbers (participants who gave 1, 2, 3, 4 and 5)');
  }
  if (counts.every((n) => n === 0)) throw new BadRequestError('at least one participant must have scored');
  return counts as [number, number, number, number, number];
}
