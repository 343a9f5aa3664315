import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { addCounts, change, Counts, emptyCounts, Figures, figuresOf } from './figures';
import { Area, CountRow, Dimension, RatingScope } from './rating-counts';

/**
 * Per-commune scorecard summaries, rolled up to district, province and country: per service
 * (pooled over its indicators) and per indicator, optionally broken down by group.
 *
 * Which areas appear: every commune asked for by code, plus every commune with a rating in
 * scope; a district or province appears when it was asked for as a whole (--district,
 * --province), and all levels plus the country when no area was given. So a roll-up is never
 * a partial sum passed off as a whole district.
 */

export type Level = 'commune' | 'district' | 'province' | 'country';

/** Breakdown groups: which rating field and value each one selects. */
export const GROUPS = {
  women: { dim: 'gender', value: 'woman' },
  men: { dim: 'gender', value: 'man' },
  'age-under-25': { dim: 'ageGroup', value: 'under-25' },
  'age-25-59': { dim: 'ageGroup', value: '25-59' },
  'age-60-plus': { dim: 'ageGroup', value: '60-plus' },
  disability: { dim: 'disability', value: 'yes' },
  khmer: { dim: 'languageGroup', value: 'khmer' },
  indigenous: { dim: 'languageGroup', value: 'indigenous' },
} as const satisfies Record<string, { dim: Dimension; value: string }>;
export type GroupName = keyof typeof GROUPS;
export const GROUP_NAMES = Object.keys(GROUPS) as GroupName[];

export interface IndicatorSummary extends Figures {
  id: string;
  groups?: Record<GroupName, Figures>;
}

export interface ServiceSummary {
  service: string;
  /** Ratings over all the service's indicators (null when withheld). */
  ratings: number | null;
  satisfiedShare: number | null;
  median: number | null;
  mean: number | null;
  counts: Counts | null;
  withheld: boolean;
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
  communes: AreaSummary[];
  districts: AreaSummary[];
  provinces: AreaSummary[];
  country: AreaSummary | null;
}

export interface SummaryOptions {
  breakdowns?: boolean;
}

const ALL = '*';

/** Counts keyed by level|area|service|indicator(or *)|group. */
class Tally {
  private readonly map = new Map<string, Counts>();
  add(level: Level, area: string, service: string, indicator: string, group: string, counts: Counts) {
    for (const ind of [indicator, ALL]) {
      const id = `${level}|${area}|${service}|${ind}|${group}`;
      addCounts(this.map.get(id) ?? (this.map.set(id, emptyCounts()), this.map.get(id)!), counts);
    }
  }
  get(level: Level, area: string, service: string, indicator: string, group: string): Counts {
    return this.map.get(`${level}|${area}|${service}|${indicator}|${group}`) ?? emptyCounts();
  }
}

