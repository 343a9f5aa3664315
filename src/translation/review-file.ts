/**
 * The Khmer review round trip: the strings a native Khmer speaker has not yet read go out as one
 * CSV file (with the English and where each string is used), the reviewer corrects the Khmer in a
 * spreadsheet and writes "yes" in the reviewed column, and the file comes back, checked as a
 * whole before anything is written: an import with any problem changes nothing and lists every
 * problem by row and column.
 *
 * Two catalogs take part: the staff web app's words (src/staff/i18n/messages.json) and the
 * prompts callers hear (prompts/catalog.json). I4C texts (info.<service>.<topic>.<n>) are not
 * exported: they are copied from content/i4c, which is where their Khmer is corrected.
 */
import { parse } from 'csv-parse/sync';
import { csvDocument } from '../exports/csv';
import { PromptCatalog } from '../prompts/catalog';
import { StaffCatalog } from '../staff/i18n/i18n';

export const REVIEW_COLUMNS = ['catalog', 'key', 'context', 'english', 'khmer', 'reviewed'] as const;
export type ReviewCatalogName = 'staff' | 'prompts';

export interface ReviewRow {
  catalog: ReviewCatalogName;
  key: string;
  /** Where the string is used and any note for the translator. */
  context: string;
  english: string;
  khmer: string;
  reviewed: boolean;
}

export interface ReviewProblem {
  /** The spreadsheet's row number (1 is the header). */
  row: number;
  column: (typeof REVIEW_COLUMNS)[number] | 'file';
  message: string;
}

const KHMER_SCRIPT = /[\u1780-\u17FF]/;
const YES = new Set(['yes', 'y', 'true', '1', 'បាទ', 'ចាស', 'បាទ/ចាស']);
const NO = new Set(['', 'no', 'n', 'false', '0', 'ទេ']);

/** The {placeholders} of a text, sorted: the Khmer must keep the English's. */
function placeholders(text: string): string {
  return [...text.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).sort().join(',');
}

/**
 * The rows to send to a reviewer: by default only strings whose Khmer has not been read
 * (`all` adds the reviewed ones, for a second reading), staff strings first, each catalog in key order.
 */
export function reviewRows(staff: StaffCatalog, prompts: PromptCatalog, o: { all?: boolean; catalogs?: ReviewCatalogName[]; isContentPrompt?: (id: string) => boolean } = {}): ReviewRow[] {
  const catalogs = o.catalogs ?? ['staff', 'prompts'];
  const rows: ReviewRow[] = [];
  if (catalogs.includes('staff')) {
    for (const key of Object.keys(staff.messages).sort()) {
      const m = staff.messages[key];
      if (!o.all && m.kmReview === 'done') continue;
      rows.push({ catalog: 'staff', key, context: ['staff web page', m.note].filter(Boolean).join(': '), english: m.en, khmer: m.km, reviewed: m.kmReview === 'done' });
    }
  }
  if (catalogs.includes('prompts')) {
    for (const key of Object.keys(prompts.prompts).sort()) {
      if (o.isContentPrompt?.(key)) continue;
      const p = prompts.prompts[key];
      if (!o.all && p.kmReview === 'done') continue;
      rows.push({ catalog: 'prompts', key, context: ['spoken to callers (recorded from this text)', p.note].filter(Boolean).join(': '), english: p.text.en, khmer: p.text.km ?? '', reviewed: p.kmReview === 'done' });
    }
  }
  return rows;
}

/** The review file: UTF-8 with a byte order mark so Excel shows Khmer, RFC 4180 CSV. */
export function reviewCsv(rows: readonly ReviewRow[]): string {
  return csvDocument([[...REVIEW_COLUMNS], ...rows.map((r) => [r.catalog, r.key, r.context, r.english, r.khmer, r.reviewed ? 'yes' : ''])]);
}

/** A cell our CSV writer made inert for spreadsheets (a leading ' before = + - @) back to its text. */
function restoreCell(text: string): string {
  return /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? text.slice(1) : text;
}

export interface ReviewImport {
  staff: StaffCatalog;
  prompts: PromptCatalog;
  /** Keys whose Khmer text changed, by catalog. */
  changedText: { staff: string[]; prompts: string[] };
  /** Keys marked reviewed by this import (they were "needed"). */
  markedReviewed: { staff: string[]; prompts: string[] };
  /** Prompts whose Khmer recording now says old words (their Khmer text changed). */
  toRecordAgain: string[];
  problems: ReviewProblem[];
}

/**
 * Reads a returned review file against today's catalogs. Returns new catalogs (the inputs are
 * not changed) and what changed; with any problem, `problems` lists them all and the catalogs
 * returned are the inputs, unchanged.
 */
