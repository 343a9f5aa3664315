import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Store } from '../store/store';
import { emptyCounts, Figures, figuresOf, FigureStatus, MIN_CALLERS_FLOOR, SCALE_POINTS } from './figures';
import { CallerRow, Dimension, RatingScope } from './rating-counts';
import { COLUMN_DIMS, RatingColumns } from './rating-columns';
import { Period } from './period';

/**
 * Disclosure control: which scorecard figures may be published, so that nothing printed or
 * shown rests on fewer than `minCallers` distinct callers (REPORT_MIN_CALLERS, never below 5).
 *
 * Every figure any report can show for a period is one cell of a grid
 *   level (facility, commune, district, province, country) x area x service x indicator (or
 *   all indicators) x group (all callers, or one of the breakdown groups),
 * counted from one row per caller and key, so that each cell knows its distinct callers as well
 * as its answers. The grid is always the whole country for the period, whatever area a report
 * asks for: a figure is then withheld or shown the same way on every page, CSV and command, and
 * a commune shown on its own page cannot be subtracted from a district total that a province
 * page shows beside that commune's withheld neighbour.
 *
 * Facilities: a facility's area is its ratings FROM ONE COMMUNE (code `<commune>/<facilityId>`),
 * so a health centre serving three communes has three facility areas, one under each, and no
 * total of its own (that total would overlap the communes' and open differences between
 * overlapping sets, which the rule below does not cover). Only a commune with at least one
 * rating of a facility has facility areas; its ratings that name no facility go to an unpublished
 * "rest" area of the commune, so that its facilities and the rest partition it exactly, like a
 * group question's groups and their rest. A commune without facility ratings costs no cells more.
 *
 * Primary suppression: a cell with 1 to minCallers-1 callers is "too-few"; one with none is
 * "no-ratings" (shown as 0, a different thing from "too few").
 *
 * Complementary suppression (the standard rule, applied to every additive set: a total and
 * parts that partition its ratings, so that answers add up exactly):
 *   - an area and its areas at each level below it (a province and its districts, and its communes;
 *     the country and its provinces, its districts, and its communes); a commune with facility ratings and its
 *     facilities plus the rest,
 *   - a service (all indicators) and its indicators, retired ones included,
 *   - all callers and the groups of one question: women, men and the rest (not stated);
 *     each age group and the rest; disability and the rest; ID-Poor card and the rest; Khmer,
 *     indigenous and the rest.
 * Parts that are never published (the "rest" groups, a commune's ratings of no facility, retired
 * indicators) count as hidden.
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
 * Separate staff requests over overlapping periods can still be subtracted (the product asks for
 * "any period"): see the README's limits. What citizens see is published for fixed quarters and
 * years only, with a rule across a year and its quarters on top (src/public/period-suppression.ts,
 * which uses cellOf, withholdForAnotherPeriod and applyRuleAgain below).
 */

export type Level = 'facility' | 'commune' | 'district' | 'province' | 'country';
/** The facility level's area code: the commune rated from, then the facility. */
export const facilityAreaCode = (commune: string, facilityId: string) => `${commune}/${facilityId}`;
/** The level of a commune's ratings that name no facility: never published, so not a Level. */
const FACILITY_REST = 'facility-rest';
export const COUNTRY_CODE = 'KH';
export const ALL_INDICATORS = '*';
export const ALL_CALLERS = 'all';

/** Breakdown groups by question: values each published group selects, and the unpublished rest. */
export const GROUP_QUESTIONS = [
  { dim: 'gender', groups: { woman: 'women', man: 'men' }, rest: 'gender-rest' },
  { dim: 'ageGroup', groups: { 'under-25': 'age-under-25', '25-59': 'age-25-59', '60-plus': 'age-60-plus' }, rest: 'age-rest' },
  { dim: 'disability', groups: { yes: 'disability' }, rest: 'disability-rest' },
  // Families holding an ID-Poor card (the government's poverty identification), as the seed report counts them.
  { dim: 'idPoor', groups: { yes: 'id-poor' }, rest: 'id-poor-rest' },
  { dim: 'languageGroup', groups: { khmer: 'khmer', indigenous: 'indigenous' }, rest: 'language-rest' },
] as const satisfies readonly { dim: Dimension; groups: Record<string, string>; rest: string }[];