export async function buildSummary(
  scope: RatingScope,
  deps: { scorecard: Scorecard; gazetteer: Gazetteer },
  options: SummaryOptions = {},
): Promise<Summary> {
  const { scorecard, gazetteer } = deps;
  const area: Area = scope.area;
  const noArea = !area.communes?.length && !area.districts?.length && !area.provinces?.length;
  const satisfiedFrom = scorecard.scale.satisfiedFrom;

  const base = await scope.countBy(['communeCode', 'service', 'indicatorId']);
  const byGroup: { group: string; rows: CountRow[] }[] = [{ group: 'all', rows: base }];
  if (options.breakdowns) {
    const dims = [...new Set(Object.values(GROUPS).map((g) => g.dim))] as Dimension[];
    const perDim = await Promise.all(dims.map((d) => scope.countBy(['communeCode', 'service', 'indicatorId', d])));
    dims.forEach((d, i) => {
      for (const [name, g] of Object.entries(GROUPS)) {
        if (g.dim === d) byGroup.push({ group: name, rows: perDim[i].filter((r) => r.key[d] === g.value) });
      }
    });
  }

  const tally = new Tally();
  const ratedCommunes = new Set<string>();
  for (const { group, rows } of byGroup) {
    for (const r of rows) {
      const commune = r.key.communeCode;
      const { districtCode, provinceCode } = gazetteer.lineage(commune);
      if (group === 'all') ratedCommunes.add(commune);
      tally.add('commune', commune, r.key.service, r.key.indicatorId, group, r.counts);
      tally.add('district', districtCode, r.key.service, r.key.indicatorId, group, r.counts);
      tally.add('province', provinceCode, r.key.service, r.key.indicatorId, group, r.counts);
      tally.add('country', ALL, r.key.service, r.key.indicatorId, group, r.counts);
    }
  }

  const groupFigures = (level: Level, code: string, service: string, indicator: string) =>
    options.breakdowns
      ? (Object.fromEntries(GROUP_NAMES.map((g) => [g, figuresOf(tally.get(level, code, service, indicator, g), satisfiedFrom)])) as Record<GroupName, Figures>)
      : undefined;

  const areaSummary = (level: Level, code: string): AreaSummary => {
    const place = level === 'country' ? undefined : gazetteer.find(code);
    const name = level === 'country' ? { km: 'កម្ពុជា', latin: 'Cambodia' } : { km: place?.nameKm ?? '', latin: place?.nameLatin ?? '' };
    return {
      level,
      code: level === 'country' ? 'KH' : code,
      name,
      services: scorecard.services.map((s) => {
        const f = figuresOf(tally.get(level, code, s.id, ALL, 'all'), satisfiedFrom);
        const groups = groupFigures(level, code, s.id, ALL);
        return {
          service: s.id,
          ratings: f.n,
          satisfiedShare: f.satisfiedShare,
          median: f.median,
          mean: f.mean,
          counts: f.counts,
          withheld: f.withheld,
          ...(groups ? { groups } : {}),
          indicators: s.indicators.map((ind) => {
            const g = groupFigures(level, code, s.id, ind.id);
            return { id: ind.id, ...figuresOf(tally.get(level, code, s.id, ind.id, 'all'), satisfiedFrom), ...(g ? { groups: g } : {}) };
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
    period: scope.period.label,
    communes: sorted(communeCodes).map((c) => areaSummary('commune', c)),
    districts: sorted(districtCodes).map((c) => areaSummary('district', c)),
    provinces: sorted(provinceCodes).map((c) => areaSummary('province', c)),
    country: noArea ? areaSummary('country', ALL) : null,
  };
}

export interface FigureChange {
  n: number | null;
  median: number | null;
  mean: number | null;
  satisfiedShare: number | null;
}

export function figureChange(later: Figures, baseline: Figures): FigureChange {
  return {
    n: change(later.n, baseline.n, 0),
    median: change(later.median, baseline.median, 2),
    mean: change(later.mean, baseline.mean, 2),
    satisfiedShare: change(later.satisfiedShare, baseline.satisfiedShare, 4),
  };
}

export interface ComparedSummary {
  period: { from: string; to: string };
  baseline: { from: string; to: string };
  communes: ComparedArea[];
  districts: ComparedArea[];
  provinces: ComparedArea[];
  country: ComparedArea | null;
}
export interface ComparedArea extends Omit<AreaSummary, 'services'> {
  services: (ServiceSummary & { baseline: Figures; change: FigureChange; indicators: (IndicatorSummary & { baseline: Figures; change: FigureChange })[] })[];
}

const serviceFigures = (s: ServiceSummary): Figures => ({ n: s.ratings, median: s.median, mean: s.mean, counts: s.counts, satisfiedShare: s.satisfiedShare, withheld: s.withheld });
const indicatorFigures = (i: IndicatorSummary): Figures => ({ n: i.n, median: i.median, mean: i.mean, counts: i.counts, satisfiedShare: i.satisfiedShare, withheld: i.withheld });

/** The later period's summary with, per service and indicator, the baseline's figures and the change. */
export function compareSummaries(later: Summary, baseline: Summary): ComparedSummary {
  const emptyArea = (a: AreaSummary): AreaSummary => ({
    ...a,
    services: a.services.map((s) => ({
      service: s.service, ratings: null, satisfiedShare: null, median: null, mean: null, counts: null, withheld: true,
      indicators: s.indicators.map((i) => ({ id: i.id, n: null, median: null, mean: null, counts: null, satisfiedShare: null, withheld: true })),
    })),
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
          baseline: serviceFigures(bs),
          change: figureChange(serviceFigures(s), serviceFigures(bs)),
          indicators: s.indicators.map((i, ii) => ({
            ...i,
            baseline: indicatorFigures(bs.indicators[ii]),
            change: figureChange(indicatorFigures(i), indicatorFigures(bs.indicators[ii])),
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
    communes: mergeList(later.communes, baseline.communes),
    districts: mergeList(later.districts, baseline.districts),
    provinces: mergeList(later.provinces, baseline.provinces),
    country: later.country || baseline.country ? merge(later.country ?? undefined, baseline.country ?? undefined) : null,
  };
}
