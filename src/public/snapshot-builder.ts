import { Gazetteer } from '../gazetteer/gazetteer';
import { Logger } from '../logging/logger';
import { ALL_INDICATORS, COUNTRY_CODE, facilityAreaCode, FigureGrid, Level } from '../reports/disclosure-control';
import { Figures } from '../reports/figures';
import { changeOutOfTen, satisfiedOutOfTen, SharedFigure } from '../reports/out-of-ten';
import { COLUMN_DIMS, RatingColumns } from '../reports/rating-columns';
import { documentReader, scopeFilter, TEST_CALL_FIELD } from '../reports/rating-counts';
import { Period } from '../reports/period';
import { AreaSummary, buildSummary, ServiceSummary } from '../reports/scorecard-summary';
import { Scorecard } from '../scorecard/scorecard';
import { Facility } from '../site/programme-areas';
import { Rating } from '../store/ratings';
import { PLACE_TO_CONFIRM_FIELD } from '../store/places-to-confirm';
import { Filter, Store } from '../store/store';
import { publishRounds } from './round-publication';
import { RoundRegister } from '../rounds/round-register';
import { publicCells, cellKey, suppressAcrossPeriods } from './period-suppression';
import { asReportPeriod, cambodianDay, FixedPeriod, fixedPeriod, hasEnded, hasStarted, isPublished, previousOf, PublicationSetting, quartersOf, yearOf, yearPeriod } from './public-periods';
import { PublicAreaSnapshot, PublicFigure, PublicLevel, PublicResults, PublicServiceFigure, snapshotId, WiderView } from './public-results';

/**
 * Builds the published results: for each published fixed period (public-periods.ts), one
 * PublicAreaSnapshot per area (the country, provinces, districts, communes with ratings, and
 * facility areas `<commune>/<facilityId>`), stored through PublicResults. Stored = published:
 * periods the setting does not publish are never stored, and removed when it stops publishing them.
 *
 * Figures come from the staff reports' engine: each period's FigureGrid (disclosure-control.ts)
 * and buildSummary; nothing is counted another way. On top, the rule across a year and its
 * quarters (period-suppression.ts). So a year is always built together with its quarters (its
 * "family"): building 2026-Q1 builds 2026 and every quarter of 2026 that has started, from ONE
 * read of the year's ratings (each rating is read once and goes to its quarter's counts, to the
 * year's, or both, by the same rule as a report's filter), which keeps a quarter and its year
 * consistent and within the budget of two reads of a quarter's ratings.
 *
 * Citizens see services and indicators for all callers only, never the breakdown groups (women,
 * age, ...): the rule across periods covers the all-callers cells. The grids still protect the
 * groups as for staff, which can only withhold more.
 */

export interface SnapshotBuilderDeps {
  store: Store;
  publicResults: PublicResults;
  scorecard: Scorecard;
  gazetteer: Gazetteer;
  minCallers: number;
  setting: PublicationSetting;
  facilities?: readonly Facility[];
  logger?: Logger;
  now?: () => Date;
  /** Completed scorecard rounds, published with their meeting results only (round-publication.ts); none without. */
  rounds?: RoundRegister;
  /** Runs computeYear elsewhere (the server: in the report process); default here. */
  compute?: (year: number, stored: ReadonlyMap<string, StoredFigures>) => Promise<ComposedYear>;
}

/** A year's published periods as composed (ids and their areas, the year first): plain data, sent between processes. */
export interface ComposedYear {
  periods: [string, PublicAreaSnapshot[]][];
  withheldAcrossPeriods: number;
  builtAt: Date;
}

export interface BuiltYear {
  year: number;
  /** Periods stored (ids), the year first. */
  periods: string[];
  /** Cells withheld by the rule across periods. */
  withheldAcrossPeriods: number;
}

/** A published period's figures per area (`<level>\t<code>`), for the change since it. */
export type StoredFigures = Map<string, PublicServiceFigure[]>;

const COMMUNE_COLUMN = COLUMN_DIMS.indexOf('communeCode');
const SERVICE_COLUMN = COLUMN_DIMS.indexOf('service');
const INDICATOR_COLUMN = COLUMN_DIMS.indexOf('indicatorId');
const FACILITY_COLUMN = COLUMN_DIMS.indexOf('facilityId');