export const GROUP_NAMES = ['women', 'men', 'age-under-25', 'age-25-59', 'age-60-plus', 'disability', 'id-poor', 'khmer', 'indigenous'] as const;
export type GroupName = (typeof GROUP_NAMES)[number];

/** A REPORT_MIN_CALLERS value checked: a whole number, never below the floor of 5. */
export function checkMinCallers(value: number): number {
  if (!Number.isInteger(value) || value < MIN_CALLERS_FLOOR) {
    throw new RangeError(`the report threshold must be a whole number of callers, at least ${MIN_CALLERS_FLOOR} (got ${value})`);
  }
  return value;
}

const GROUPS: string[] = [ALL_CALLERS, ...GROUP_QUESTIONS.flatMap((q) => [...Object.values(q.groups), q.rest])];
const GROUP_INDEX = new Map(GROUPS.map((g, i) => [g, i]));
/** Where each group question's answers are in RatingColumns (after commune, service, indicator). */
const QUESTION_COLUMN = GROUP_QUESTIONS.map((q) => {
  const column = (COLUMN_DIMS as readonly Dimension[]).indexOf(q.dim);
  if (column < 0) throw new Error(`RatingColumns does not keep ${q.dim}`);
  return column;
});
const [COMMUNE_COLUMN, SERVICE_COLUMN, INDICATOR_COLUMN, FACILITY_COLUMN] = (['communeCode', 'service', 'indicatorId', 'facilityId'] as const).map((d) => COLUMN_DIMS.indexOf(d));

/** A cell's status, as kept in the grid's `status` array. */
const SHOWN = 0;
const TOO_FEW = 1;
const PROTECTS_ANOTHER = 2;
const STATUS_NAMES: FigureStatus[] = ['shown', 'too-few', 'protects-another'];

/** Numbers for a sorted list of names, so that cells are keyed by small integers in a fixed order. */
function numbering(names: Iterable<string>): { names: string[]; index: Map<string, number> } {
  const sorted = [...new Set(names)].sort();
  return { names: sorted, index: new Map(sorted.map((n, i) => [n, i])) };
}

/**
 * Cells are kept in typed arrays, not objects (a national grid has ~600,000 of them), indexed by
 *   slot = (area * pairs + pair) * groups + group,
 * where `pair` numbers the (service, indicator) combinations that were rated, each service's
 * "all indicators" included, in (service, indicator) order. Areas, services and indicators are
 * numbered from sorted names, so slot order is the canonical order of cells (area, service,
 * indicator, group): the same on every engine. A slot with 0 callers has no ratings.
 */
export class FigureGrid {
  private readonly communes: string[];
  /** Facility ids rated from each commune that has any, sorted. */
  private readonly facilities = new Map<string, string[]>();
  private readonly areas: { names: string[]; index: Map<string, number> };
  /** 0 for an area never published (a commune's ratings of no facility), 1 for the others. */
  private readonly areaPublished: Uint8Array;
  private readonly services: { names: string[]; index: Map<string, number> };
  private readonly indicators: { names: string[]; index: Map<string, number> };
  /** pairOf[service * indicators + indicator]: the pair's number, or -1 when never rated. */
  private readonly pairOf: Int32Array;
  private readonly pairs: number;
  /** Distinct callers per slot. */
  private readonly callers: Int32Array;
  /** Answers per slot and scale point: counts[slot * SCALE_POINTS + score - 1]. */
  private readonly counts: Int32Array;
  private readonly status: Uint8Array;
  readonly period: Period['label'];

