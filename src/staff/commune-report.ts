/**
 * A commune's report: each service at a glance, then each service's chart and questions (their
 * charts and exact figures folded away), the groups table and the facilities, and the one-page
 * scorecard of the same figures for print. Both read a CommuneView: the commune's figures for the
 * period and the previous one, and the district's and province's rows for the wider view.
 */
import { Figures } from '../reports/figures';
import { Period } from '../reports/period';
import { SatisfactionTable, TABLE_COLUMNS } from '../reports/satisfaction-table';
import { AreaSummary, figuresPart, ServiceSummary } from '../reports/scorecard-summary';
import { AreaRow } from '../reports/table-and-summary';
import { html, SafeHtml } from './html';
import { Translate, translator } from './i18n/i18n';
import { scrollBox } from './layout';
import { chartPatterns, percent, scaleChart, scaleKey, SCALE_KEYS, stackedBar } from './report-charts';
import { areaUrl, cellHtml, communeUrl, facilitiesTableHtml, longerLink, meaningHtml, ReportNames, satisfactionTableHtml, widerLinks, widerShown } from './report-tables';
import { changeWords, notShownWords, ofTenWords, periodWords, satisfiedWords } from './report-words';
import { outOfTenPart } from './out-of-ten-part';
import { satisfiedOutOfTen } from '../reports/out-of-ten';

const ENGLISH = translator('en');

/** Everything a commune page and its scorecard show, as counted for two periods. */
export interface CommuneView {
  code: string;
  period: Period;
  /** The previous period of the same length, and the commune's figures then. */
  previous: Period;
  before: { summary: AreaSummary; table: SatisfactionTable } | null;
  /** The 12 months up to the period's end, when the period is shorter. */
  longer: Period | null;
  area: AreaSummary;
  table: SatisfactionTable;
  /** The district's and province's rows for the period. */
  around: AreaRow[];
  minCallers: number;
}

const serviceBefore = (view: CommuneView, service: string) => view.before?.summary.services.find((s) => s.service === service);
const indicatorBefore = (view: CommuneView, service: string, id: string) => serviceBefore(view, service)?.indicators.find((i) => i.id === id);

/** A service's figure in a sentence: "7 of 10 ratings satisfied · up 2 of 10", or why not and where to look. */
function serviceSentence(view: CommuneView, s: ServiceSummary, names: ReportNames, t: Translate): SafeHtml {
  if (s.status === 'no-ratings') return html`<span class="not-shown">${t('report.no-ratings-cell')}</span>`;
  if (s.status !== 'shown') {
    const wider = widerShown(view.around, s.service);
    return html`<span class="not-shown">${notShownWords(s.status, view.minCallers, t)}.</span> ${widerLinks([
      ...(wider ? [{ href: `${areaUrl(view.period, wider.row.code)}`, label: html`${names.placeName(wider.row.code)} (${satisfiedWords(wider.figure, t)})` }] : []),
      ...longerLink(view.longer, communeUrl(view.longer ?? view.period, view.code), t),
    ], t)}`;
  }
  const before = serviceBefore(view, s.service);
  const change = before ? changeWords(s, before, t) : null;
  return html`${outOfTenPart(satisfiedOutOfTen(s)!, satisfiedWords(s, t)!)}${change ? html` · <span class="change">${change}</span>` : ''}`;
}

