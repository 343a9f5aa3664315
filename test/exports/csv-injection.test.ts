import * as fs from 'node:fs';
import * as path from 'node:path';
import { csvField, neutraliseCell } from '../../src/exports/csv';
import { Figures } from '../../src/reports/figures';
import { summaryCsv, tableCsv } from '../../src/reports/report-csv';
import { reportCsv } from '../../src/reports/scorecard-report';
import { TABLE_COLUMNS, TableCell } from '../../src/reports/satisfaction-table';
import { ComparedSummary, Summary } from '../../src/reports/scorecard-summary';
import { scriptCsv, ScriptLine } from '../../src/prompts/recording-script';

const ROOT = path.resolve(__dirname, '../..');

/** Text a spreadsheet would run (OWASP "CSV Injection": = + - @, tab, carriage return), and full-width forms. */
const FORMULAS = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1', '＝1+1', '=1,"2"'];

/** RFC 4180 cells of a CSV document (BOM dropped). */
function cells(csv: string): string[][] {
  const text = csv.replace(/^\uFEFF/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += ch;
  }
  return rows;
}

/** No cell would run as a formula; every planted text is there, with its leading '. */
function expectInert(csv: string, planted: readonly string[]) {
  const all = cells(csv).flat();
  const dangerous = all.filter((c) => /^[=+\-@\t\r＝＋－＠]/.test(c) && !/^-?\d+(\.\d+)?(e-?\d+)?$/.test(c));
  expect(dangerous).toEqual([]);
  for (const p of planted) expect(all).toContain(`'${p}`);
}

const figures = (over: Partial<Figures> = {}): Figures => ({
  status: 'shown', withheld: false, callers: 7, answers: 9, median: 4, mean: 3.5, counts: [1, 1, 2, 3, 2], satisfiedShare: 0.5, ...over,
});

function summary(names: readonly string[]): Summary {
  return {
    period: { from: '2026-01-01', to: '2026-04-01' }, minCallers: 5,
    communes: names.map((n, i) => ({
      level: 'commune' as const, code: `12010${i}`, name: { km: n, latin: n },
      services: [{ ...figures(), service: n, indicators: [{ ...figures(), id: n }] }],
    })),
    districts: [], provinces: [], country: null,
  };
}

function table(service: string) {
  const cell: TableCell = { status: 'shown', withheld: false, callers: 7, answers: 9, satisfiedShare: 0.5 };
  const cellsByColumn = Object.fromEntries(TABLE_COLUMNS.map((c) => [c, cell])) as Record<(typeof TABLE_COLUMNS)[number], TableCell>;
  return { period: { from: '2026-01-01', to: '2026-04-01' }, area: { level: 'country' as const, code: 'KH' }, minCallers: 5, rows: [{ service, cells: cellsByColumn }] };
}

/** Every CSV producer, each fed the planted text wherever it writes text. */
const PRODUCERS: Record<string, (planted: readonly string[]) => string> = {
  'report summary (staff download, npm run report)': (p) => summaryCsv(summary(p)),
  'report summary compared with a baseline': (p) => {
    const s = summary(p);
    const compared: ComparedSummary = {
      ...s, baseline: { from: '2025-01-01', to: '2025-04-01' },
      communes: s.communes.map((a) => ({
        ...a,
        services: a.services.map((sv) => ({
          ...sv, baseline: figures(), change: { callers: -2, answers: -1, median: -1, mean: -0.5, satisfiedShare: -0.25 },
          indicators: sv.indicators.map((i) => ({ ...i, baseline: figures(), change: { callers: -2, answers: -1, median: -1, mean: -0.5, satisfiedShare: -0.25 } })),
        })),
      })) as ComparedSummary['communes'],
    } as ComparedSummary;
    return summaryCsv(compared);
  },
  'satisfaction table': (p) => p.map((x) => tableCsv(table(x))).join(''),
  'report (either kind)': (p) => reportCsv(summary(p)),
  'recording script (npm run prompts -- script --format csv)': (p) => scriptCsv(p.map((x, i): ScriptLine => ({
    order: i + 1, part: 'welcome' as ScriptLine['part'], promptId: x, text: x, km: x, en: x, note: x, seconds: 3, fileName: x,
  }))),
};

describe('CSV cells a spreadsheet would run as formulas are neutralised', () => {
  it.each(Object.keys(PRODUCERS))('%s', (name) => {
    expectInert(PRODUCERS[name](FORMULAS), FORMULAS);
  });

  it('numbers stay numbers (a negative change is not text), and ordinary text is untouched', () => {
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(-2)).toBe('-2');
    expect(csvField('Phnom Penh')).toBe('Phnom Penh');
    expect(csvField('ភ្នំពេញ')).toBe('ភ្នំពេញ');
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(neutraliseCell('=1')).toBe("'=1");
    const compared = PRODUCERS['report summary compared with a baseline'](['Takeo']);
    expect(cells(compared).flat()).toEqual(expect.arrayContaining(['-0.5', '-0.25', '-1']));
  });

  /**
   * Every file that writes CSV (a text/csv answer, or rows joined with commas and CRLF) does it
   * through src/exports/csv.ts, so a new producer cannot skip the neutralising.
   */
  it('every CSV writer in src/ and scripts/ uses the shared writer', () => {
    const files = ['src', 'scripts'].flatMap((dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)));
    const writers = files.filter((f) => {
      const code = fs.readFileSync(path.join(ROOT, f), 'utf8');
      return /text\/csv/.test(code) || (/join\(','\)/.test(code) && /\\r\\n/.test(code));
    });
    expect(writers.length).toBeGreaterThan(0);
    const bypassing = writers.filter((f) => {
      if (f === path.join('src', 'exports', 'csv.ts')) return false;
      const code = fs.readFileSync(path.join(ROOT, f), 'utf8');
      // It writes through the shared module, or hands out what a module built on it (reportCsv, scriptCsv, jaapCsv) made.
      return !/from '(\.\.\/)+(src\/)?exports\/csv'|from '\.\.\/exports\/csv'/.test(code) && !/\b(reportCsv|summaryCsv|tableCsv|scriptCsv|jaapCsv)\(/.test(code);
    });
    expect(bypassing).toEqual([]);
  });
});
