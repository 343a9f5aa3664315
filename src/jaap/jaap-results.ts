/**
 * The result indicator, as the seed counts it: of the action items of the JAAPs agreed in a
 * period, the share solved within 12 months of their JAAP's agreement (the seed: 285 of 364 in
 * 2023, 78%: 252 of 284 internal, 33 of 80 external). For every commune, district, province and
 * the country, by facility type and by section (A external, B internal).
 *
 * JAAP items are public commitments, not citizens' answers: no figure here is withheld.
 */
import { Gazetteer } from '../gazetteer/gazetteer';
import { cambodianDay } from '../outbound/cambodia-time';
import { itemOutcomeOn, JaapSection, JAAP_SECTIONS } from './jaap';
import { ItemOutcomeFields } from './jaap-register';

export interface JaapFigures {
  /** Items agreed (every status, dropped ones too: the seed counts all agreed activities). */
  agreed: number;
  solvedWithin12Months: number;
  /** solvedWithin12Months / agreed, rounded to 3 decimals; null when nothing was agreed. */
  share: number | null;
  doneLater: number;
  /** Neither done nor dropped, and their 12 months have not ended. */
  stillInside12Months: number;
  /** Neither done nor dropped, and their 12 months have ended. */
  notSolved: number;
  dropped: number;
}

export type JaapLevel = 'country' | 'province' | 'district' | 'commune';

export interface JaapResultEntry extends JaapFigures {
  level: JaapLevel;
  /** The area's code (null for the country). */
  code: string | null;
  nameKm: string | null;
  nameLatin: string | null;
  bySection: Record<JaapSection, JaapFigures>;
  /** Per facility type (scorecard service id), only those with items. */
  byService: Record<string, JaapFigures>;
}

export interface JaapReport {
  period: { from: string; to: string };
  /** The day outcomes are counted on (Cambodian calendar day). */
  asOf: string;
  entries: JaapResultEntry[];
}

function empty(): JaapFigures {
  return { agreed: 0, solvedWithin12Months: 0, share: null, doneLater: 0, stillInside12Months: 0, notSolved: 0, dropped: 0 };
}

const FIELD_OF = {
  'solved-within-12-months': 'solvedWithin12Months',
  'done-later': 'doneLater',
  'still-inside-12-months': 'stillInside12Months',
  'not-solved': 'notSolved',
  dropped: 'dropped',
} as const;

interface Tally {
  total: JaapFigures;
  bySection: Record<JaapSection, JaapFigures>;
  byService: Map<string, JaapFigures>;
}

function finish(f: JaapFigures): JaapFigures {
  return { ...f, share: f.agreed ? Math.round((f.solvedWithin12Months / f.agreed) * 1000) / 1000 : null };
}

/**
 * Counts items into every area they belong to. `asOf` decides which unfinished items are still
 * inside their 12 months. Entries: the country first, then provinces, districts and communes in
 * code order; only areas with items (and the country always).
 */
export function jaapResults(items: Iterable<ItemOutcomeFields>, o: { asOf: Date; period: { from: string; to: string }; gazetteer?: Gazetteer }): JaapReport {
  const tallies = new Map<string, Tally>();
  const tallyOf = (key: string) => {
    let t = tallies.get(key);
    if (!t) {
      t = { total: empty(), bySection: { A: empty(), B: empty() }, byService: new Map() };
      tallies.set(key, t);
    }
    return t;
  };
  const asOfDay = cambodianDay(o.asOf);
  for (const item of items) {
    const field = FIELD_OF[itemOutcomeOn(item, asOfDay)];
    for (const key of ['', `p${item.provinceCode}`, `d${item.districtCode}`, `c${item.communeCode}`]) {
      const t = tallyOf(key);
      let service = t.byService.get(item.service);
      if (!service) t.byService.set(item.service, (service = empty()));
      for (const f of [t.total, t.bySection[item.section], service]) {
        f.agreed += 1;
        f[field] += 1;
      }
    }
  }
  tallyOf('');
  const levelOf: Record<string, JaapLevel> = { '': 'country', p: 'province', d: 'district', c: 'commune' };
  const rank = (key: string) => ['', 'p', 'd', 'c'].indexOf(key.slice(0, 1));
  const entries = [...tallies.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, t]): JaapResultEntry => {
      const code = key ? key.slice(1) : null;
      const place = code ? o.gazetteer?.find(code) : undefined;
      return {
        level: levelOf[key.slice(0, 1)],
        code,
        nameKm: place?.nameKm ?? null,
        nameLatin: place?.nameLatin ?? null,
        ...finish(t.total),
        bySection: Object.fromEntries(JAAP_SECTIONS.map((s) => [s, finish(t.bySection[s])])) as Record<JaapSection, JaapFigures>,
        byService: Object.fromEntries([...t.byService.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, f]) => [s, finish(f)])),
      };
    });
  return { period: o.period, asOf: asOfDay, entries };
}

export const JAAP_CSV_FIGURES = ['agreed', 'solvedWithin12Months', 'share', 'doneLater', 'stillInside12Months', 'notSolved', 'dropped'] as const;

/** One CSV row per area and breakdown (all, section A, section B, each facility type). */
export function jaapReportRows(report: JaapReport): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [['level', 'code', 'name_km', 'name_latin', 'breakdown', ...JAAP_CSV_FIGURES, 'from', 'to', 'as_of']];
  for (const e of report.entries) {
    const parts: [string, JaapFigures][] = [['all', e], ...JAAP_SECTIONS.map((s): [string, JaapFigures] => [`section-${s}`, e.bySection[s]]), ...Object.entries(e.byService).map(([s, f]): [string, JaapFigures] => [`service-${s}`, f])];
    for (const [breakdown, f] of parts) {
      rows.push([e.level, e.code ?? '', e.nameKm ?? '', e.nameLatin ?? '', breakdown, ...JAAP_CSV_FIGURES.map((k) => f[k]), report.period.from, report.period.to, report.asOf]);
    }
  }
  return rows;
}
