import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Store } from '../store/store';
import { Counts, emptyCounts, Figures, figuresOf, FigureStatus, MIN_CALLERS_FLOOR, SCALE_POINTS } from './figures';
import { CallerRow, Dimension, RatingScope } from './rating-counts';
import { Period } from './period';

/**
 * Disclosure control: which scorecard figures may be published, so that nothing printed or
 * shown rests on fewer than `minCallers` distinct callers (REPORT_MIN_CALLERS, never below 5).
 *
 * Every figure any report can show for a period is one cell of a grid
 *   level (commune, district, province, country) x area x service x indicator (or all
 *   indicators) x group (all callers, or one of the breakdown groups),
 * counted from one row per caller and key, so that each cell knows its distinct callers as well
 * as its answers. The grid is always the whole country for the period, whatever area a report
 * asks for: a figure is then withheld or shown the same way on every page, CSV and command, and
 * a commune shown on its own page cannot be subtracted from a district total that a province
 * page shows beside that commune's withheld neighbour.
 *
 * Primary suppression: a cell with 1 to minCallers-1 callers is "too-few"; one with none is
 * "no-ratings" (shown as 0, a different thing from "too few").
 *
 * Complementary suppression (the standard rule, applied to every additive set: a total and
 * parts that partition its ratings, so that answers add up exactly):
 *   - an area and its communes / districts / provinces,
 *   - a service (all indicators) and its indicators, retired ones included,
 *   - all callers and the groups of one question: women, men and the rest (not stated);
 *     each age group and the rest; disability and the rest; Khmer, indigenous and the rest.
 * Parts that are never published (the "rest" groups, retired indicators) count as hidden.
 *   1. Total shown: the hidden parts can be worked out together (total minus shown parts). If
 *      they rest on 1 to minCallers-1 distinct callers together, the next-smallest shown part
 *      (fewest callers, then answers) is withheld as well, and the set is checked again. So a
 *      single "too few" cell is never alone, and two small ones are not left to be derived as
 *      a pair of fewer than minCallers people.
 *   2. Total withheld but every part shown: the total is their sum, so the smallest part is
 *      withheld too.
 * Withheld cells change other sets, so the rule runs until nothing changes. This is the
 * standard heuristic, not a linear-programming audit of every combination of sets.
 *
 * Period comparisons are only made between periods that do not overlap (scorecard-report.ts),
 * so no difference between two shown figures in one report is a set of ratings of its own.
 * Separate requests over overlapping periods can still be subtracted (the product asks for
 * "any period"): see the README's limits.
 */

export type Level = 'commune' | 'district' | 'province' | 'country';
export const COUNTRY_CODE = 'KH';
export const ALL_INDICATORS = '*';
export const ALL_CALLERS = 'all';

/** Breakdown groups by question: values each published group selects, and the unpublished rest. */
export const GROUP_QUESTIONS = [
  { dim: 'gender', groups: { woman: 'women', man: 'men' }, rest: 'gender-rest' },
  { dim: 'ageGroup', groups: { 'under-25': 'age-under-25', '25-59': 'age-25-59', '60-plus': 'age-60-plus' }, rest: 'age-rest' },
  { dim: 'disability', groups: { yes: 'disability' }, rest: 'disability-rest' },
  { dim: 'languageGroup', groups: { khmer: 'khmer', indigenous: 'indigenous' }, rest: 'language-rest' },
] as const satisfies readonly { dim: Dimension; groups: Record<string, string>; rest: string }[];

export const GROUP_NAMES = ['women', 'men', 'age-under-25', 'age-25-59', 'age-60-plus', 'disability', 'khmer', 'indigenous'] as const;
export type GroupName = (typeof GROUP_NAMES)[number];

const DIMS: Dimension[] = ['communeCode', 'service', 'indicatorId', ...GROUP_QUESTIONS.map((q) => q.dim)];

/** A REPORT_MIN_CALLERS value checked: a whole number, never below the floor of 5. */
export function checkMinCallers(value: number): number {
  if (!Number.isInteger(value) || value < MIN_CALLERS_FLOOR) {
    throw new RangeError(`the report threshold must be a whole number of callers, at least ${MIN_CALLERS_FLOOR} (got ${value})`);
  }
  return value;
}