  /** Counts the whole country for `period` and applies the suppression rules above. */
  static async count(store: Store, period: Period, deps: { scorecard: Scorecard; gazetteer: Gazetteer; minCallers?: number }): Promise<FigureGrid> {
    const minCallers = checkMinCallers(deps.minCallers ?? MIN_CALLERS_FLOOR);
    // Grouped in the database on a server; the embedded store's documents are in memory already.
    const ratings = await RatingColumns.read(RatingScope.of(store, period), store.engine === 'embedded' ? 'documents' : 'grouped');
    return new FigureGrid(ratings, period.label, deps.scorecard, deps.gazetteer, minCallers);
  }

  /** From the period's ratings as columns, or as rows per caller (RatingScope.callerRows). */
  constructor(ratings: RatingColumns | readonly CallerRow[], period: Period['label'], private readonly scorecard: Scorecard, gazetteer: Gazetteer, readonly minCallers: number) {
    this.period = period;
    const columns = ratings instanceof RatingColumns ? ratings : RatingColumns.fromRows(ratings);
    const communeNames = columns.dictionaries[COMMUNE_COLUMN].names;
    const serviceNames = columns.dictionaries[SERVICE_COLUMN].names;
    const indicatorNames = columns.dictionaries[INDICATOR_COLUMN].names;
    const facilityNames = columns.dictionaries[FACILITY_COLUMN].names;
    const communeCol = columns.values[COMMUNE_COLUMN];
    const facilityCol = columns.values[FACILITY_COLUMN];
    const n = columns.length;
    const nF = facilityNames.length;

    // (commune, facility) pairs rated, as commune * nF + facility; none when no rating names a facility.
    const facilityPairs = new Set<number>();
    if (facilityNames.some((f) => f !== '')) for (let r = 0; r < n; r++) facilityPairs.add(communeCol[r] * nF + facilityCol[r]);
    const facilityAreaNames = new Map<number, string>();
    for (const key of facilityPairs) {
      const facility = facilityNames[key % nF];
      if (facility === '') continue;
      const commune = communeNames[Math.floor(key / nF)];
      facilityAreaNames.set(key, `facility\t${facilityAreaCode(commune, facility)}`);
      let list = this.facilities.get(commune);
      if (!list) this.facilities.set(commune, (list = []));
      list.push(facility);
    }
    for (const list of this.facilities.values()) list.sort();
    // A commune's ratings of no facility, where the commune has facility ratings: the unpublished rest.
    for (const key of facilityPairs) {
      const commune = communeNames[Math.floor(key / nF)];
      if (facilityNames[key % nF] === '' && this.facilities.has(commune)) facilityAreaNames.set(key, `${FACILITY_REST}\t${commune}`);
    }

    // Number areas, services and indicators in sorted order: the same cells in the same order on every engine.
    const areaNames = new Set<string>([`country\t${COUNTRY_CODE}`]);
    for (const c of communeNames) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      areaNames.add(`commune\t${c}`).add(`district\t${districtCode}`).add(`province\t${provinceCode}`);
    }
    for (const name of facilityAreaNames.values()) areaNames.add(name);
    this.communes = [...communeNames].sort();
    this.areas = numbering(areaNames);
    this.areaPublished = Uint8Array.from(this.areas.names, (name) => (name.startsWith(`${FACILITY_REST}\t`) ? 0 : 1));
    // The facility (or rest) area each (commune, facility) pair adds its ratings to, besides the commune's.
    const facilityAreaOf = new Map<number, number>();
    for (const [key, name] of facilityAreaNames) facilityAreaOf.set(key, this.areas.index.get(name)!);
    this.services = numbering(serviceNames);
    this.indicators = numbering([ALL_INDICATORS, ...indicatorNames]);
    const nI = this.indicators.names.length;
    const nG = GROUPS.length;
    const ALL_I = this.indicators.index.get(ALL_INDICATORS)!;
    const areaOf = (level: Level, code: string) => this.areas.index.get(`${level}\t${code}`)!;

