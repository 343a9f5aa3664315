/**
 * The Digital Community Scorecard (DCS) app's Excel scorecard report, read into scorecard rounds.
 *
 * The layout is the one its web backend writes ("Download in full", sheet `scorecard_report`):
 * kakada/scorecard-web, lib/builders/excel_builders/scorecard_report_excel_builder.rb at commit
 * 10285c0d651dd0c78c8ce89b17ff7fb51badc42a, with its headers and values from
 * config/locales/excel/{en,km}.yml, config/locales/scorecard/{en,km}.yml and the date format
 * `time.formats.nice` of config/locales/datetime/{en,km}.yml. Read for the layout only (the app is
 * GPL-3.0); nothing of its code is here. What it writes, one row per voted indicator:
 * - 38 columns, headers in the report's language (English or Khmer), the three "suggested
 *   action" headers identical, so columns are known by position, not by name;
 * - the scorecard's place as province, district and commune names (Pumi, the gazetteer's source),
 *   the DCS facility as its name ("Health Center"), the provider's name (a school, else the commune);
 * - the type as "1=Community Scorecard" / "2=Self Assessment"; an indicator of the app's list
 *   by name, or "Other" with the meeting's own words in the next column;
 * - counts per point of the 1-5 scale, an empty cell for none; the median as "3=Acceptable";
 *   strengths and weaknesses joined with "; ", three suggested actions in three columns;
 * - the meeting as "05 Mar 2024, 09:30 am" (month names in Khmer on a Khmer report); a scorecard
 *   with no voted indicator is a short row (its date moves left): nothing to import.
 *
 * A file is checked whole before anything is written, like a JAAP file (src/jaap/jaap-file.ts):
 * with any problem nothing is written and every problem is listed by row and column. Importing
 * the same file again changes nothing: a result whose words and counts are unchanged keeps its
 * entry time, a round already there keeps its state and history.
 */
// Types only here: exceljs takes a third of a second to load, so it is loaded when a workbook is read or written.
import type ExcelJS from 'exceljs';
import { Gazetteer, Place } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Facility } from '../site/programme-areas';
import { translator } from '../staff/i18n/i18n';
import { westernDigits } from '../staff/khmer-digits';
import { RoundRegister } from './round-register';
import { checkedCounts, defaultPhonePeriod, proposedIndicatorKey, resultId, RoundResult, roundId, RoundState, ScorecardRound, StoredChannel } from './scorecard-round';

/** The same limit as a JAAP file: a year's report for a province is a few thousand rows. */
export const DCS_FILE_MAX_BYTES = 1_000_000;