interface Cell {
  /** Position in the canonical order (area, service, indicator, group), the same on every engine. */
  key: number;
  area: number;
  service: number;
  indicator: number;
  group: number;
  counts: Counts;
  callers: number;
  /** The caller (numbered) last counted, so that each caller counts once: rows come sorted by caller. */
  lastCaller: number;
  /** While callers < minCallers: who they are, to size unions of small cells exactly. */
  few: number[] | null;
  status: FigureStatus;
  /** False for cells no report shows (the "rest" groups, retired indicators): hidden parts. */
  published: boolean;
}

interface AdditiveSet {
  total: Cell;
  parts: Cell[];
}

const GROUPS: string[] = [ALL_CALLERS, ...GROUP_QUESTIONS.flatMap((q) => [...Object.values(q.groups), q.rest])];
const GROUP_INDEX = new Map(GROUPS.map((g, i) => [g, i]));

/** Numbers for a sorted list of names, so that cells are keyed by small integers in a fixed order. */
function numbering(names: Iterable<string>): { names: string[]; index: Map<string, number> } {
  const sorted = [...new Set(names)].sort();
  return { names: sorted, index: new Map(sorted.map((n, i) => [n, i])) };
}

export class FigureGrid {
  /** Cells by key = ((area * services + service) * indicators + indicator) * groups + group. */
  private readonly cells = new Map<number, Cell>();
  private readonly communes: string[];
  private readonly areas: { names: string[]; index: Map<string, number> };
  private readonly services: { names: string[]; index: Map<string, number> };
  private readonly indicators: { names: string[]; index: Map<string, number> };
  readonly period: Period['label'];

  /** Counts the whole country for `period` and applies the suppression rules above. */
  static async count(store: Store, period: Period, deps: { scorecard: Scorecard; gazetteer: Gazetteer; minCallers?: number }): Promise<FigureGrid> {
    const minCallers = checkMinCallers(deps.minCallers ?? MIN_CALLERS_FLOOR);
    const rows = await RatingScope.of(store, period).callerRows(DIMS);
    return new FigureGrid(rows, period.label, deps.scorecard, deps.gazetteer, minCallers);
  }

  constructor(rows: CallerRow[], period: Period['label'], private readonly scorecard: Scorecard, gazetteer: Gazetteer, readonly minCallers: number) {
    this.period = period;
    // Number areas, services and indicators in sorted order: the same cells in the same order on every engine.
    const communeSet = new Set<string>();
    const areaNames = new Set<string>([`country\t${COUNTRY_CODE}`]);
    const serviceNames = new Set<string>();
    const indicatorNames = new Set<string>([ALL_INDICATORS]);
    for (const r of rows) {
      communeSet.add(r.key.communeCode);
      serviceNames.add(r.key.service);
      indicatorNames.add(r.key.indicatorId);
    }
    for (const c of communeSet) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      areaNames.add(`commune\t${c}`).add(`district\t${districtCode}`).add(`province\t${provinceCode}`);
    }
    this.communes = [...communeSet].sort();
    this.areas = numbering(areaNames);
    this.services = numbering(serviceNames);
    this.indicators = numbering(indicatorNames);
    const nS = this.services.names.length;
    const nI = this.indicators.names.length;
    const nG = GROUPS.length;
    const ALL_I = this.indicators.index.get(ALL_INDICATORS)!;

    const publishedIndicator = new Set<string>();
    for (const s of scorecard.services) for (const i of s.indicators) publishedIndicator.add(`${s.id}\t${i.id}`);
    const publishedService = new Set(scorecard.services.map((s) => s.id));
    const publishedGroup = new Set<string>([ALL_CALLERS, ...GROUP_NAMES]);

    // Callers numbered, rows sorted by caller: each cell counts a caller once.
    const callerIds = new Map<string, number>();
    const numbered = rows.map((r) => {
      let n = callerIds.get(r.callerId);
      if (n === undefined) callerIds.set(r.callerId, (n = callerIds.size));
      return { n, r };
    });
    numbered.sort((a, b) => a.n - b.n);