    // Column values (numbered as first seen) to the sorted numbers above.
    const serviceOf = Int32Array.from(serviceNames, (name) => this.services.index.get(name)!);
    const indicatorOf = Int32Array.from(indicatorNames, (name) => this.indicators.index.get(name)!);
    const communeAreas = new Int32Array(communeNames.length * 4);
    communeNames.forEach((c, k) => {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      communeAreas.set([areaOf('commune', c), areaOf('district', districtCode), areaOf('province', provinceCode), areaOf('country', COUNTRY_CODE)], k * 4);
    });
    const groupOf = GROUP_QUESTIONS.map((q, k) => Int32Array.from(columns.dictionaries[QUESTION_COLUMN[k]].names, (value) => GROUP_INDEX.get((q.groups as Record<string, string>)[value] ?? q.rest)!));
    const serviceCol = columns.values[SERVICE_COLUMN];
    const indicatorCol = columns.values[INDICATOR_COLUMN];
    const groupCols = QUESTION_COLUMN.map((k) => columns.values[k]);

    // Pairs rated, numbered in (service, indicator) order.
    const rated = new Uint8Array(this.services.names.length * nI);
    for (let r = 0; r < n; r++) {
      const s = serviceOf[serviceCol[r]];
      rated[s * nI + indicatorOf[indicatorCol[r]]] = 1;
      rated[s * nI + ALL_I] = 1;
    }
    this.pairOf = new Int32Array(rated.length).fill(-1);
    const pairService: number[] = [];
    const pairIndicator: number[] = [];
    for (let k = 0; k < rated.length; k++) {
      if (!rated[k]) continue;
      this.pairOf[k] = pairService.length;
      pairService.push(Math.floor(k / nI));
      pairIndicator.push(k % nI);
    }
    const P = (this.pairs = pairService.length);
    const slots = this.areas.names.length * P * nG;
    this.callers = new Int32Array(slots);
    this.counts = new Int32Array(slots * SCALE_POINTS);
    this.status = new Uint8Array(slots);

    // Every rating adds to its cells at 4 levels (5 with a facility or the rest) x (its indicator,
    // all) x (all callers, one group per question).
    // Rows come ordered by caller, so a cell counts a caller once when its last caller differs.
    const order = columns.byCaller();
    const callerCol = columns.caller;
    const scoreCol = columns.score;
    const weightCol = columns.weight;
    const points = SCALE_POINTS; // a local: the imported binding is a getter in the compiled module
    const lastCaller = new Int32Array(slots).fill(-1);
    const groups = new Int32Array(1 + GROUP_QUESTIONS.length);
    const rowPairs = new Int32Array(2);
    /** Calls `visit(slot, caller)` for each cell of each row, rows in caller order. */
    const eachCell = (visit: (slot: number, row: number) => void) => {
      for (let o = 0; o < n; o++) {
        const r = order[o];
        const s = serviceOf[serviceCol[r]];
        rowPairs[0] = this.pairOf[s * nI + indicatorOf[indicatorCol[r]]];
        rowPairs[1] = this.pairOf[s * nI + ALL_I];
        for (let q = 0; q < groupCols.length; q++) groups[q + 1] = groupOf[q][groupCols[q][r]];
        const c4 = communeCol[r] * 4;
        const facilityArea = facilityAreaOf.size ? (facilityAreaOf.get(communeCol[r] * nF + facilityCol[r]) ?? -1) : -1;
        for (let a = facilityArea < 0 ? 0 : -1; a < 4; a++) {
          const area = a < 0 ? facilityArea : communeAreas[c4 + a];
          for (let p = 0; p < 2; p++) {
            const base = (area * P + rowPairs[p]) * nG;
            for (let g = 0; g < groups.length; g++) visit(base + groups[g], r);
          }
        }
      }
    };
    const { callers, counts } = this;
    eachCell((slot, r) => {
      counts[slot * points + scoreCol[r] - 1] += weightCol[r];
      const who = callerCol[r];
      if (lastCaller[slot] !== who) {
        lastCaller[slot] = who;
        callers[slot] += 1;
      }
    });