export class SnapshotBuilder {
  private readonly now: () => Date;

  constructor(private readonly deps: SnapshotBuilderDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Removes every stored period (and its areas) that the setting does not publish; returns their ids. */
  async removeUnpublished(): Promise<string[]> {
    const removed: string[] = [];
    for (const p of await this.deps.publicResults.periods()) {
      if (p.kind === 'round') continue; // publishRounds keeps those
      const fixed = fixedPeriod(p.id);
      // Only ended periods are published (see buildYear): one stored while running is taken down.
      if (fixed && isPublished(fixed, this.deps.setting) && p.final) continue;
      await this.deps.publicResults.removePeriod(p.id);
      removed.push(p.id);
    }
    if (removed.length) this.deps.logger?.info({ removed }, 'published results removed: PUBLIC_RESULTS no longer publishes these periods');
    return removed;
  }

  /** The completed rounds' meeting results (cheap: no ratings), every run; returns the round periods published. */
  async publishRounds(): Promise<string[]> {
    const { rounds, publicResults, gazetteer, facilities, setting } = this.deps;
    if (!rounds) return [];
    return publishRounds({ rounds, publicResults, gazetteer, facilities, setting, now: this.now() });
  }

  /** The year's periods to count now: published and started (running ones too: the rule across periods needs them). */
  periodsToBuild(year: number): FixedPeriod[] {
    const now = this.now();
    return [yearPeriod(year), ...quartersOf(year)].filter((p) => isPublished(p, this.deps.setting) && hasStarted(p, now));
  }

  /** The years with published periods, from the first published (or first rated) year to this one. */
  async years(): Promise<number[]> {
    const { setting } = this.deps;
    if (setting.publish === 'off') return [];
    const thisYear = Number(cambodianDay(this.now()).slice(0, 4));
    let first = thisYear;
    if (setting.publish === 'from') first = Number(setting.from.slice(0, 4));
    else {
      const [earliest] = await this.deps.store.collection<Rating>('ratings').find({}, { sort: { ratedAt: 1 }, limit: 1, projection: { ratedAt: 1 } });
      if (earliest) first = Number(cambodianDay(new Date(earliest.ratedAt)).slice(0, 4));
    }
    const out: number[] = [];
    for (let y = first; y <= thisYear; y++) out.push(y);
    return out;
  }

  /**
   * The daily run: removes what is no longer published, then builds each year whose published
   * periods are running or not yet stored as final (so a period is built final once after it ends).
   */
  async buildDue(): Promise<BuiltYear[]> {
    await this.removeUnpublished();
    const stored = new Map((await this.deps.publicResults.periods()).map((p) => [p.id, p.final]));
    const built: BuiltYear[] = [];
    const now = this.now();
    for (const y of await this.years()) {
      const due = this.periodsToBuild(y).some((p) => hasEnded(p, now) && stored.get(p.id) !== true);
      if (due) built.push(await this.buildYear(y));
    }
    await this.publishRounds();
    return built;
  }

  /** Every year again (the command line's build without --period), e.g. after REPORT_MIN_CALLERS changed. */
  async buildAll(): Promise<BuiltYear[]> {
    await this.removeUnpublished();
    const built: BuiltYear[] = [];
    for (const y of await this.years()) built.push(await this.buildYear(y));
    await this.publishRounds();
    return built;
  }

  /** Builds and stores a year and its quarters (those published and started), together. */
  async buildYear(year: number): Promise<BuiltYear> {
    const periods = this.periodsToBuild(year);
    if (!periods.length) return { year, periods: [], withheldAcrossPeriods: 0 };
    // The periods before the year's first quarter and before the year, as published, for the changes.
    const stored = new Map<string, StoredFigures>();
    for (const p of periods) {
      const before = previousOf(p);
      if (yearOf(before) !== year && isPublished(before, this.deps.setting)) stored.set(before.id, await this.storedFigures(before.id));
    }
    const composed = await (this.deps.compute ?? ((y, s) => this.computeYear(y, s)))(year, stored);
    const builtAt = new Date(composed.builtAt);
    const ids: string[] = [];
    for (const [periodId, snapshots] of composed.periods) {
      const p = fixedPeriod(periodId)!;
      // A running period is counted (its year's rule needs it) but not published: figures refreshed
      // while a period runs could be subtracted from one another, day by day, and a day's
      // difference can be one caller's answers. A period is published once, when it has ended.
      if (!hasEnded(p, builtAt)) continue;
      ids.push(p.id);
      // Areas first: a reader finds a new period only once its areas are there.
      await this.deps.publicResults.saveAreas(p.id, snapshots);
      await this.deps.publicResults.savePeriod({ id: p.id, kind: p.kind, from: p.from, to: p.to, final: hasEnded(p, builtAt), builtAt });
    }
    this.deps.logger?.info({ year, periods: ids, withheldAcrossPeriods: composed.withheldAcrossPeriods }, 'published results built');
    return { year, periods: ids, withheldAcrossPeriods: composed.withheldAcrossPeriods };
  }

  /**
   * Reads the year's ratings once and composes its published periods' snapshots, storing nothing:
   * what the report process runs (src/staff/report-worker.ts), off the webhooks' event loop.
   */
  async computeYear(year: number, stored: ReadonlyMap<string, StoredFigures>): Promise<ComposedYear> {
    const ratings = new YearRatings(year, this.deps.gazetteer);
    await this.deps.store.collection<Rating>('ratings').forEach(ratings.filter(), {}, (doc) => ratings.add(doc));
    const composed = this.composeYear(year, ratings, stored);
    return { periods: [...composed.periods], withheldAcrossPeriods: composed.withheldAcrossPeriods, builtAt: composed.builtAt };
  }

  /**
   * The snapshots of the year's published periods from its ratings (no store: the property test
   * calls it directly), each period's areas under its id, the year first. `stored` holds the
   * published figures of the periods before (the quarter before the first, the year before).
   */
  composeYear(year: number, ratings: YearRatings, stored: ReadonlyMap<string, StoredFigures> = new Map()): { periods: Map<string, PublicAreaSnapshot[]>; withheldAcrossPeriods: number; builtAt: Date } {
    const periods = this.periodsToBuild(year);
    const { scorecard, gazetteer, minCallers } = this.deps;
    const now = this.now();
    const yearP = yearPeriod(year);
    const quarters = quartersOf(year);
    const gridOf = (p: FixedPeriod, columns: RatingColumns) => new FigureGrid(columns, { from: p.from, to: p.to }, scorecard, gazetteer, minCallers);
    const grids = new Map<string, FigureGrid>();
    grids.set(yearP.id, gridOf(yearP, ratings.year));
    quarters.forEach((q, k) => { if (hasStarted(q, now)) grids.set(q.id, gridOf(q, ratings.quarters[k])); });

    let withheldAcrossPeriods = 0;
    if (isPublished(yearP, this.deps.setting)) {
      const yearGrid = grids.get(yearP.id)!;
      const areas = areasOf(buildSummary(yearGrid, {}, { scorecard, gazetteer }));
      withheldAcrossPeriods = suppressAcrossPeriods({
        year: yearGrid,
        quarters: quarters.filter((q) => grids.has(q.id)).map((q) => ({ grid: grids.get(q.id)!, ended: hasEnded(q, now) })),
        replaced: ratings.replaced,
      }, publicCells(areas, scorecard.services));
    }
    const out = new Map<string, PublicAreaSnapshot[]>();
    for (const p of [...periods].sort((a, b) => a.id.length - b.id.length || a.id.localeCompare(b.id))) {
      out.set(p.id, this.snapshotsOf(p, grids, this.previousFigures(p, grids, stored), now));
    }
    return { periods: out, withheldAcrossPeriods, builtAt: now };
  }

  private async storedFigures(periodId: string): Promise<StoredFigures> {
    const out: StoredFigures = new Map();
    for (const level of ['country', 'province', 'district', 'commune', 'facility'] as const) {
      for (const a of await this.deps.publicResults.areasOf(periodId, level)) out.set(`${level}\t${a.code}`, a.services);
    }
    return out;
  }

  /** The previous period's figures of the same kind: built just now (same year), else as published. */
  private previousFigures(p: FixedPeriod, grids: Map<string, FigureGrid>, stored: ReadonlyMap<string, StoredFigures>): (level: Level, code: string, service: string, indicator: string) => SharedFigure | null {
    const before = previousOf(p);
    if (!isPublished(before, this.deps.setting)) return () => null;
    const grid = yearOf(before) === yearOf(p) ? grids.get(before.id) : undefined;
    if (grid) return (level, code, service, indicator) => grid.figures(level, code, service, indicator);
    const figures = stored.get(before.id);
    return (level, code, service, indicator) => {
      const s = figures?.get(`${level}\t${code}`)?.find((x) => x.service === service);
      if (!s) return null;
      return indicator === ALL_INDICATORS ? s : (s.indicators.find((i) => i.id === indicator) ?? null);
    };
  }

  private snapshotsOf(p: FixedPeriod, grids: Map<string, FigureGrid>, previous: (level: Level, code: string, service: string, indicator: string) => SharedFigure | null, builtAt: Date): PublicAreaSnapshot[] {
    const { scorecard, gazetteer, facilities } = this.deps;
    const grid = grids.get(p.id)!;
    const summary = buildSummary(grid, {}, { scorecard, gazetteer, facilities });
    const yearP = yearPeriod(yearOf(p));
    const yearGrid = p.kind === 'quarter' && isPublished(yearP, this.deps.setting) ? grids.get(yearP.id) : undefined;
    /** The areas above, top down from the province (as PublicAreaSnapshot.parents); the country is above every province. */
    const parentsOf = (level: Level, code: string): { level: PublicLevel; code: string }[] => {
      if (level === 'country' || level === 'province') return [];
      if (level === 'district') return [{ level: 'province', code: code.slice(0, 2) }];
      const commune = level === 'facility' ? code.split('/')[0] : code;
      const { districtCode, provinceCode } = gazetteer.lineage(commune);
      const up: { level: PublicLevel; code: string }[] = [{ level: 'province', code: provinceCode }, { level: 'district', code: districtCode }];
      if (level === 'facility') up.push({ level: 'commune', code: commune });
      return up;
    };
    const above = (level: Level, code: string) => (level === 'country' ? [] : [{ level: 'country' as const, code: 'KH' }, ...parentsOf(level, code)]);
    const shownIn = (g: FigureGrid | undefined, level: Level, code: string, service: string, indicator: string) => !!g && g.figures(level, code, service, indicator).status === 'shown';
    const widerOf = (level: Level, code: string, service: string, indicator: string): WiderView | null => {
      for (const up of above(level, code).reverse()) {
        if (shownIn(grid, up.level as Level, up.code, service, indicator)) return { level: up.level, code: up.code, periodId: p.id };
      }
      if (yearGrid && shownIn(yearGrid, level, code, service, indicator)) return { level, code, periodId: yearP.id };
      return null;
    };
    const figureOf = (f: Figures, level: Level, code: string, service: string, indicator: string): PublicFigure => {
      const before = previous(level, code, service, indicator);
      return {
        status: f.status,
        callers: f.withheld ? null : f.callers,
        satisfiedShare: f.satisfiedShare,
        outOfTen: satisfiedOutOfTen(f),
        changeOutOfTen: before ? changeOutOfTen(f, before) : null,
        widerView: f.withheld ? widerOf(level, code, service, indicator) : null,
      };
    };
    const servicesOf = (level: Level, code: string, services: ServiceSummary[]): PublicServiceFigure[] =>
      services.map((s) => ({
        service: s.service,
        ...figureOf(s, level, code, s.service, ALL_INDICATORS),
        indicators: s.indicators.map((i) => ({ id: i.id, ...figureOf(i, level, code, s.service, i.id) })),
      }));

    const out: PublicAreaSnapshot[] = [];
    const childrenOf = new Map<string, string[]>();
    const addChild = (parent: { level: PublicLevel; code: string } | undefined, code: string) => {
      if (!parent) return;
      const key = `${parent.level}\t${parent.code}`;
      childrenOf.set(key, [...(childrenOf.get(key) ?? []), code]);
    };
    const push = (level: Level, code: string, name: { km: string; latin: string }, services: PublicServiceFigure[]) => {
      const parents = parentsOf(level, code);
      const up = above(level, code);
      addChild(up[up.length - 1], code);
      out.push({ _id: snapshotId(p.id, level, code), periodId: p.id, level, code, name, parents, services, children: [], builtAt });
    };
    const levels: AreaSummary[] = [...(summary.country ? [summary.country] : []), ...summary.provinces, ...summary.districts, ...summary.communes];
    for (const a of levels) {
      push(a.level, a.code, a.name, servicesOf(a.level, a.code, a.services));
      for (const f of a.facilities ?? []) {
        const code = facilityAreaCode(a.code, f.id);
        push('facility', code, f.name, servicesOf('facility', code, f.services));
      }
    }
    for (const s of out) s.children = (childrenOf.get(`${s.level}\t${s.code}`) ?? []).sort();
    return out;
  }
}

function areasOf(summary: ReturnType<typeof buildSummary>): { level: Level; code: string }[] {
  const out: { level: Level; code: string }[] = [];
  for (const a of [...(summary.country ? [summary.country] : []), ...summary.provinces, ...summary.districts, ...summary.communes]) {
    out.push({ level: a.level, code: a.code });
    for (const f of a.facilities ?? []) out.push({ level: 'facility', code: facilityAreaCode(a.code, f.id) });
  }
  return out;
}

/**
 * One read of a year's ratings, for the year and each quarter: the year counts a rating not
 * replaced before the year ends, a quarter one not replaced before the quarter ends (the filter
 * of rating-counts.ts, per period); a rating counted in its quarter but not in the year is R
 * (period-suppression.ts), kept per cell as its caller.
 */
export class YearRatings {
  readonly year = new RatingColumns();
  readonly quarters: RatingColumns[];
  readonly replaced = new Map<string, Set<string>>();
  private readonly yearPeriod: Period;
  private readonly quarterPeriods: Period[];
  private readonly read = documentReader([...COLUMN_DIMS]);

