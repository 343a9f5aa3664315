import Ajv from 'ajv';
import { Request, Response } from 'express';
import { SESSION_ABSOLUTE_MS } from '../auth/sessions';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { MessageFilter, MessageOrder, MessageQueries, ReviewStateFilter, StaffVisibleMessage } from '../messages/message-queries';
import { audioOf, REVIEW_STATES, ReviewState } from '../messages/messages';
import { Runtime } from '../runtime';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, km, latin, sendPage } from './layout';
import { sendRecording } from './recording-stream';
import { StaffPages } from './staff-router';
import { callbackOutcomeWord } from './outbound-words';
import { RECORDED_ANSWER } from '../outbound/answer-outcome';
import { cancelAnswerCall } from '../outbound/answer-cancellation';

const PER_PAGE = 20;
/** Most messages one bulk change may touch: a page of the list is 20, and the form parser takes 50 fields. */
const BULK_LIMIT = 40;
/** Cambodia keeps UTC+7 all year: dates staff type and read are local dates. */
const ICT_OFFSET_MS = 7 * 60 * 60 * 1000;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;
const DAY = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

const ajv = new Ajv({ allErrors: true, coerceTypes: false });
const date = { type: 'string', maxLength: 10 };
const validateListQuery = ajv.compile({
  type: 'object',
  additionalProperties: true,
  properties: {
    province: { type: 'string', pattern: '^(|[0-9]{2})$' },
    district: { type: 'string', pattern: '^(|[0-9]{4})$' },
    commune: { type: 'string', pattern: '^(|[0-9]{6})$' },
    service: { type: 'string', pattern: '^(|[a-z][a-z0-9-]{0,31})$' },
    state: { enum: ['', 'open', ...REVIEW_STATES] },
    sort: { enum: ['', 'newest', 'oldest'] },
    from: date,
    to: date,
    page: { type: 'string', pattern: '^[0-9]{1,5}$' },
  },
});
const back = { type: 'string', maxLength: 500 };
const validateStateBody = ajv.compile({
  type: 'object',
  required: ['state'],
  properties: { state: { enum: [...REVIEW_STATES] }, from: { enum: [...REVIEW_STATES] }, _csrf: { type: 'string' }, back, then: { enum: ['stay', 'next'] } },
  additionalProperties: false,
});
const validateBulkBody = ajv.compile({
  type: 'object',
  required: ['state'],
  properties: {
    state: { enum: [...REVIEW_STATES] },
    id: { anyOf: [{ type: 'string', pattern: MESSAGE_ID.source }, { type: 'array', maxItems: BULK_LIMIT, items: { type: 'string', pattern: MESSAGE_ID.source } }] },
    _csrf: { type: 'string' },
    back,
  },
  additionalProperties: false,
});
const validateNoteBody = ajv.compile({
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', minLength: 1, maxLength: 2000 }, _csrf: { type: 'string' }, back },
  additionalProperties: false,
});

export function ictDateTime(d: Date, withSeconds = false): string {
  return new Date(new Date(d).getTime() + ICT_OFFSET_MS).toISOString().replace('T', ' ').slice(0, withSeconds ? 19 : 16);
}

/**
 * "2026-11-03" as the start (or end) of that day in Cambodia, or a problem in the reader's words:
 * not a date, or a day the calendar does not have (2026-02-31).
 */
export function ictDay(value: string, end: boolean, t: Translate): { at?: Date; problem?: string } {
  if (!value) return {};
  const m = DAY.exec(value);
  if (!m) return { problem: t('filter.not-a-date', { date: value.slice(0, 10) }) };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = new Date(Date.UTC(y, mo - 1, d));
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d) return { problem: t('filter.no-such-day', { date: value }) };
  return { at: new Date(utc.getTime() - ICT_OFFSET_MS + (end ? 24 * 60 * 60 * 1000 - 1 : 0)) };
}

