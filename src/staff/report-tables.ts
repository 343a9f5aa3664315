/**
 * The tables of figures report pages share: a cell out of 10 with its change or why it is not
 * shown, the satisfaction table, a commune's facilities, the note on what "satisfied" means,
 * links to a wider view for a withheld figure, and the order of a list of areas. Words come from
 * report-words.ts, numbers only from shown figures (src/reports/out-of-ten.ts).
 */
import { Figures } from '../reports/figures';
import { Period } from '../reports/period';
import { SatisfactionTable, TABLE_COLUMNS, TableCell } from '../reports/satisfaction-table';
import { FacilitySummary } from '../reports/scorecard-summary';
import { AreaRow } from '../reports/table-and-summary';
import { html, SafeHtml } from './html';
import { Translate, translator } from './i18n/i18n';
import { km, scrollBox } from './layout';
import { percent } from './report-charts';
import { changeWords, notShownWords, ofTenWords, periodWords } from './report-words';

const ENGLISH = translator('en');

/** What a report page knows of names: services, questions and places, in the reader's language. */
export interface ReportNames {
  serviceName: (id: string) => SafeHtml;
  /** The service's name as plain text in the reader's language (for labels). */
  serviceWords: (id: string) => string;
  indicatorLabel: (service: string, id: string) => string;
  /** A place with both its names and its code. */
  placeName: (code: string) => SafeHtml;
}

/** Links to a report: an area page, a commune page, its scorecard. */
export const periodQuery = (period: Period, extra: Record<string, string> = {}) => new URLSearchParams({ from: period.label.from, to: period.label.to, ...extra }).toString();
export const areaUrl = (period: Period, code: string) => `/staff/reports?${periodQuery(period, code ? { code } : {})}`;
export const communeUrl = (period: Period, code: string) => `/staff/reports/commune/${code}?${periodQuery(period)}`;
export const scorecardUrl = (period: Period, code: string) => `/staff/reports/commune/${code}/scorecard?${periodQuery(period)}`;

/** A figure's number out of 10 in a table cell, with its exact share and callers, and its change. */
function shownCell(f: TableCell | Figures, before: TableCell | Figures | undefined, t: Translate): SafeHtml {
  const change = before ? changeWords(f, before, t) : null;
  return html`<strong class="of-ten">${ofTenWords(f, t)}</strong> <span class="muted exact">${percent(f.satisfiedShare)} · ${t('report.callers', { n: f.callers ?? '' })}</span>${change ? html`<br><span class="change">${change}</span>` : ''}`;
}

/** A cell: its figure out of 10 and change, or in a few words why it has none. */
export function cellHtml(f: TableCell | Figures, before: TableCell | Figures | undefined, minCallers: number, t: Translate = ENGLISH): SafeHtml {
  return f.status === 'shown' ? shownCell(f, before, t) : html`<span class="not-shown">${notShownWords(f.status, minCallers, t)}</span>`;
}

/**
 * The satisfaction table: one row per service, one column per group of callers, each cell out of
 * 10 with its change since `before` (the previous period's table, when counted).
 */
export function satisfactionTableHtml(table: SatisfactionTable, serviceName: (id: string) => SafeHtml, t: Translate = ENGLISH, before?: SatisfactionTable | null): SafeHtml {
  const caption = t('report.table-caption', { period: periodWords({ label: table.period } as Period, t) });
  return scrollBox(caption, html`<table class="satisfaction">
<caption>${caption}</caption>
<thead><tr><th scope="col">${t('filter.service')}</th>${TABLE_COLUMNS.map((c) => html`<th scope="col">${t(`report.column-${c}`)}</th>`)}</tr></thead>
<tbody>${table.rows.map((r, i) => html`<tr><th scope="row">${serviceName(r.service)}</th>${TABLE_COLUMNS.map((c) => html`<td>${cellHtml(r.cells[c], before?.rows[i]?.cells[c], table.minCallers, t)}</td>`)}</tr>`)}</tbody>
</table>`);
}

