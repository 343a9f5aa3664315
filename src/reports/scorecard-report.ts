import { BadRequestError } from '../errors';
import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { Store } from '../store/store';
import { Period } from './period';
import { Area, RatingScope } from './rating-counts';
import { summaryCsv, tableCsv } from './report-csv';
import { buildSatisfactionTable, compareTables, ComparedTable, SatisfactionTable } from './satisfaction-table';
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
  const build = (period: Period) => {
    const scope = RatingScope.of(deps.store, period, area);
    return req.table
      ? buildSatisfactionTable(scope, deps.scorecard)
      : buildSummary(scope, deps, { breakdowns: req.breakdowns });
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
