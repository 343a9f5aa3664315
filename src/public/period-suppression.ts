import { ALL_CALLERS, ALL_INDICATORS, FigureGrid, Level } from '../reports/disclosure-control';

/**
 * Complementary suppression across a year and its quarters, for the published results.
 *
 * Each period's FigureGrid protects the sets inside that period (areas, indicators, groups). The
 * public sees a year beside its four quarters, and a year's ratings are its quarters' ratings,
 * with one correction: repeat ratings. Within a period a caller's ratings of one indicator of one
 * service in one commune count once, the latest (rating-counts.ts). A rating counted in its
 * quarter is therefore left out of the year when the same caller rated that again in a later
 * quarter of the year. Call those ratings R (counted in their quarter, replaced later in the
 * year). Per cell, as multisets of ratings:
 *     Q1 + Q2 + Q3 + Q4 = year + R.
 * Distinct callers do not add up, but they unite: the year's callers of a cell are exactly the
 * union of its quarters' callers (a caller's latest rating is counted in the year and in its
 * quarter), and R's callers are among the quarters' callers too.
 *
 * So, per published cell (area x service x indicator, all callers; the public sees no groups),
 * the set {year; quarters, R} is treated like the grid's additive sets, R a part that is never
 * published (like a group's "rest"), measured in DISTINCT callers, exact below the threshold:
 *   1. Year shown: what the public can work out is (the withheld quarters) - R. If the distinct
 *      callers of the withheld quarters and R together are 1 to minCallers-1, or the only
 *      withheld quarter is withheld to protect another (it must not be worked out), the YEAR
 *      cell is withheld. The year, not a quarter: a quarter that has ended stays as published
 *      while its year runs on, and the year grid then protects the year cell in its own sets.
 *   2. Year withheld but every quarter that has ratings shown: the year is about their sum
 *      (exactly, when R is empty), so the smallest shown quarter is withheld (one still running
 *      before one that has ended), whether or not R is empty (the safe side).
 * Withholding changes the grids' own sets, so the grids' rules and these run in turn until
 * nothing changes (each step only withholds, so it ends).
 *
 * Limit: rule 2 can withhold a figure of a quarter that has ended (when every quarter of the
 * year that has ratings has ended), after it was first published; it is rare (a year cell
 * withheld only to protect another) and errs on the side of withholding.
 */

export interface PublicCell {
  level: Level;
  code: string;
  service: string;
  indicator: string;
}

export const cellKey = (c: PublicCell) => `${c.level}\t${c.code}\t${c.service}\t${c.indicator}`;

export interface YearFamilyGrids {
  year: FigureGrid;
  /** The year's quarters that have started, with whether each has ended. */
  quarters: { grid: FigureGrid; ended: boolean }[];
  /** Per cellKey, the callers of R (ratings counted in their quarter, replaced later in the year). */
  replaced: Map<string, Set<string>>;
}

/** Applies the rules above to the cells the public sees, until nothing changes; returns cells withheld by them. */
export function suppressAcrossPeriods(family: YearFamilyGrids, cells: readonly PublicCell[]): number {
  const { year, quarters, replaced } = family;
  const min = year.minCallers;
  let withheld = 0;
  for (let changed = true; changed;) {
    changed = false;
    const touched = new Set<FigureGrid>();
    for (const cell of cells) {
      const y = year.cellOf(cell.level, cell.code, cell.service, cell.indicator, ALL_CALLERS);
      if (y < 0) continue;
      const parts = quarters.map((q) => ({ ...q, cell: q.grid.cellOf(cell.level, cell.code, cell.service, cell.indicator, ALL_CALLERS) })).filter((q) => q.cell >= 0);
      const r = replaced.get(cellKey(cell));
      if (!year.isWithheld(y)) {
        const hidden = parts.filter((q) => q.grid.isWithheld(q.cell));
        if (!hidden.length && !r?.size) continue;
        const rebuilt = hidden.length === 1 && hidden[0].grid.protectsAnother(hidden[0].cell);
        let together = 0;
        if (!rebuilt) {
          const who = new Set<string>(r ?? []);
          for (const q of hidden) {
            const few = q.grid.fewCallers(q.cell);
            if (!few) { together = min; break; }
            for (const id of few) who.add(id);
          }
          if (together < min) together = who.size;
        }
        if (rebuilt || (together > 0 && together < min)) {
          if (year.withholdForAnotherPeriod(y)) { touched.add(year); withheld++; changed = true; }
        }
      } else if (year.protectsAnother(y) && parts.length && parts.every((q) => !q.grid.isWithheld(q.cell))) {
        const smallest = [...parts].sort((a, b) => Number(a.ended) - Number(b.ended)
          || a.grid.callersOf(a.cell) - b.grid.callersOf(b.cell)
          || a.grid.answersOf(a.cell) - b.grid.answersOf(b.cell))[0];
        if (smallest.grid.withholdForAnotherPeriod(smallest.cell)) { touched.add(smallest.grid); withheld++; changed = true; }
      }
    }
    for (const g of touched) g.applyRuleAgain();
  }
  return withheld;
}

/** The cells the public sees: every area of the grids x each service and its indicators. */
export function publicCells(areas: readonly { level: Level; code: string }[], services: readonly { id: string; indicators: readonly { id: string }[] }[]): PublicCell[] {
  const out: PublicCell[] = [];
  for (const a of areas) {
    for (const s of services) {
      out.push({ level: a.level, code: a.code, service: s.id, indicator: ALL_INDICATORS });
      for (const i of s.indicators) out.push({ level: a.level, code: a.code, service: s.id, indicator: i.id });
    }
  }
  return out;
}
