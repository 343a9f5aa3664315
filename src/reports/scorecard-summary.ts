import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { change, Figures, NO_RATINGS } from './figures';
import { ALL_INDICATORS, FigureGrid, GROUP_NAMES, GroupName, Level } from './disclosure-control';
import { Area } from './rating-counts';

/**
 * Per-commune scorecard summaries, rolled up to district, province and country: per service
 * (pooled over its indicators) and per indicator, optionally broken down by group. Every figure
 * comes from the period's FigureGrid (disclosure-control.ts): distinct callers and answers,
 * withheld under the threshold and where a withheld figure could be worked out by subtraction.
 *
 * Which areas appear: every commune asked for by code, plus every commune with a rating in
 * scope; a district or province appears when it was asked for as a whole (--district,
 * --province), and all levels plus the country when no area was given. So a roll-up is never
 * a partial sum passed off as a whole district.
 */

export type { Level, GroupName };
export { GROUP_NAMES };

export interface IndicatorSummary extends Figures {
  id: string;
  groups?: Record<GroupName, Figures>;
}

export interface ServiceSummary extends Figures {
  service: string;
  groups?: Record<GroupName, Figures>;
  indicators: IndicatorSummary[];
}

export interface AreaSummary {
  level: Level;
  code: string;
  name: { km: string; latin: string };
  services: ServiceSummary[];
}

export interface Summary {
  period: { from: string; to: string };
  /** Distinct callers a shown figure rests on at least. */
  minCallers: number;
  communes: AreaSummary[];
  districts: AreaSummary[];
  provinces: AreaSummary[];
  country: AreaSummary | null;
}

export interface SummaryOptions {
  breakdowns?: boolean;
}

/** Whether a commune lies in the area (no area: everywhere). */
export function inArea(commune: string, area: Area): boolean {
  const none = !area.communes?.length && !area.districts?.length && !area.provinces?.length;
  return none || !!area.communes?.includes(commune) || !!area.districts?.includes(commune.slice(0, 4)) || !!area.provinces?.includes(commune.slice(0, 2));
}

export function buildSummary(
  grid: FigureGrid,
  area: Area,
  deps: { scorecard: Scorecard; gazetteer: Gazetteer },
  options: SummaryOptions = {},
): Summary {
  const { scorecard, gazetteer } = deps;
  const noArea = !area.communes?.length && !area.districts?.length && !area.provinces?.length;
  const ratedCommunes = grid.ratedCommunes().filter((c) => inArea(c, area));

  const groupFigures = (level: Level, code: string, service: string, indicator: string) =>
    options.breakdowns
      ? (Object.fromEntries(GROUP_NAMES.map((g) => [g, grid.figures(level, code, service, indicator, g)])) as Record<GroupName, Figures>)
      : undefined;

  const areaSummary = (level: Level, code: string): AreaSummary => {
    const place = level === 'country' ? undefined : gazetteer.find(code);
    const name = level === 'country' ? { km: 'កម្ពុជា', latin: 'Cambodia' } : { km: place?.nameKm ?? '', latin: place?.nameLatin ?? '' };
    return {
      level,
      code: level === 'country' ? 'KH' : code,
      name,
      services: scorecard.services.map((s) => {
        const groups = groupFigures(level, code, s.id, ALL_INDICATORS);
        return {
          service: s.id,
          ...grid.figures(level, code, s.id),
          ...(groups ? { groups } : {}),
          indicators: s.indicators.map((ind) => {
            const g = groupFigures(level, code, s.id, ind.id);
            return { id: ind.id, ...grid.figures(level, code, s.id, ind.id), ...(g ? { groups: g } : {}) };
          }),
        };
      }),
    };
  };

  const communeCodes = new Set<string>([...(area.communes ?? []), ...ratedCommunes]);
  const districtCodes = new Set<string>(area.districts ?? []);
  const provinceCodes = new Set<string>(area.provinces ?? []);
  for (const p of provinceCodes) for (const d of gazetteer.childrenOf(p)) districtCodes.add(d.code);
  if (noArea) {
    for (const c of ratedCommunes) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      districtCodes.add(districtCode);
      provinceCodes.add(provinceCode);
    }
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    period: grid.period,
    minCallers: grid.minCallers,
    communes: sorted(communeCodes).map((c) => areaSummary('commune', c)),
    districts: sorted(districtCodes).map((c) => areaSummary('district', c)),
    provinces: sorted(provinceCodes).map((c) => areaSummary('province', c)),
    country: noArea ? areaSummary('country', 'KH') : null,
  };
}

