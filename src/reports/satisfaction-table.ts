import { Scorecard } from '../scorecard/scorecard';
import { addCounts, change, Counts, emptyCounts, figuresOf } from './figures';
import { RatingScope } from './rating-counts';

/**
 * The satisfaction table, the form in which scorecard results are reported: one row per
 * service, one column per group, each cell the share satisfied (4 or 5) with its count.
 * Counted in one database pass grouped by (service, gender, disability, language group, score).
 */

export const TABLE_COLUMNS = ['all', 'disability', 'indigenous', 'women', 'men'] as const;
export type TableColumn = (typeof TABLE_COLUMNS)[number];

export interface TableCell {
  n: number | null;
  satisfiedShare: number | null;
  withheld: boolean;
}

export interface SatisfactionTable {
  period: { from: string; to: string };
  rows: { service: string; cells: Record<TableColumn, TableCell> }[];
}

const IN_COLUMN: Record<TableColumn, (key: Record<string, string>) => boolean> = {
  all: () => true,
  disability: (k) => k.disability === 'yes',
  indigenous: (k) => k.languageGroup === 'indigenous',
  women: (k) => k.gender === 'woman',
  men: (k) => k.gender === 'man',
};

function cell(counts: Counts, satisfiedFrom: number): TableCell {
  const f = figuresOf(counts, satisfiedFrom);
  return { n: f.n, satisfiedShare: f.satisfiedShare, withheld: f.withheld };
}

export async function buildSatisfactionTable(scope: RatingScope, scorecard: Scorecard): Promise<SatisfactionTable> {
  const rows = await scope.countBy(['service', 'gender', 'disability', 'languageGroup']);
  return {
    period: scope.period.label,
    rows: scorecard.services.map((s) => {
      const cells = {} as Record<TableColumn, TableCell>;
      for (const col of TABLE_COLUMNS) {
        const counts = emptyCounts();
        for (const r of rows) if (r.key.service === s.id && IN_COLUMN[col](r.key)) addCounts(counts, r.counts);
        cells[col] = cell(counts, scorecard.scale.satisfiedFrom);
      }
      return { service: s.id, cells };
    }),
  };
}

export interface ComparedCell extends TableCell {
  baseline: TableCell;
  /** Later share minus baseline share (a fraction); null when either is withheld. */
  change: number | null;
}

export interface ComparedTable {
  period: { from: string; to: string };
  baseline: { from: string; to: string };
  rows: { service: string; cells: Record<TableColumn, ComparedCell> }[];
}

export function compareTables(later: SatisfactionTable, baseline: SatisfactionTable): ComparedTable {
  return {
    period: later.period,
    baseline: baseline.period,
    rows: later.rows.map((row, i) => {
      const cells = {} as Record<TableColumn, ComparedCell>;
      for (const col of TABLE_COLUMNS) {
        const b = baseline.rows[i].cells[col];
        cells[col] = { ...row.cells[col], baseline: b, change: change(row.cells[col].satisfiedShare, b.satisfiedShare) };
      }
      return { service: row.service, cells };
    }),
  };
}
