/**
 * Workbooks shaped exactly as the Digital Community Scorecard app writes its scorecard report:
 * kakada/scorecard-web, lib/builders/excel_builders/scorecard_report_excel_builder.rb at commit
 * 10285c0d651dd0c78c8ce89b17ff7fb51badc42a (sheet "scorecard_report", 38 columns, headers and
 * values from its config/locales excel, scorecard and datetime files; participant figures on a
 * scorecard's first row only; empty cells for zero counts; a short row, the date right after the
 * provider, for a scorecard with no voted indicator).
 */
import ExcelJS from 'exceljs';
import { DCS_COLUMNS } from '../../src/rounds/dcs-import';

type Cell = string | number | null;
/** One report row as the builder writes it: the scorecard's 19 columns, the indicator's 18, the date. */
export interface ReportRow {
  id: string; status: string; province: string; district: string; commune: string; type: string; facility: string; provider: string;
  indicator?: string; other?: string; counts?: Cell[]; average?: string; strength?: string; weakness?: string; suggested?: string[]; date: Cell;
}
const scorecardCells = (r: ReportRow, n: number, first: boolean): Cell[] => [
  n, r.id, r.status, r.province, r.district, r.commune, 'API', 'Offline', first ? 2 : null, first ? 25 : null, first ? 10 : null, first ? 15 : null, first ? 6 : null, first ? 3 : null, first ? 2 : null, first ? 1 : null, r.type, r.facility, r.provider,
];
export async function dcsReport(lang: 'en' | 'km', rows: ReportRow[], header: string[] = DCS_COLUMNS.map((c) => c[lang])): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('scorecard_report');
  sheet.addRow(header);
  const firstOf = new Set<string>();
  rows.forEach((r, i) => {
    const first = !firstOf.has(r.id);
    firstOf.add(r.id);
    const result: Cell[] = r.indicator === undefined ? [] : [
      r.indicator, r.other ?? null, 1, null, null, 1, null, ...(r.counts ?? [null, null, null, null, null]), r.average ?? null, r.strength ?? '', r.weakness ?? '', ...[0, 1, 2].map((k) => r.suggested?.[k] ?? null),
    ];
    sheet.addRow([...scorecardCells(r, i + 1, first), ...result, r.date]);
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}