  constructor(year: number, private readonly gazetteer: Gazetteer) {
    this.yearPeriod = asReportPeriod(yearPeriod(year));
    this.quarterPeriods = quartersOf(year).map(asReportPeriod);
    this.quarters = this.quarterPeriods.map(() => new RatingColumns());
  }

  /** The ratings to read: the year's, as a report's filter, and those replaced after their quarter ended. */
  filter(): Filter {
    const filter = scopeFilter(this.yearPeriod);
    filter.$or = [{ supersededAt: { $exists: false } }, { supersededAt: { $gte: this.quarterPeriods[0].to } }];
    return filter;
  }

  /** One rating document that matched filter() (a test may give any: what a report leaves out is left out here too). */
  add(doc: Rating): void {
    const values = this.read(doc);
    if (!values || (doc as unknown as Record<string, unknown>)[TEST_CALL_FIELD] === true || (doc as unknown as Record<string, unknown>)[PLACE_TO_CONFIRM_FIELD] === true) return;
    const at = new Date(doc.ratedAt).getTime();
    const q = this.quarterPeriods.findIndex((p) => at >= p.from.getTime() && at < p.to.getTime());
    if (q < 0) return;
    const replacedAt = doc.supersededAt ? new Date(doc.supersededAt).getTime() : Infinity;
    const inQuarter = replacedAt >= this.quarterPeriods[q].to.getTime();
    const inYear = replacedAt >= this.yearPeriod.to.getTime();
    const caller = String(doc.callerId);
    const score = Number(doc.score);
    if (inYear) this.year.add(caller, values, score, 1);
    if (inQuarter) this.quarters[q].add(caller, values, score, 1);
    if (inQuarter && !inYear) {
      const commune = values[COMMUNE_COLUMN];
      const service = values[SERVICE_COLUMN];
      const indicator = values[INDICATOR_COLUMN];
      const { districtCode, provinceCode } = this.gazetteer.lineage(commune);
      this.addReplaced('commune', commune, service, indicator, caller);
      this.addReplaced('district', districtCode, service, indicator, caller);
      this.addReplaced('province', provinceCode, service, indicator, caller);
      this.addReplaced('country', COUNTRY_CODE, service, indicator, caller);
      if (values[FACILITY_COLUMN]) this.addReplaced('facility', facilityAreaCode(commune, values[FACILITY_COLUMN]), service, indicator, caller);
    }
  }

  private addReplaced(level: Level, code: string, service: string, indicator: string, caller: string): void {
    for (const i of [indicator, ALL_INDICATORS]) {
      const key = cellKey({ level, code, service, indicator: i });
      let set = this.replaced.get(key);
      if (!set) this.replaced.set(key, (set = new Set()));
      set.add(caller);
    }
  }
}
