/**
 * A scorecard round's results side by side, per indicator: the citizens' phone ratings in the
 * round's phone period, the community scorecard meeting's counts and the providers'
 * self-assessment, each in its own column and never mixed; the gap between citizens and
 * providers; what the meeting said (strengths, weaknesses, suggested and priority actions); and
 * how many voice messages about the commune and service (or facility) came in meanwhile, by
 * review state. This is what the staff round page and the interface meeting pack show.
 *
 * Phone figures are not counted here: they are the reports' own (src/reports/scorecard-summary.ts
 * over the whole country's figure grid for the period), so a figure withheld on the commune
 * report (fewer than REPORT_MIN_CALLERS callers, or complementary suppression) is withheld here too.
 */
import { messageQuery } from '../messages/message-queries';
import { REVIEW_STATES, ReviewState } from '../messages/messages';
import { Figures, medianOf, meanOf, NO_RATINGS, total } from '../reports/figures';
import { cambodianMidnight, parsePeriod } from '../reports/period';
import { Report, ReportRequest, ReportDeps, runReport } from '../reports/scorecard-report';
import { figuresPart, ServiceSummary, Summary } from '../reports/scorecard-summary';
import { Scorecard } from '../scorecard/scorecard';
import { Store } from '../store/store';
import { RoundRegister } from './round-register';
import { RoundResult, ScorecardRound, StoredChannel } from './scorecard-round';

/** A stored channel's result for one indicator, with its median worked out as the reports do. */
export interface StoredFigures {
  counts: [number, number, number, number, number];
  /** Participants who scored (the sum of the counts). */
  participants: number;
  median: number;
  mean: number;
  source: RoundResult['source'];
}

export interface IndicatorComparison {
  /** A scorecard indicator id, or `proposed:<slug>` for one the meeting proposed. */
  key: string;
  /** A proposed indicator's words as the meeting wrote them. */
  proposedWords?: string;
  /** The phone figure (the reports' own, withheld or not); null for an indicator callers are not asked. */
  phone: Figures | null;
  meeting: StoredFigures | null;
  selfAssessment: StoredFigures | null;
  /** Meeting median minus self-assessment median: above 0, citizens score higher than providers. */
  meetingGap: number | null;
  /** Phone median (when shown) minus self-assessment median. */
  phoneGap: number | null;
  /** What the meeting recorded for the indicator. */
  strengths: string[];
  weaknesses: string[];
  suggestedActions: string[];
  priorityActions: string[];
}

export type MessageCounts = Record<ReviewState, number> & { total: number };

export interface RoundComparison {
  roundId: string;
  phonePeriod: { from: string; to: string };
  /** Distinct callers a shown phone figure rests on at least. */
  minCallers: number;
  /** The phone figure over all the service's indicators. */
  phoneAll: Figures;
  indicators: IndicatorComparison[];
  /** Voice messages about the commune and service (the facility, when the round has one) in the phone period. */
  messages: MessageCounts;
}

/** The report whose summary holds the round's phone figures: its commune over its phone period. */
export function phoneReportRequest(round: Pick<ScorecardRound, 'communeCode' | 'phoneFrom' | 'phoneTo'>): ReportRequest {
  return { period: parsePeriod(round.phoneFrom, round.phoneTo), area: { communes: [round.communeCode] } };
}

/**
 * The round's service (or facility) from a commune summary: a facility's figures are its ratings
 * from this commune (scorecard-summary.ts); nothing rated is "no ratings" for every indicator.
 */
export function phoneFiguresOf(round: Pick<ScorecardRound, 'communeCode' | 'service' | 'facilityId'>, summary: Summary, scorecard: Scorecard): ServiceSummary {
  const commune = summary.communes.find((c) => c.code === round.communeCode);
  const services = round.facilityId ? commune?.facilities?.find((f) => f.id === round.facilityId)?.services : commune?.services;
  const found = services?.find((s) => s.service === round.service);
  if (found) return found;
  const indicators = scorecard.services.find((s) => s.id === round.service)?.indicators ?? [];
  return { service: round.service, ...NO_RATINGS, indicators: indicators.map((i) => ({ id: i.id, ...NO_RATINGS })) };
}

