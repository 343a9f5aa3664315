/**
 * A JAAP's items as a spreadsheet file (CSV), in the columns of the official letter, with
 * English or Khmer headers: what the desk's download writes and what `npm run jaap -- import`
 * reads back. An import is checked as a whole: with any problem nothing is written and every
 * problem is listed by row and column; the same file imported again changes nothing.
 */
import { parse } from 'csv-parse/sync';
// Types only here: exceljs takes a third of a second to load, so it is loaded when a workbook is read or written.
import type ExcelJS from 'exceljs';
import { csvDocument } from '../exports/csv';
import { Scorecard } from '../scorecard/scorecard';
import { translator } from '../staff/i18n/i18n';
import { westernDigits } from '../staff/khmer-digits';
import { changedStatus, Jaap, JaapItem, ITEM_STATUSES, itemId, JAAP_SECTIONS, JaapSection } from './jaap';
import { JaapRegister } from './jaap-register';

/** The official JAAP letter's columns, in order, plus follow-up (indicator, status) and the 12 months' end. */
export const JAAP_COLUMNS = ['section', 'no', 'activity', 'proposer', 'targetResponse', 'facility', 'quantity', 'unit', 'startMonth', 'endMonth', 'beneficiariesTotal', 'beneficiariesFemale', 'costRiel', 'implementer', 'fundSource', 'indicator', 'status', 'deadline'] as const;
export type JaapColumn = (typeof JAAP_COLUMNS)[number];
/** Files larger than this are refused before reading: a commune's plan is a few dozen rows. */
export const JAAP_FILE_MAX_BYTES = 1_000_000;

const kebab = (c: string) => c.replace(/[A-Z]/g, (l) => `-${l.toLowerCase()}`);

/** A column's header in a language (the staff catalog's jaap.csv.* words). */
export function jaapHeader(column: JaapColumn, lang: 'en' | 'km'): string {
  return translator(lang)(`jaap.csv.${kebab(column)}`);
}

/** A service's name for the facility column: "Health centre: Chbar Ampov health centre". */
function facilityCell(item: JaapItem, card: Scorecard, lang: 'en' | 'km'): string {
  const service = card.services.find((s) => s.id === item.service);
  return [service ? service.name[lang] : item.service, item.facilityName].filter(Boolean).join(': ');
}

export function jaapCsv(items: readonly JaapItem[], card: Scorecard, lang: 'en' | 'km'): string {
  const rows = items.map((i) => [i.section, i.no, i.activity, i.proposer, i.targetResponse, facilityCell(i, card, lang), i.quantity, i.unit, i.startMonth, i.endMonth, i.beneficiariesTotal, i.beneficiariesFemale, i.costRiel, i.implementer, i.fundSource, i.indicatorId, i.status, i.deadline]);
  return csvDocument([JAAP_COLUMNS.map((c) => jaapHeader(c, lang)), ...rows]);
}

export interface JaapFileProblem {
  row: number;
  column: string;
  message: string;
}

export interface JaapFileRead {
  items: JaapItem[];
  /** The file row each item came from. */
  rows: Map<string, number>;
  problems: JaapFileProblem[];
}

/** Khmer digits (០-៩) as the digits they are; thousands separators dropped. */
function digits(value: string): string {
  return westernDigits(value).replace(/[,\s]/g, '');
}

/** A cell our CSV writer made inert for spreadsheets (a leading ' before = + - @) back to its text. */
function restoreCell(text: string): string {
  return /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? text.slice(1) : text;
}

/**
 * Reads a JAAP file for a plan: headers in English or Khmer (any order; the deadline column may be
 * left out, it is worked out from the plan), one row per item.
 */
export function readJaapFile(text: string, plan: Jaap, card: Scorecard, deadline: string): JaapFileRead {
  if (Buffer.byteLength(text, 'utf8') > JAAP_FILE_MAX_BYTES) return tooLarge();
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    return { items: [], rows: new Map(), problems: [{ row: 0, column: 'file', message: `not a readable CSV file: ${(err as Error).message}` }] };
  }
  return readJaapRecords(records, plan, card, deadline);
}

