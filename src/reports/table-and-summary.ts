import { FigureGrid } from './disclosure-control';
import { Period } from './period';
import { Area } from './rating-counts';
import { buildSatisfactionTable, SatisfactionTable } from './satisfaction-table';
import { checkArea, ReportDeps } from './scorecard-report';
import { buildSummary, Summary } from './scorecard-summary';

/** A staff report page: the area's table and summary, read from one national grid for the period. */
export async function tableAndSummary(deps: ReportDeps, period: Period, area: Area): Promise<{ table: SatisfactionTable; summary: Summary }> {
  const checked = checkArea(area, deps.gazetteer);
  const grid = await FigureGrid.count(deps.store, period, deps);
  return { table: buildSatisfactionTable(grid, checked, deps.scorecard), summary: buildSummary(grid, checked, deps) };
}