/** Voice messages about the round's commune and service (facility) created in its phone period, by review state. */
export async function messageCountsOf(store: Store, round: Pick<ScorecardRound, 'communeCode' | 'service' | 'facilityId' | 'phoneFrom' | 'phoneTo'>): Promise<MessageCounts> {
  const from = cambodianMidnight(round.phoneFrom);
  const to = cambodianMidnight(round.phoneTo);
  // The desk's own query (no discarded recordings, spoken places or test calls), the end excluded.
  const match = { $and: [messageQuery({ communeCode: round.communeCode, service: round.service, from }), { createdAt: { $lt: to } }, ...(round.facilityId ? [{ facilityId: round.facilityId }] : [])] };
  const groups = await store.collection('messages').aggregate<{ _id: ReviewState | null; n: number }>([
    { $match: match },
    { $group: { _id: '$review.state', n: { $sum: 1 } } },
  ]);
  const counts = Object.fromEntries(REVIEW_STATES.map((s) => [s, 0])) as MessageCounts;
  counts.total = 0;
  for (const g of groups) {
    // A message nobody has touched yet has no review: it is new.
    const state: ReviewState = g._id && REVIEW_STATES.includes(g._id) ? g._id : 'new';
    counts[state] += g.n;
    counts.total += g.n;
  }
  return counts;
}

function storedFigures(result: RoundResult | undefined): StoredFigures | null {
  if (!result) return null;
  return { counts: result.counts, participants: total(result.counts), median: medianOf(result.counts)!, mean: meanOf(result.counts)!, source: result.source };
}

const gap = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : Math.round((a - b) * 100) / 100);

/** The side-by-side comparison from the parts: pure, the same on every engine. */
export function compareRound(input: { round: ScorecardRound; scorecard: Scorecard; phone: ServiceSummary; minCallers: number; results: readonly RoundResult[]; messages: MessageCounts }): RoundComparison {
  const { round, phone, results } = input;
  const byChannel = (channel: StoredChannel) => new Map(results.filter((r) => r.roundId === round._id && r.channel === channel).map((r) => [r.indicatorKey, r]));
  const meeting = byChannel('meeting');
  const self = byChannel('self-assessment');
  const serviceKeys = input.scorecard.services.find((s) => s.id === round.service)?.indicators.map((i) => i.id) ?? [];
  // The service's indicators in scorecard order, then those only the results name (proposed ones), by key.
  const otherKeys = [...new Set([...meeting.keys(), ...self.keys()])].filter((k) => !serviceKeys.includes(k)).sort();
  const indicators = [...serviceKeys, ...otherKeys].map((key): IndicatorComparison => {
    const m = meeting.get(key);
    const s = self.get(key);
    const phoneFigure = serviceKeys.includes(key) ? figuresPart(phone.indicators.find((i) => i.id === key) ?? NO_RATINGS) : null;
    const mf = storedFigures(m);
    const sf = storedFigures(s);
    const words = m?.indicatorName ?? s?.indicatorName;
    return {
      key,
      ...(words && !serviceKeys.includes(key) ? { proposedWords: words } : {}),
      phone: phoneFigure,
      meeting: mf,
      selfAssessment: sf,
      meetingGap: gap(mf?.median, sf?.median),
      phoneGap: gap(phoneFigure?.status === 'shown' ? phoneFigure.median : null, sf?.median),
      strengths: m?.strengths ?? [],
      weaknesses: m?.weaknesses ?? [],
      suggestedActions: m?.suggestedActions ?? [],
      priorityActions: m?.priorityActions ?? [],
    };
  });
  return {
    roundId: round._id,
    phonePeriod: { from: round.phoneFrom, to: round.phoneTo },
    minCallers: input.minCallers,
    phoneAll: figuresPart(phone),
    indicators,
    messages: input.messages,
  };
}

/**
 * A round's comparison, read from the store. `report` computes the phone figures: the staff pages
 * pass their report runner (a child process, off the webhooks' event loop); by default the
 * report runs here.
 */
export async function roundComparison(
  deps: ReportDeps & { report?: (request: ReportRequest) => Promise<Report> },
  round: ScorecardRound,
): Promise<RoundComparison> {
  const request = phoneReportRequest(round);
  const report = deps.report ?? ((r: ReportRequest) => runReport(deps, r));
  const [summary, results, messages] = await Promise.all([
    report(request) as Promise<Summary>,
    new RoundRegister(deps.store).resultsOf(round._id),
    messageCountsOf(deps.store, round),
  ]);
  return compareRound({ round, scorecard: deps.scorecard, phone: phoneFiguresOf(round, summary, deps.scorecard), minCallers: summary.minCallers, results, messages });
}
