import { lazyAjv } from '../schema-validation';
import { Request, Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { ItemStatus, ITEM_STATUSES, Jaap, JaapItem, jaapId, itemId, itemOutcome, JAAP_SECTIONS, JaapSection, twelveMonthsAfter } from '../jaap/jaap';
import { jaapCsv, jaapWorkbook } from '../jaap/jaap-file';
import { JaapRegister } from '../jaap/jaap-register';
import { RoundRegister } from '../rounds/round-register';
import { EVIDENCE_PHOTO_MAX_BYTES, storeEvidencePhoto } from '../jaap/evidence-photos';
import { multipartForm, uploadedFile } from './multipart-form';
import { JaapFigures } from '../jaap/jaap-results';
import { jaapResultsWorkbook } from '../jaap/jaap-results-workbook';
import { Place } from '../gazetteer/gazetteer';
import { cambodianDay } from '../outbound/cambodia-time';
import { cambodianMidnight } from '../reports/period';
import { ItemCheckAnswer, itemFlagged } from '../public/public-results';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, scrollBox, sendPage } from './layout';
import { placeLabel } from './message-pages';
import { cambodiaDateTime } from './page-dates';
import { jaapLetter } from './jaap-letter';
import { ReportRunner } from './report-runner';
import { StaffPages } from './staff-router';
import { westernDigits } from './khmer-digits';

/**
 * The JAAP register at the desk (src/jaap/): one plan per commune and year with its action items
 * in the official layout, each item's status changed with a note (who and when kept, audited),
 * overdue items first, and the result indicator ("solved within 12 months") per area.
 * Reviewers and admins edit; viewers read.
 */

const BASE = '/staff/jaap';
const PLAN_ID = /^[0-9]{6}-[0-9]{4}$/;
const ITEM_ID = /^[0-9]{6}-[0-9]{4}-[AB][0-9]{1,3}$/;
const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const MONTH = '^([0-9]{4}-[0-9]{2})?$';

const ajv = lazyAjv({ allErrors: true, coerceTypes: false });
const text = (max: number) => ({ type: 'string', maxLength: max });
const validatePlanBody = ajv.compile({
  type: 'object',
  required: ['commune', 'year', 'agreedOn'],
  additionalProperties: false,
  properties: { _csrf: text(100), commune: { type: 'string', pattern: '^[0-9]{6}$' }, year: { type: 'string', pattern: '^20[0-9]{2}$' }, agreedOn: { type: 'string', pattern: DAY.source } },
});
const validateItemBody = ajv.compile({
  type: 'object',
  required: ['section', 'activity', 'service'],
  additionalProperties: false,
  properties: {
    _csrf: text(100), section: { enum: [...JAAP_SECTIONS] }, activity: { type: 'string', minLength: 1, maxLength: 500 }, service: text(40),
    proposer: text(200), targetResponse: text(500), facilityName: text(200), quantity: { type: 'string', pattern: '^([0-9]{1,9})?$' }, unit: text(60),
    startMonth: { type: 'string', pattern: MONTH }, endMonth: { type: 'string', pattern: MONTH }, beneficiariesTotal: { type: 'string', pattern: '^([0-9]{1,9})?$' },
    beneficiariesFemale: { type: 'string', pattern: '^([0-9]{1,9})?$' }, costRiel: { type: 'string', pattern: '^([0-9]{1,13})?$' }, implementer: text(200), fundSource: text(200), indicatorId: text(60), priorityAction: text(500),
  },
});
const validateStatusBody = ajv.compile({
  type: 'object',
  required: ['from', 'status'],
  additionalProperties: false,
  properties: { _csrf: text(100), from: { enum: [...ITEM_STATUSES] }, status: { enum: [...ITEM_STATUSES] }, note: text(1000) },
});


function bodyWithWesternDigits(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) out[k] = typeof v === 'string' ? westernDigits(v.trim()) : (v as string);
  return out;
}

const optionalNumber = (v: string | undefined) => (v ? Number(v) : undefined);
const optionalText = (v: string | undefined) => (v ? v : undefined);

/**
 * The status form sends an optional photo (multipart): read before the CSRF check, which needs its
 * _csrf field (mounted by src/staff/staff-router.ts). A photo just over the limit still reaches the page's own refusal.
 */