function duration(seconds: number | undefined): string {
  const s = Math.max(0, Math.round(seconds ?? 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * How a message's answer call ended: the outcome, the calls made, when, and which answer (a
 * standard answer by its text in the reader's language; a reviewer's own recording as such).
 */
function answerCallSummary(a: NonNullable<StaffVisibleMessage['answerCall']>, t: Translate, promptText: (id: string) => string | undefined): string {
  const answer = a.answerPromptId === RECORDED_ANSWER ? t('outbound.recorded-answer') : (promptText(a.answerPromptId) ?? a.answerPromptId);
  return t('detail.answer-call-summary', { outcome: callbackOutcomeWord(a.outcome, t), attempts: a.attempts, at: ictDateTime(a.endedAt), answer });
}

/** The list's filter as read from its query string, with what is wrong with it (in the reader's words). */
export interface ListView {
  filter: MessageFilter;
  order: MessageOrder;
  page: number;
  /** The query string that shows this list again (page included), for "back to the list". */
  params: Record<string, string>;
  problems: string[];
}

export function readListQuery(q: Record<string, unknown>, t: Translate): ListView {
  const problems: string[] = [];
  if (!validateListQuery(q)) {
    return { filter: {}, order: 'newest', page: 1, params: {}, problems: [t('filter.invalid')] };
  }
  const s = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : '');
  const from = ictDay(s('from'), false, t);
  const to = ictDay(s('to'), true, t);
  for (const p of [from.problem, to.problem]) if (p) problems.push(p);
  if (from.at && to.at && from.at > to.at) problems.push(t('filter.from-after-to', { from: s('from'), to: s('to') }));
  const filter: MessageFilter = {
    provinceCode: s('province') || undefined,
    districtCode: s('district') || undefined,
    communeCode: s('commune') || undefined,
    service: s('service') || undefined,
    reviewState: (s('state') || undefined) as ReviewStateFilter | undefined,
    from: from.at,
    to: to.at,
  };
  // A district or commune outside the chosen province is dropped rather than silently matching nothing.
  if (filter.districtCode && filter.provinceCode && !filter.districtCode.startsWith(filter.provinceCode)) filter.districtCode = undefined;
  if (filter.communeCode && filter.districtCode && !filter.communeCode.startsWith(filter.districtCode)) filter.communeCode = undefined;
  const order: MessageOrder = s('sort') === 'oldest' ? 'oldest' : 'newest';
  const page = Math.max(1, Number(s('page') || '1') || 1);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries({ province: filter.provinceCode, district: filter.districtCode, commune: filter.communeCode, service: filter.service, state: filter.reviewState, from: s('from'), to: s('to'), sort: order === 'oldest' ? 'oldest' : '' })) {
    if (v) params[k] = v;
  }
  if (page > 1) params.page = String(page);
  return { filter, order, page, params, problems };
}

/** A place in a picker: the reader's script first, the other after it (names are data, not catalog text). */
export function placeLabel(p: { nameKm: string; nameLatin: string }, t: Translate): string {
  return t.lang === 'km' ? `${p.nameKm} · ${p.nameLatin}` : `${p.nameLatin} · ${p.nameKm}`;
}

const listUrl = (params: Record<string, string>) => {
  const qs = new URLSearchParams(params).toString();
  return qs ? `/staff/messages?${qs}` : '/staff/messages';
};

/** The list query a detail page came from (its `back`), if it is one. */
function backParams(value: unknown): Record<string, string> {
  if (typeof value !== 'string' || value.length > 500) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(value)) if (['province', 'district', 'commune', 'service', 'state', 'from', 'to', 'sort', 'page'].includes(k)) out[k] = v;
  return out;
}