function tooLarge(): JaapFileRead {
  return { items: [], rows: new Map(), problems: [{ row: 0, column: 'file', message: `the file is larger than ${JAAP_FILE_MAX_BYTES / 1_000_000} MB: a JAAP file has one row per action item` }] };
}

/** The first worksheet of an Excel workbook (.xlsx) as rows of cell texts. */
export async function readJaapWorkbook(data: Buffer, plan: Jaap, card: Scorecard, deadline: string): Promise<JaapFileRead> {
  if (data.length > JAAP_FILE_MAX_BYTES) return tooLarge();
  const book = new (await import('exceljs')).default.Workbook();
  try {
    await book.xlsx.load(data as unknown as ArrayBuffer);
  } catch (err) {
    return { items: [], rows: new Map(), problems: [{ row: 0, column: 'file', message: `not a readable Excel (.xlsx) file: ${(err as Error).message}` }] };
  }
  const sheet = book.worksheets[0];
  const records: string[][] = [];
  sheet?.eachRow({ includeEmpty: true }, (row, n) => {
    const cells: string[] = [];
    for (let c = 1; c <= Math.max(row.cellCount, JAAP_COLUMNS.length); c++) cells.push(row.getCell(c).text ?? '');
    records[n - 1] = cells;
  });
  for (let i = 0; i < records.length; i++) records[i] ??= [];
  // Trailing empty cells (a sheet's width) are not columns.
  if (records[0]) while (records[0].length && records[0][records[0].length - 1] === '') records[0].pop();
  return readJaapRecords(records, plan, card, deadline);
}

/** An Excel workbook of the plan's items, headers in the language asked (bold, frozen). */
export async function jaapWorkbook(items: readonly JaapItem[], card: Scorecard, lang: 'en' | 'km'): Promise<Buffer> {
  const book = new (await import('exceljs')).default.Workbook();
  const sheet = book.addWorksheet('JAAP');
  sheet.addRow(JAAP_COLUMNS.map((c) => jaapHeader(c, lang))).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const i of items) sheet.addRow([i.section, i.no, i.activity, i.proposer, i.targetResponse, facilityCell(i, card, lang), i.quantity, i.unit, i.startMonth, i.endMonth, i.beneficiariesTotal, i.beneficiariesFemale, i.costRiel, i.implementer, i.fundSource, i.indicatorId, i.status, i.deadline].map((v) => v ?? null));
  sheet.columns.forEach((column) => { column.width = 18; });
  return Buffer.from(await book.xlsx.writeBuffer());
}

