import { Gazetteer, Place } from '../gazetteer/gazetteer';
import { Jaap, JaapItem, JAAP_SECTIONS, JaapSection } from '../jaap/jaap';
import { html, SafeHtml } from './html';
import { Translate } from './i18n/i18n';
import { khmerDigits } from './khmer-digits';
import { calendarDay, calendarMonth, pageNumber } from './page-dates';

/**
 * A commune's JAAP as the official letter the interface meeting signs: the Kingdom's motto, the
 * province, district and commune in Khmer (from the gazetteer), the plan's year and agreement
 * day, sections A (needs external resources: into the Commune Investment Plan) and B (internal)
 * in the official columns, and the signature blocks. Printed on A4 landscape (public/staff/staff.css);
 * the Khmer letter writes its figures, days and months in Khmer.
 */

/** The Khmer word before an area's name, by its gazetteer type. */
const KHMER_PREFIX: Record<string, string> = {
  Capital: 'រាជធានី', Province: 'ខេត្ត', Khan: 'ខណ្ឌ', Srok: 'ស្រុក', Krong: 'ក្រុង', Sangkat: 'សង្កាត់', Khum: 'ឃុំ',
};

export interface LetterNames {
  serviceName: (id: string) => string;
}

export function jaapLetter(plan: Jaap, items: readonly JaapItem[], gazetteer: Gazetteer, names: LetterNames, t: Translate): SafeHtml {
  const digits = (v: string | number) => (t.lang === 'km' ? khmerDigits(String(v)) : String(v));
  const num = (n: number | undefined) => (n === undefined ? '' : pageNumber(n, t));
  const month = (m: string | undefined) => (m ? calendarMonth(m, t) : '');
  const areas = [plan.communeCode.slice(0, 2), plan.communeCode.slice(0, 4), plan.communeCode].map((c) => gazetteer.find(c)).filter((p): p is Place => Boolean(p));
  const areaLine = (p: Place) => html`<span lang="km">${KHMER_PREFIX[p.type] ?? ''}${p.nameKm}</span>${t.lang === 'km' ? '' : html` (${p.nameLatin})`}`;
  const commune = areas[2];

  const row = (i: JaapItem): SafeHtml => html`<tr>
<td class="num">${digits(i.no)}</td><td>${i.activity}</td><td>${i.proposer ?? ''}</td><td>${i.targetResponse ?? ''}</td>
<td>${names.serviceName(i.service)}${i.facilityName ? html`: ${i.facilityName}` : ''}</td><td>${num(i.quantity)} ${i.unit ?? ''}</td>
<td class="month">${month(i.startMonth)}</td><td class="month">${month(i.endMonth)}</td><td class="num">${num(i.beneficiariesTotal)}</td><td class="num">${num(i.beneficiariesFemale)}</td>
<td class="num">${num(i.costRiel)}</td><td>${i.implementer ?? ''}</td></tr>`;
  const section = (s: JaapSection): SafeHtml => {
    const these = items.filter((i) => i.section === s);
    const cost = these.reduce((sum, i) => sum + (i.costRiel ?? 0), 0);
    return html`<div class="table-scroll" role="region" aria-label="${t(`jaap.section.${s.toLowerCase()}`)}" tabindex="0"><table class="letter-table">
<caption>${t(`jaap.section.${s.toLowerCase()}`)}</caption>
<thead><tr><th scope="col" rowspan="2">${t('jaap.col.no')}</th><th scope="col" rowspan="2">${t('jaap.col.activity')}</th><th scope="col" rowspan="2">${t('jaap.col.proposer')}</th><th scope="col" rowspan="2">${t('jaap.col.target-response')}</th><th scope="col" rowspan="2">${t('jaap.letter.location')}</th><th scope="col" rowspan="2">${t('jaap.letter.quantity-unit')}</th><th scope="colgroup" colspan="2">${t('jaap.letter.duration')}</th><th scope="colgroup" colspan="2">${t('jaap.col.beneficiaries')}</th><th scope="col" rowspan="2">${t('jaap.col.cost-riel')}</th><th scope="col" rowspan="2">${t('jaap.col.implementer')}</th></tr>
<tr><th scope="col">${t('jaap.letter.start')}</th><th scope="col">${t('jaap.letter.end')}</th><th scope="col">${t('jaap.letter.total')}</th><th scope="col">${t('jaap.letter.female')}</th></tr></thead>
<tbody>${these.length ? these.map(row) : html`<tr><td colspan="12">${t('jaap.letter.no-items')}</td></tr>`}</tbody>
${these.length ? html`<tfoot><tr><th scope="row" colspan="10">${t('jaap.letter.total-cost')}</th><td class="num">${num(cost)}</td><td></td></tr></tfoot>` : ''}
</table></div>`;
  };
  const signature = (key: string) => html`<div class="signature"><p class="signature-role">${t(key)}</p><p class="signature-line">${t('jaap.letter.signature-name')}</p></div>`;

  return html`<article class="jaap-letter">
<div class="letter-head">
  <div class="letter-motto"><p lang="km" class="kingdom">ព្រះរាជាណាចក្រកម្ពុជា</p><p lang="km">ជាតិ សាសនា ព្រះមហាក្សត្រ</p>${t.lang === 'km' ? '' : html`<p class="translation">${t('jaap.letter.motto')}</p>`}</div>
  <div class="letter-areas">${areas.map((p) => html`<p>${areaLine(p)}</p>`)}</div>
</div>
<p class="letter-title">${t('jaap.letter.heading', { year: digits(plan.year) })}</p>
<p class="letter-agreed">${t('jaap.letter.agreed', { date: calendarDay(plan.agreedOn, t) })}</p>
${JAAP_SECTIONS.map(section)}
<p class="letter-made">${t('jaap.letter.made-at', { commune: commune ? `${KHMER_PREFIX[commune.type] ?? ''}${commune.nameKm}` : plan.communeCode, date: calendarDay(plan.agreedOn, t) })}</p>
<div class="signatures">${signature('jaap.letter.sign-providers')}${signature('jaap.letter.sign-citizens')}${signature('jaap.letter.sign-commune')}</div>
</article>`;
}
