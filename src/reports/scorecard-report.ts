import { BadRequestError } from '../errors';
import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Facility } from '../site/programme-areas';
import { Store } from '../store/store';
import { Period } from './period';
import { FigureGrid } from './disclosure-control';
import { Area } from './rating-counts';
import { summaryCsv, tableCsv } from './report-csv';
import { buildSatisfactionTable, compareTables, ComparedTable, SatisfactionTable, tableArea } from './satisfaction-table';
import { buildSummary, compareSummaries, ComparedSummary, Summary } from './scorecard-summary';

/** One report as the command line and the staff pages ask for it. */
export interface ReportRequest {
  period: Period;
  /** A baseline period to set side by side with `period`. */
  baseline?: Period;
  area: Area;
  /** The satisfaction table instead of the per-commune summary. */
  table?: boolean;
  breakdowns?: boolean;
}

export type Report = Summary | ComparedSummary | SatisfactionTable | ComparedTable;

export interface ReportDeps {
  store: Store;
  scorecard: Scorecard;
  gazetteer: Gazetteer;
  /** REPORT_MIN_CALLERS: distinct callers a shown figure rests on at least (5 when not given). */
  minCallers?: number;
  /** The programme's facilities, for their names (a facility not named here is shown by its id). */
  facilities?: readonly Facility[];
}

/**
 * Two periods side by side must not overlap: the difference of two shown figures over
 * overlapping periods would be the ratings of the part they do not share, which may be one
 * caller's.
 */
export function checkComparable(period: Period, baseline: Period): void {
  if (period.from < baseline.to && baseline.from < period.to) {
    throw new BadRequestError(`the periods ${period.label.from}..${period.label.to} and ${baseline.label.from}..${baseline.label.to} overlap: compare periods that do not (their difference could single out a caller)`);
  }
}

const LEVELS = [
  { key: 'communes', flag: '--commune', digits: 6, what: 'commune' },
  { key: 'districts', flag: '--district', digits: 4, what: 'district' },
  { key: 'provinces', flag: '--province', digits: 2, what: 'province' },
] as const;

/** Refuses codes that are malformed or not in the gazetteer, naming each one. */
export function checkArea(area: Area, gazetteer: Gazetteer): Area {
  const problems: string[] = [];
  const out: Area = {};
  for (const level of LEVELS) {
    const codes = [...new Set(area[level.key] ?? [])];
    for (const code of codes) {
      if (!new RegExp(`^[0-9]{${level.digits}}$`).test(code)) problems.push(`${level.flag} ${JSON.stringify(code)} is not a ${level.digits}-digit ${level.what} code`);
      else if (!gazetteer.find(code)) problems.push(`${level.flag} ${code} is not a ${level.what} in the gazetteer`);
    }
    if (codes.length) out[level.key] = codes;
  }
  if (problems.length) throw new BadRequestError(problems.join('; '));
  return out;
}

export async function runReport(deps: ReportDeps, req: ReportRequest): Promise<Report> {
  const area = checkArea(req.area, deps.gazetteer);
  if (req.table) tableArea(area);
  if (req.baseline) checkComparable(req.period, req.baseline);
  const build = async (period: Period) => {
    const grid = await FigureGrid.count(deps.store, period, deps);
    return req.table
      ? buildSatisfactionTable(grid, area, deps.scorecard)
      : buildSummary(grid, area, deps, { breakdowns: req.breakdowns });
  };
  const later = await build(req.period);
  if (!req.baseline) return later;
  const baseline = await build(req.baseline);
  return req.table
    ? compareTables(later as SatisfactionTable, baseline as SatisfactionTable)
    : compareSummaries(later as Summary, baseline as Summary);
}

export function reportCsv(report: Report, opts: { bom?: boolean } = {}): string {
  return 'rows' in report ? tableCsv(report, opts) : summaryCsv(report, opts);
}
