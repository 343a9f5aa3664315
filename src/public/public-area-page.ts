/**
 * One area's public page (country, province, district, commune, facility) for one published
 * period: each service's share satisfied in words and as ten squares, its change since the
 * previous period of the same kind, the callers it rests on; a withheld figure says why and links
 * the wider view that has one; the JAAP promises (a commune's items with their status and
 * citizens' checks, a wider area's counts and "% solved within 12 months"); the areas below.
 */
import { html, SafeHtml } from '../staff/html';
import { Translate } from '../staff/i18n/i18n';
import { outOfTenPart } from '../staff/out-of-ten-part';
import { dayWords } from '../staff/report-words';
import { PublicLanguage } from './i18n/public-i18n';
import { ItemChecks, PublicAreaSnapshot, PublicFigure, PublicLevel, PublicPeriod, PublicServiceFigure } from './public-results';
import { AreaJaapCounts, PublicPlan } from './public-jaap';
import { publicHref, PUBLIC_PATH } from './public-layout';
import { periodName, publicChangeWords, publicSatisfiedWords, sharePercent, withheldWords } from './public-words';

/** Names the page needs, in the page's language. */
export interface PublicNames {
  service(id: string): string;
  indicator(service: string, id: string): string;
  /** An area's name for a link or a sentence (plain text). */
  area(level: PublicLevel, code: string): string;
}

export interface AreaPageData {
  level: PublicLevel;
  code: string;
  period: PublicPeriod | null;
  periods: PublicPeriod[];
  snapshot: PublicAreaSnapshot | null;
  children: { level: PublicLevel; code: string; name: string }[];
  plans?: PublicPlan[];
  jaapCounts?: AreaJaapCounts[];
}

export const CHILD_LEVEL: Partial<Record<PublicLevel, PublicLevel>> = { country: 'province', province: 'district', district: 'commune', commune: 'facility' };

/** The page of an area: /public, /public/province/01, ..., /public/facility/010201/hc-1. */
export function areaPath(level: PublicLevel, code: string): string {
  if (level === 'country') return PUBLIC_PATH;
  if (level === 'facility') return `${PUBLIC_PATH}/facility/${code.split('/').map(encodeURIComponent).join('/')}`;
  return `${PUBLIC_PATH}/${level}/${encodeURIComponent(code)}`;
}

/** The previous published period of the same kind (what a change is measured from). */
export function previousOf(period: PublicPeriod, periods: readonly PublicPeriod[]): PublicPeriod | null {
  return periods.filter((p) => p.kind === period.kind && p.to <= period.from).sort((a, b) => b.from.localeCompare(a.from))[0] ?? null;
}

function periodForm(d: AreaPageData, t: Translate, path: string): SafeHtml {
  if (!d.period) return html`<p>${t('public.no-periods')}</p>`;
  return html`<form class="period-form" method="get" action="${path}">
<label for="period">${t('public.period.label')}</label>
<select id="period" name="period">${d.periods.map((p) => html`<option value="${p.id}"${p.id === d.period!.id ? ' selected' : ''}>${periodName(p, t)}</option>`)}</select>
${t.lang === 'en' ? html`<input type="hidden" name="lang" value="en">` : ''}<button type="submit">${t('public.period.show')}</button>
</form>
${d.period.final ? '' : html`<p class="muted">${periodName(d.period, t)}: ${t('public.period.open')}</p>`}`;
}

/** A figure's lines: the words with their squares, the callers, the change; or why not and where to look. */
export function figureLines(f: PublicFigure, d: AreaPageData, names: PublicNames, t: Translate, periodLang: PublicLanguage = t.lang): SafeHtml {
  const words = publicSatisfiedWords(f, t);
  if (!words || !f.outOfTen) {
    const wider = f.widerView;
    const widerPeriod = wider ? d.periods.find((p) => p.id === wider.periodId) : undefined;
    return html`<p class="not-shown">${withheldWords(f, t)}</p>${wider && widerPeriod ? html`<p><a href="${publicHref(areaPath(wider.level, wider.code), periodLang, { period: wider.periodId })}">${t('public.wider', { place: names.area(wider.level, wider.code), period: periodName(widerPeriod, t) })}</a></p>` : ''}`;
  }
  const change = publicChangeWords(f, t);
  const before = d.period ? previousOf(d.period, d.periods) : null;
  return html`<p class="figure">${outOfTenPart(f.outOfTen, words)}</p>
<p class="muted">${f.callers === null ? '' : t('public.callers', { n: f.callers })} ${change && before ? t('public.change', { period: periodName(before, t), change }) : t('public.change-none')}</p>`;
}