function readJaapRecords(records: string[][], plan: Jaap, card: Scorecard, deadline: string): JaapFileRead {
  const problems: JaapFileProblem[] = [];
  const [header = [], ...body] = records;
  const byHeader = new Map<string, JaapColumn>();
  for (const c of JAAP_COLUMNS) for (const lang of ['en', 'km'] as const) byHeader.set(jaapHeader(c, lang).toLowerCase(), c);
  const at = new Map<JaapColumn, number>();
  header.forEach((h, i) => {
    const column = byHeader.get(h.trim().toLowerCase());
    if (!column) problems.push({ row: 1, column: h, message: `unknown column ${JSON.stringify(h)}: the columns are ${JAAP_COLUMNS.map((c) => jaapHeader(c, 'en')).join(', ')} (or their Khmer headers)` });
    else if (at.has(column)) problems.push({ row: 1, column: h, message: `the column ${JSON.stringify(h)} appears twice` });
    else at.set(column, i);
  });
  for (const required of ['section', 'no', 'activity', 'facility'] as const) {
    if (!at.has(required)) problems.push({ row: 1, column: jaapHeader(required, 'en'), message: `the column ${JSON.stringify(jaapHeader(required, 'en'))} is missing` });
  }
  if (problems.length) return { items: [], rows: new Map(), problems };

  const serviceNames = new Map<string, string>();
  for (const s of card.services) for (const name of [s.id, s.name.en, s.name.km]) serviceNames.set(name.trim().toLowerCase(), s.id);
  const indicators = new Map(card.services.flatMap((s) => s.indicators.map((i) => [i.id, s.id] as const)));
  const seen = new Map<string, number>();
  const items: JaapItem[] = [];

  body.forEach((cells, index) => {
    const row = index + 2;
    const cell = (c: JaapColumn) => restoreCell((cells[at.get(c) ?? -1] ?? '').trim());
    const problem = (c: JaapColumn, message: string) => problems.push({ row, column: jaapHeader(c, 'en'), message });
    if (cells.every((c) => c.trim() === '')) return;
    const section = cell('section').toUpperCase();
    const khmerSection: Record<string, JaapSection> = { 'ក': 'A', 'ខ': 'B' };
    const sectionValue = (JAAP_SECTIONS as readonly string[]).includes(section) ? (section as JaapSection) : khmerSection[section];
    if (!sectionValue) problem('section', `${JSON.stringify(cell('section'))} is not a section: A (external) or B (internal)`);
    const no = Number(digits(cell('no')));
    if (!Number.isInteger(no) || no < 1 || no > 999) problem('no', `${JSON.stringify(cell('no'))} is not an item number (1-999)`);
    const activity = cell('activity');
    if (!activity) problem('activity', 'the agreed activity is empty');
    else if (activity.length > 500) problem('activity', 'the agreed activity is longer than 500 characters');
    const [serviceText, ...facilityParts] = cell('facility').split(':');
    const service = serviceNames.get(serviceText.trim().toLowerCase());
    if (!service) problem('facility', `${JSON.stringify(serviceText.trim())} is not a service: start with ${card.services.map((s) => s.name.en).join(', ')} (or its Khmer name), then ": " and the facility's name`);
    const number = (c: JaapColumn): number | undefined => {
      const v = digits(cell(c));
      if (!v) return undefined;
      if (!/^[0-9]{1,13}$/.test(v)) {
        problem(c, `${JSON.stringify(cell(c))} is not a whole number`);
        return undefined;
      }
      return Number(v);
    };
    const month = (c: JaapColumn): string | undefined => {
      const v = digits(cell(c));
      if (!v) return undefined;
      const m = /^([0-9]{4})-([0-9]{1,2})$/.exec(v);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) {
        problem(c, `${JSON.stringify(cell(c))} is not a month like 2025-04`);
        return undefined;
      }
      return `${m[1]}-${m[2].padStart(2, '0')}`;
    };
    const statusText = cell('status') || 'not-started';
    const status = ITEM_STATUSES.find((s) => s === statusText.toLowerCase() || translator('km')(`jaap.status.${s}`) === statusText || translator('en')(`jaap.status.${s}`) === statusText.toLowerCase());
    if (!status) problem('status', `${JSON.stringify(statusText)} is not a status: ${ITEM_STATUSES.join(', ')}`);
    const indicatorId = cell('indicator') || undefined;
    if (indicatorId && indicators.get(indicatorId) !== service) problem('indicator', `${JSON.stringify(indicatorId)} is not an indicator of this service`);
    const fields = {
      quantity: number('quantity'), beneficiariesTotal: number('beneficiariesTotal'), beneficiariesFemale: number('beneficiariesFemale'), costRiel: number('costRiel'),
      startMonth: month('startMonth'), endMonth: month('endMonth'),
    };
    if (fields.beneficiariesFemale !== undefined && fields.beneficiariesTotal !== undefined && fields.beneficiariesFemale > fields.beneficiariesTotal) problem('beneficiariesFemale', 'more women than beneficiaries in total');
    if (fields.startMonth && fields.endMonth && fields.endMonth < fields.startMonth) problem('endMonth', 'ends before it starts');
    if (!sectionValue || !service || !status || !activity || !Number.isInteger(no) || no < 1) return;
    const id = itemId(plan._id, sectionValue, no);
    if (seen.has(id)) {
      problem('no', `item ${sectionValue}${no} appears twice (rows ${seen.get(id)} and ${row})`);
      return;
    }
    seen.set(id, row);
    const item: JaapItem = {
      _id: id, jaapId: plan._id, communeCode: plan.communeCode, districtCode: plan.communeCode.slice(0, 4), provinceCode: plan.communeCode.slice(0, 2),
      year: plan.year, agreedOn: plan.agreedOn, deadline, section: sectionValue, no, activity, service,
      proposer: cell('proposer') || undefined, targetResponse: cell('targetResponse') || undefined, facilityName: facilityParts.join(':').trim() || undefined,
      unit: cell('unit') || undefined, implementer: cell('implementer') || undefined, fundSource: cell('fundSource') || undefined, indicatorId, ...fields,
      status, doneAt: null, history: [],
    };
    for (const k of Object.keys(item) as (keyof JaapItem)[]) if (item[k] === undefined) delete item[k];
    items.push(item);
  });
  if (body.length === 0) problems.push({ row: 2, column: 'file', message: 'the file has no items' });
  // Row by row, each row's problems in the file's column order.
  const order = (column: string) => JAAP_COLUMNS.findIndex((c) => jaapHeader(c, 'en') === column);
  problems.sort((a, b) => a.row - b.row || order(a.column) - order(b.column));
  return { items, rows: seen, problems };
}