/** The first of the wider areas (district, then province) whose figure for the service is shown. */
export function widerShown(around: readonly AreaRow[], service: string): { row: AreaRow; figure: Figures } | null {
  for (const row of around) {
    const figure = row.services.find((s) => s.service === service);
    if (figure?.status === 'shown') return { row, figure };
  }
  return null;
}

/** "Try: Mongkol Borei district (6 of 10 callers satisfied) · the last 12 months": where a withheld figure likely has one. */
export function widerLinks(links: { href: string; label: SafeHtml | string }[], t: Translate): SafeHtml {
  if (!links.length) return html``;
  return html`<span class="wider">${t('report.try-wider')} ${links.map((l, i) => html`${i ? ' · ' : ''}<a href="${l.href}">${l.label}</a>`)}</span>`;
}

export const longerLink = (longer: Period | null, url: string, t: Translate) => (longer ? [{ href: url, label: t('report.longer-period', { period: periodWords(longer, t) }) }] : []);

/** What "satisfied" means and why some figures are not shown: said once per page. */
export function meaningHtml(minCallers: number, t: Translate): SafeHtml {
  return html`<p class="meaning">${t('report.satisfied-means', { verybad: t('scale.1'), good: t('scale.4'), verygood: t('scale.5') })} ${t('report.privacy-note', { min: minCallers })}</p>`;
}

/**
 * A commune's facilities (a school of several, a health centre): one row per facility and service
 * it was rated as, out of 10 or why it is withheld. Their ratings from this commune only.
 * Two columns, the service under the name, so that the figure stays in view on a 360 px phone.
 */
export function facilitiesTableHtml(facilities: readonly FacilitySummary[], serviceName: (id: string) => SafeHtml, minCallers: number, t: Translate = ENGLISH): SafeHtml {
  const name = (f: FacilitySummary) => (f.name.km === f.name.latin ? html`${f.name.latin}` : html`${km(f.name.km)} <span class="latin" lang="en">${f.name.latin}</span>`);
  return html`<h2>${t('report.facilities-heading')}</h2>
<p class="muted">${t('report.facilities-note')}</p>
${scrollBox(t('report.facilities-heading'), html`<table class="facilities">
<thead><tr><th scope="col">${t('report.column-facility')}</th><th scope="col">${t('report.column-satisfied')}</th></tr></thead>
<tbody>${facilities.flatMap((f) => f.services.map((s) => html`<tr><th scope="row">${name(f)}<br><span class="muted facility-service">${serviceName(s.service)}</span></th><td>${cellHtml(s, undefined, minCallers, t)}</td></tr>`))}</tbody>
</table>`)}`;
}

/** Sorting the commune list: by name, or by a service's share satisfied, most or least first. */
export type CommuneSort = { by: 'name' } | { by: 'service'; service: string; lowFirst: boolean };

export function sortFromQuery(value: unknown, services: readonly string[]): CommuneSort {
  const v = typeof value === 'string' ? value : '';
  const m = /^([a-z0-9-]+?)(-low)?$/.exec(v);
  if (m && services.includes(m[1])) return { by: 'service', service: m[1], lowFirst: Boolean(m[2]) };
  return { by: 'name' };
}
export const sortParam = (s: CommuneSort) => (s.by === 'name' ? 'name' : `${s.service}${s.lowFirst ? '-low' : ''}`);

/**
 * Rows in the chosen order: by name (in the reader's script), or by a service's share satisfied
 * (the exact share), figures not shown last whichever way, then by name.
 */
export function sortRows<T extends AreaRow>(rows: readonly T[], sort: CommuneSort, nameOf: (code: string) => string, lang: Translate['lang']): T[] {
  const collator = new Intl.Collator(lang === 'km' ? 'km' : 'en');
  const byName = (a: T, b: T) => collator.compare(nameOf(a.code), nameOf(b.code)) || a.code.localeCompare(b.code);
  if (sort.by === 'name') return [...rows].sort(byName);
  const share = (r: T) => {
    const f = r.services.find((s) => s.service === sort.service);
    return f?.status === 'shown' ? f.satisfiedShare : null;
  };
  return [...rows].sort((a, b) => {
    const x = share(a);
    const y = share(b);
    if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1;
    return (sort.lowFirst ? x - y : y - x) || byName(a, b);
  });
}
