import * as path from 'node:path';
import ExcelJS from 'exceljs';
import { parseReportArgs } from '../../scripts/report';
import { csvDocument } from '../../src/exports/csv';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { ENGINE, tempDir } from '../support/engine';
import { runReportCommand, storeForCommand } from '../support/report-command';
import { planItem } from '../support/jaap-items';

const day = (d: string) => new Date(`${d}T12:00:00+07:00`);

describe(`npm run report -- --jaap (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  beforeAll(async () => {
    opened = await storeForCommand(tempDir(), `test_jaap_cli_${process.pid}_${Date.now()}`, (store) => new JaapRegister(store).addItems([
      planItem('010201', 2023, '2023-03-01', 'B', 1, { status: 'done', doneAt: day('2023-09-01'), service: 'commune' }),
      planItem('010201', 2023, '2023-03-01', 'A', 1, { status: 'done', doneAt: day('2024-04-01'), service: 'health' }),
      planItem('120101', 2023, '2023-05-01', 'A', 1, { status: 'ongoing', service: 'school' }),
      planItem('120101', 2024, '2024-05-01', 'B', 1, { status: 'done', doneAt: day('2024-06-01') }),
    ]));
  });
  afterAll(async () => opened.close());

  it('prints one entry per area with level, code, agreed, solvedWithin12Months and share, for JAAPs agreed in the period', () => {
    const r = runReportCommand(opened.env, ['--jaap', '--from', '2023-01-01', '--to', '2024-01-01', '--as-of', '2024-02-01']);
    expect(r.stderr).not.toMatch(/^report: /m);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ period: { from: '2023-01-01', to: '2024-01-01' }, asOf: '2024-02-01' });
    expect(report.entries.map((e: { level: string; code: string }) => `${e.level} ${e.code}`)).toEqual(['country null', 'province 01', 'province 12', 'district 0102', 'district 1201', 'commune 010201', 'commune 120101']);
    expect(report.entries[0]).toMatchObject({ agreed: 3, solvedWithin12Months: 1, share: 0.333, doneLater: 1, stillInside12Months: 1 });
    expect(report.entries.find((e: { code: string }) => e.code === '010201')).toMatchObject({ nameLatin: 'Banteay Neang', agreed: 2, solvedWithin12Months: 1, share: 0.5 });
  });

  it('writes CSV for one province, and refuses an unknown commune', () => {
    const csv = runReportCommand(opened.env, ['--jaap', '--province', '12', '--from', '2023-01-01', '--to', '2024-01-01', '--as-of', '2024-06-01', '--format', 'csv', '--no-bom']);
    expect(csv.status).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe('level,code,name_km,name_latin,breakdown,agreed,solvedWithin12Months,share,doneLater,stillInside12Months,notSolved,dropped,from,to,as_of');
    expect(lines).toContain('country,,,,section-A,1,0,0,0,0,1,0,2023-01-01,2024-01-01,2024-06-01');
    expect(lines.some((l) => l.includes(',010201,'))).toBe(false);
    expect(runReportCommand(opened.env, ['--jaap', '--commune', '999999', '--from', '2023-01-01', '--to', '2024-01-01']).status).toBe(2);
  });

  it('writes an Excel workbook with Khmer headers whose rows, read back, are the CSV report\'s rows', async () => {
    const period = ['--jaap', '--from', '2023-01-01', '--to', '2024-01-01', '--as-of', '2024-06-01'];
    const out = path.join(tempDir(), 'jaap-2023.xlsx');
    const r = runReportCommand(opened.env, [...period, '--format', 'xlsx', '--lang', 'km', '--out', out]);
    expect(r.stderr).not.toMatch(/^report: /m);
    expect(r.status).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const sheet = book.worksheets[0];
    const read: string[][] = [];
    sheet.eachRow((row) => read.push((row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))));
    expect(read[0].slice(0, 8)).toEqual(['កម្រិត', 'លេខកូដ', 'ឈ្មោះជាភាសាខ្មែរ', 'ឈ្មោះជាអក្សរឡាតាំង', 'ការបែងចែក', 'បានព្រមព្រៀង', 'ដោះស្រាយក្នុង ១២ ខែ', 'ភាគរយដោះស្រាយ']);
    const csv = runReportCommand(opened.env, [...period, '--format', 'csv', '--no-bom']).stdout.split('\r\n').filter(Boolean);
    expect(csv.length).toBeGreaterThan(5);
    // The same rows as the CSV, cell for cell (the CSV writer quotes what needs quoting).
    expect(read.slice(1).map((row) => csvDocument([row.concat(Array(15 - row.length).fill(''))], { bom: false }).replace(/\r\n$/, ''))).toEqual(csv.slice(1));
    expect(sheet.getRow(2).getCell(8).numFmt).toBe('0.0%');
  });
});

describe('npm run report options for --jaap', () => {
  it('refuses what does not go with --jaap, and --as-of without it', () => {
    expect(parseReportArgs(['--jaap', '--as-of', '2024-01-01'])).toMatchObject({ jaap: true, asOf: '2024-01-01' });
    expect(() => parseReportArgs(['--jaap', '--table'])).toThrow(/cannot be combined/);
    expect(() => parseReportArgs(['--jaap', '--compare', '2023-01-01..2023-04-01'])).toThrow(/cannot be combined/);
    expect(() => parseReportArgs(['--as-of', '2024-01-01'])).toThrow(/goes with --jaap/);
    expect(() => parseReportArgs(['--format', 'xlsx', '--out', 'x.xlsx'])).toThrow(/xlsx goes with --jaap/);
    expect(() => parseReportArgs(['--jaap', '--format', 'xlsx'])).toThrow(/needs --out/);
    expect(() => parseReportArgs(['--jaap', '--format', 'csv', '--lang', 'km'])).toThrow(/--lang goes with --format xlsx/);
    expect(() => parseReportArgs(['--jaap', '--format', 'xlsx', '--out', 'x.xlsx', '--lang', 'fr'])).toThrow(/en or km/);
  });
});
