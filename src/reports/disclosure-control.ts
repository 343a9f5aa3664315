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
 * so no difference between two shown figures is a set of ratings of its own.
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
  key: string;
  counts: Counts;
  callers: number;
  /** The caller (interned) last counted, so that each caller counts once: rows come sorted by caller. */
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

const keyOf = (level: Level, code: string, service: string, indicator: string, group: string) => `${level}\t${code}\t${service}\t${indicator}\t${group}`;

export class FigureGrid {
  private readonly cells = new Map<string, Cell>();
  private readonly communes = new Set<string>();
  readonly period: Period['label'];

  /** Counts the whole country for `period` and applies the suppression rules above. */
  static async count(store: Store, period: Period, deps: { scorecard: Scorecard; gazetteer: Gazetteer; minCallers?: number }): Promise<FigureGrid> {
    const rows = await RatingScope.of(store, period).callerRows(DIMS);
    return new FigureGrid(rows, period.label, deps.scorecard, deps.gazetteer, checkMinCallers(deps.minCallers ?? MIN_CALLERS_FLOOR));
  }

  constructor(rows: CallerRow[], period: Period['label'], private readonly scorecard: Scorecard, gazetteer: Gazetteer, readonly minCallers: number) {
    this.period = period;
    const callerIds = new Map<string, number>();
    const numbered = rows.map((r) => {
      let n = callerIds.get(r.callerId);
      if (n === undefined) callerIds.set(r.callerId, (n = callerIds.size));
      return { n, r };
    });
    numbered.sort((a, b) => a.n - b.n);
    const published = new Set<string>();
    for (const s of scorecard.services) for (const i of s.indicators) published.add(`${s.id}\t${i.id}`);
    const publishedGroups = new Set<string>([ALL_CALLERS, ...GROUP_NAMES]);

    // Children of each area seen, and indicators of each service seen, for the additive sets.
    const children = new Map<string, Set<string>>();
    const indicators = new Map<string, Set<string>>();
    const addChild = (parent: string, child: string) => {
      let set = children.get(parent);
      if (!set) children.set(parent, (set = new Set()));
      set.add(child);
    };

    for (const { n, r } of numbered) {
      const k = r.key;
      const { districtCode, provinceCode } = gazetteer.lineage(k.communeCode);
      this.communes.add(k.communeCode);
      addChild(`district\t${districtCode}`, k.communeCode);
      addChild(`province\t${provinceCode}`, districtCode);
      addChild(`country\t${COUNTRY_CODE}`, provinceCode);
      let inds = indicators.get(k.service);
      if (!inds) indicators.set(k.service, (inds = new Set()));
      inds.add(k.indicatorId);
      const groups = [ALL_CALLERS, ...GROUP_QUESTIONS.map((q) => (q.groups as Record<string, string>)[k[q.dim]] ?? q.rest)];
      const indicatorPublished = published.has(`${k.service}\t${k.indicatorId}`);
      const servicePublished = scorecard.services.some((s) => s.id === k.service);
      const areas: [Level, string][] = [['commune', k.communeCode], ['district', districtCode], ['province', provinceCode], ['country', COUNTRY_CODE]];
      for (const [level, code] of areas) {
        for (const ind of [k.indicatorId, ALL_INDICATORS]) {
          for (const g of groups) {
            const key = keyOf(level, code, k.service, ind, g);
            let cell = this.cells.get(key);
            if (!cell) {
              const shows = publishedGroups.has(g) && servicePublished && (ind === ALL_INDICATORS || indicatorPublished);
              cell = { key, counts: emptyCounts(), callers: 0, lastCaller: -1, few: [], status: 'shown', published: shows };
              this.cells.set(key, cell);
            }
            for (let s = 0; s < SCALE_POINTS; s++) cell.counts[s] += r.counts[s];
            if (cell.lastCaller !== n) {
              cell.lastCaller = n;
              cell.callers += 1;
              if (cell.few) cell.few = cell.callers < minCallers ? [...cell.few, n] : null;
            }
          }
        }
      }
    }

    for (const cell of this.cells.values()) cell.status = cell.callers < minCallers ? 'too-few' : 'shown';
    this.suppressComplements(this.additiveSets(children, indicators));
  }

  private additiveSets(children: Map<string, Set<string>>, indicators: Map<string, Set<string>>): AdditiveSet[] {
    const sets: AdditiveSet[] = [];
    const CHILD_LEVEL: Partial<Record<Level, Level>> = { district: 'commune', province: 'district', country: 'province' };
    const add = (total: Cell, keys: string[]) => {
      const parts = keys.map((k) => this.cells.get(k)).filter((c): c is Cell => c !== undefined);
      if (parts.length) sets.push({ total, parts });
    };
    for (const total of this.cells.values()) {
      const [level, code, service, indicator, group] = total.key.split('\t') as [Level, string, string, string, string];
      if (group === ALL_CALLERS) {
        for (const q of GROUP_QUESTIONS) {
          add(total, [...Object.values(q.groups), q.rest].map((g) => keyOf(level, code, service, indicator, g)));
        }
      }
      if (indicator === ALL_INDICATORS) {
        add(total, [...(indicators.get(service) ?? [])].map((i) => keyOf(level, code, service, i, group)));
      }
      const childLevel = CHILD_LEVEL[level];
      if (childLevel) {
        add(total, [...(children.get(`${level}\t${code}`) ?? [])].map((c) => keyOf(childLevel, c, service, indicator, group)));
      }
    }
    // A fixed order, so that both engines (whose rows come in different orders) withhold the same cells.
    return sets.sort((a, b) => (a.total.key < b.total.key ? -1 : a.total.key > b.total.key ? 1 : 0));
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
    const cell = this.cells.get(keyOf(level, level === 'country' ? COUNTRY_CODE : code, service, indicator, group));
    if (!cell) return figuresOf(emptyCounts(), 0, 'no-ratings');
    return figuresOf(cell.counts, cell.callers, cell.status, this.scorecard.scale.satisfiedFrom);
  }

  /** Communes with at least one rating in the period, in code order. */
  ratedCommunes(): string[] {
    return [...this.communes].sort();
  }
}