export const messagePages: StaffPages = (router, deps) => {
  const rt: Runtime = deps.rt;
  const queries = new MessageQueries(rt.store.collection<StaffVisibleMessage>('messages'));
  /** A dismissed message gets no answer: the caller's "call me back with the answer" ends, their number erased. */
  const callOffAnswerIfDismissed = async (messageId: string, state: ReviewState, by: string): Promise<Record<string, string>> => {
    if (state !== 'dismissed') return {};
    const outcome = await cancelAnswerCall(rt.outbound.queue, messageId, `message dismissed by ${by}`);
    return outcome === 'none' ? {} : { answerCall: outcome };
  };
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  const reviewers = requireRole('admin', 'reviewer');
  deps.nav.push({ href: '/staff/messages', key: 'nav.messages', roles: ['admin', 'reviewer', 'viewer'] });

  const placeName = (code: string | undefined, t: Translate): SafeHtml => {
    const p = code ? rt.gazetteer.find(code) : undefined;
    return p ? html`${km(p.nameKm)} ${latin(p.nameLatin, t)}` : html`<span class="muted">${code || t('common.unknown')}</span>`;
  };
  const serviceName = (id: string | undefined, t: Translate): SafeHtml => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? html`${km(s.name.km)} ${latin(s.name.en, t)}` : html`<span class="muted">${id || t('common.unknown')}</span>`;
  };
  const languageName = (code: string | undefined, t: Translate): SafeHtml => {
    const l = rt.languages.languages.find((x) => x.code === code);
    if (!l) return html`${code || t('common.unknown')}`;
    return l.nativeName !== l.name ? html`${km(l.nativeName)} ${latin(l.name, t)}` : latin(l.name, t);
  };
  const stateOf = (m: StaffVisibleMessage): ReviewState => m.review?.state ?? 'new';
  const stateBadge = (s: ReviewState, t: Translate) => html`<span class="state state-${s}">${t(`state.${s}`)}</span>`;
  const stateOptions = (selected: string, t: Translate) =>
    REVIEW_STATES.map((s) => html`<option value="${s}"${s === selected ? html` selected` : ''}>${t(`state.${s}`)}</option>`);
  const downloadNote = (m: StaffVisibleMessage, t: Translate): SafeHtml => {
    const d = m.download;
    if (!d) return html`<span class="muted">${t('message.audio-waiting')}</span>`;
    switch (d.state) {
      case 'stored': return html``;
      case 'failed': return html`<span class="error">${t('message.audio-failed')}${d.lastError ? `: ${d.lastError}` : ''}</span>`;
      case 'discarded': return html`<span class="muted">${t('message.audio-discarded')}</span>`;
      default: return html`<span class="muted">${t('message.audio-pending', { state: t(`download.${d.state}`), attempts: d.attempts ?? 0 })}</span>`;
    }
  };
  /** Where the carrier's copy stands: deleted only on the carrier's 2xx, otherwise kept with the reason. */
  const carrierCopy = (m: StaffVisibleMessage, t: Translate): SafeHtml => {
    const d = m.download;
    if (!d || (d.state !== 'stored' && d.state !== 'discarded')) return html``;
    if (d.deletedAtCarrier) return html` <span class="muted carrier-copy">${t('message.carrier-deleted')}</span>`;
    if (d.keptAtCarrier) return html` <span class="muted carrier-copy">${t('message.carrier-kept', { reason: d.keptAtCarrier })}</span>`;
    return html` <span class="muted carrier-copy">${t('message.carrier-pending')}</span>`;
  };
  const player = (m: StaffVisibleMessage, t: Translate) =>
    audioOf(m)
      ? html`<audio controls preload="none" src="/staff/messages/${encodeURIComponent(m._id)}/audio" data-message="${m._id}" aria-label="${t('message.recording-of', { ref: m.referenceNumber || m._id })}"></audio>${carrierCopy(m, t)}`
      : downloadNote(m, t);
  const noteCount = (m: StaffVisibleMessage, t: Translate) => {
    const n = m.review?.notes?.length ?? 0;
    return n === 1 ? t('list.notes-one') : t('list.notes-many', { n });
  };
  const detailUrl = (id: string, params: Record<string, string>, extra: Record<string, string> = {}) => {
    const qs = new URLSearchParams({ ...(Object.keys(params).length ? { back: new URLSearchParams(params).toString() } : {}), ...extra }).toString();
    return `/staff/messages/${encodeURIComponent(id)}${qs ? `?${qs}` : ''}`;
  };

  const findMessage = async (req: Request): Promise<StaffVisibleMessage> => {
    const id = String(req.params.id ?? '');
    if (!MESSAGE_ID.test(id)) throw new NotFoundError('No such message.', { key: 'message.not-found' });
    const m = await queries.find(id);
    if (!m) throw new NotFoundError('No such message.', { key: 'message.not-found' });
    return m;
  };

  const filterForm = (view: ListView, t: Translate) => {
    const { filter } = view;
    const option = (value: string, label: SafeHtml | string, selected: string | undefined) =>
      html`<option value="${value}"${value === (selected ?? '') ? html` selected` : ''}>${label}</option>`;
    const placeOption = (p: { code: string; nameKm: string; nameLatin: string }, selected: string | undefined) =>
      option(p.code, placeLabel(p, t), selected);
    const districts = filter.provinceCode ? rt.gazetteer.childrenOf(filter.provinceCode) : [];
    const communes = filter.districtCode ? rt.gazetteer.childrenOf(filter.districtCode) : [];
    const v = (k: string) => view.params[k] ?? '';
    return html`<form method="get" action="/staff/messages" class="filters" id="message-filters">
  <label><span>${t('filter.province')}</span>
    <select name="province" data-children="district" data-all="${t('filter.all-districts')}" data-choose="${t('filter.choose-province')}">${option('', t('filter.all-provinces'), filter.provinceCode)}${rt.gazetteer.provinces.map((p) => placeOption(p, filter.provinceCode))}</select></label>
  <label><span>${t('filter.district')}</span>
    <select name="district" data-children="commune" data-all="${t('filter.all-communes')}" data-choose="${t('filter.choose-district')}">${option('', districts.length ? t('filter.all-districts') : t('filter.choose-province'), filter.districtCode)}${districts.map((p) => placeOption(p, filter.districtCode))}</select></label>
  <label><span>${t('filter.commune')}</span>
    <select name="commune">${option('', communes.length ? t('filter.all-communes') : t('filter.choose-district'), filter.communeCode)}${communes.map((p) => placeOption(p, filter.communeCode))}</select></label>
  <label><span>${t('filter.service')}</span>
    <select name="service">${option('', t('filter.all-services'), filter.service)}${rt.scorecard.services.map((s) => option(s.id, t.lang === 'km' ? `${s.name.km} · ${s.name.en}` : `${s.name.en} · ${s.name.km}`, filter.service))}</select></label>
  <label><span>${t('filter.state')}</span>
    <select name="state">${option('', t('filter.all-states'), filter.reviewState)}${option('open', t('filter.open'), filter.reviewState)}${REVIEW_STATES.map((s) => option(s, t(`state.${s}`), filter.reviewState))}</select></label>
  <label><span>${t('filter.sort')}</span>
    <select name="sort">${option('', t('filter.newest-first'), v('sort'))}${option('oldest', t('filter.oldest-first'), v('sort'))}</select></label>
  <label><span>${t('filter.from')}</span> <input type="date" name="from" value="${v('from')}"></label>
  <label><span>${t('filter.to')}</span> <input type="date" name="to" value="${v('to')}"></label>
  <div class="filter-buttons"><button type="submit">${t('filter.apply')}</button> <a href="/staff/messages">${t('filter.clear')}</a></div>
</form>`;
  };

  router.get('/messages', everyone, async (req, res, next) => {
    try {
      const t = tr(res);
      const view = readListQuery(req.query as Record<string, unknown>, t);
      const { staff } = staffLocals(res);
      const canReview = staff.role === 'admin' || staff.role === 'reviewer';
      const title = t('list.title');
      if (view.problems.length) {
        sendPage(res, {
          title,
          scripts: ['messages.js'],
          body: html`${filterForm(view, t)}<div class="error" role="alert">${view.problems.map((p) => html`<p>${p}</p>`)}<p>${t('filter.fix-and-retry')}</p></div>`,
        }, 400);
        return;
      }
      const { messages, total } = await queries.list(view.filter, view.page, PER_PAGE, view.order);
      const withoutPage = Object.fromEntries(Object.entries(view.params).filter(([k]) => k !== 'page'));
      await deps.audit.record({ username: staff.username, action: 'list-messages', detail: { ...withoutPage, page: view.page, shown: messages.length } });

      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const link = (p: number) => listUrl({ ...withoutPage, ...(p > 1 ? { page: String(p) } : {}) });
      const pastTheEnd = view.page > pages;
      const q = req.query as Record<string, string>;
      const notices: string[] = [];
      if (typeof q.changed === 'string' && /^[0-9]{1,3}$/.test(q.changed)) notices.push(t('bulk.changed', { n: q.changed }));
      if (q.end === '1') notices.push(t('detail.last-in-list'));
      const countText = total === 1 ? t('list.count-one') : t('list.count-many', { n: total });

      sendPage(res, {
        title,
        scripts: ['messages.js'],
        body: html`${filterForm(view, t)}
${notices.length ? html`<p class="notice" role="status">${notices.join(' ')}</p>` : ''}
<p class="count">${countText} ${view.order === 'oldest' ? t('list.oldest-first') : t('list.newest-first')} ${t('common.cambodia-time')}</p>
${pastTheEnd ? html`<p class="error" role="alert">${t('list.past-end', { page: view.page, pages })} <a href="${link(pages)}">${t('list.to-last-page', { pages })}</a></p>` : ''}
${canReview && messages.length ? html`<form id="bulk" method="post" action="/staff/messages/bulk-state" class="bulk">${csrfField(staff)}
  <input type="hidden" name="back" value="${new URLSearchParams(view.params).toString()}">
  <input type="hidden" name="_return" value="${listUrl(view.params)}">
  <label><span>${t('bulk.move-selected')}</span> <select name="state">${stateOptions('in-review', t)}</select></label>
  <button type="submit">${t('bulk.button')}</button>
</form>` : ''}
<ol class="messages">
${messages.map((m) => html`<li class="message" data-id="${m._id}">
  <div class="message-head">${canReview ? html`<input type="checkbox" name="id" value="${m._id}" form="bulk" class="pick" aria-label="${t('bulk.select', { ref: m.referenceNumber || m._id })}">` : ''}<a href="${detailUrl(m._id, view.params)}" class="ref">${t('common.number', { ref: m.referenceNumber || '—' })}</a> ${stateBadge(stateOf(m), t)} <span class="notes-count">${noteCount(m, t)}</span> <span class="when">${ictDateTime(m.createdAt)}</span></div>
  <div class="place">${placeName(m.communeCode, t)}${m.communeCode ? html` <span class="muted">(${[m.districtCode, m.provinceCode].map((c) => { const p = rt.gazetteer.find(c); return t.lang === 'km' ? p?.nameKm ?? '' : p?.nameLatin ?? ''; }).join(', ')})</span>` : ''}</div>
  <div class="service">${serviceName(m.service, t)}</div>
  <div class="meta">${t('message.language')}: ${languageName(m.language, t)} · ${duration(m.durationSeconds)}${m.callerChoice === 'unknown' ? html` · <span class="muted">${t('message.not-confirmed')}</span>` : ''}</div>
  <div class="audio">${player(m, t)}</div>
</li>`)}
</ol>
${messages.length === 0 && !pastTheEnd ? html`<p class="empty">${t('list.empty')}</p>` : ''}
<nav class="pager" aria-label="${t('common.pages')}">${view.page > 1 && !pastTheEnd ? html`<a href="${link(view.page - 1)}" rel="prev">← ${t('common.previous')}</a>` : ''} <span>${t('common.page-of', { page: Math.min(view.page, pages), pages })}</span> ${view.page < pages ? html`<a href="${link(view.page + 1)}" rel="next">${t('common.next')} →</a>` : ''}</nav>`,
      }, pastTheEnd && total > 0 ? 404 : 200);
    } catch (err) {
      next(err);
    }
  });

  router.get('/messages/:id', everyone, async (req, res, next) => {
    try {
      const t = tr(res);
      const m = await findMessage(req);
      const { staff } = staffLocals(res);
      await deps.audit.record({ username: staff.username, action: 'view-message', messageId: m._id });
      const canReview = staff.role === 'admin' || staff.role === 'reviewer';
      const params = backParams(req.query.back);
      const backQuery = new URLSearchParams(params).toString();
      const self = detailUrl(m._id, params);
      const saved = req.query.saved;
      type Event = { at: Date; who: string; what: SafeHtml };
      const events: Event[] = [
        { at: new Date(m.createdAt), who: t('detail.caller'), what: html`${t('detail.received')}` },
        ...(m.review?.history ?? []).map((h) => ({ at: new Date(h.at), who: h.by, what: html`${t('detail.moved')} ${stateBadge(h.from, t)} → ${stateBadge(h.to, t)}` })),
        ...(m.review?.notes ?? []).map((n) => ({ at: new Date(n.at), who: n.by, what: html`${t('detail.noted')} <span class="note-text">${n.text}</span>` })),
      ].sort((a, b) => a.at.getTime() - b.at.getTime());
      // A state set before its history was kept: show the last change we know of.
      if (!m.review?.history?.length && m.review?.updatedBy && stateOf(m) !== 'new') {
        events.push({ at: new Date(m.review.updatedAt ?? m.createdAt), who: m.review.updatedBy, what: html`${t('detail.moved')} → ${stateBadge(stateOf(m), t)}` });
        events.sort((a, b) => a.at.getTime() - b.at.getTime());
      }
      sendPage(res, {
        title: t('detail.title', { ref: m.referenceNumber || m._id }),
        scripts: ['messages.js'],
        body: html`
<p><a href="${listUrl(params)}" class="back">← ${t('detail.back')}</a></p>
${saved === 'state' ? html`<p class="notice" role="status">${t('detail.state-saved')}</p>` : ''}
${saved === 'note' ? html`<p class="notice" role="status">${t('detail.note-saved')}</p>` : ''}
<dl class="message-detail">
  <dt>${t('detail.reference')}</dt><dd>${m.referenceNumber || '—'}</dd>
  <dt>${t('detail.received-at')}</dt><dd>${ictDateTime(m.createdAt)} ${t('detail.cambodia-time')}</dd>
  <dt>${t('filter.commune')}</dt><dd>${placeName(m.communeCode, t)}</dd>
  <dt>${t('filter.district')}</dt><dd>${placeName(m.districtCode, t)}</dd>
  <dt>${t('filter.province')}</dt><dd>${placeName(m.provinceCode, t)}</dd>
  <dt>${t('filter.service')}</dt><dd>${serviceName(m.service, t)}</dd>
  <dt>${t('message.language')}</dt><dd>${languageName(m.language, t)}</dd>
  <dt>${t('detail.duration')}</dt><dd>${duration(m.durationSeconds)}</dd>
  <dt>${t('filter.state')}</dt><dd>${stateBadge(stateOf(m), t)}</dd>
  <dt>${t('detail.audio')}</dt><dd>${player(m, t)}</dd>
  ${m.answerCall ? html`<dt>${t('detail.answer-call')}</dt><dd>${answerCallSummary(m.answerCall, t, (id) => rt.catalog.prompts[id]?.text[t.lang] ?? rt.catalog.prompts[id]?.text.en)}</dd>` : ''}
</dl>
${canReview ? html`
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/state" class="review-state">
  ${csrfField(staff)}
  <input type="hidden" name="back" value="${backQuery}">
  <input type="hidden" name="from" value="${stateOf(m)}">
  <input type="hidden" name="_return" value="${self}">
  <label><span>${t('detail.move-to')}</span>
    <select name="state">${stateOptions(stateOf(m), t)}</select></label>
  <button type="submit" name="then" value="stay">${t('detail.save-state')}</button>
  <button type="submit" name="then" value="next" class="secondary">${t('detail.save-and-next')}</button>
</form>` : ''}
<h2>${t('detail.history')}</h2>
<ol class="history">${events.map((e) => html`<li><span class="when">${ictDateTime(e.at)}</span> <span class="who">${e.who}</span> ${e.what}</li>`)}</ol>
${canReview ? html`
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/notes" class="add-note"${saved === 'note' ? html` data-note-saved="1"` : ''} data-draft="note:${m._id}" data-restored="${t('detail.note-restored')}">
  ${csrfField(staff)}
  <input type="hidden" name="back" value="${backQuery}">
  <input type="hidden" name="_return" value="${self}">
  <label for="note-text">${t('detail.add-note')}</label>
  <textarea id="note-text" name="text" rows="3" maxlength="2000" required></textarea>
  <p id="note-restored" class="notice" role="status" hidden></p>
  <button type="submit">${t('detail.add-note-button')}</button>
</form>` : ''}`,
      });
    } catch (err) {
      next(err);
    }
  });

  /** Where to go after a change: the same page, or the next message of the list it came from. */
  const afterChange = async (res: Response, m: StaffVisibleMessage, body: { back?: string; then?: string }, saved: string) => {
    const params = backParams(body.back);
    if (body.then === 'next') {
      const view = readListQuery(params, tr(res));
      const following = view.problems.length ? null : await queries.after(m, view.filter, view.order);
      res.redirect(303, following ? detailUrl(following._id, params) : listUrl({ ...params, end: '1' }));
      return;
    }
    res.redirect(303, detailUrl(m._id, params, { saved }));
  };

  router.post('/messages/bulk-state', reviewers, async (req, res, next) => {
    try {
      if (!validateBulkBody(req.body)) throw new BadRequestError('Choose messages and one of the review states.', { key: 'bulk.invalid', vars: { max: BULK_LIMIT } });
      const body = req.body as { state: ReviewState; id?: string | string[]; back?: string };
      const ids = [...new Set(typeof body.id === 'string' ? [body.id] : body.id ?? [])];
      if (!ids.length) throw new BadRequestError('Select at least one message.', { key: 'bulk.none' });
      const { staff } = staffLocals(res);
      let changed = 0;
      for (const id of ids) {
        const m = await queries.find(id);
        if (!m) continue;
        if (!(await queries.setReviewState(m._id, body.state, staff.username, stateOf(m)))) continue;
        changed += 1;
        const answerCall = await callOffAnswerIfDismissed(m._id, body.state, staff.username);
        await deps.audit.record({ username: staff.username, action: 'change-state', messageId: m._id, detail: { from: stateOf(m), to: body.state, bulk: true, ...answerCall } });
      }
      res.redirect(303, listUrl({ ...backParams(body.back), changed: String(changed) }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/:id/state', reviewers, async (req, res, next) => {
    try {
      if (!validateStateBody(req.body)) throw new BadRequestError('Choose one of the review states.', { key: 'detail.choose-state' });
      const m = await findMessage(req);
      const body = req.body as { state: ReviewState; back?: string; then?: string };
      const { staff } = staffLocals(res);
      if (!(await queries.setReviewState(m._id, body.state, staff.username, stateOf(m)))) throw new NotFoundError('No such message.', { key: 'message.not-found' });
      const answerCall = await callOffAnswerIfDismissed(m._id, body.state, staff.username);
      await deps.audit.record({ username: staff.username, action: 'change-state', messageId: m._id, detail: { from: stateOf(m), to: body.state, ...answerCall } });
      await afterChange(res, m, body, 'state');
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/:id/notes', reviewers, async (req, res, next) => {
    try {
      if (!validateNoteBody(req.body)) throw new BadRequestError('A note needs between 1 and 2000 characters.', { key: 'detail.note-length' });
      const m = await findMessage(req);
      const body = req.body as { text: string; back?: string };
      const text = body.text.trim();
      if (!text) throw new BadRequestError('A note needs between 1 and 2000 characters.', { key: 'detail.note-length' });
      const { staff } = staffLocals(res);
      if (!(await queries.addNote(m._id, staff.username, text))) throw new NotFoundError('No such message.', { key: 'message.not-found' });
      await deps.audit.record({ username: staff.username, action: 'add-note', messageId: m._id, detail: { characters: text.length } });
      await afterChange(res, m, { back: body.back }, 'note');
    } catch (err) {
      next(err);
    }
  });

  router.get('/messages/:id/audio', everyone, async (req: Request, res: Response, next) => {
    try {
      const m = await findMessage(req);
      const audio = audioOf(m);
      if (!audio) throw new NotFoundError('This message has no stored audio yet.', { key: 'message.no-audio' });
      const range = req.header('range');
      // One play is one entry per session and message, whatever the Range: the player's follow-up
      // requests add nothing, and no Range trick ("bytes=00-", "bytes=-N") fetches audio unlogged.
      const { staff, session } = staffLocals(res);
      await deps.audit.recordOnce(`play-message\n${session._id}\n${m._id}`, SESSION_ABSOLUTE_MS, { username: staff.username, action: 'play-message', messageId: m._id });
      if ((await sendRecording(res, rt.store.files, audio.fileId, audio.contentType, range)) === 'missing') {
        rt.logger.error({ messageId: m._id, fileId: audio.fileId }, 'stored message audio is missing from the file store');
        throw new NotFoundError('The audio of this message is missing.', { key: 'message.audio-missing' });
      }
    } catch (err) {
      next(err);
    }
  });
};