/** The report's columns in order, with the headers the app writes in English and Khmer. */
export const DCS_COLUMNS = [
  { key: 'number', en: '#', km: 'ល.រ' },
  { key: 'scorecard-id', en: 'Scorecard ID', km: 'លេខសម្គាល់ប័ណ្ណដាក់ពិន្ទុ' },
  { key: 'status', en: 'Status', km: 'ស្ថានភាព' },
  { key: 'province', en: 'Province', km: 'ខេត្ត' },
  { key: 'district', en: 'District', km: 'ស្រុក' },
  { key: 'commune', en: 'Commune', km: 'ឃុំ' },
  { key: 'local-ngo', en: 'Local NGO', km: 'អ្នកអនុវត្ត(Local Ngo)' },
  { key: 'running-mode', en: 'Running Mode', km: 'របៀបអនុវត្ត' },
  { key: 'facilitators', en: 'Number of caf', km: 'ចំនួនអ្នកសម្របសម្រួល' },
  { key: 'participants', en: 'Total Participant', km: 'អ្នកចូលរួមសរុប' },
  { key: 'male', en: 'Male', km: 'ប្រុស' },
  { key: 'female', en: 'Female', km: 'ស្រី' },
  { key: 'youth', en: 'Youth (15-30)', km: 'យុវជន (15-30)' },
  { key: 'id-poor', en: 'Poor Card', km: 'មានប័ណ្ណក្រីក្រ' },
  { key: 'minority', en: 'Minority', km: 'ជនជាតិភាគតិច' },
  { key: 'disability', en: 'Disability', km: 'ជនមានពិការភាព' },
  { key: 'type', en: 'Scorecard Type (1=Self Assessment, 2=Community Scorecard)', km: 'ប្រភេទប័ណ្ណដាក់ពិន្ទុ(1=ប្រជាពលរដ្ឋ, 2=អង្ភភាពផ្តល់សេវា)' },
  { key: 'facility', en: 'Service', km: 'សេវា' },
  { key: 'provider', en: 'Name of service provider', km: 'ឈ្មោះអង្គភាពផ្តល់សេវា' },
  { key: 'indicator', en: 'Indicator Development', km: 'លក្នណៈវិនិច្ឆ័យអាទិភាព' },
  { key: 'indicator-other', en: 'Indicator Development (Other)', km: 'លក្នណៈវិនិច្ឆ័យអាទិភាព (ផ្សេងៗ)' },
  { key: 'raised-by-female', en: 'Raised by Female', km: 'លើកឡើងដោយស្ត្រី' },
  { key: 'raised-by-youth', en: 'Raised by Youth', km: 'លើកឡើងដោយយុវជន' },
  { key: 'raised-by-id-poor', en: 'Raised by ID poor', km: 'លើកឡើងដោយអ្នកមានប័ណ្ណក្រីក្រ' },
  { key: 'raised-by-minority', en: 'Raised by Ethnic Minority', km: 'លើកឡើងដោយជនជាតិភាគតិច' },
  { key: 'raised-by-disability', en: 'Raised by PwD', km: 'លើកឡើងដោយជនមានពិការភាព' },
  { key: 'count-1', en: '1=Very bad', km: '1=ខ្សោយណាស់' },
  { key: 'count-2', en: '2=Bad', km: '2=ខ្សោយ' },
  { key: 'count-3', en: '3=Acceptable', km: '3=ទទូលយកបាន' },
  { key: 'count-4', en: '4=Good', km: '4=ល្អ' },
  { key: 'count-5', en: '5=Very good', km: '5=ល្អណាស់' },
  { key: 'average', en: 'Average Score', km: 'ពិន្ទុមធ្យម' },
  { key: 'strengths', en: 'Strength', km: 'ចំនុចខ្លាំង' },
  { key: 'weaknesses', en: 'Weaknesses / points to improve', km: 'ចំណុចខ្សោយ/ចំណុចដែលត្រូវកែលម្អ' },
  { key: 'suggested-1', en: 'Suggested action', km: 'សកម្មភាពដែលស្នើឡើង' },
  { key: 'suggested-2', en: 'Suggested action', km: 'សកម្មភាពដែលស្នើឡើង' },
  { key: 'suggested-3', en: 'Suggested action', km: 'សកម្មភាពដែលស្នើឡើង' },
  { key: 'meeting-date', en: 'Notes (Meeting Month / Year)', km: 'កំណត់សំគាល់ (ខែ/ឆ្នាំកិច្ចប្រជុំ)' },
] as const;
export type DcsColumn = (typeof DCS_COLUMNS)[number]['key'] | 'file';
const COLUMN_AT = new Map<DcsColumn, number>(DCS_COLUMNS.map((c, i) => [c.key, i]));

/** The app's scorecard states (scorecard.<status> in its locales); only "completed" completes a round. */
const DCS_STATUSES: Record<string, readonly string[]> = {
  planned: ['Planned', 'នឹងត្រូវអនុវត្ត'],
  downloaded: ['downloaded', 'ទាញយករួច'],
  running: ['Running', 'កំពុងដំណើរការ'],
  submitted: ['submitted', 'បានដាក់ស្នើ'],
  renewed: ['Renewed', 'ស្នើឡើងវិញ'],
  in_review: ['In review', 'ដាក់ជូនត្រួតពិនិត្យ'],
  completed: ['Completed', 'អនុវត្តរួចរាល់'],
  open_voting: ['Open voting', 'បើកការដាក់ពិន្ទុ'],
  close_voting: ['Close voting', 'បិទការដាក់ពិន្ទុ'],
};

