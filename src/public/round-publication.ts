import { Gazetteer } from '../gazetteer/gazetteer';
import { facilityAreaCode } from '../reports/disclosure-control';
import { dayAfter } from '../reports/period';
import { RoundRegister } from '../rounds/round-register';
import { RoundResult, ScorecardRound } from '../rounds/scorecard-round';
import { Facility } from '../site/programme-areas';
import { PublicationSetting } from './public-periods';
import { PublicAreaSnapshot, PublicPeriod, PublicResults, PublicRoundResults, snapshotId } from './public-results';

/**
 * Completed scorecard rounds, published as periods of their own (`round-<roundId>`, kind
 * 'round') that carry ONLY the round's meeting and self-assessment results: counts of a public
 * meeting's participants and of the providers, no caller data. The round's phone figures are NOT
 * published: its phone period is any run of days, and its callers minus an overlapping quarter's
 * could single out fewer than 5 callers; citizens see caller figures for quarters and years only.
 *
 * The period's from..to is the meeting day (or 1 January of the round's year when no day was
 * recorded), so periods() lists a round where its meeting falls. One area per round: the commune,
 * or the facility as `<commune>/<facilityId>`. Published under PUBLIC_RESULTS like the other
 * periods (a date publishes the rounds whose meeting is on or after it); a round moved back out of
 * "completed", or no longer published, is removed.
 */

export const ROUND_PERIOD_PREFIX = 'round-';
export const roundPeriodId = (roundId: string) => `${ROUND_PERIOD_PREFIX}${roundId}`;

const meetingDay = (r: ScorecardRound) => r.heldOn ?? `${r.year}-01-01`;

export function isRoundPublished(round: ScorecardRound, setting: PublicationSetting): boolean {
  if (round.state !== 'completed' || setting.publish === 'off') return false;
  return setting.publish === 'all' || meetingDay(round) >= setting.from;
}

/** A round's period and its one area, from its stored results. */
export function roundSnapshot(round: ScorecardRound, results: readonly RoundResult[], deps: { gazetteer: Gazetteer; facilities?: readonly Facility[] }, builtAt: Date): { period: PublicPeriod; area: PublicAreaSnapshot } {
  const id = roundPeriodId(round._id);
  const day = meetingDay(round);
  const facility = round.facilityId ? deps.facilities?.find((f) => f.id === round.facilityId) : undefined;
  const place = deps.gazetteer.find(round.communeCode);
  const level = round.facilityId ? 'facility' : 'commune';
  const code = round.facilityId ? facilityAreaCode(round.communeCode, round.facilityId) : round.communeCode;
  const keys = [...new Set(results.map((r) => r.indicatorKey))].sort();
  const of = (key: string, channel: RoundResult['channel']) => results.find((r) => r.indicatorKey === key && r.channel === channel);
  const roundResults: PublicRoundResults = {
    roundId: round._id,
    service: round.service,
    ...(round.facilityId ? { facilityId: round.facilityId } : {}),
    year: round.year,
    ...(round.heldOn ? { heldOn: round.heldOn } : {}),
    indicators: keys.map((key) => {
      const meeting = of(key, 'meeting');
      const self = of(key, 'self-assessment');
      const name = meeting?.indicatorName ?? self?.indicatorName;
      return { key, ...(name ? { name } : {}), meeting: meeting ? [...meeting.counts] : null, selfAssessment: self ? [...self.counts] : null, priorityActions: [...(meeting?.priorityActions ?? [])] } as PublicRoundResults['indicators'][number];
    }),
  };
  const parents: PublicAreaSnapshot['parents'] = [{ level: 'province', code: round.provinceCode }, { level: 'district', code: round.districtCode }];
  if (round.facilityId) parents.push({ level: 'commune', code: round.communeCode });
  return {
    period: { id, kind: 'round', from: day, to: dayAfter(day), final: true, builtAt },
    area: {
      _id: snapshotId(id, level, code), periodId: id, level, code,
      name: facility ? { km: facility.name.km, latin: facility.name.en } : { km: place?.nameKm ?? '', latin: place?.nameLatin ?? '' },
      parents, services: [], children: [], builtAt, round: roundResults,
    },
  };
}

/** Publishes the completed rounds the setting publishes and removes the round periods it no longer does; returns the ids published. */
export async function publishRounds(deps: { rounds: RoundRegister; publicResults: PublicResults; gazetteer: Gazetteer; facilities?: readonly Facility[]; setting: PublicationSetting; now: Date }): Promise<string[]> {
  const completed = deps.setting.publish === 'off' ? [] : await deps.rounds.list({ states: ['completed'] }, 100_000);
  const published = completed.filter((r) => isRoundPublished(r, deps.setting));
  const ids = new Set<string>();
  for (const round of published) {
    const { period, area } = roundSnapshot(round, await deps.rounds.resultsOf(round._id), deps, deps.now);
    await deps.publicResults.saveAreas(period.id, [area]);
    await deps.publicResults.savePeriod(period);
    ids.add(period.id);
  }
  for (const p of await deps.publicResults.periods()) {
    if (p.kind === 'round' && !ids.has(p.id)) await deps.publicResults.removePeriod(p.id);
  }
  return [...ids];
}
