/**
 * Every CSV the hotline writes goes through here (report downloads and `npm run report`, the
 * voice-talent recording script). A test lists the producers and fails on one that does not.
 *
 * A UTF-8 byte order mark is written first by default: without it Excel on Windows opens a CSV
 * in the local code page and turns Khmer into mojibake.
 */
export const BOM = '\uFEFF';

/**
 * Text a spreadsheet would run as a formula: a cell starting with = + - @, or tab or carriage
 * return (OWASP "CSV Injection"), or their full-width forms, which some spreadsheets read the same.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * Text made inert for a spreadsheet: a leading ' (which the spreadsheet shows as text, not a
 * formula), as OWASP advises. Numbers are left alone: a negative change is a number, not a formula.
 */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One cell: empty for null, numbers as they are, text neutralised and quoted when it must be. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' || typeof value === 'bigint' ? String(value) : neutraliseCell(String(value));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as one CSV document: comma-separated, CRLF line ends (RFC 4180), a BOM first unless bom is false. */
export function csvDocument(rows: readonly (readonly unknown[])[], opts: { bom?: boolean } = {}): string {
  return (opts.bom ?? true ? BOM : '') + rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
