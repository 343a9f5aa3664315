import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Facility } from '../site/programme-areas';
import { change, Figures, NO_RATINGS } from './figures';
import { ALL_INDICATORS, facilityAreaCode, FigureGrid, GROUP_NAMES, GroupName, Level } from './disclosure-control';
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
 *
 * A commune whose callers named facilities (a school of several, a health centre) carries each
 * facility's figures from that commune's ratings, per service it was rated as: a health centre
 * serving three communes is listed under each, with that commune's callers only, and has no
 * figure of its own across communes (disclosure-control.ts says why).
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
  /** A commune's facilities rated from it in the period, by id; absent when none was. */
  facilities?: FacilitySummary[];
}

/** One facility's figures from one commune's callers. */
export interface FacilitySummary {
  id: string;
  /** The commune rated from (the facility's grid code is facilityAreaCode(communeCode, id)). */
  communeCode: string;
  /** From the programme areas file; the id where the file does not name it. */
  name: { km: string; latin: string };
  /** The services it was rated as (usually one), in scorecard order. */
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
  deps: { scorecard: Scorecard; gazetteer: Gazetteer; facilities?: readonly Facility[] },
  options: SummaryOptions = {},
): Summary {
  const { scorecard, gazetteer } = deps;
  const noArea = !area.communes?.length && !area.districts?.length && !area.provinces?.length;
  const ratedCommunes = grid.ratedCommunes().filter((c) => inArea(c, area));

  const groupFigures = (level: Level, code: string, service: string, indicator: string) =>
    options.breakdowns
      ? (Object.fromEntries(GROUP_NAMES.map((g) => [g, grid.figures(level, code, service, indicator, g)])) as Record<GroupName, Figures>)
      : undefined;

  const serviceSummary = (level: Level, code: string, s: Scorecard['services'][number]): ServiceSummary => {
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
  };
  const facilityNames = new Map((deps.facilities ?? []).map((f) => [f.id, f.name]));
  const facilitiesOf = (commune: string): FacilitySummary[] =>
    grid.ratedFacilities(commune).map((id) => {
      const code = facilityAreaCode(commune, id);
      const named = facilityNames.get(id);
      return {
        id,
        communeCode: commune,
        name: { km: named?.km ?? id, latin: named?.en ?? id },
        services: scorecard.services.filter((s) => grid.figures('facility', code, s.id).status !== 'no-ratings').map((s) => serviceSummary('facility', code, s)),
      };
    });

  const areaSummary = (level: Level, code: string): AreaSummary => {
    const place = level === 'country' ? undefined : gazetteer.find(code);
    const name = level === 'country' ? { km: 'កម្ពុជា', latin: 'Cambodia' } : { km: place?.nameKm ?? '', latin: place?.nameLatin ?? '' };
    const facilities = level === 'commune' ? facilitiesOf(code) : [];
    return {
      level,
      code: level === 'country' ? 'KH' : code,
      name,
      services: scorecard.services.map((s) => serviceSummary(level, code, s)),
      ...(facilities.length ? { facilities } : {}),
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
export type ComparedService = ServiceSummary & { baseline: Figures; change: FigureChange; indicators: (IndicatorSummary & { baseline: Figures; change: FigureChange })[] };
export interface ComparedFacility extends Omit<FacilitySummary, 'services'> {
  services: ComparedService[];
}
export interface ComparedArea extends Omit<AreaSummary, 'services' | 'facilities'> {
  services: ComparedService[];
  facilities?: ComparedFacility[];
}

/** The figures of a service or indicator summary, without its id, groups or indicators. */
export const figuresPart = (f: Figures): Figures => ({
  status: f.status, withheld: f.withheld, callers: f.callers, answers: f.answers, median: f.median, mean: f.mean, counts: f.counts, satisfiedShare: f.satisfiedShare,
});

/** The later period's summary with, per service and indicator, the baseline's figures and the change. */
export function compareSummaries(later: Summary, baseline: Summary): ComparedSummary {
  // An area, facility or service listed for one period only had no ratings in the other.
  const emptyService = (s: ServiceSummary): ServiceSummary => ({ service: s.service, ...NO_RATINGS, indicators: s.indicators.map((i) => ({ id: i.id, ...NO_RATINGS })) });
  /** Services matched by id: an area lists every scorecard service, a facility those it was rated as. */
  const mergeServices = (later: ServiceSummary[], base: ServiceSummary[]): ComparedService[] => {
    const ids = [...new Set([...later, ...base].map((s) => s.service))];
    return ids.map((id) => {
      const b = base.find((x) => x.service === id);
      const s = later.find((x) => x.service === id) ?? emptyService(b!);
      const bs = b ?? emptyService(s);
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
    });
  };
  const mergeFacilities = (later: FacilitySummary[], base: FacilitySummary[]): ComparedFacility[] => {
    const ids = [...new Set([...later, ...base].map((f) => f.id))].sort();
    return ids.map((id) => {
      const l = later.find((f) => f.id === id);
      const b = base.find((f) => f.id === id);
      return { ...(l ?? b!), services: mergeServices(l?.services ?? [], b?.services ?? []) };
    });
  };
  const merge = (l: AreaSummary | undefined, b: AreaSummary | undefined): ComparedArea => {
    const lat = l ?? b!;
    const facilities = mergeFacilities(l?.facilities ?? [], b?.facilities ?? []);
    return {
      level: lat.level,
      code: lat.code,
      name: lat.name,
      services: mergeServices(l?.services ?? b!.services.map(emptyService), b?.services ?? l!.services.map(emptyService)),
      ...(facilities.length ? { facilities } : {}),
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