export function importReview(csvText: string, staff: StaffCatalog, prompts: PromptCatalog, o: { today: string; isContentPrompt?: (id: string) => boolean }): ReviewImport {
  const unchanged: ReviewImport = { staff, prompts, changedText: { staff: [], prompts: [] }, markedReviewed: { staff: [], prompts: [] }, toRecordAgain: [], problems: [] };
  let records: string[][];
  try {
    records = parse(csvText, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    return { ...unchanged, problems: [{ row: 0, column: 'file', message: `not a readable CSV file: ${(err as Error).message}` }] };
  }
  const [header, ...body] = records;
  const expected = REVIEW_COLUMNS.join(',');
  if (!header || header.map((h) => h.trim().toLowerCase()).join(',') !== expected) {
    return { ...unchanged, problems: [{ row: 1, column: 'file', message: `the first row must be the columns ${expected} (as the export wrote them), found ${JSON.stringify((header ?? []).join(','))}` }] };
  }

  const nextStaff: StaffCatalog = { ...staff, messages: { ...staff.messages } };
  const nextPrompts: PromptCatalog = { ...prompts, prompts: { ...prompts.prompts } };
  const result: ReviewImport = { ...unchanged, staff: nextStaff, prompts: nextPrompts, changedText: { staff: [], prompts: [] }, markedReviewed: { staff: [], prompts: [] }, toRecordAgain: [], problems: [] };
  const problems = result.problems;
  const seen = new Map<string, number>();

  body.forEach((cells, i) => {
    const row = i + 2;
    if (cells.length !== REVIEW_COLUMNS.length) {
      problems.push({ row, column: 'file', message: `has ${cells.length} cells, not ${REVIEW_COLUMNS.length}: a cell was split or merged` });
      return;
    }
    const [catalog, key, , englishCell, khmerCell, reviewedCell] = cells.map((c, n) => (n === 2 ? c : restoreCell(c.trim())));
    if (catalog !== 'staff' && catalog !== 'prompts') {
      problems.push({ row, column: 'catalog', message: `must be "staff" or "prompts", not ${JSON.stringify(catalog)}` });
      return;
    }
    const id = `${catalog} ${key}`;
    if (seen.has(id)) {
      problems.push({ row, column: 'key', message: `${key} appears twice (rows ${seen.get(id)} and ${row}): keep one` });
      return;
    }
    seen.set(id, row);
    const reviewedWord = reviewedCell.toLowerCase();
    if (!YES.has(reviewedWord) && !NO.has(reviewedWord)) {
      problems.push({ row, column: 'reviewed', message: `write "yes" when the Khmer is right, or leave it empty; not ${JSON.stringify(reviewedCell)}` });
    }
    const reviewed = YES.has(reviewedWord);

    const current = catalog === 'staff' ? staff.messages[key] : prompts.prompts[key];
    if (!current || (catalog === 'prompts' && o.isContentPrompt?.(key))) {
      problems.push({ row, column: 'key', message: current
        ? `${key} is an I4C text: correct its Khmer in content/i4c, not here`
        : `${key} is not in the ${catalog} catalog (renamed or removed since the export): export again` });
      return;
    }
    const english = catalog === 'staff' ? staff.messages[key].en : prompts.prompts[key].text.en;
    if (englishCell !== english.trim()) {
      problems.push({ row, column: 'english', message: `the English of ${key} changed since the export (now ${JSON.stringify(english)}): export again and review this row` });
      return;
    }
    const oldKhmer = catalog === 'staff' ? staff.messages[key].km : (prompts.prompts[key].text.km ?? '');
    const khmer = khmerCell;
    if (!khmer) {
      if (reviewed || catalog === 'staff') problems.push({ row, column: 'khmer', message: `${key} has no Khmer text` });
      return;
    }
    if (!KHMER_SCRIPT.test(khmer)) {
      problems.push({ row, column: 'khmer', message: `${key}: the Khmer text has no Khmer letters` });
      return;
    }
    if (placeholders(khmer) !== placeholders(english)) {
      problems.push({ row, column: 'khmer', message: `${key}: the Khmer must keep the English's {placeholders} as they are ({${placeholders(english)}}), found {${placeholders(khmer)}}` });
      return;
    }

    const textChanged = khmer !== oldKhmer.trim();
    if (catalog === 'staff') {
      const m = staff.messages[key];
      const kmReview = reviewed ? 'done' : textChanged ? 'needed' : m.kmReview;
      if (!textChanged && kmReview === m.kmReview) return;
      nextStaff.messages[key] = { ...m, km: textChanged ? khmer : m.km, kmReview };
      if (textChanged) result.changedText.staff.push(key);
      if (kmReview === 'done' && m.kmReview !== 'done') result.markedReviewed.staff.push(key);
    } else {
      const p = prompts.prompts[key];
      const was = p.kmReview ?? 'needed';
      const kmReview = reviewed ? 'done' : textChanged ? 'needed' : was;
      if (!textChanged && kmReview === was) return;
      nextPrompts.prompts[key] = {
        ...p,
        text: textChanged ? { ...p.text, km: khmer } : p.text,
        kmReview,
        // A Khmer recording made before today says the old words; other languages' do not.
        ...(textChanged && oldKhmer ? { wordsChangedIn: { ...p.wordsChangedIn, km: o.today } } : {}),
      };
      if (textChanged) result.changedText.prompts.push(key);
      if (textChanged && oldKhmer) result.toRecordAgain.push(key);
      if (kmReview === 'done' && was !== 'done') result.markedReviewed.prompts.push(key);
    }
  });

  return problems.length ? { ...unchanged, problems } : result;
}