const DCS_TYPES: Record<string, { channel: StoredChannel; words: readonly string[] }> = {
  community_scorecard: { channel: 'meeting', words: ['1=Community Scorecard', '1=ប្រជាពលរដ្ឋ', 'Community scorecard', 'ប័ណ្ណដាក់ពិន្ទុសហគមន៍'] },
  self_assessment: { channel: 'self-assessment', words: ['2=Self Assessment', '2=អង្ភភាពផ្តល់សេវា', 'Self assessment', 'ការវាយតម្លៃខ្លួនឯង', 'វាយតម្លៃខ្លួនឯង'] },
};

/** The app's standard facilities (lib/samples/assets/csv/facility.csv) and the scorecard service each is. */
const DCS_FACILITIES: readonly { code: string; en: string; km: string; service: string }[] = [
  { code: 'CA', en: 'Commune Administrative', km: 'រដ្ឋបាលឃុំសង្កាត់', service: 'commune' },
  { code: 'PS', en: 'Primary School', km: 'បឋមសិក្សា', service: 'school' },
  { code: 'HC', en: 'Health Center', km: 'មណ្ឌលសុខភាព', service: 'health' },
];

/** The indicator column's word for an indicator the meeting proposed itself. */
const OTHER_INDICATOR = ['other', 'ផ្សេងៗ'];

const MONTHS: Record<string, number> = {};
['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].forEach((m, i) => { MONTHS[m] = i + 1; });
['មករា', 'កុម្ភៈ', 'មីនា', 'មេសា', 'ឧសភា', 'មិថុនា', 'កក្កដា', 'សីហា', 'កញ្ញា', 'តុលា', 'វិច្ឆិកា', 'ធ្នូ'].forEach((m, i) => { MONTHS[m] = i + 1; });

export type DcsProblemKey =
  | 'file-too-large' | 'file-unreadable' | 'no-rows' | 'header-wrong' | 'scorecard-id-empty' | 'status-unknown' | 'commune-unknown' | 'type-unknown'
  | 'facility-unknown' | 'provider-unknown' | 'indicator-empty' | 'count-bad' | 'counts-none' | 'average-bad' | 'date-bad' | 'duplicate' | 'scorecard-differs';

export interface DcsProblem {
  /** The spreadsheet's row (1 is the header); 0 for the file as a whole. */
  row: number;
  column: DcsColumn;
  /** The catalog word (rounds-import.problem.<key>) the desk shows in its reader's language. */
  key: DcsProblemKey;
  vars: Record<string, string | number>;
  /** The same in English, for the command line and logs. */
  message: string;
}

/** One voted indicator of one DCS scorecard, matched to a round and a result. */
export interface DcsRow {
  row: number;
  dcsScorecardId: string;
  completed: boolean;
  round: Omit<ScorecardRound, 'state' | 'history' | 'createdAt' | 'createdBy' | 'dcsScorecardIds'>;
  channel: StoredChannel;
  indicatorKey: string;
  indicatorName?: string;
  counts: [number, number, number, number, number];
  strengths: string[];
  weaknesses: string[];
  suggestedActions: string[];
}

export interface DcsReportRead {
  rows: DcsRow[];
  /** Rows of scorecards with no voted indicator (nothing to import), by row number. */
  skipped: number[];
  problems: DcsProblem[];
}

export interface DcsImportContext {
  gazetteer: Gazetteer;
  scorecard: Scorecard;
  /** The programme's facilities (src/site/programme-areas.ts): a round names one when the file does. */
  facilities: readonly Facility[];
}

/** A column's header as the app writes it, in a language. */
export function dcsHeader(column: DcsColumn, lang: 'en' | 'km'): string {
  if (column === 'file') return lang === 'en' ? 'file' : 'ឯកសារ';
  return DCS_COLUMNS[COLUMN_AT.get(column)!][lang];
}

const english = translator('en');
function problemOf(row: number, column: DcsColumn, key: DcsProblemKey, vars: Record<string, string | number> = {}): DcsProblem {
  return { row, column, key, vars, message: english(`rounds-import.problem.${key}`, vars) };
}

/**
 * Names compared as people write them: case, spacing and the two ways of writing a subscript
 * "da" (្ដ and ្ត, both found in the gazetteer for the same sound) do not matter.
 */
function comparable(text: string): string {
  return westernDigits(text.normalize('NFC')).replace(/\u17D2\u178A/g, '\u17D2\u178F').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** A cell as text: numbers as written, dates as ISO days, rich text flattened. */
function cellText(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return (cell.text ?? '').toString().trim();
}

/** The meeting day from the report's date cell: "05 Mar 2024, 09:30 am", its Khmer form, an ISO day, or an Excel date. */
export function meetingDay(value: ExcelJS.CellValue | string): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  const text = comparable(String(value ?? ''));
  let y: number, m: number, d: number;
  const iso = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b/.exec(text);
  const nice = /^([0-9]{1,2})\s+([^\s,0-9]+)\s+([0-9]{4})\b/.exec(text);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (nice) {
    const month = MONTHS[nice[2].slice(0, /^[a-z]/.test(nice[2]) ? 3 : undefined)];
    if (!month) return null;
    [y, m, d] = [Number(nice[3]), month, Number(nice[1])];
  } else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || y < 2000 || y > 2100) return null;
  return date.toISOString().slice(0, 10);
}