    // Who the callers of each cell with fewer than minCallers are, to size unions of small cells exactly.
    const fewStart = new Int32Array(slots + 1);
    for (let slot = 0; slot < slots; slot++) {
      const c = callers[slot];
      fewStart[slot + 1] = fewStart[slot] + (c > 0 && c < minCallers ? c : 0);
    }
    const few = new Int32Array(fewStart[slots]);
    if (few.length) {
      const filled = new Int32Array(slots);
      lastCaller.fill(-1);
      eachCell((slot, r) => {
        const who = callerCol[r];
        if (callers[slot] < minCallers && lastCaller[slot] !== who) {
          lastCaller[slot] = who;
          few[fewStart[slot] + filled[slot]++] = who;
        }
      });
    }

    // Published cells: a scorecard service, a published group, and all indicators or a scorecard indicator.
    const publishedIndicator = new Set<string>();
    for (const s of scorecard.services) for (const i of s.indicators) publishedIndicator.add(`${s.id}\t${i.id}`);
    const publishedService = new Set(scorecard.services.map((s) => s.id));
    const publishedGroup = new Set<string>([ALL_CALLERS, ...GROUP_NAMES]);
    const published = new Uint8Array(P * nG);
    for (let p = 0; p < P; p++) {
      const service = this.services.names[pairService[p]];
      const indicatorShown = pairIndicator[p] === ALL_I || publishedIndicator.has(`${service}\t${this.indicators.names[pairIndicator[p]]}`);
      for (let g = 0; g < nG; g++) published[p * nG + g] = publishedService.has(service) && publishedGroup.has(GROUPS[g]) && indicatorShown ? 1 : 0;
    }