/** The figures in full for one service: callers, ratings, share satisfied, the middle and the average rating, now and before. */
function exactFigures(view: CommuneView, s: ServiceSummary, names: ReportNames, t: Translate): SafeHtml {
  const rows: { label: string; now: Figures; before: Figures | undefined }[] = [
    { label: t('report.all-indicators'), now: figuresPart(s), before: serviceBefore(view, s.service) },
    ...s.indicators.map((i) => ({ label: names.indicatorLabel(s.service, i.id), now: i as Figures, before: indicatorBefore(view, s.service, i.id) })),
  ];
  const middle = (f: Figures) => (f.median === null ? '' : Number.isInteger(f.median) ? `${f.median} ${t(SCALE_KEYS[f.median - 1])}` : String(f.median));
  const cells = (f: Figures) => (f.status === 'shown'
    ? html`<td class="callers">${f.callers}</td><td>${f.answers}</td><td>${Math.round((f.satisfiedShare ?? 0) * (f.answers ?? 0))} (${percent(f.satisfiedShare)})</td><td>${middle(f)}</td><td>${f.mean}</td>`
    : html`<td colspan="5">${notShownWords(f.status, view.minCallers, t)}</td>`);
  const previous = periodWords(view.previous, t);
  return html`<details class="exact"><summary>${t('report.exact-figures')}</summary>
${scrollBox(`${t('report.exact-figures')}: ${names.serviceWords(s.service)}`, html`<table class="exact-figures">
<thead><tr><th scope="col">${t('report.question')}</th><th scope="col">${t('report.exact-callers')}</th><th scope="col">${t('report.exact-answers')}</th><th scope="col">${t('report.exact-satisfied')}</th><th scope="col">${t('report.exact-middle')}</th><th scope="col">${t('report.exact-average')}</th><th scope="col">${t('report.exact-before', { period: previous })}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row">${r.label}</th>${cells(r.now)}<td>${r.before?.status === 'shown' ? percent(r.before.satisfiedShare) : r.before ? notShownWords(r.before.status, view.minCallers, t) : ''}</td></tr>`)}</tbody>
</table>`)}
<p class="muted">${t('report.exact-note')}</p>
</details>`;
}

/** One service of a commune: its sentence and chart, each question in a line, their charts and the exact figures a click away. */
function serviceSection(view: CommuneView, s: ServiceSummary, names: ReportNames, t: Translate): SafeHtml {
  const label = (id: string) => names.indicatorLabel(s.service, id);
  const shownIndicators = s.indicators.filter((i) => i.status === 'shown');
  return html`<section class="service-report" id="service-${s.service}" aria-labelledby="service-${s.service}-heading">
<h2 id="service-${s.service}-heading">${names.serviceName(s.service)}</h2>
${s.status === 'shown'
    ? scaleChart(html`${t('report.all-indicators')}: ${serviceSentence(view, s, names, t)}`, figuresPart(s), t)
    : html`<p class="summary">${t('report.all-indicators')}: ${serviceSentence(view, s, names, t)}</p>`}
${scrollBox(`${t('report.questions-heading')}: ${names.serviceWords(s.service)}`, html`<table class="questions">
<caption>${t('report.questions-heading')}</caption>
<thead><tr><th scope="col">${t('report.question')}</th><th scope="col">${t('report.column-satisfied')}</th></tr></thead>
<tbody>${s.indicators.map((i) => html`<tr><th scope="row">${label(i.id)}</th><td>${cellHtml(i, indicatorBefore(view, s.service, i.id), view.minCallers, t)}</td></tr>`)}</tbody>
</table>`)}
${view.longer && s.status === 'shown' && s.indicators.some((i) => i.withheld) ? html`<p class="withheld-help">${t('report.withheld-help')} ${widerLinks(longerLink(view.longer, communeUrl(view.longer, view.code), t), t)}</p>` : ''}
${shownIndicators.length ? html`<details class="question-charts"><summary>${t('report.question-charts')}</summary>
${shownIndicators.map((i) => scaleChart(html`${label(i.id)}: <strong>${satisfiedWords(i, t)}</strong>`, i, t))}
</details>` : ''}
${s.status === 'no-ratings' ? '' : exactFigures(view, s, names, t)}
</section>`;
}