class PlaceIndex {
  constructor(private readonly gazetteer: Gazetteer) {}

  private named(places: readonly Place[], text: string): Place | undefined {
    const want = comparable(text);
    if (/^[0-9]{2,6}$/.test(want)) return places.find((p) => p.code === want);
    return places.find((p) => comparable(p.nameKm) === want || comparable(p.nameLatin) === want);
  }

  /** The commune from its code (in any of the three cells) or from the three names, Khmer or Latin. */
  commune(province: string, district: string, commune: string): Place | undefined {
    const code = comparable(commune);
    if (/^[0-9]{6}$/.test(code)) return this.gazetteer.isCommune(code) ? this.gazetteer.find(code) : undefined;
    const p = this.named(this.gazetteer.provinces, province);
    const d = p && this.named(this.gazetteer.childrenOf(p.code), district);
    return d && this.named(this.gazetteer.childrenOf(d.code), commune);
  }
}

/** Splits "a; b" as the app joins strengths and weaknesses. */
function listOf(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter(Boolean);
}

/** Reads a workbook: the report's sheet (`scorecard_report`, else the first). */
export async function readDcsReport(data: Buffer, ctx: DcsImportContext): Promise<DcsReportRead> {
  if (data.length > DCS_FILE_MAX_BYTES) return { rows: [], skipped: [], problems: [problemOf(0, 'file', 'file-too-large', { mb: DCS_FILE_MAX_BYTES / 1_000_000 })] };
  const book = new (await import('exceljs')).default.Workbook();
  try {
    await book.xlsx.load(data as unknown as ArrayBuffer);
  } catch (err) {
    return { rows: [], skipped: [], problems: [problemOf(0, 'file', 'file-unreadable', { detail: (err as Error).message.slice(0, 200) })] };
  }
  const sheet = book.getWorksheet('scorecard_report') ?? book.worksheets[0];
  if (!sheet || sheet.rowCount < 2) return { rows: [], skipped: [], problems: [problemOf(0, 'file', 'no-rows')] };
  return readDcsSheet(sheet, ctx);
}