    for (let slot = 0; slot < slots; slot++) if (callers[slot] > 0) this.status[slot] = callers[slot] < minCallers ? TOO_FEW : SHOWN;
    const sets = this.additiveSets(gazetteer, pairService, pairIndicator, ALL_I);
    this.suppression = { sets, cells: { published, few, fewStart, callerCount: columns.callers.size } };
    this.callerNames = columns.callers.names;
    this.suppressComplements(sets, this.suppression.cells);
  }

  /** The additive sets and cell facts, kept so that rules across periods can withhold more and run the rule again. */
  private readonly suppression: { sets: { total: number[]; start: number[]; parts: number[] }; cells: { published: Uint8Array; few: Int32Array; fewStart: Int32Array; callerCount: number } };
  private readonly callerNames: string[];

  /**
   * A cell's number in this grid (for rules across periods, src/public/snapshot-builder.ts), or
   * -1 when it has no ratings. Numbers differ between grids: match cells by their names.
   */
  cellOf(level: Level, code: string, service: string, indicator: string = ALL_INDICATORS, group: string = ALL_CALLERS): number {
    const area = this.areas.index.get(`${level}\t${level === 'country' ? COUNTRY_CODE : code}`);
    const s = this.services.index.get(service);
    const i = this.indicators.index.get(indicator);
    const g = GROUP_INDEX.get(group);
    if (area === undefined || s === undefined || i === undefined || g === undefined) return -1;
    const pair = this.pairOf[s * this.indicators.names.length + i];
    if (pair < 0) return -1;
    const slot = this.slotOf(area, pair, g);
    return this.callers[slot] > 0 ? slot : -1;
  }

  /** Distinct callers of a cell (0 for -1). */
  callersOf(cell: number): number {
    return cell < 0 ? 0 : this.callers[cell];
  }

  /** Answers of a cell (0 for -1). */
  answersOf(cell: number): number {
    if (cell < 0) return 0;
    let sum = 0;
    for (let k = cell * SCALE_POINTS; k < (cell + 1) * SCALE_POINTS; k++) sum += this.counts[k];
    return sum;
  }

  /** Whether the cell's figure is withheld ("too-few" or "protects-another"). */
  isWithheld(cell: number): boolean {
    return cell >= 0 && this.status[cell] !== SHOWN;
  }

  /** Whether the cell is withheld only to protect another (so it must not be worked out). */
  protectsAnother(cell: number): boolean {
    return cell >= 0 && this.status[cell] === PROTECTS_ANOTHER;
  }

  /** The callers' ids of a cell with fewer than minCallers callers (null when it has more). */
  fewCallers(cell: number): string[] | null {
    if (cell < 0) return [];
    if (this.callers[cell] >= this.minCallers) return null;
    const { few, fewStart } = this.suppression.cells;
    return Array.from(few.subarray(fewStart[cell], fewStart[cell + 1]), (k) => this.callerNames[k]);
  }

  /**
   * Withholds a shown cell to protect a figure of another period; call applyRuleAgain after the
   * last one (this grid's own sets change when a cell is withheld). True when it was shown.
   */
  withholdForAnotherPeriod(cell: number): boolean {
    if (cell < 0 || this.status[cell] !== SHOWN) return false;
    this.status[cell] = PROTECTS_ANOTHER;
    return true;
  }

  /** Applies this grid's rule again after cells were withheld from outside, until nothing changes. */
  applyRuleAgain(): void {
    this.suppressComplements(this.suppression.sets, this.suppression.cells);
  }

  private slotOf(area: number, pair: number, group: number): number {
    return (area * this.pairs + pair) * GROUPS.length + group;
  }

  /**
   * Additive sets as flat arrays: set k has total `total[k]` and parts `parts[start[k]..start[k+1])`.
   * First, ordered by total (slot order), for each total: each group question, then its
   * indicators, then its areas one level down; after all those, again by total, its areas two
   * and three levels down (a province's communes; the country's districts, then its communes).
   */
  private additiveSets(gazetteer: Gazetteer, pairService: number[], pairIndicator: number[], ALL_I: number): { total: number[]; start: number[]; parts: number[] } {
    // Partitions of each area that has ratings, one per level below it: facilities (and the rest) of
    // a commune; communes of a district; districts, and communes, of a province; provinces,
    // districts, and communes, of the country. The deeper ones matter because pages show them
    // together: the country's figure beside every commune's (the national list) is "the country
    // minus the communes shown", which the sets one level down did not cover when the withheld
    // communes sit in districts that are withheld only to protect another (issue 24).
    const partitions = new Map<number, Map<string, Set<number>>>();
    const addPart = (parent: number, level: string, child: number) => {
      let byLevel = partitions.get(parent);
      if (!byLevel) partitions.set(parent, (byLevel = new Map()));
      let set = byLevel.get(level);
      if (!set) byLevel.set(level, (set = new Set()));
      set.add(child);
    };
    const areaOf = (level: Level, code: string) => this.areas.index.get(`${level}\t${code}`)!;
    for (const c of this.communes) {
      const { districtCode, provinceCode } = gazetteer.lineage(c);
      const facilities = this.facilities.get(c);
      const commune = areaOf('commune', c);
      if (facilities) {
        for (const f of facilities) addPart(commune, 'facility', areaOf('facility', facilityAreaCode(c, f)));
        const rest = this.areas.index.get(`${FACILITY_REST}\t${c}`);
        if (rest !== undefined) addPart(commune, 'facility', rest);
      }
      const district = areaOf('district', districtCode);
      const province = areaOf('province', provinceCode);
      const country = areaOf('country', COUNTRY_CODE);
      addPart(district, 'commune', commune);
      addPart(province, 'district', district);
      addPart(province, 'commune', commune);
      addPart(country, 'province', province);
      addPart(country, 'district', district);
      addPart(country, 'commune', commune);
    }
    // The first partition added is one level down; the deeper ones come after it.
    const levelsBelow = this.areas.names.map((_, a) => [...(partitions.get(a)?.values() ?? [])].map((set) => [...set]));
    // Indicators of each service that were rated anywhere (pairs other than "all indicators").
    const indicatorPairs: number[][] = this.services.names.map(() => []);
    pairService.forEach((s, p) => { if (pairIndicator[p] !== ALL_I) indicatorPairs[s].push(p); });
    const questionGroups = GROUP_QUESTIONS.map((q) => [...Object.values(q.groups), q.rest].map((g) => GROUP_INDEX.get(g)!));

    const nG = GROUPS.length;
    const P = this.pairs;
    const { callers } = this;
    const sets = { total: [] as number[], start: [0], parts: [] as number[] };
    const close = (total: number) => {
      if (sets.parts.length === sets.start[sets.start.length - 1]) return; // no parts rated
      sets.total.push(total);
      sets.start.push(sets.parts.length);
    };
    const part = (slot: number) => { if (callers[slot] > 0) sets.parts.push(slot); };
    // Sets one level down first, then the deeper partitions: the rule visits sets in this order,
    // and a deeper set is then mostly protected already by the choices made one level down (which
    // withhold a neighbour in the same district rather than a commune far away whose district and
    // province it is alone in, and would have to follow it).
    for (const deeper of [false, true]) {
      for (let total = 0; total < callers.length; total++) {
        if (callers[total] === 0) continue;
        const g = total % nG;
        const pair = Math.floor(total / nG) % P;
        const area = Math.floor(total / (nG * P));
        // An unpublished area's cells are all hidden: as totals they protect nothing and give nothing away.
        if (!this.areaPublished[area]) continue;
        if (!deeper && g === 0) {
          for (const gs of questionGroups) {
            for (const g2 of gs) part(total + g2);
            close(total);
          }
        }
        if (!deeper && pairIndicator[pair] === ALL_I) {
          for (const p of indicatorPairs[pairService[pair]]) part(this.slotOf(area, p, g));
          close(total);
        }
        const areas = levelsBelow[area];
        for (const kids of deeper ? areas.slice(1) : areas.slice(0, 1)) {
          for (const a of kids) part(this.slotOf(a, pair, g));
          close(total);
        }
      }
    }
    return sets;
  }

  private suppressComplements(
    sets: { total: number[]; start: number[]; parts: number[] },
    cells: { published: Uint8Array; few: Int32Array; fewStart: Int32Array; callerCount: number },
  ): void {
    const { callers, counts, status, minCallers, areaPublished } = this;
    const { published, few, fewStart } = cells;
    const perPair = published.length;
    const points = SCALE_POINTS;
    /** A cell the public cannot see: unpublished (group, indicator or area), or withheld. */
    const hidden = (c: number) => !published[c % perPair] || !areaPublished[Math.floor(c / perPair)] || status[c] !== SHOWN;
    const answers = (c: number) => {
      let sum = 0;
      for (let k = c * points; k < (c + 1) * points; k++) sum += counts[k];
      return sum;
    };
    /** Fewest callers, then fewest answers, then first in the canonical order. */
    const smaller = (a: number, b: number) => {
      if (callers[a] !== callers[b]) return callers[a] < callers[b];
      const x = answers(a);
      const y = answers(b);
      return x !== y ? x < y : a < b;
    };
    // Distinct callers behind the hidden parts taken together, exact below minCallers: callers
    // are marked with the number of the union being counted.
    const mark = new Int32Array(cells.callerCount);
    let union = 0;
    const unionCallers = (from: number, to: number) => {
      union += 1;
      let size = 0;
      for (let i = from; i < to; i++) {
        const c = sets.parts[i];
        if (!hidden(c)) continue;
        if (callers[c] >= minCallers) return minCallers;
        for (let k = fewStart[c]; k < fewStart[c + 1]; k++) {
          if (mark[few[k]] !== union) {
            mark[few[k]] = union;
            size += 1;
          }
        }
      }
      return size;
    };
    /** Rule 1 for set k; true when it withheld a cell. */
    const protectHiddenParts = (k: number) => {
      const total = sets.total[k];
      if (hidden(total)) return false;
      const from = sets.start[k];
      const to = sets.start[k + 1];
      let best = -1;
      let hiddenParts = 0;
      let lastHidden = -1;
      for (let i = from; i < to; i++) {
        const c = sets.parts[i];
        if (hidden(c)) {
          hiddenParts += 1;
          lastHidden = c;
        } else if (best < 0 || smaller(c, best)) best = c;
      }
      if (!hiddenParts) return false;
      // A cell withheld to protect another is no protection when it is the only hidden part of
      // a shown total: it is that total minus the shown parts.
      const rebuilt = hiddenParts === 1 && status[lastHidden] === PROTECTS_ANOTHER;
      const together = rebuilt ? 0 : unionCallers(from, to);
      if (!rebuilt && (together === 0 || together >= minCallers)) return false;
      status[best >= 0 ? best : total] = PROTECTS_ANOTHER;
      return true;
    };
    /** Rule 2 for set k; true when it withheld a cell. */
    const protectHiddenTotal = (k: number) => {
      const total = sets.total[k];
      // An unpublished total is nobody's to rebuild.
      if (!hidden(total) || !published[total % perPair] || !areaPublished[Math.floor(total / perPair)]) return false;
      let best = -1;
      for (let i = sets.start[k]; i < sets.start[k + 1]; i++) {
        const c = sets.parts[i];
        if (hidden(c)) return false;
        if (best < 0 || smaller(c, best)) best = c;
      }
      status[best] = PROTECTS_ANOTHER;
      return true;
    };
    // Rule 1 until nothing changes, then one pass of rule 2, and again: rule 1 first, because the
    // cells it withholds often already hide what rule 2 would otherwise withhold in addition.
    const count = sets.total.length;
    for (let changed = true; changed;) {
      for (let again = true; again;) {
        again = false;
        for (let k = 0; k < count; k++) if (protectHiddenParts(k)) again = true;
      }
      changed = false;
      for (let k = 0; k < count; k++) if (protectHiddenTotal(k)) changed = true;
    }
  }

  /** Figures for one cell; a cell with no ratings is "no-ratings". */
  figures(level: Level, code: string, service: string, indicator: string = ALL_INDICATORS, group: string = ALL_CALLERS): Figures {
    const area = this.areas.index.get(`${level}\t${level === 'country' ? COUNTRY_CODE : code}`);
    if (area !== undefined && !this.areaPublished[area]) throw new Error(`${level} ${code} is never published`);
    const s = this.services.index.get(service);
    const i = this.indicators.index.get(indicator);
    const g = GROUP_INDEX.get(group);
    const pair = s === undefined || i === undefined ? -1 : this.pairOf[s * this.indicators.names.length + i];
    const slot = area === undefined || pair < 0 || g === undefined ? -1 : this.slotOf(area, pair, g);
    if (slot < 0 || this.callers[slot] === 0) return figuresOf(emptyCounts(), 0, 'no-ratings');
    const counts = Array.from(this.counts.subarray(slot * SCALE_POINTS, (slot + 1) * SCALE_POINTS));
    return figuresOf(counts, this.callers[slot], STATUS_NAMES[this.status[slot]], this.scorecard.scale.satisfiedFrom);
  }

  /** Communes with at least one rating in the period, in code order. */
  ratedCommunes(): string[] {
    return [...this.communes];
  }

  /** Facilities rated from the commune in the period, by id (figures at level 'facility', facilityAreaCode). */
  ratedFacilities(commune: string): string[] {
    return [...(this.facilities.get(commune) ?? [])];
  }
}