/** The commune page's body below the place and period: at a glance, each service, groups, facilities. */
export function communeReportHtml(view: CommuneView, names: ReportNames, t: Translate = ENGLISH): SafeHtml {
  const { area } = view;
  const rated = area.services.filter((s) => s.status !== 'no-ratings');
  const noneShown = rated.length > 0 && rated.every((s) => s.status !== 'shown') && area.services.every((s) => s.indicators.every((i) => i.status !== 'shown'));
  const district = view.code.slice(0, 4);
  const previous = periodWords(view.previous, t);
  return html`${chartPatterns()}
${noneShown ? html`<div class="notice all-withheld" role="note"><p>${t('report.all-withheld', { period: periodWords(view.period, t), min: view.minCallers })}</p>
<ul><li><a href="${areaUrl(view.period, district)}">${names.placeName(district)}</a></li>${view.longer ? html`<li><a href="${communeUrl(view.longer, view.code)}">${t('report.longer-period', { period: periodWords(view.longer, t) })}</a></li>` : ''}</ul></div>` : ''}
<section class="glance" aria-labelledby="glance-heading">
<h2 id="glance-heading">${t('report.at-a-glance')}</h2>
<ul class="glance-list">${area.services.map((s) => html`<li>${s.status === 'no-ratings' ? names.serviceName(s.service) : html`<a href="#service-${s.service}">${names.serviceName(s.service)}</a>`}: ${serviceSentence(view, s, names, t)}</li>`)}</ul>
<p class="muted">${t('report.compared-with', { period: previous })}</p>
${meaningHtml(view.minCallers, t)}
</section>
${rated.map((s) => serviceSection(view, s, names, t))}
<details class="groups"><summary>${t('report.groups-heading')}</summary>
${satisfactionTableHtml(view.table, names.serviceName, t, view.before?.table)}
${view.table.rows.some((r) => TABLE_COLUMNS.some((c) => r.cells[c].withheld)) ? html`<p class="withheld-help">${t('report.withheld-help')} ${widerLinks([
    { href: areaUrl(view.period, district), label: names.placeName(district) },
    ...longerLink(view.longer, communeUrl(view.longer ?? view.period, view.code), t),
  ], t)}</p>` : ''}
</details>
${area.facilities?.length ? facilitiesTableHtml(area.facilities, names.serviceName, view.minCallers, t) : ''}`;
}

/**
 * The one-page scorecard: every service and question in one table (out of 10, the change, the
 * five points as one bar, the callers), for printing on one A4 page (staff.css, print rules).
 */
export function scorecardHtml(view: CommuneView, names: ReportNames, t: Translate = ENGLISH): SafeHtml {
  const previous = periodWords(view.previous, t);
  const row = (label: SafeHtml | string, f: Figures, before: Figures | undefined, cls: string) => html`<tr class="${cls}"><th scope="row">${label}</th>${f.status === 'shown'
    ? html`<td><strong>${ofTenWords(f, t)}</strong></td><td>${(before && changeWords(f, before, t)) ?? ''}</td><td class="bars">${stackedBar(f, t)}</td><td class="callers">${f.callers}</td>`
    : html`<td colspan="4" class="not-shown">${notShownWords(f.status, view.minCallers, t)}</td>`}</tr>`;
  const body = view.area.services.map((s) => (s.status === 'no-ratings'
    ? row(names.serviceName(s.service), figuresPart(s), undefined, 'service-row')
    : html`${row(html`${names.serviceName(s.service)}: ${t('report.all-indicators')}`, figuresPart(s), serviceBefore(view, s.service), 'service-row')}${s.indicators.map((i) => row(names.indicatorLabel(s.service, i.id), i, indicatorBefore(view, s.service, i.id), 'question-row'))}`));
  return html`${chartPatterns()}
<div class="scorecard">
<p class="place-line">${names.placeName(view.code)} · ${names.placeName(view.code.slice(0, 4))} · ${names.placeName(view.code.slice(0, 2))}</p>
<p class="period-line"><strong>${periodWords(view.period, t)}</strong> · ${t('report.compared-with', { period: previous })}</p>
<p class="no-print">${t('report.scorecard-print-hint')} <a href="${communeUrl(view.period, view.code)}">${t('report.back-to-commune')}</a></p>
${scaleKey(t)}
${scrollBox(t('report.scorecard-title'), html`<table class="scorecard-table">
<thead><tr><th scope="col">${t('report.question')}</th><th scope="col">${t('report.column-satisfied')}</th><th scope="col">${t('report.change-heading')}</th><th scope="col">${t('report.ratings-heading')}</th><th scope="col">${t('report.exact-callers')}</th></tr></thead>
<tbody>${body}</tbody>
</table>`)}
${meaningHtml(view.minCallers, t)}
</div>`;
}
