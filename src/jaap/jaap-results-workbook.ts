/**
 * The JAAP result indicator as an Excel workbook: the same rows as the CSV report
 * (jaapReportRows), with the header row in English or Khmer (the staff catalog's
 * jaap.results-col.* words). Values stay as the CSV has them (level, breakdown and dates in
 * their stable English codes), so a workbook read back gives the CSV's figures.
 */
// Types only here: exceljs takes a third of a second to load, so it is loaded when a workbook is read or written.
import type ExcelJS from 'exceljs';
import { translator } from '../staff/i18n/i18n';
import { JaapReport, jaapReportRows } from './jaap-results';

/** The catalog word of each CSV column (jaap.results-col.<key>). */
const HEADER_KEYS: Record<string, string> = {
  level: 'level', code: 'code', name_km: 'name-km', name_latin: 'name-latin', breakdown: 'breakdown',
  agreed: 'agreed', solvedWithin12Months: 'solved', share: 'share', doneLater: 'done-later', stillInside12Months: 'still-inside',
  notSolved: 'not-solved', dropped: 'dropped', from: 'from', to: 'to', as_of: 'as-of',
};

export function jaapResultsHeader(column: string, lang: 'en' | 'km'): string {
  const key = HEADER_KEYS[column];
  if (!key) throw new Error(`no header word for the JAAP results column ${column}`);
  return translator(lang)(`jaap.results-col.${key}`);
}

export async function jaapResultsWorkbook(report: JaapReport, lang: 'en' | 'km'): Promise<Buffer> {
  const [columns, ...rows] = jaapReportRows(report);
  const book = new (await import('exceljs')).default.Workbook();
  const sheet = book.addWorksheet('JAAP results');
  sheet.addRow(columns.map((c) => jaapResultsHeader(String(c), lang))).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of rows) sheet.addRow(row.map((v) => (v === '' ? null : v)));
  const share = columns.indexOf('share') + 1;
  sheet.getColumn(share).numFmt = '0.0%';
  sheet.columns.forEach((column) => { column.width = 16; });
  return Buffer.from(await book.xlsx.writeBuffer());
}