function readDcsSheet(sheet: ExcelJS.Worksheet, ctx: DcsImportContext): DcsReportRead {
  const problems: DcsProblem[] = [];
  const header = sheet.getRow(1);
  DCS_COLUMNS.forEach((c, i) => {
    const found = cellText(header.getCell(i + 1));
    if (comparable(found) !== comparable(c.en) && comparable(found) !== comparable(c.km)) {
      problems.push(problemOf(1, c.key, 'header-wrong', { position: i + 1, expected: c.en, found: found || '–' }));
    }
  });
  if (problems.length) return { rows: [], skipped: [], problems };

  const places = new PlaceIndex(ctx.gazetteer);
  const services = new Map(ctx.scorecard.services.map((s) => [s.id, s]));
  const rows: DcsRow[] = [];
  const skipped: number[] = [];
  const seen = new Map<string, number>();
  const scorecards = new Map<string, { row: number; fingerprint: string }>();

  sheet.eachRow({ includeEmpty: false }, (r, rowNumber) => {
    if (rowNumber === 1) return;
    const cell = (c: DcsColumn) => cellText(r.getCell(COLUMN_AT.get(c)! + 1));
    const rawCell = (c: DcsColumn) => r.getCell(COLUMN_AT.get(c)! + 1).value;
    const problem = (c: DcsColumn, key: DcsProblemKey, vars?: Record<string, string | number>) => problems.push(problemOf(rowNumber, c, key, vars));
    const texts = DCS_COLUMNS.map((_, i) => cellText(r.getCell(i + 1)));
    if (texts.every((t) => t === '')) return;
    // A scorecard with no voted indicator: the builder writes its first 19 columns and the date.
    if (texts.slice(COLUMN_AT.get('indicator-other')!).every((t) => t === '')) {
      skipped.push(rowNumber);
      return;
    }

    const dcsScorecardId = cell('scorecard-id');
    if (!dcsScorecardId) problem('scorecard-id', 'scorecard-id-empty');
    const statusText = comparable(cell('status'));
    const status = Object.entries(DCS_STATUSES).find(([code, words]) => code === statusText.replace(/ /g, '_') || words.some((w) => comparable(w) === statusText))?.[0];
    if (!status) problem('status', 'status-unknown', { value: cell('status') || '–', known: Object.values(DCS_STATUSES).map((w) => w[0]).join(', ') });

    const commune = places.commune(cell('province'), cell('district'), cell('commune'));
    if (!commune) problem('commune', 'commune-unknown', { province: cell('province') || '–', district: cell('district') || '–', commune: cell('commune') || '–' });

    const typeText = comparable(cell('type'));
    const type = Object.entries(DCS_TYPES).find(([code, t]) => code === typeText || t.words.some((w) => comparable(w) === typeText))?.[1];
    if (!type) problem('type', 'type-unknown', { value: cell('type') || '–' });

    // The service from the DCS facility (or the programme's code or name of a facility, or a scorecard service).
    const facilityText = comparable(cell('facility'));
    const named = ctx.facilities.find((f) => (f.code && comparable(f.code) === facilityText) || comparable(f.name.en) === facilityText || comparable(f.name.km) === facilityText);
    const service = named?.service
      ?? DCS_FACILITIES.find((f) => [f.code, f.en, f.km].some((w) => comparable(w) === facilityText))?.service
      ?? ctx.scorecard.services.find((s) => [s.id, s.name.en, s.name.km].some((w) => comparable(w) === facilityText))?.id;
    const serviceDef = service ? services.get(service) : undefined;
    if (!serviceDef) problem('facility', 'facility-unknown', { value: cell('facility') || '–', known: DCS_FACILITIES.map((f) => f.en).join(', ') });

    // The facility: the one the cells name, else the only one of that service serving the commune.
    let facilityId: string | undefined;
    if (serviceDef && commune) {
      const serving = ctx.facilities.filter((f) => f.service === serviceDef.id && f.communes.includes(commune.code));
      const providerText = comparable(cell('provider'));
      const byProvider = serving.find((f) => (f.code && comparable(f.code) === providerText) || comparable(f.name.en) === providerText || comparable(f.name.km) === providerText);
      if (named && named.communes.includes(commune.code)) facilityId = named.id;
      else if (byProvider) facilityId = byProvider.id;
      else if (serving.length === 1) facilityId = serving[0].id;
      else if (serving.length > 1) problem('provider', 'provider-unknown', { value: cell('provider') || '–', known: serving.map((f) => f.name.en).join(', ') });
    }

    // The indicator: the scorecard's own (by id or English words), else proposed in the meeting's words.
    const listed = cell('indicator');
    const words = OTHER_INDICATOR.includes(comparable(listed)) || !listed ? cell('indicator-other') : listed;
    let indicatorKey: string | undefined;
    let indicatorName: string | undefined;
    if (!words) problem('indicator', 'indicator-empty');
    else if (serviceDef) {
      const own = serviceDef.indicators.find((i) => comparable(i.id) === comparable(words) || comparable(i.en).replace(/[.!]$/, '') === comparable(words).replace(/[.!]$/, ''));
      if (own) indicatorKey = own.id;
      else {
        indicatorKey = proposedIndicatorKey(words);
        indicatorName = words.slice(0, 300);
      }
    }

    const counts: number[] = [];
    for (const c of ['count-1', 'count-2', 'count-3', 'count-4', 'count-5'] as const) {
      const text = westernDigits(cell(c)).replace(/[,\s]/g, '');
      if (text === '') counts.push(0);
      else if (/^[0-9]{1,6}$/.test(text)) counts.push(Number(text));
      else {
        problem(c, 'count-bad', { value: cell(c) });
        counts.push(-1);
      }
    }
    let checked: [number, number, number, number, number] | undefined;
    if (counts.every((n) => n >= 0)) {
      if (counts.every((n) => n === 0)) problem('count-1', 'counts-none');
      else checked = checkedCounts(counts);
    }
    const average = westernDigits(cell('average'));
    if (average && !/^[1-5](\.[0-9]+)?(\s*=.*)?$/.test(average)) problem('average', 'average-bad', { value: cell('average') });

    const rawDate = rawCell('meeting-date');
    const day = meetingDay(rawDate instanceof Date ? rawDate : cell('meeting-date'));
    if (!day) problem('meeting-date', 'date-bad', { value: cell('meeting-date') || '–' });

    if (!dcsScorecardId || !status || !commune || !type || !serviceDef || !indicatorKey || !checked || !day) return;
    const year = Number(day.slice(0, 4));
    const id = roundId(commune.code, facilityId ?? serviceDef.id, year);

    // Every row of one scorecard names the same round, type and day.
    const fingerprint = `${id}|${type.channel}|${day}`;
    const before = scorecards.get(dcsScorecardId);
    if (before && before.fingerprint !== fingerprint) {
      problem('scorecard-id', 'scorecard-differs', { id: dcsScorecardId, first: before.row });
      return;
    }
    scorecards.set(dcsScorecardId, { row: rowNumber, fingerprint });
    const result = resultId(id, type.channel, indicatorKey);
    if (seen.has(result)) {
      problem('indicator', 'duplicate', { first: seen.get(result)! });
      return;
    }
    seen.set(result, rowNumber);
    const { provinceCode, districtCode } = ctx.gazetteer.lineage(commune.code);
    rows.push({
      row: rowNumber, dcsScorecardId, completed: status === 'completed',
      round: { _id: id, communeCode: commune.code, districtCode, provinceCode, service: serviceDef.id, ...(facilityId ? { facilityId } : {}), year, plannedOn: day, heldOn: day, ...defaultPhonePeriod(year, day) },
      channel: type.channel, indicatorKey, ...(indicatorName ? { indicatorName } : {}), counts: checked,
      strengths: listOf(cell('strengths')), weaknesses: listOf(cell('weaknesses')),
      suggestedActions: (['suggested-1', 'suggested-2', 'suggested-3'] as const).map(cell).filter(Boolean),
    });
  });
  if (!problems.length && rows.length === 0 && skipped.length === 0) problems.push(problemOf(0, 'file', 'no-rows'));
  const order = (c: DcsColumn) => COLUMN_AT.get(c) ?? -1;
  problems.sort((a, b) => a.row - b.row || order(a.column) - order(b.column));
  return { rows: problems.length ? [] : rows, skipped, problems };
}