/** The fields an import compares: an item already in the register with these unchanged is left alone. */
export function sameAgreedItem(a: JaapItem, b: JaapItem): boolean {
  const keys: (keyof JaapItem)[] = ['activity', 'proposer', 'targetResponse', 'service', 'facilityName', 'quantity', 'unit', 'startMonth', 'endMonth', 'beneficiariesTotal', 'beneficiariesFemale', 'costRiel', 'implementer', 'fundSource', 'indicatorId'];
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}


export interface JaapImport {
  added: string[];
  unchanged: string[];
  problems: JaapFileProblem[];
}

/**
 * Imports a JAAP file into a plan. New items are added, with the file's status recorded as of
 * the import (by `by`); items already in the register with the same words are left alone (their
 * status is changed at the desk, not by a file); an item already there with other words is a
 * problem. With any problem nothing is written.
 */
export async function importJaapFile(register: JaapRegister, plan: Jaap, file: string | JaapFileRead, card: Scorecard, o: { by: string; now: Date; deadline: string }): Promise<JaapImport> {
  const read = typeof file === 'string' ? readJaapFile(file, plan, card, o.deadline) : file;
  if (read.problems.length) return { added: [], unchanged: [], problems: read.problems };
  const existing = new Map((await register.itemsOf(plan._id)).map((i) => [i._id, i]));
  const problems: JaapFileProblem[] = [];
  const added: JaapItem[] = [];
  const unchanged: string[] = [];
  for (const item of read.items) {
    const there = existing.get(item._id);
    if (!there) {
      const fileStatus = item.status;
      added.push(fileStatus === 'not-started' ? item : { ...item, ...changedStatus({ ...item, status: 'not-started' }, { status: fileStatus, at: o.now, by: o.by, note: 'imported from a file' }) });
    } else if (sameAgreedItem(there, item)) {
      unchanged.push(item._id);
    } else {
      problems.push({ row: read.rows.get(item._id) ?? 0, column: jaapHeader('no', 'en'), message: `item ${item.section}${item.no} is already in the register with other words: change it at the desk, or give it a new number` });
    }
  }
  if (problems.length) return { added: [], unchanged: [], problems };
  if (added.length) await register.addItems(added);
  return { added: added.map((i) => i._id), unchanged, problems: [] };
}
