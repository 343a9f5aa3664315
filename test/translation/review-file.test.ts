import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { main } from '../../scripts/i18n';
import { isContentPromptId } from '../../src/i4c/content';
import { loadCatalog, PromptCatalog, wordsChangedFor } from '../../src/prompts/catalog';
import { parseStaffCatalog, StaffCatalog } from '../../src/staff/i18n/i18n';
import { importReview, reviewCsv, reviewRows } from '../../src/translation/review-file';

const REPO = path.resolve(__dirname, '../..');

function staffCatalog(): StaffCatalog {
  return parseStaffCatalog({
    messages: {
      'list.count': { en: '{n} messages', km: 'សារ {n}', kmReview: 'needed', note: 'above the list' },
      'nav.home': { en: 'Home', km: 'ទំព័រដើម', kmReview: 'needed' },
      'nav.out': { en: '-Sign out', km: 'ចាកចេញ', kmReview: 'done' },
    },
  });
}

function promptCatalog(): PromptCatalog {
  return {
    prompts: {
      welcome: { text: { en: 'Welcome.', km: 'សូមស្វាគមន៍។', cmo: 'Welcome (Mnong).' }, note: 'At most 8 seconds.' },
      'rate.thanks': { text: { en: 'Thank you.', km: 'សូមអរគុណ។' }, kmReview: 'done' },
      'info.health.fees.1': { text: { en: 'Fees are posted.', km: 'តម្លៃ​ត្រូវ​បិទ​ផ្សាយ។' } },
    },
  };
}

/** The export as a reviewer's spreadsheet sees it: rows of cells, the header first. */
function cells(csv: string): string[][] {
  return parse(csv, { bom: true }) as string[][];
}

