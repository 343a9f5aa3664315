/**
 * The Khmer review round trip from the command line:
 *   npm run i18n -- export [--all] [--catalog staff|prompts] [--out FILE]
 *   npm run i18n -- import FILE [--dry-run]
 * See src/translation/review-file.ts for the file and its checks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isContentPromptId } from '../src/i4c/content';
import { loadCatalog, saveCatalog } from '../src/prompts/catalog';
import { parseStaffCatalog } from '../src/staff/i18n/i18n';
import { importReview, reviewCsv, reviewRows, ReviewCatalogName } from '../src/translation/review-file';

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;
const ROOT = path.resolve(__dirname, '..');

const HELP = `Usage:
  npm run i18n -- export [--all] [--catalog staff|prompts] [--out FILE]
  npm run i18n -- import FILE [--dry-run]

export  writes a CSV file (UTF-8, opens in Excel, LibreOffice or Google Sheets) of every string
        whose Khmer a native Khmer speaker has not yet read: the staff web pages' words and the
        prompts callers hear, with where each is used and the English. Columns:
          catalog, key, context, english   leave as they are
          khmer                            correct the Khmer here
          reviewed                         write "yes" once the Khmer is right
        --all adds strings already reviewed; --catalog takes one catalog only;
        --out FILE (default: khmer-review-<date>.csv here; "-" writes to the screen).
        I4C texts (info.<service>.<topic>.<n>) are not in it: their Khmer is in content/i4c.

import  reads a reviewed file back. It is checked as a whole first: the columns, every key
        still in its catalog, the English unchanged since the export, Khmer letters, the same
        {placeholders} as the English, no key twice. With any problem nothing is written and
        every problem is listed by row and column. Otherwise the Khmer is saved, rows marked
        "yes" become reviewed (kmReview "done"), and prompts whose Khmer words changed are
        listed to be recorded again (the studio and coverage show them as outdated in Khmer).
        Importing the same file again changes nothing. --dry-run checks and reports only.

Options for both: --staff-catalog FILE (default src/staff/i18n/messages.json) and
--prompt-catalog FILE (default prompts/catalog.json): the files in this checkout, to commit and
ship; the staff words are built into the server, so a release carries them.
Exit status: 0 done, 1 the file was refused, 2 wrong usage.`;

function saveStaffCatalog(file: string, catalog: unknown): void {
  parseStaffCatalog(catalog, file);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(catalog, null, 2) + '\n');
  fs.renameSync(temp, file);
}

/** Today in Cambodia (UTC+7), as the words-changed date. */
function cambodiaToday(now = new Date()): string {
  return new Date(now.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

export function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        all: { type: 'boolean' }, catalog: { type: 'string' }, out: { type: 'string' }, 'dry-run': { type: 'boolean' },
        'staff-catalog': { type: 'string' }, 'prompt-catalog': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`i18n: ${(e as Error).message} (see --help)`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return EXIT.ok;
  }
  const [command, ...files] = positionals;
  const staffFile = path.resolve(values['staff-catalog'] ?? path.join(ROOT, 'src/staff/i18n/messages.json'));
  const promptFile = path.resolve(values['prompt-catalog'] ?? path.join(ROOT, 'prompts/catalog.json'));
  let staff;
  let prompts;
  try {
    staff = parseStaffCatalog(JSON.parse(fs.readFileSync(staffFile, 'utf8')), staffFile);
    prompts = loadCatalog(promptFile);
  } catch (e) {
    err(`i18n: ${(e as Error).message}`);
    return EXIT.usage;
  }

  if (command === 'export') {
    if (files.length) {
      err(`i18n export: unexpected ${JSON.stringify(files[0])} (see --help)`);
      return EXIT.usage;
    }
    if (values.catalog !== undefined && values.catalog !== 'staff' && values.catalog !== 'prompts') {
      err('i18n export: --catalog is "staff" or "prompts"');
      return EXIT.usage;
    }
    const catalogs = values.catalog ? [values.catalog as ReviewCatalogName] : undefined;
    const rows = reviewRows(staff, prompts, { all: values.all, catalogs, isContentPrompt: isContentPromptId });
    const csv = reviewCsv(rows);
    const target = values.out ?? `khmer-review-${cambodiaToday()}.csv`;
    if (target === '-') process.stdout.write(csv);
    else {
      fs.writeFileSync(target, csv);
      out(`i18n: wrote ${rows.length} strings to review to ${target} (${rows.filter((r) => r.catalog === 'staff').length} staff page words, ${rows.filter((r) => r.catalog === 'prompts').length} prompts)`);
    }
    return EXIT.ok;
  }

  if (command === 'import') {
    if (files.length !== 1) {
      err('i18n import: give one reviewed file (npm run i18n -- import FILE)');
      return EXIT.usage;
    }
    let text: string;
    try {
      text = fs.readFileSync(files[0], 'utf8');
    } catch (e) {
      err(`i18n import: cannot read ${files[0]}: ${(e as Error).message}`);
      return EXIT.usage;
    }
    const result = importReview(text, staff, prompts, { today: cambodiaToday(), isContentPrompt: isContentPromptId });
    if (result.problems.length) {
      err(`i18n import: ${files[0]} refused, nothing was changed. ${result.problems.length} problem(s):`);
      for (const p of result.problems) err(`  row ${p.row}, ${p.column}: ${p.message}`);
      return EXIT.refused;
    }
    const changes = result.changedText.staff.length + result.changedText.prompts.length + result.markedReviewed.staff.length + result.markedReviewed.prompts.length;
    out(`i18n import: ${result.changedText.staff.length} staff words and ${result.changedText.prompts.length} prompts with new Khmer; ${result.markedReviewed.staff.length} staff words and ${result.markedReviewed.prompts.length} prompts now reviewed`);
    if (result.toRecordAgain.length) out(`  record again in Khmer (the words changed): ${result.toRecordAgain.join(', ')}`);
    const stillNeeded = reviewRows(result.staff, result.prompts, { isContentPrompt: isContentPromptId }).length;
    out(`  ${stillNeeded} strings still wait for a review`);
    if (values['dry-run']) {
      out('  --dry-run: nothing written');
      return EXIT.ok;
    }
    if (changes === 0) return EXIT.ok;
    saveStaffCatalog(staffFile, result.staff);
    saveCatalog(promptFile, result.prompts);
    out(`  saved ${path.relative(process.cwd(), staffFile) || staffFile} and ${path.relative(process.cwd(), promptFile) || promptFile}`);
    return EXIT.ok;
  }

  err(`i18n: the command is "export" or "import" (see --help)`);
  return EXIT.usage;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