    const areaOf = (level: Level, code: string) => this.areas.index.get(`${level}\t${code}`)!;
    const communeAreas = new Map<string, number[]>();
    for (const c of this.communes) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      communeAreas.set(c, [areaOf('commune', c), areaOf('district', districtCode), areaOf('province', provinceCode), areaOf('country', COUNTRY_CODE)]);
    }
    const groupsOf = GROUP_QUESTIONS.map((q) => (value: string) => GROUP_INDEX.get((q.groups as Record<string, string>)[value] ?? q.rest)!);

    // A dense array while counting (at most areas x services x indicators x groups entries): faster than the Map.
    const dense: (Cell | undefined)[] = new Array(this.keyOf(this.areas.names.length, 0, 0, 0)).fill(undefined);
    const points = SCALE_POINTS; // a local: the imported binding is a getter in the compiled module
    for (const { n, r } of numbered) {
      const k = r.key;
      const rc = r.counts;
      const service = this.services.index.get(k.service)!;
      const indicator = this.indicators.index.get(k.indicatorId)!;
      const groups = [0, ...GROUP_QUESTIONS.map((q, i) => groupsOf[i](k[q.dim]))];
      const indicatorShown = publishedIndicator.has(`${k.service}\t${k.indicatorId}`);
      const serviceShown = publishedService.has(k.service);
      for (const area of communeAreas.get(k.communeCode)!) {
        for (const ind of [indicator, ALL_I]) {
          const base = ((area * nS + service) * nI + ind) * nG;
          for (const g of groups) {
            const key = base + g;
            let cell = dense[key];
            if (!cell) {
              const shows = serviceShown && publishedGroup.has(GROUPS[g]) && (ind === ALL_I || indicatorShown);
              cell = { key, area, service, indicator: ind, group: g, counts: emptyCounts(), callers: 0, lastCaller: -1, few: [], status: 'shown', published: shows };
              dense[key] = cell;
              this.cells.set(key, cell);
            }
            const c = cell.counts;
            for (let s = 0; s < points; s++) c[s] += rc[s];
            if (cell.lastCaller !== n) {
              cell.lastCaller = n;
              cell.callers += 1;
              if (cell.few) {
                if (cell.callers < minCallers) cell.few.push(n);
                else cell.few = null;
              }
            }
          }
        }
      }
    }

    for (const cell of this.cells.values()) cell.status = cell.callers < minCallers ? 'too-few' : 'shown';
    this.suppressComplements(this.additiveSets(gazetteer, ALL_I));
  }

  private keyOf(area: number, service: number, indicator: number, group: number): number {
    return ((area * this.services.names.length + service) * this.indicators.names.length + indicator) * GROUPS.length + group;
  }

  private additiveSets(gazetteer: Gazetteer, ALL_I: number): AdditiveSet[] {
    // Children of each area that has ratings: communes of a district, districts of a province, provinces of the country.
    const children = new Map<number, Set<number>>();
    const addChild = (parent: number, child: number) => {
      let set = children.get(parent);
      if (!set) children.set(parent, (set = new Set()));
      set.add(child);
    };
    const areaOf = (level: Level, code: string) => this.areas.index.get(`${level}\t${code}`)!;
    for (const c of this.communes) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      addChild(areaOf('district', districtCode), areaOf('commune', c));
      addChild(areaOf('province', provinceCode), areaOf('district', districtCode));
      addChild(areaOf('country', COUNTRY_CODE), areaOf('province', provinceCode));
    }
    const indicatorsOf = new Map<number, number[]>();
    for (const cell of this.cells.values()) {
      if (cell.indicator === ALL_I) continue;
      let list = indicatorsOf.get(cell.service);
      if (!list) indicatorsOf.set(cell.service, (list = []));
      if (!list.includes(cell.indicator)) list.push(cell.indicator);
    }
    const questionGroups = GROUP_QUESTIONS.map((q) => [...Object.values(q.groups), q.rest].map((g) => GROUP_INDEX.get(g)!));

    const sets: AdditiveSet[] = [];
    const add = (total: Cell, keys: number[]) => {
      const parts: Cell[] = [];
      for (const k of keys) {
        const c = this.cells.get(k);
        if (c) parts.push(c);
      }
      if (parts.length) sets.push({ total, parts });
    };
    for (const total of this.cells.values()) {
      const { area, service, indicator, group } = total;
      if (group === 0) for (const gs of questionGroups) add(total, gs.map((g) => this.keyOf(area, service, indicator, g)));
      if (indicator === ALL_I) add(total, (indicatorsOf.get(service) ?? []).map((i) => this.keyOf(area, service, i, group)));
      const kids = children.get(area);
      if (kids) add(total, [...kids].map((a) => this.keyOf(a, service, indicator, group)));
    }
    // A fixed order (keys are numbered from sorted names), so both engines withhold the same cells.
    return sets.sort((a, b) => a.total.key - b.total.key);
  }

  private suppressComplements(sets: AdditiveSet[]): void {
    const hidden = (c: Cell) => !c.published || c.status !== 'shown';
    const smallest = (cells: Cell[]) => cells.reduce<Cell | null>((best, c) => {
      if (!best) return c;
      const a = [c.callers, c.counts.reduce((x, y) => x + y, 0)];
      const b = [best.callers, best.counts.reduce((x, y) => x + y, 0)];
      return a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && c.key < best.key))) ? c : best;
    }, null);
    /** Distinct callers behind the hidden parts taken together, exact below minCallers. */
    const unionCallers = (cells: Cell[]) => {
      const who = new Set<number>();
      for (const c of cells) {
        if (!c.few) return this.minCallers;
        for (const n of c.few) who.add(n);
      }
      return who.size;
    };
    const withhold = (c: Cell) => { c.status = 'protects-another'; };
    /** Rule 1 for one set; true when it withheld a cell. */
    const protectHiddenParts = ({ total, parts }: AdditiveSet) => {
      if (hidden(total)) return false;
      const hiddenParts = parts.filter(hidden);
      if (hiddenParts.length === 0) return false;
      const together = unionCallers(hiddenParts);
      if (together === 0 || together >= this.minCallers) return false;
      withhold(smallest(parts.filter((p) => !hidden(p))) ?? total);
      return true;
    };
    /** Rule 2 for one set; true when it withheld a cell. */
    const protectHiddenTotal = ({ total, parts }: AdditiveSet) => {
      if (!hidden(total) || !total.published || parts.some(hidden)) return false;
      withhold(smallest(parts)!);
      return true;
    };
    // Rule 1 until nothing changes, then one pass of rule 2, and again: rule 1 first, because the
    // cells it withholds often already hide what rule 2 would otherwise withhold in addition.
    for (let changed = true; changed;) {
      for (let again = true; again;) {
        again = false;
        for (const set of sets) if (protectHiddenParts(set)) again = true;
      }
      changed = false;
      for (const set of sets) if (protectHiddenTotal(set)) changed = true;
    }
  }

  /** Figures for one cell; a cell with no ratings is "no-ratings". */
  figures(level: Level, code: string, service: string, indicator: string = ALL_INDICATORS, group: string = ALL_CALLERS): Figures {
    const area = this.areas.index.get(`${level}\t${level === 'country' ? COUNTRY_CODE : code}`);
    const s = this.services.index.get(service);
    const i = this.indicators.index.get(indicator);
    const g = GROUP_INDEX.get(group);
    const cell = area === undefined || s === undefined || i === undefined || g === undefined ? undefined : this.cells.get(this.keyOf(area, s, i, g));
    if (!cell) return figuresOf(emptyCounts(), 0, 'no-ratings');
    return figuresOf(cell.counts, cell.callers, cell.status, this.scorecard.scale.satisfiedFrom);
  }

  /** Communes with at least one rating in the period, in code order. */
  ratedCommunes(): string[] {
    return [...this.communes];
  }
}