/** The exported file with some cells changed, as a reviewer would save it. */
function edited(csv: string, edit: (rows: string[][]) => void): string {
  const rows = cells(csv);
  edit(rows);
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

const row = (rows: string[][], key: string) => rows.find((r) => r[1] === key)!;
const TODAY = '2026-12-07';

describe('the Khmer review file', () => {
  it('lists every string a native speaker has not read, with its context and English, but not I4C texts', () => {
    const rows = cells(reviewCsv(reviewRows(staffCatalog(), promptCatalog(), { isContentPrompt: isContentPromptId })));
    expect(rows[0]).toEqual(['catalog', 'key', 'context', 'english', 'khmer', 'reviewed']);
    expect(rows.slice(1).map((r) => `${r[0]} ${r[1]}`)).toEqual(['staff list.count', 'staff nav.home', 'prompts welcome']);
    expect(row(rows, 'list.count')).toEqual(['staff', 'list.count', 'staff web page: above the list', '{n} messages', 'សារ {n}', '']);
    expect(row(rows, 'welcome')[2]).toContain('At most 8 seconds.');
  });

  it('with all, lists reviewed strings too, marked yes', () => {
    const rows = cells(reviewCsv(reviewRows(staffCatalog(), promptCatalog(), { all: true, isContentPrompt: isContentPromptId })));
    expect(row(rows, 'nav.out')[5]).toBe('yes');
    expect(row(rows, 'rate.thanks')[5]).toBe('yes');
  });

  it('brings corrected Khmer back and marks rows with yes as reviewed, without changing the inputs', () => {
    const staff = staffCatalog();
    const prompts = promptCatalog();
    const file = edited(reviewCsv(reviewRows(staff, prompts)), (rows) => {
      row(rows, 'list.count').splice(4, 2, 'សារ​ចំនួន {n}', 'yes');
      row(rows, 'nav.home')[5] = 'yes';
      row(rows, 'welcome').splice(4, 2, 'សូម​ស្វាគមន៍​មក​កាន់​ខ្សែ​ទូរស័ព្ទ។', 'Yes');
    });
    const r = importReview(file, staff, prompts, { today: TODAY });
    expect(r.problems).toEqual([]);
    expect(r.staff.messages['list.count']).toEqual({ en: '{n} messages', km: 'សារ​ចំនួន {n}', kmReview: 'done', note: 'above the list' });
    expect(r.staff.messages['nav.home'].kmReview).toBe('done');
    expect(r.prompts.prompts.welcome.text).toEqual({ en: 'Welcome.', km: 'សូម​ស្វាគមន៍​មក​កាន់​ខ្សែ​ទូរស័ព្ទ។', cmo: 'Welcome (Mnong).' });
    expect(r.prompts.prompts.welcome.kmReview).toBe('done');
    expect(r.changedText).toEqual({ staff: ['list.count'], prompts: ['welcome'] });
    expect(r.markedReviewed).toEqual({ staff: ['list.count', 'nav.home'], prompts: ['welcome'] });
    // Only the Khmer recording says old words: the Mnong and English ones do not.
    expect(r.toRecordAgain).toEqual(['welcome']);
    expect(wordsChangedFor(r.prompts.prompts.welcome, 'km')).toBe(TODAY);
    expect(wordsChangedFor(r.prompts.prompts.welcome, 'cmo')).toBeUndefined();
    expect(staff.messages['list.count'].kmReview).toBe('needed');
    expect(prompts.prompts.welcome.text.km).toBe('សូមស្វាគមន៍។');
  });

  it('keeps a corrected string without yes as still to review, and a reviewed string whose Khmer changes back to review', () => {
    const file = edited(reviewCsv(reviewRows(staffCatalog(), promptCatalog(), { all: true })), (rows) => {
      row(rows, 'nav.home')[4] = 'ទំព័រ​ដើម';
      row(rows, 'nav.out').splice(4, 2, 'ចាក​ចេញ', '');
    });
    const r = importReview(file, staffCatalog(), promptCatalog(), { today: TODAY });
    expect(r.problems).toEqual([]);
    expect(r.staff.messages['nav.home']).toMatchObject({ km: 'ទំព័រ​ដើម', kmReview: 'needed' });
    expect(r.staff.messages['nav.out']).toMatchObject({ km: 'ចាក​ចេញ', kmReview: 'needed' });
  });

  it('changes nothing when the same file comes back a second time', () => {
    const file = edited(reviewCsv(reviewRows(staffCatalog(), promptCatalog())), (rows) => {
      row(rows, 'welcome').splice(4, 2, 'សូម​ស្វាគមន៍។', 'yes');
    });
    const once = importReview(file, staffCatalog(), promptCatalog(), { today: TODAY });
    const twice = importReview(file, once.staff, once.prompts, { today: '2027-01-15' });
    expect(twice.problems).toEqual([]);
    expect(twice.changedText).toEqual({ staff: [], prompts: [] });
    expect(twice.markedReviewed).toEqual({ staff: [], prompts: [] });
    expect(twice.prompts).toEqual(once.prompts);
    expect(twice.staff).toEqual(once.staff);
  });

  it('reads back a cell the export made inert for spreadsheets (a leading - or =) as its text', () => {
    const csv = reviewCsv(reviewRows(staffCatalog(), promptCatalog(), { all: true }));
    expect(row(cells(csv), 'nav.out')[3]).toBe("'-Sign out");
    const r = importReview(csv, staffCatalog(), promptCatalog(), { today: TODAY });
    expect(r.problems).toEqual([]);
    expect(r.changedText).toEqual({ staff: [], prompts: [] });
  });

  it('refuses the whole file, listing every problem by row and column, and changes nothing', () => {
    const staff = staffCatalog();
    const prompts = promptCatalog();
    const file = edited(reviewCsv(reviewRows(staff, prompts, { isContentPrompt: isContentPromptId })), (rows) => {
      row(rows, 'list.count').splice(4, 2, 'សារ​ចំនួន', 'yes'); // placeholder lost
      row(rows, 'nav.home').splice(4, 2, 'Home page', 'yes'); // no Khmer letters
      row(rows, 'welcome')[5] = 'maybe';
      rows.push(['staff', 'nav.gone', '', 'Gone', 'បាត់', 'yes']);
      rows.push(['prompts', 'welcome', '', 'Welcome.', 'សូមស្វាគមន៍។', '']);
      rows.push(['prompts', 'info.health.fees.1', '', 'Fees are posted.', 'តម្លៃ', 'yes']);
      rows.push(['staff', 'nav.out', '', 'Log out', 'ចាកចេញ', 'yes']); // English changed since the export
    });
    const r = importReview(file, staff, prompts, { today: TODAY, isContentPrompt: isContentPromptId });
    expect(r.problems.map((p) => `${p.row} ${p.column}`)).toEqual(['2 khmer', '3 khmer', '4 reviewed', '5 key', '6 key', '7 key', '8 english']);
    expect(r.problems[0].message).toContain('{n}');
    expect(r.problems[4].message).toContain('rows 4 and 6');
    expect(r.problems[5].message).toContain('content/i4c');
    expect(r.staff).toBe(staff);
    expect(r.prompts).toBe(prompts);
  });

  it('refuses a file whose columns are not the export\'s, or whose rows lost a cell', () => {
    expect(importReview('key,khmer\r\nnav.home,ទំព័រ\r\n', staffCatalog(), promptCatalog(), { today: TODAY }).problems[0]).toMatchObject({ row: 1, column: 'file' });
    const short = importReview('catalog,key,context,english,khmer,reviewed\r\nstaff,nav.home,Home,ទំព័រ\r\n', staffCatalog(), promptCatalog(), { today: TODAY });
    expect(short.problems).toEqual([expect.objectContaining({ row: 2, column: 'file' })]);
  });
});

describe('npm run i18n', () => {
  let dir: string;
  let staffFile: string;
  let promptFile: string;
  const run = (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = main([...args, '--staff-catalog', staffFile, '--prompt-catalog', promptFile], (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'i18n-'));
    staffFile = path.join(dir, 'messages.json');
    promptFile = path.join(dir, 'catalog.json');
    fs.copyFileSync(path.join(REPO, 'src/staff/i18n/messages.json'), staffFile);
    fs.copyFileSync(path.join(REPO, 'prompts/catalog.json'), promptFile);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exports the shipped catalogs, and an unchanged file imports with no change to either file', () => {
    const file = path.join(dir, 'review.csv');
    expect(run('export', '--out', file).code).toBe(0);
    const rows = cells(fs.readFileSync(file, 'utf8'));
    expect(rows.length).toBeGreaterThan(300);
    expect(rows.some((r) => r[1].startsWith('info.') && isContentPromptId(r[1]))).toBe(false);
    const before = [fs.readFileSync(staffFile, 'utf8'), fs.readFileSync(promptFile, 'utf8')];
    const r = run('import', file);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect([fs.readFileSync(staffFile, 'utf8'), fs.readFileSync(promptFile, 'utf8')]).toEqual(before);
  });

  it('writes a reviewed file into both catalogs, which still load', () => {
    const file = path.join(dir, 'review.csv');
    run('export', '--out', file);
    fs.writeFileSync(file, edited(fs.readFileSync(file, 'utf8'), (rows) => {
      rows.slice(1).forEach((r) => { r[5] = 'yes'; });
    }));
    const r = run('import', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('0 strings still wait for a review');
    const staff = parseStaffCatalog(JSON.parse(fs.readFileSync(staffFile, 'utf8')));
    expect(Object.values(staff.messages).every((m) => m.kmReview === 'done')).toBe(true);
    const prompts = loadCatalog(promptFile);
    expect(prompts.prompts.welcome.kmReview).toBe('done');
    expect(run('export', '--out', file).out).toContain('wrote 0 strings');
  });

  it('refuses a bad file with exit status 1, names each problem, and leaves both catalogs as they were; --dry-run writes nothing', () => {
    const file = path.join(dir, 'review.csv');
    run('export', '--out', file);
    const before = [fs.readFileSync(staffFile, 'utf8'), fs.readFileSync(promptFile, 'utf8')];
    fs.writeFileSync(file, edited(fs.readFileSync(file, 'utf8'), (rows) => {
      rows[1][5] = 'yes';
      rows[2][4] = 'not Khmer';
    }));
    const bad = run('import', file);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/refused, nothing was changed/);
    expect(bad.err).toMatch(/row 3, khmer/);
    fs.writeFileSync(file, edited(fs.readFileSync(file, 'utf8'), (rows) => { rows[2][4] = 'ខ្មែរ'; }));
    expect(run('import', file, '--dry-run')).toMatchObject({ code: 0 });
    expect([fs.readFileSync(staffFile, 'utf8'), fs.readFileSync(promptFile, 'utf8')]).toEqual(before);
    expect(run('export', '--catalog', 'everything').code).toBe(2);
    expect(run('import').code).toBe(2);
  });
});