export interface DcsImport {
  roundsAdded: string[];
  /** Rounds already in the register that got results from the file. */
  roundsUpdated: string[];
  resultsWritten: number;
  resultsUnchanged: number;
  /** Results of an imported round and channel that the file no longer has. */
  resultsRemoved: number;
  skipped: number[];
  problems: DcsProblem[];
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What an import compares: the same words and counts mean nothing to write. */
function sameResult(a: RoundResult, b: RoundResult): boolean {
  return (a.indicatorName ?? null) === (b.indicatorName ?? null) && a.source === b.source && sameList(a.counts, b.counts)
    && sameList(a.strengths, b.strengths) && sameList(a.weaknesses, b.weaknesses) && sameList(a.suggestedActions, b.suggestedActions) && sameList(a.priorityActions, b.priorityActions);
}

/**
 * Imports a checked report. A round missing from the register is made (completed when the app
 * says so, else in review); each round and channel in the file gets exactly the file's results
 * (an indicator the file no longer has is removed), keeping priority actions marked at the desk
 * that are still suggested; the DCS scorecard id is linked to its round. A read with problems
 * writes nothing.
 */
export async function importDcsReport(register: RoundRegister, read: DcsReportRead, o: { by: string; now: Date }): Promise<DcsImport> {
  const outcome: DcsImport = { roundsAdded: [], roundsUpdated: [], resultsWritten: 0, resultsUnchanged: 0, resultsRemoved: 0, skipped: read.skipped, problems: read.problems };
  if (read.problems.length) return outcome;
  const byRound = new Map<string, DcsRow[]>();
  for (const r of read.rows) byRound.set(r.round._id, [...(byRound.get(r.round._id) ?? []), r]);
  for (const [id, rows] of byRound) {
    let round = await register.round(id);
    if (!round) {
      const state: RoundState = rows.every((r) => r.completed) ? 'completed' : 'in-review';
      round = { ...rows[0].round, state, history: [{ state, at: o.now, by: o.by }], createdAt: o.now, createdBy: o.by };
      await register.addRound(round);
      outcome.roundsAdded.push(id);
    } else outcome.roundsUpdated.push(id);
    for (const dcsId of new Set(rows.map((r) => r.dcsScorecardId))) if (!round.dcsScorecardIds?.includes(dcsId)) await register.linkDcsScorecard(id, dcsId);
    for (const channel of new Set(rows.map((r) => r.channel))) {
      const there = new Map((await register.resultsOf(id, channel)).map((r) => [r._id, r]));
      const inFile = new Set<string>();
      for (const r of rows.filter((x) => x.channel === channel)) {
        const _id = resultId(id, channel, r.indicatorKey);
        inFile.add(_id);
        const before = there.get(_id);
        const result: RoundResult = {
          _id, roundId: id, channel, indicatorKey: r.indicatorKey, ...(r.indicatorName ? { indicatorName: r.indicatorName } : {}), counts: r.counts,
          strengths: r.strengths, weaknesses: r.weaknesses, suggestedActions: r.suggestedActions,
          priorityActions: (before?.priorityActions ?? []).filter((a) => r.suggestedActions.includes(a)),
          source: 'dcs-import', enteredBy: o.by, enteredAt: o.now,
        };
        if (before && sameResult(before, result)) outcome.resultsUnchanged++;
        else {
          await register.saveResult(result);
          outcome.resultsWritten++;
        }
      }
      for (const old of there.keys()) {
        if (!inFile.has(old) && (await register.deleteResult(old))) outcome.resultsRemoved++;
      }
    }
  }
  return outcome;
}
