import { BOM, csvDocument, csvField } from '../exports/csv';
import { facilityAreaCode } from './disclosure-control';
import { Figures, FigureStatus } from './figures';
import { ComparedTable, SatisfactionTable, TABLE_COLUMNS, TableCell } from './satisfaction-table';
import { AreaSummary, ComparedSummary, FigureChange, figuresPart, Summary } from './scorecard-summary';

/**
 * CSV for spreadsheets: a header row, one row per area x service x indicator ("all" for the
 * service pooled over its indicators), UTF-8 with Khmer names as they are. A commune's rows are
 * followed by its facilities' (level "facility", code <commune>/<facility id>, the facility's
 * names; its ratings from that commune only), so every earlier column stays where it was.
 *
 * A UTF-8 byte order mark (BOM) is written first by default: without it Excel on Windows
 * opens a CSV in the local code page and turns Khmer into mojibake. LibreOffice, R and
 * pandas ignore it (pandas: encoding="utf-8-sig"). Pass bom: false for tools that do not.
 * Each figure has its callers (distinct) and answers. Withheld figures are empty cells, and the
 * status column says why: "too few" (fewer callers than the threshold) or "protects another"
 * (withheld so that a "too few" figure cannot be worked out by subtraction); "no ratings" is
 * 0 callers and 0 answers.
 */

export { BOM, csvField };
export const STATUS_TEXT: Record<FigureStatus, string> = { shown: '', 'no-ratings': 'no ratings', 'too-few': 'too few', 'protects-another': 'protects another' };

// The one CSV writer (src/exports/csv.ts): quoting, the BOM, and cells a spreadsheet would run as formulas.
const csv = (rows: unknown[][], bom: boolean) => csvDocument(rows, { bom });

const FIGURE_HEADER = ['callers', 'answers', 'median', 'mean', 'count_1', 'count_2', 'count_3', 'count_4', 'count_5', 'satisfied_share', 'status'];
const figureCells = (f: Figures) => [f.callers, f.answers, f.median, f.mean, ...(f.counts ?? [null, null, null, null, null]), f.satisfiedShare, STATUS_TEXT[f.status]];
const CHANGE_HEADER = ['baseline_callers', 'baseline_answers', 'baseline_median', 'baseline_mean', 'baseline_satisfied_share', 'baseline_status', 'change_median', 'change_mean', 'change_satisfied_share'];
const changeCells = (b: Figures, c: FigureChange) => [b.callers, b.answers, b.median, b.mean, b.satisfiedShare, STATUS_TEXT[b.status], c.median, c.mean, c.satisfiedShare];

type AnyService = AreaSummary['services'][number] & { baseline?: Figures; change?: FigureChange; indicators: (AreaSummary['services'][number]['indicators'][number] & { baseline?: Figures; change?: FigureChange })[] };
type AnyArea = Omit<AreaSummary, 'services' | 'facilities'> & { services: AnyService[]; facilities?: { id: string; communeCode: string; name: { km: string; latin: string }; services: AnyService[] }[] };

export function summaryCsv(summary: Summary | ComparedSummary, opts: { bom?: boolean } = {}): string {
  const compared = 'baseline' in summary;
  const header = ['period_from', 'period_to', 'level', 'code', 'name_km', 'name_latin', 'service', 'indicator', ...FIGURE_HEADER, ...(compared ? CHANGE_HEADER : [])];
  const rows: unknown[][] = [header];
  const areas = [...summary.communes, ...summary.districts, ...summary.provinces, ...(summary.country ? [summary.country] : [])] as AnyArea[];
  const serviceRows = (level: string, code: string, name: { km: string; latin: string }, services: AnyService[]) => {
    for (const s of services) {
      const sf = figuresPart(s);
      const lead = [summary.period.from, summary.period.to, level, code, name.km, name.latin, s.service];
      rows.push([...lead, 'all', ...figureCells(sf), ...(compared ? changeCells(s.baseline!, s.change!) : [])]);
      for (const i of s.indicators) rows.push([...lead, i.id, ...figureCells(i), ...(compared ? changeCells(i.baseline!, i.change!) : [])]);
    }
  };
  for (const a of areas) {
    serviceRows(a.level, a.code, a.name, a.services);
    for (const f of a.facilities ?? []) serviceRows('facility', facilityAreaCode(f.communeCode, f.id), f.name, f.services);
  }
  return csv(rows, opts.bom ?? true);
}

export function tableCsv(table: SatisfactionTable | ComparedTable, opts: { bom?: boolean } = {}): string {
  const compared = 'baseline' in table;
  const header = ['period_from', 'period_to', 'service'];
  for (const col of TABLE_COLUMNS) {
    header.push(`${col}_callers`, `${col}_answers`, `${col}_satisfied_share`, `${col}_status`);
    if (compared) header.push(`${col}_baseline_callers`, `${col}_baseline_answers`, `${col}_baseline_satisfied_share`, `${col}_baseline_status`, `${col}_change`);
  }
  const rows: unknown[][] = [header];
  const show = (c: TableCell) => [c.callers, c.answers, c.satisfiedShare, STATUS_TEXT[c.status]];
  for (const r of table.rows) {
    const row: unknown[] = [table.period.from, table.period.to, r.service];
    for (const col of TABLE_COLUMNS) {
      const c = r.cells[col] as TableCell & { baseline?: TableCell; change?: number | null };
      row.push(...show(c));
      if (compared) row.push(...show(c.baseline!), c.change);
    }
    rows.push(row);
  }
  return csv(rows, opts.bom ?? true);
}
