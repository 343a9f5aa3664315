import { Gazetteer } from '../gazetteer/gazetteer';
import { Scorecard } from '../scorecard/scorecard';
import { FigureGrid, Level } from './disclosure-control';
import { Figures } from './figures';
import { Period } from './period';
import { Area } from './rating-counts';
import { buildSatisfactionTable, SatisfactionTable, tableArea } from './satisfaction-table';
import { checkArea, checkComparable, ReportDeps } from './scorecard-report';
import { buildSummary, Summary } from './scorecard-summary';

/** One area's row on a report page: each service's figures, without indicators or groups. */
export interface AreaRow {
  level: Level;
  code: string;
  services: (Figures & { service: string })[];
}
/** A commune's row on an area page. */
export type CommuneRow = AreaRow;

/** An area's row, read from the grid: the same cells, withheld the same way, as every other page. */
function areaRow(grid: FigureGrid, scorecard: Scorecard, level: Level, code: string): AreaRow {
  return { level, code, services: scorecard.services.map((s) => ({ service: s.id, ...grid.figures(level, code, s.id) })) };
}

/**
 * A staff commune page: the commune's table and summary, and the rows of the district and the
 * province around it (`around`), read from one national grid for the period. The page points a
 * reader whose commune figure is withheld to the nearest of them that is shown. With a
 * `baseline` period (which must not overlap), its table and summary too (`before`), each figure
 * withheld or shown by that period's own grid, for the change between them.
 */
export async function tableAndSummary(deps: ReportDeps, period: Period, area: Area, baseline?: Period): Promise<{ table: SatisfactionTable; summary: Summary; around: AreaRow[]; before?: { table: SatisfactionTable; summary: Summary } }> {
  const checked = checkArea(area, deps.gazetteer);
  if (baseline) checkComparable(period, baseline);
  const grid = await FigureGrid.count(deps.store, period, deps);
  const where = tableArea(checked);
  const result = {
    table: buildSatisfactionTable(grid, checked, deps.scorecard),
    summary: buildSummary(grid, checked, deps),
    around: where.level === 'commune' ? aroundCommune(grid, deps, where.code) : [],
  };
  if (!baseline) return result;
  const before = await FigureGrid.count(deps.store, baseline, deps);
  return { ...result, before: { table: buildSatisfactionTable(before, checked, deps.scorecard), summary: buildSummary(before, checked, deps) } };
}

function aroundCommune(grid: FigureGrid, deps: { scorecard: Scorecard; gazetteer: Gazetteer }, commune: string): AreaRow[] {
  const { districtCode, provinceCode } = deps.gazetteer.lineage(commune);
  return [areaRow(grid, deps.scorecard, 'district', districtCode), areaRow(grid, deps.scorecard, 'province', provinceCode)];
}

/**
 * An area page (the country, a province, a district): its table, one row per rated commune, and
 * the rows of the areas the communes are listed under (`groups`): the provinces on the country's
 * page, the districts on a province's, none on a district's; with a `baseline`, its table. A fraction of the whole summary
 * (5.6 MB for the country with 50,000 ratings), which matters where it is copied from the report
 * process to the hotline's. The grid protects an area's figure against each level below it, so
 * the area, its groups and its communes may be shown side by side.
 */
export async function tableAndCommuneRows(deps: ReportDeps, period: Period, area: Area, baseline?: Period): Promise<{ table: SatisfactionTable; communes: CommuneRow[]; groups: AreaRow[]; before?: { table: SatisfactionTable } }> {
  const checked = checkArea(area, deps.gazetteer);
  if (baseline) checkComparable(period, baseline);
  const grid = await FigureGrid.count(deps.store, period, deps);
  const summary = buildSummary(grid, checked, deps);
  const where = tableArea(checked);
  const groupLevel: Level | null = where.level === 'country' ? 'province' : where.level === 'province' ? 'district' : null;
  const groupCodes = groupLevel ? [...new Set(summary.communes.map((c) => (groupLevel === 'province' ? c.code.slice(0, 2) : c.code.slice(0, 4))))].sort() : [];
  return {
    table: buildSatisfactionTable(grid, checked, deps.scorecard),
    communes: summary.communes.map((c) => ({
      level: 'commune' as const,
      code: c.code,
      services: c.services.map(({ indicators, groups, ...figures }) => figures),
    })),
    groups: groupCodes.map((code) => areaRow(grid, deps.scorecard, groupLevel!, code)),
    // The baseline's table only: the change is said in the table, not in the list of communes.
    ...(baseline ? { before: { table: buildSatisfactionTable(await FigureGrid.count(deps.store, baseline, deps), checked, deps.scorecard) } } : {}),
  };
}