function serviceArticle(s: PublicServiceFigure, d: AreaPageData, names: PublicNames, t: Translate): SafeHtml {
  const shownIndicators = s.indicators.filter((i) => i.status === 'shown');
  return html`<article class="service" aria-labelledby="service-${s.service}">
<h3 id="service-${s.service}">${names.service(s.service)}</h3>
${figureLines(s, d, names, t)}
${shownIndicators.length ? html`<details><summary>${t('public.indicators')}</summary><ul class="indicators">${shownIndicators.map((i) => html`<li>${names.indicator(s.service, i.id)}: <strong>${publicSatisfiedWords(i, t)}</strong></li>`)}</ul></details>` : ''}
</article>`;
}

export function checksWords(status: string, c: ItemChecks, t: Translate): string {
  if (status !== 'done') return t('public.checks.not-asked');
  if (c.status === 'shown') return t('public.checks.shown', { callers: c.callers, yes: c.yes, partly: c.partly, no: c.no });
  return c.status === 'too-few' ? t('public.checks.too-few') : t('public.checks.none');
}

function plansHtml(plans: PublicPlan[], names: PublicNames, t: Translate): SafeHtml {
  if (!plans.length) return html`<p>${t('public.jaap.none')}</p>`;
  return html`${plans.map((p) => html`<h3>${t('public.jaap.plan', { day: dayWords(p.agreedOn, t) })}</h3>
<p>${t('public.jaap.solved-share')}: <strong>${sharePercent(p.figures.share)}</strong>. ${t('public.jaap.counts', { agreed: p.figures.agreed, year: p.year, solved: p.figures.solvedWithin12Months, share: sharePercent(p.figures.share) })}</p>
<ol class="promises">${p.items.map((i) => html`<li>
<p class="promise">${i.activity}${i.facilityName ? html` <span class="muted">(${i.facilityName})</span>` : ''} <span class="muted">· ${names.service(i.service)}</span></p>
<dl>
<div><dt>${t('public.jaap.col.status')}</dt><dd class="status status-${i.status}">${t(`jaap.status.${i.status}`)}</dd></div>
<div><dt>${t('public.jaap.col.deadline')}</dt><dd>${dayWords(i.deadline, t)}</dd></div>
<div><dt>${t('public.jaap.col.checks')}</dt><dd>${checksWords(i.status, i.checks, t)}</dd></div>
</dl></li>`)}</ol>`)}`;
}

function countsHtml(counts: AreaJaapCounts[], t: Translate): SafeHtml {
  if (!counts.length) return html`<p>${t('public.jaap.none')}</p>`;
  return html`<ul class="jaap-counts">${counts.map((c) => html`<li><p>${t('public.jaap.solved-share')}, ${c.year}: <strong>${sharePercent(c.figures.share)}</strong>. ${t('public.jaap.counts', { agreed: c.figures.agreed, year: c.year, solved: c.figures.solvedWithin12Months, share: sharePercent(c.figures.share) })}</p>
<p class="muted">${t('public.jaap.status-counts', { done: c.byStatus.done, ongoing: c.byStatus.ongoing, notstarted: c.byStatus['not-started'], dropped: c.byStatus.dropped })}</p></li>`)}</ul>`;
}

export function areaPageBody(d: AreaPageData, names: PublicNames, t: Translate, subtitle: SafeHtml): SafeHtml {
  const path = areaPath(d.level, d.code);
  const period = d.period?.id;
  const childLevel = CHILD_LEVEL[d.level];
  return html`${subtitle}
${periodForm(d, t, path)}
<section aria-labelledby="services-heading"><h2 id="services-heading">${t('public.services')}${d.period ? html`: ${periodName(d.period, t)}` : ''}</h2>
${d.snapshot?.services.length ? d.snapshot.services.map((s) => serviceArticle(s, d, names, t)) : html`<p>${t('public.no-snapshot')}</p>`}
</section>
${d.level !== 'facility' ? html`<section aria-labelledby="jaap-heading"><h2 id="jaap-heading">${t('public.jaap.heading')}</h2>
${d.plans ? plansHtml(d.plans, names, t) : countsHtml(d.jaapCounts ?? [], t)}
${d.level === 'commune' ? html`<p class="poster-links"><a href="${publicHref(`${path}/poster`, t.lang, { period })}">${t('public.poster.link')}</a> · <a href="${publicHref(`${path}/poster`, t.lang, { period, size: 'a3' })}">${t('public.poster.link-a3')}</a></p>` : ''}
</section>` : ''}
${childLevel && d.children.length ? html`<section aria-labelledby="areas-heading"><h2 id="areas-heading">${t(`public.areas.${childLevel}`)}</h2>
<ul class="areas">${d.children.map((c) => html`<li><a href="${publicHref(areaPath(c.level, c.code), t.lang, { period })}">${c.name}</a></li>`)}</ul></section>` : ''}`;
}