export interface FigureChange {
  callers: number | null;
  answers: number | null;
  median: number | null;
  mean: number | null;
  satisfiedShare: number | null;
}

export function figureChange(later: Figures, baseline: Figures): FigureChange {
  return {
    callers: change(later.callers, baseline.callers, 0),
    answers: change(later.answers, baseline.answers, 0),
    median: change(later.median, baseline.median, 2),
    mean: change(later.mean, baseline.mean, 2),
    satisfiedShare: change(later.satisfiedShare, baseline.satisfiedShare, 4),
  };
}

export interface ComparedSummary {
  period: { from: string; to: string };
  baseline: { from: string; to: string };
  minCallers: number;
  communes: ComparedArea[];
  districts: ComparedArea[];
  provinces: ComparedArea[];
  country: ComparedArea | null;
}
export interface ComparedArea extends Omit<AreaSummary, 'services'> {
  services: (ServiceSummary & { baseline: Figures; change: FigureChange; indicators: (IndicatorSummary & { baseline: Figures; change: FigureChange })[] })[];
}

/** The figures of a service or indicator summary, without its id, groups or indicators. */
export const figuresPart = (f: Figures): Figures => ({
  status: f.status, withheld: f.withheld, callers: f.callers, answers: f.answers, median: f.median, mean: f.mean, counts: f.counts, satisfiedShare: f.satisfiedShare,
});

/** The later period's summary with, per service and indicator, the baseline's figures and the change. */
export function compareSummaries(later: Summary, baseline: Summary): ComparedSummary {
  // An area listed for one period only had no ratings in the other.
  const emptyArea = (a: AreaSummary): AreaSummary => ({
    ...a,
    services: a.services.map((s) => ({ service: s.service, ...NO_RATINGS, indicators: s.indicators.map((i) => ({ id: i.id, ...NO_RATINGS })) })),
  });
  const merge = (l: AreaSummary | undefined, b: AreaSummary | undefined): ComparedArea => {
    const lat = l ?? emptyArea(b!);
    const base = b ?? emptyArea(lat);
    return {
      ...lat,
      services: lat.services.map((s, si) => {
        const bs = base.services[si];
        return {
          ...s,
          baseline: figuresPart(bs),
          change: figureChange(figuresPart(s), figuresPart(bs)),
          indicators: s.indicators.map((i, ii) => ({
            ...i,
            baseline: figuresPart(bs.indicators[ii]),
            change: figureChange(figuresPart(i), figuresPart(bs.indicators[ii])),
          })),
        };
      }),
    };
  };
  const mergeList = (l: AreaSummary[], b: AreaSummary[]) => {
    const codes = [...new Set([...l, ...b].map((a) => a.code))].sort();
    return codes.map((c) => merge(l.find((a) => a.code === c), b.find((a) => a.code === c)));
  };
  return {
    period: later.period,
    baseline: baseline.period,
    minCallers: later.minCallers,
    communes: mergeList(later.communes, baseline.communes),
    districts: mergeList(later.districts, baseline.districts),
    provinces: mergeList(later.provinces, baseline.provinces),
    country: later.country || baseline.country ? merge(later.country ?? undefined, baseline.country ?? undefined) : null,
  };
}
