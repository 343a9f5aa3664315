/**
 * A commune's noticeboard poster: one printed page (A4, or A3 with `?size=a3`), always in Khmer:
 * the period's results by service, the council's promises and their status, and the hotline
 * number with "call free, press 4 to hear this". When HOTLINE_NUMBER is not set the poster says
 * so in a red box above everything, so whoever prints it notices before printing.
 */
import { html, SafeHtml } from '../staff/html';
import { Translate } from '../staff/i18n/i18n';
import { outOfTenPart } from '../staff/out-of-ten-part';
import { dayWords } from '../staff/report-words';
import { PublicAreaSnapshot, PublicPeriod } from './public-results';
import { PublicPlan } from './public-jaap';
import { PublicNames } from './public-area-page';
import { periodName, publicSatisfiedWords, withheldWords } from './public-words';

export const POSTER_SIZES = ['a4', 'a3'] as const;
export type PosterSize = (typeof POSTER_SIZES)[number];
/** Promises that fit on one sheet beside the results; more are counted and left to the dashboard. */
const POSTER_ITEMS: Record<PosterSize, number> = { a4: 10, a3: 16 };

export interface PosterData {
  placeName: string;
  period: PublicPeriod | null;
  snapshot: PublicAreaSnapshot | null;
  plan: PublicPlan | null;
  hotlineNumber: string;
  dashboardUrl: string;
  size: PosterSize;
}

/** Said above the title when HOTLINE_NUMBER is not set, in red, so whoever prints the poster sees it first. */
export function missingNumberWarning(hotlineNumber: string, t: Translate): SafeHtml {
  return hotlineNumber ? html`` : html`<p class="number-missing" role="alert">${t('public.poster.number-missing')} <code>HOTLINE_NUMBER</code>.</p>`;
}

export function posterBody(d: PosterData, names: PublicNames, t: Translate): SafeHtml {
  const number = d.hotlineNumber || t('public.poster.number-placeholder');
  const items = d.plan?.items ?? [];
  const shown = items.slice(0, POSTER_ITEMS[d.size]);
  return html`<p class="poster-call">${t('public.poster.call', { number })}</p>
<section aria-labelledby="poster-results"><h2 id="poster-results">${t('public.poster.results', { period: d.period ? periodName(d.period, t) : '' })}</h2>
${d.snapshot?.services.length ? html`<ul class="poster-services">${d.snapshot.services.map((s) => {
    const words = publicSatisfiedWords(s, t);
    return html`<li><strong>${names.service(s.service)}</strong>: ${words && s.outOfTen ? outOfTenPart(s.outOfTen, words) : html`<span class="not-shown">${withheldWords(s, t)}</span>`}</li>`;
  })}</ul>` : html`<p>${t('public.no-snapshot')}</p>`}
</section>
<section aria-labelledby="poster-promises"><h2 id="poster-promises">${t('public.poster.promises')}</h2>
${d.plan ? html`<p>${t('public.jaap.counts', { agreed: d.plan.figures.agreed, year: d.plan.year, solved: d.plan.figures.solvedWithin12Months, share: d.plan.figures.share === null ? '–' : `${Math.round(d.plan.figures.share * 100)}%` })}</p>
<ol class="poster-promises">${shown.map((i) => html`<li>${i.activity} — <strong>${t(`jaap.status.${i.status}`)}</strong> (${t('public.jaap.col.deadline')} ${dayWords(i.deadline, t)})</li>`)}</ol>
${items.length > shown.length ? html`<p>… +${items.length - shown.length}</p>` : ''}` : html`<p>${t('public.jaap.none')}</p>`}
</section>
<p class="poster-url"><code>${d.dashboardUrl}</code></p>`;
}
