import { FigureGrid } from './disclosure-control';
import { Figures } from './figures';
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

/** One commune's row on an area page: each service's figures, without indicators or groups. */
export interface CommuneRow {
  code: string;
  services: (Figures & { service: string })[];
}

/**
 * An area page (the country, a province, a district): its table and one row per commune, all the
 * page shows of the summary. A fraction of the whole summary (5.6 MB for the country with
 * 50,000 ratings), which matters where it is copied from the report process to the hotline's.
 */
export async function tableAndCommuneRows(deps: ReportDeps, period: Period, area: Area): Promise<{ table: SatisfactionTable; communes: CommuneRow[] }> {
  const { table, summary } = await tableAndSummary(deps, period, area);
  return {
    table,
    communes: summary.communes.map((c) => ({
      code: c.code,
      services: c.services.map(({ indicators, groups, ...figures }) => figures),
    })),
  };
}
