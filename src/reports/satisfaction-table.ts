import { Scorecard } from '../scorecard/scorecard';
import { BadRequestError } from '../errors';
import { change, Figures, FigureStatus } from './figures';
import { ALL_CALLERS, ALL_INDICATORS, COUNTRY_CODE, FigureGrid, Level } from './disclosure-control';
import { Area } from './rating-counts';

/**
 * The satisfaction table, the form in which scorecard results are reported: one row per
 * service, one column per group, each cell the share satisfied (4 or 5) with its callers and
 * answers. Cells are the period's FigureGrid cells for one area (disclosure-control.ts), so a
 * cell is withheld here exactly when it is withheld in the summary and on the staff pages.
 */

/** The seed report's columns, then families with an ID-Poor card (asked since issue 22). */
export const TABLE_COLUMNS = ['all', 'disability', 'indigenous', 'women', 'men', 'id-poor'] as const;
export type TableColumn = (typeof TABLE_COLUMNS)[number];

export interface TableCell {
  status: FigureStatus;
  withheld: boolean;
  callers: number | null;
  answers: number | null;
  satisfiedShare: number | null;
}

export interface SatisfactionTable {
  period: { from: string; to: string };
  /** The one area of the table: level and code (KH for the whole country). */
  area: { level: Level; code: string };
  minCallers: number;
  rows: { service: string; cells: Record<TableColumn, TableCell> }[];
}

const GRID_GROUP: Record<TableColumn, string> = { all: ALL_CALLERS, disability: 'disability', indigenous: 'indigenous', women: 'women', men: 'men', 'id-poor': 'id-poor' };

const cellOf = (f: Figures): TableCell => ({ status: f.status, withheld: f.withheld, callers: f.callers, answers: f.answers, satisfiedShare: f.satisfiedShare });

/**
 * The table for one area (one commune, district or province, or none for the country). Several
 * areas pooled would be a figure outside the grid, which suppression has not checked.
 */
export function tableArea(area: Area): { level: Level; code: string } {
  const codes = [...(area.communes ?? []).map((c) => ['commune', c]), ...(area.districts ?? []).map((c) => ['district', c]), ...(area.provinces ?? []).map((c) => ['province', c])] as [Level, string][];
  if (codes.length > 1) throw new BadRequestError('the satisfaction table is for one area at a time (one --commune, --district or --province, or none for the country)');
  return codes.length ? { level: codes[0][0], code: codes[0][1] } : { level: 'country', code: COUNTRY_CODE };
}

export function buildSatisfactionTable(grid: FigureGrid, area: Area, scorecard: Scorecard): SatisfactionTable {
  const where = tableArea(area);
  return {
    period: grid.period,
    area: where,
    minCallers: grid.minCallers,
    rows: scorecard.services.map((s) => {
      const cells = {} as Record<TableColumn, TableCell>;
      for (const col of TABLE_COLUMNS) cells[col] = cellOf(grid.figures(where.level, where.code, s.id, ALL_INDICATORS, GRID_GROUP[col]));
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
  area: { level: Level; code: string };
  minCallers: number;
  rows: { service: string; cells: Record<TableColumn, ComparedCell> }[];
}

export function compareTables(later: SatisfactionTable, baseline: SatisfactionTable): ComparedTable {
  return {
    period: later.period,
    baseline: baseline.period,
    area: later.area,
    minCallers: later.minCallers,
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