export const JAAP_STATUS_PATH = /^\/jaap\/[^/]+\/items\/[^/]+\/status$/;
export function jaapStatusUpload() {
  return multipartForm(EVIDENCE_PHOTO_MAX_BYTES + 1024 * 1024);
}

export const jaapPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: BASE, key: 'nav.jaap', roles: ['admin', 'reviewer', 'viewer'] });
  const editors = requireRole('admin', 'reviewer');
  const register = new JaapRegister(rt.store);
  const rounds = new RoundRegister(rt.store);
  const runner = ReportRunner.of(rt);

  // Khmer pages name places in Khmer only; English pages in both scripts.
  const placeName = (p: Place, t: Translate): string => (t.lang === 'km' ? p.nameKm : placeLabel(p, t));
  const communeName = (code: string, t: Translate): string => {
    const commune = rt.gazetteer.find(code);
    const district = rt.gazetteer.find(code.slice(0, 4));
    const province = rt.gazetteer.find(code.slice(0, 2));
    return [commune, district, province].filter((p) => p).map((p) => placeName(p!, t)).join(', ');
  };
  const serviceName = (id: string, t: Translate) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? (t.lang === 'km' ? s.name.km : s.name.en) : id;
  };
  // As the report pages: an indicator's Khmer words are the prompt callers hear; English from the scorecard.
  const indicatorLabel = (service: string, id: string, t: Translate) =>
    (t.lang === 'km' ? rt.catalog.prompts[`indicator.${service}.${id}`]?.text.km : undefined)
    ?? rt.scorecard.services.find((s) => s.id === service)?.indicators.find((i) => i.id === id)?.en ?? id;
  const statusWord = (s: ItemStatus, t: Translate) => t(`jaap.status.${s}`);
  const figures = (f: JaapFigures, t: Translate): SafeHtml => html`<td>${f.agreed}</td><td>${f.solvedWithin12Months}</td><td>${f.share === null ? '–' : `${Math.round(f.share * 100)}%`}</td><td>${f.doneLater}</td><td>${f.stillInside12Months}</td><td>${f.notSolved}</td><td>${f.dropped}</td>`;
  const figureHeads = (t: Translate): SafeHtml => html`<th scope="col">${t('jaap.agreed')}</th><th scope="col">${t('jaap.solved')}</th><th scope="col">${t('jaap.share')}</th><th scope="col">${t('jaap.done-later')}</th><th scope="col">${t('jaap.still-inside')}</th><th scope="col">${t('jaap.not-solved')}</th><th scope="col">${t('jaap.dropped')}</th>`;

  // Citizens' "was it done?" answers from the hotline (src/public/phone-results.ts): raw counts, staff are signed in.
  const checksLine = (c: Record<ItemCheckAnswer, number> | undefined, status: ItemStatus, t: Translate): SafeHtml => {
    if (!c) return status === 'done' ? html`<br><span class="muted">${t('jaap.checks-none')}</span>` : html``;
    return html`<br><span class="muted">${t('jaap.checks', { yes: c.yes, partly: c.partly, no: c.no })}</span>${itemFlagged(c) ? html`<br><strong class="jaap-flag">${t('jaap.flagged', { no: c.no })}</strong>` : ''}`;
  };

  const findPlan = async (req: Request): Promise<Jaap> => {
    const id = String(req.params.id ?? '');
    const plan = PLAN_ID.test(id) ? await register.plan(id) : null;
    if (!plan) throw new NotFoundError('No such JAAP.', { key: 'jaap.not-found' });
    return plan;
  };

  router.get('/jaap', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const commune = westernDigits(String(req.query.commune ?? '').trim());
      if (commune && !rt.gazetteer.isCommune(commune)) throw new BadRequestError('Type a six-digit commune code from the gazetteer.', { key: 'jaap.bad-commune' });
      const now = new Date();
      const overdue = await register.overdue(now, commune ? { communes: [commune] } : undefined, 50);
      const plans = commune ? await register.plansOf(commune) : [];
      const flaggedCounts = await rt.publicResults.flaggedItems(commune ? [commune] : undefined);
      const flagged = (await Promise.all([...flaggedCounts.keys()].slice(0, 50).map((id) => register.item(id)))).filter((i): i is JaapItem => i !== null);
      const canEdit = staff.role !== 'viewer';
      sendPage(res, {
        title: t('jaap.title'),
        body: html`<p>${t('jaap.intro')}</p>
<form method="get" action="${BASE}" class="filters">
  <label><span>${t('jaap.commune-code')}</span> <input name="commune" value="${commune}" inputmode="numeric" maxlength="6" autocomplete="off"></label>
  <div class="filter-buttons"><button type="submit">${t('jaap.show')}</button> <a href="${BASE}/results">${t('jaap.results-link')}</a></div>
</form>
<h2>${t('jaap.overdue-title')}</h2>
${overdue.length === 0 ? html`<p>${t('jaap.overdue-none')}</p>` : scrollBox(t('jaap.overdue-title'), html`<table><thead><tr><th scope="col">${t('jaap.commune')}</th><th scope="col">${t('jaap.col.activity')}</th><th scope="col">${t('jaap.col.status')}</th><th scope="col">${t('jaap.col.deadline')}</th></tr></thead><tbody>
${overdue.map((i) => html`<tr><td>${communeName(i.communeCode, t)}</td><td><a href="${BASE}/${i.jaapId}#${i._id}">${i.section}${i.no}. ${i.activity}</a></td><td>${statusWord(i.status, t)}</td><td>${i.deadline}</td></tr>`)}
</tbody></table>`)}
<h2 id="flagged">${t('jaap.flagged-title')}</h2>
<p>${t('jaap.flagged-intro')}</p>
${flagged.length === 0 ? html`<p>${t('jaap.flagged-none')}</p>` : scrollBox(t('jaap.flagged-title'), html`<table><thead><tr><th scope="col">${t('jaap.commune')}</th><th scope="col">${t('jaap.col.activity')}</th><th scope="col">${t('jaap.col.status')}</th></tr></thead><tbody>
${flagged.map((i) => html`<tr><td>${communeName(i.communeCode, t)}</td><td><a href="${BASE}/${i.jaapId}#${i._id}">${i.section}${i.no}. ${i.activity}</a></td><td>${statusWord(i.status, t)}${checksLine(flaggedCounts.get(i._id), i.status, t)}</td></tr>`)}
</tbody></table>`)}
${commune ? html`<h2>${t('jaap.plans-of', { commune: communeName(commune, t) })}</h2>
${plans.length === 0 ? html`<p>${t('jaap.no-plans')}</p>` : html`<ul>${plans.map((p) => html`<li><a href="${BASE}/${p._id}">${t('jaap.plan-name', { year: p.year, date: p.agreedOn })}</a></li>`)}</ul>`}
${canEdit ? html`<form method="post" action="${BASE}" class="filters">${csrfField(staff)}
  <input type="hidden" name="commune" value="${commune}">
  <label><span>${t('jaap.year')}</span> <input name="year" inputmode="numeric" maxlength="4" required value="${new Date().getUTCFullYear()}"></label>
  <label><span>${t('jaap.agreed-on')}</span> <input name="agreedOn" type="date" required></label>
  <div class="filter-buttons"><button type="submit">${t('jaap.add-plan')}</button></div>
</form>` : ''}` : ''}`,
      });
      await deps.audit.record({ username: staff.username, action: 'view-jaap', detail: commune ? { commune } : undefined });
    } catch (err) {
      next(err);
    }
  });

  /** The year and province a results page or download asks for (the year before this one by default). */
  const resultsQuery = (req: Request): { y: number; province: string; period: { from: string; to: string } } => {
    const year = westernDigits(String(req.query.year ?? '').trim()) || String(Number(cambodianDay(new Date()).slice(0, 4)) - 1);
    if (!/^20[0-9]{2}$/.test(year)) throw new BadRequestError('Type a year such as 2025.', { key: 'jaap.bad-year' });
    const province = String(req.query.province ?? '').trim();
    if (province && !(/^[0-9]{2}$/.test(province) && rt.gazetteer.find(province))) throw new BadRequestError('Choose a province from the list.', { key: 'jaap.bad-province' });
    const y = Number(year);
    return { y, province, period: { from: `${y}-01-01`, to: `${y + 1}-01-01` } };
  };
  // Counted in the report process, not on the webhooks' event loop, and kept for REPORT_FRESH_SECONDS
  // (src/staff/report-runner.ts); unfinished items count as of today in Cambodia.
  const countedResults = (q: ReturnType<typeof resultsQuery>) => runner.jaapResults(q.period, cambodianDay(new Date()), q.province ? { provinces: [q.province] } : undefined);

  router.get('/jaap/results', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const q = resultsQuery(req);
      const { y, province } = q;
      const { report, countedAt } = await countedResults(q);
      const shown = report.entries.filter((e) => e.level === 'country' || e.level === 'province' || (province && e.code?.startsWith(province)));
      const country = report.entries[0];
      const download = (lang: 'en' | 'km') => `${BASE}/results.xlsx?${new URLSearchParams({ year: String(y), ...(province ? { province } : {}), lang }).toString()}`;
      sendPage(res, {
        title: t('jaap.results-title', { year: y }),
        body: html`<p>${t('jaap.results-intro')}</p>
<form method="get" action="${BASE}/results" class="filters"><label><span>${t('jaap.year')}</span> <input name="year" value="${y}" inputmode="numeric" maxlength="4"></label>${province ? html`<input type="hidden" name="province" value="${province}">` : ''}<div class="filter-buttons"><button type="submit">${t('jaap.show')}</button></div></form>
<p class="summary">${country.agreed ? t('jaap.results-summary', { solved: country.solvedWithin12Months, agreed: country.agreed, share: Math.round((country.share ?? 0) * 100), ext: country.bySection.A.solvedWithin12Months, extall: country.bySection.A.agreed, int: country.bySection.B.solvedWithin12Months, intall: country.bySection.B.agreed }) : t('jaap.results-none')}</p>
${scrollBox(t('jaap.results-title', { year: y }), html`<table><thead><tr><th scope="col">${t('jaap.area')}</th>${figureHeads(t)}</tr></thead><tbody>
${shown.map((e) => html`<tr><th scope="row">${e.level === 'country' ? t('jaap.country') : e.level === 'province' && !province ? html`<a href="${BASE}/results?${new URLSearchParams({ year: String(y), province: e.code! }).toString()}">${placeName(rt.gazetteer.find(e.code!)!, t)}</a>` : placeName(rt.gazetteer.find(e.code!)!, t)}</th>${figures(e, t)}</tr>`)}
</tbody></table>`)}
<h2>${t('jaap.by-service')}</h2>
${scrollBox(t('jaap.by-service'), html`<table><thead><tr><th scope="col">${t('jaap.service')}</th>${figureHeads(t)}</tr></thead><tbody>
${Object.entries(country.byService).map(([s, f]) => html`<tr><th scope="row">${serviceName(s, t)}</th>${figures(f, t)}</tr>`)}
${JAAP_SECTIONS.map((s) => html`<tr><th scope="row">${t(`jaap.section.${s.toLowerCase()}`)}</th>${figures(country.bySection[s], t)}</tr>`)}
</tbody></table>`)}
<p class="muted counted-at">${t('report.counted-at', { time: cambodiaDateTime(countedAt, t, { seconds: true }) })}</p>
<p class="no-print">${t('jaap.results-xlsx')} <a href="${download(t.lang)}">${t(`jaap.results-xlsx-${t.lang}`)}</a> · <a href="${download(t.lang === 'km' ? 'en' : 'km')}">${t(`jaap.results-xlsx-${t.lang === 'km' ? 'en' : 'km'}`)}</a></p>
<p>${t('jaap.results-how')} <code lang="en">npm run report -- --jaap --from ${y}-01-01 --to ${y + 1}-01-01</code></p>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/jaap/results.xlsx', async (req: Request, res: Response, next) => {
    try {
      const q = resultsQuery(req);
      const lang = req.query.lang === 'km' ? 'km' : 'en';
      const { report } = await countedResults(q);
      const { staff } = staffLocals(res);
      await deps.audit.record({ username: staff.username, action: 'export-jaap-results', detail: { year: q.y, ...(q.province ? { province: q.province } : {}), lang } });
      res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`jaap-results-${q.y}${q.province ? `-${q.province}` : ''}-${lang}.xlsx`).send(await jaapResultsWorkbook(report, lang));
    } catch (err) {
      next(err);
    }
  });

  router.post('/jaap', editors, async (req: Request, res: Response, next) => {
    try {
      const body = bodyWithWesternDigits(req.body);
      if (!validatePlanBody(body) || !rt.gazetteer.isCommune(body.commune)) throw new BadRequestError('Give the commune, the year and the day the JAAP was agreed.', { key: 'jaap.bad-plan' });
      try {
        cambodianMidnight(body.agreedOn);
      } catch (err) {
        throw new BadRequestError('Give the commune, the year and the day the JAAP was agreed.', { key: 'jaap.bad-plan', cause: err });
      }
      const { staff } = staffLocals(res);
      const year = Number(body.year);
      const plan: Jaap = { _id: jaapId(body.commune, year), communeCode: body.commune, year, agreedOn: body.agreedOn, createdAt: new Date(), createdBy: staff.username };
      await register.addPlan(plan);
      await deps.audit.record({ username: staff.username, action: 'add-jaap', detail: { jaap: plan._id, agreedOn: plan.agreedOn } });
      res.redirect(303, `${BASE}/${plan._id}`);
    } catch (err) {
      next(err);
    }
  });

  router.get('/jaap/:id', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const plan = await findPlan(req);
      const items = await register.itemsOf(plan._id);
      const checks = await rt.publicResults.checkCounts(items.map((i) => i._id));
      const canEdit = staff.role !== 'viewer';
      const priorities = canEdit ? await rounds.priorityActionsOf(plan.communeCode, plan.year) : [];
      const now = new Date();
      const indicatorName = (id: string | undefined) => {
        const service = rt.scorecard.services.find((s) => s.indicators.some((i) => i.id === id));
        return service ? indicatorLabel(service.id, id!, t) : id ?? '';
      };
      const row = (i: JaapItem): SafeHtml => html`<tr id="${i._id}">
  <td>${i.no}</td><td>${i.activity}${i.indicatorId ? html`<br><span class="muted">${t('jaap.answers-indicator', { indicator: indicatorName(i.indicatorId) })}</span>` : ''}${i.priorityAction ? html`<br><span class="muted">${t('jaap.answers-priority', { action: i.priorityAction })}</span>` : ''}</td><td>${i.proposer ?? ''}</td><td>${i.targetResponse ?? ''}</td>
  <td>${serviceName(i.service, t)}${i.facilityName ? html`: ${i.facilityName}` : ''}</td><td>${i.quantity ?? ''} ${i.unit ?? ''}</td><td>${i.startMonth ?? ''}–${i.endMonth ?? ''}</td>
  <td>${i.beneficiariesTotal ?? ''}${i.beneficiariesFemale !== undefined ? html` (${t('jaap.female', { n: i.beneficiariesFemale })})` : ''}</td><td>${i.costRiel !== undefined ? i.costRiel.toLocaleString('en') : ''}</td><td>${i.implementer ?? ''}${i.fundSource ? html`<br>${t('jaap.fund', { fund: i.fundSource })}` : ''}</td>
  <td><strong>${statusWord(i.status, t)}</strong><br><span class="muted">${t(`jaap.outcome.${itemOutcome(i, now)}`)}</span>${checksLine(checks.get(i._id), i.status, t)}
  ${i.history.length ? html`<details class="no-print"><summary>${t('jaap.history')}</summary><ul>${i.history.map((h, n) => html`<li>${cambodiaDateTime(h.at, t)} · ${h.by} · ${statusWord(h.status, t)}${h.note ? html`: ${h.note}` : ''}${h.photo ? html` · <a href="${BASE}/${plan._id}/items/${i._id}/photos/${n}">${t('jaap.photo-link')}</a>` : ''}</li>`)}</ul></details>` : ''}
  ${canEdit ? html`<form method="post" action="${BASE}/${plan._id}/items/${i._id}/status" enctype="multipart/form-data" class="no-print">${csrfField(staff)}<input type="hidden" name="from" value="${i.status}">
    <label><span class="visually-hidden">${t('jaap.new-status-of', { no: `${i.section}${i.no}` })}</span><select name="status">${ITEM_STATUSES.filter((s) => s !== i.status).map((s) => html`<option value="${s}">${statusWord(s, t)}</option>`)}</select></label>
    <label><span class="visually-hidden">${t('jaap.note-of', { no: `${i.section}${i.no}` })}</span><input name="note" maxlength="1000" placeholder="${t('jaap.note-placeholder')}"></label>
    <label><span>${t('jaap.photo-label')}</span> <input name="photo" type="file" accept="image/jpeg,image/png"></label>
    <button type="submit">${t('jaap.change-status', { no: `${i.section}${i.no}` })}</button></form>` : ''}</td></tr>`;
      const section = (s: JaapSection) => html`<h2>${t(`jaap.section.${s.toLowerCase()}`)}</h2>
${scrollBox(t(`jaap.section.${s.toLowerCase()}`), html`<table class="jaap"><thead><tr><th scope="col">${t('jaap.col.no')}</th><th scope="col">${t('jaap.col.activity')}</th><th scope="col">${t('jaap.col.proposer')}</th><th scope="col">${t('jaap.col.target-response')}</th><th scope="col">${t('jaap.col.facility')}</th><th scope="col">${t('jaap.col.quantity')}</th><th scope="col">${t('jaap.col.months')}</th><th scope="col">${t('jaap.col.beneficiaries')}</th><th scope="col">${t('jaap.col.cost-riel')}</th><th scope="col">${t('jaap.col.implementer')}</th><th scope="col">${t('jaap.col.status')}</th></tr></thead>
<tbody>${items.filter((i) => i.section === s).map(row)}</tbody></table>`)}`;
      sendPage(res, {
        title: t('jaap.plan-title', { commune: communeName(plan.communeCode, t), year: plan.year }),
        body: html`<p>${t('jaap.plan-intro', { date: plan.agreedOn, deadline: twelveMonthsAfter(plan.agreedOn) })}</p>
<p class="no-print"><a href="${BASE}/${plan._id}/letter">${t('jaap.letter-link')}</a> · <a href="${BASE}/${plan._id}/export.xlsx?headers=${t.lang}">${t('jaap.export-xlsx')}</a> · <a href="${BASE}/${plan._id}/export.csv?headers=${t.lang}">${t('jaap.export-csv')}</a></p>
${section('A')}${section('B')}
${canEdit ? html`<h2 class="no-print">${t('jaap.add-item')}</h2>
<form method="post" action="${BASE}/${plan._id}/items" class="filters no-print">${csrfField(staff)}
  <label><span>${t('jaap.col.section')}</span><select name="section">${JAAP_SECTIONS.map((s) => html`<option value="${s}">${t(`jaap.section.${s.toLowerCase()}`)}</option>`)}</select></label>
  <label><span>${t('jaap.col.activity')}</span><input name="activity" required maxlength="500"></label>
  <label><span>${t('jaap.service')}</span><select name="service">${rt.scorecard.services.map((s) => html`<option value="${s.id}">${serviceName(s.id, t)}</option>`)}</select></label>
  <label><span>${t('jaap.col.facility')}</span><input name="facilityName" maxlength="200"></label>
  <label><span>${t('jaap.col.indicator')}</span><select name="indicatorId"><option value="">${t('jaap.no-indicator')}</option>${rt.scorecard.services.flatMap((s) => s.indicators.map((i) => html`<option value="${i.id}">${serviceName(s.id, t)}: ${indicatorLabel(s.id, i.id, t)}</option>`))}</select></label>
  ${priorities.length ? html`<label><span>${t('jaap.col.priority-action')}</span><select name="priorityAction"><option value="">${t('jaap.no-priority-action')}</option>${priorities.map((p) => html`<option value="${p}">${p}</option>`)}</select></label>` : ''}
  <label><span>${t('jaap.col.proposer')}</span><input name="proposer" maxlength="200"></label>
  <label><span>${t('jaap.col.target-response')}</span><input name="targetResponse" maxlength="500"></label>
  <label><span>${t('jaap.col.quantity')}</span><input name="quantity" inputmode="numeric" maxlength="9"></label>
  <label><span>${t('jaap.col.unit')}</span><input name="unit" maxlength="60"></label>
  <label><span>${t('jaap.col.start-month')}</span><input name="startMonth" type="month"></label>
  <label><span>${t('jaap.col.end-month')}</span><input name="endMonth" type="month"></label>
  <label><span>${t('jaap.col.beneficiaries-total')}</span><input name="beneficiariesTotal" inputmode="numeric" maxlength="9"></label>
  <label><span>${t('jaap.col.beneficiaries-female')}</span><input name="beneficiariesFemale" inputmode="numeric" maxlength="9"></label>
  <label><span>${t('jaap.col.cost-riel')}</span><input name="costRiel" inputmode="numeric" maxlength="13"></label>
  <label><span>${t('jaap.col.implementer')}</span><input name="implementer" maxlength="200"></label>
  <label><span>${t('jaap.col.fund-source')}</span><input name="fundSource" maxlength="200"></label>
  <div class="filter-buttons"><button type="submit">${t('jaap.add-item')}</button></div>
</form>` : ''}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/jaap/:id/items', editors, async (req: Request, res: Response, next) => {
    try {
      const plan = await findPlan(req);
      const body = bodyWithWesternDigits(req.body);
      if (!validateItemBody(body)) throw new BadRequestError('Write the activity and choose its section and service; numbers in digits only.', { key: 'jaap.bad-item' });
      if (!rt.scorecard.services.some((s) => s.id === body.service)) throw new BadRequestError('Write the activity and choose its section and service; numbers in digits only.', { key: 'jaap.bad-item' });
      if (body.indicatorId && !rt.scorecard.services.some((s) => s.id === body.service && s.indicators.some((i) => i.id === body.indicatorId))) throw new BadRequestError('The indicator must be one of the chosen service.', { key: 'jaap.indicator-not-in-service' });
      if (body.priorityAction && !(await rounds.priorityActionsOf(plan.communeCode, plan.year)).includes(body.priorityAction)) {
        throw new BadRequestError('The priority action must be one the commune\'s interface meeting agreed this year.', { key: 'jaap.priority-action-unknown' });
      }
      const section = body.section as JaapSection;
      const existing = await register.itemsOf(plan._id);
      const no = 1 + Math.max(0, ...existing.filter((i) => i.section === section).map((i) => i.no));
      const { staff } = staffLocals(res);
      const item: JaapItem = {
        _id: itemId(plan._id, section, no), jaapId: plan._id, communeCode: plan.communeCode, districtCode: plan.communeCode.slice(0, 4), provinceCode: plan.communeCode.slice(0, 2),
        year: plan.year, agreedOn: plan.agreedOn, deadline: twelveMonthsAfter(plan.agreedOn), section, no, activity: body.activity, service: body.service,
        proposer: optionalText(body.proposer), targetResponse: optionalText(body.targetResponse), facilityName: optionalText(body.facilityName), quantity: optionalNumber(body.quantity), unit: optionalText(body.unit),
        startMonth: optionalText(body.startMonth), endMonth: optionalText(body.endMonth), beneficiariesTotal: optionalNumber(body.beneficiariesTotal), beneficiariesFemale: optionalNumber(body.beneficiariesFemale),
        costRiel: optionalNumber(body.costRiel), implementer: optionalText(body.implementer), fundSource: optionalText(body.fundSource), indicatorId: optionalText(body.indicatorId), priorityAction: optionalText(body.priorityAction),
        status: 'not-started', doneAt: null, history: [],
      };
      // Absent fields stay absent (the store keeps no undefined).
      for (const k of Object.keys(item) as (keyof JaapItem)[]) if (item[k] === undefined) delete item[k];
      await register.addItems([item]);
      await deps.audit.record({ username: staff.username, action: 'add-jaap-item', detail: { jaap: plan._id, item: item._id } });
      res.redirect(303, `${BASE}/${plan._id}#${item._id}`);
    } catch (err) {
      next(err);
    }
  });

  router.post('/jaap/:id/items/:item/status', editors, async (req: Request, res: Response, next) => {
    try {
      const plan = await findPlan(req);
      const id = String(req.params.item ?? '');
      if (!ITEM_ID.test(id) || !id.startsWith(`${plan._id}-`)) throw new NotFoundError('No such JAAP item.', { key: 'jaap.item-not-found' });
      const { photo: photoField, ...body } = (req.body ?? {}) as Record<string, string>;
      const { _csrf: _, ...fields } = body;
      if (!validateStatusBody({ ...fields, ...(fields.note === '' ? { note: undefined } : {}) })) throw new BadRequestError('Choose the new status.', { key: 'jaap.bad-status' });
      if (body.from === body.status) throw new BadRequestError('Choose the new status.', { key: 'jaap.bad-status' });
      const { staff } = staffLocals(res);
      const note = body.note?.trim() || undefined;
      const at = new Date();
      const upload = uploadedFile(photoField);
      const photo = upload ? await storeEvidencePhoto(rt.store.files, id, upload.data, at) : undefined;
      let changed: JaapItem;
      try {
        changed = await register.setStatus(id, body.from as ItemStatus, { status: body.status as ItemStatus, at, by: staff.username, ...(note ? { note } : {}), ...(photo ? { photo } : {}) });
      } catch (err) {
        // Changed meanwhile (or gone): the photo belongs to no change.
        if (photo) await rt.store.files.remove(photo.fileId);
        throw err;
      }
      try {
        // Callers signed up for the commune's promise news are owed a call (one per sitting: src/outbound/callback-queue.ts queueNews).
        const calls = await rt.outbound.itemStatusChanged(changed, at);
        if (calls) rt.logger.info({ item: id, calls }, 'promise news queued for the callers signed up for the commune');
      } catch (err) {
        // The change stands; only its news is lost, and the log says so.
        rt.logger.error({ item: id, err: (err as Error).message }, 'promise news for a JAAP status change could not be queued; the status change is saved');
      }
      await deps.audit.record({ username: staff.username, action: 'jaap-item-status', detail: { item: id, from: body.from, to: body.status, ...(photo ? { photoBytes: photo.bytes } : {}) } });
      res.redirect(303, `${BASE}/${plan._id}#${id}`);
    } catch (err) {
      next(err);
    }
  });

  // A status change's evidence photo, to staff only; served as the picture it was checked to be.
  router.get('/jaap/:id/items/:item/photos/:n', async (req: Request, res: Response, next) => {
    try {
      const plan = await findPlan(req);
      const id = String(req.params.item ?? '');
      const item = ITEM_ID.test(id) && id.startsWith(`${plan._id}-`) ? await register.item(id) : null;
      const photo = item?.history[Number(req.params.n)]?.photo;
      if (!photo || !/^[0-9]{1,4}$/.test(String(req.params.n))) throw new NotFoundError('No such photo.', { key: 'jaap.photo-not-found' });
      const data = await rt.store.files.read(photo.fileId);
      res.set({ 'Content-Type': photo.contentType, 'Content-Disposition': 'inline', 'X-Content-Type-Options': 'nosniff' }).send(data);
    } catch (err) {
      next(err);
    }
  });

  router.get('/jaap/:id/letter', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const plan = await findPlan(req);
      const items = await register.itemsOf(plan._id);
      const { staff } = staffLocals(res);
      // Recorded before the letter is sent: whoever has it printed is in the log.
      await deps.audit.record({ username: staff.username, action: 'export-jaap', detail: { jaap: plan._id, format: 'letter' } });
      sendPage(res, {
        title: t('jaap.letter-title', { commune: communeName(plan.communeCode, t), year: plan.year }),
        body: html`<p class="no-print">${t('jaap.letter-print')} <a href="${BASE}/${plan._id}">${t('jaap.plan-title', { commune: communeName(plan.communeCode, t), year: plan.year })}</a></p>
${jaapLetter(plan, items, rt.gazetteer, { serviceName: (id) => serviceName(id, t) }, t)}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/jaap/:id/export.:format', async (req: Request, res: Response, next) => {
    try {
      const plan = await findPlan(req);
      const format = String(req.params.format);
      if (format !== 'csv' && format !== 'xlsx') throw new NotFoundError('Not found.', { key: 'error.not-found' });
      const items = await register.itemsOf(plan._id);
      const headerLang = req.query.headers === 'km' ? 'km' : 'en';
      const { staff } = staffLocals(res);
      await deps.audit.record({ username: staff.username, action: 'export-jaap', detail: { jaap: plan._id, format } });
      if (format === 'xlsx') {
        res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`jaap-${plan._id}.xlsx`).send(await jaapWorkbook(items, rt.scorecard, headerLang));
        return;
      }
      res.type('text/csv; charset=utf-8').attachment(`jaap-${plan._id}.csv`).send(jaapCsv(items, rt.scorecard, headerLang));
    } catch (err) {
      next(err);
    }
  });
};
