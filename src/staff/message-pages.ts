import { lazyAjv } from '../schema-validation';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Request, Response } from 'express';
import { SESSION_ABSOLUTE_MS } from '../auth/sessions';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import { MessageFilter, MessageOrder, MessageQueries, ReviewStateFilter, StaffVisibleMessage } from '../messages/message-queries';
import { audioOf, REVIEW_STATES, ReviewState } from '../messages/messages';
import { isOpen, ReviewAction, ReviewDesk, ReviewEvent, reviewEvents, stateOf, versionOf } from '../messages/review-desk';
import { answerCallStage, callOffAnswerCall, confirmAnswerCall } from '../outbound/answer-calls';
import { RECORDED_ANSWER } from '../outbound/answer-outcome';
import { CallbackEntry } from '../outbound/callback-queue';
import { Runtime } from '../runtime';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, km, latin, sendPage, technicalDetail } from './layout';
import { callbackOutcomeWord } from './outbound-words';
import { cambodiaDateTime } from './page-dates';
import { sendRecording } from './recording-stream';
import { answerStageWords, callEventWords, LONG_WAIT_MS, stepWords, waitingWords } from './review-words';
import { StaffPages } from './staff-router';

const PER_PAGE = 20;
/** Most messages one bulk change may touch: a page of the list is 20, and the form parser takes 50 fields. */
const BULK_LIMIT = 40;
/** Cambodia keeps UTC+7 all year: dates staff type and read are local dates. */
const ICT_OFFSET_MS = 7 * 60 * 60 * 1000;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;
/** A message as the list shows it, with the version it was shown at ("<id>.<version>"), so a bulk change skips what changed since. */
const PICKED = /^([A-Za-z0-9-]{10,64})(?:\.([0-9]{1,9}))?$/;
const DAY = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
/** Recorded standard answers are the catalog prompts answer.standard.*. */
export const STANDARD_ANSWER = /^answer\.standard\.[a-z0-9-]+$/;
/** The answer a reviewer recorded on the message page, as the answer form names it. */
const RECORDED = 'recorded';
/** The list's query keys a message page carries back (`back`). */
const LIST_KEYS = ['province', 'district', 'commune', 'service', 'state', 'mine', 'from', 'to', 'sort', 'page'];

const ajv = lazyAjv({ allErrors: true, coerceTypes: false });
const date = { type: 'string', maxLength: 10 };
const validateListQuery = ajv.compile({
  type: 'object',
  additionalProperties: true,
  properties: {
    province: { type: 'string', pattern: '^(|[0-9]{2})$' },
    district: { type: 'string', pattern: '^(|[0-9]{4})$' },
    commune: { type: 'string', pattern: '^(|[0-9]{6})$' },
    service: { type: 'string', pattern: '^(|[a-z][a-z0-9-]{0,31})$' },
    state: { enum: ['', 'open', 'all', ...REVIEW_STATES] },
    mine: { enum: ['', '1'] },
    sort: { enum: ['', 'newest', 'oldest'] },
    from: date,
    to: date,
    page: { type: 'string', pattern: '^[0-9]{1,5}$' },
  },
});
const back = { type: 'string', maxLength: 500 };
const version = { type: 'string', pattern: '^[0-9]{1,9}$' };
/** One submit of a message's form: state, note, owner, and where to go next. */
const validateReviewBody = ajv.compile({
  type: 'object',
  required: ['version'],
  properties: {
    version,
    state: { enum: [...REVIEW_STATES] },
    /** The state and owner the form was opened with: after a conflict, only what the reader changed is offered again. */
    from: { enum: [...REVIEW_STATES] },
    'from-owner': { type: 'string', maxLength: 32 },
    note: { type: 'string', maxLength: 2000 },
    owner: { type: 'string', pattern: '^(|[a-z0-9][a-z0-9._-]{1,31})$' },
    take: { enum: ['1'] },
    release: { enum: ['1'] },
    then: { enum: ['stay', 'next'] },
    confirm: { enum: ['cancel-answer-call'] },
    _csrf: { type: 'string' },
    back,
  },
  additionalProperties: false,
});
const validateBulkBody = ajv.compile({
  type: 'object',
  required: ['state'],
  properties: {
    state: { enum: [...REVIEW_STATES] },
    id: { anyOf: [{ type: 'string', pattern: PICKED.source }, { type: 'array', maxItems: BULK_LIMIT, items: { type: 'string', pattern: PICKED.source } }] },
    confirm: { enum: ['cancel-answer-call'] },
    _csrf: { type: 'string' },
    back,
  },
  additionalProperties: false,
});
const validateTakeNextBody = ajv.compile({
  type: 'object',
  properties: { _csrf: { type: 'string' }, back },
  additionalProperties: false,
});
const validateAnswerCallBody = ajv.compile({
  type: 'object',
  required: ['answer', 'version', 'confirm'],
  properties: { answer: { type: 'string', maxLength: 80 }, version, confirm: { enum: ['yes'] }, _csrf: { type: 'string' }, back },
  additionalProperties: false,
});

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

/** The list's filter as read from its query string, with what is wrong with it (in the reader's words). */
export interface ListView {
  filter: MessageFilter;
  order: MessageOrder;
  page: number;
  /** Only the reader's messages ("mine"). */
  mine: boolean;
  /** The query string that shows this list again (page included), for "back to the list"; defaults left out. */
  params: Record<string, string>;
  problems: string[];
}

/**
 * The list a query asks for. With nothing asked, the queue: open messages (new or in review),
 * oldest first. `state=all` lists every state, `sort=newest` the newest first, `mine=1` only the
 * messages `username` works on.
 */
export function readListQuery(q: Record<string, unknown>, t: Translate, username = ''): ListView {
  const problems: string[] = [];
  if (!validateListQuery(q)) {
    return { filter: { reviewState: 'open' }, order: 'oldest', page: 1, mine: false, params: {}, problems: [t('filter.invalid')] };
  }
  const s = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : '');
  const from = ictDay(s('from'), false, t);
  const to = ictDay(s('to'), true, t);
  for (const p of [from.problem, to.problem]) if (p) problems.push(p);
  if (from.at && to.at && from.at > to.at) problems.push(t('filter.from-after-to', { from: s('from'), to: s('to') }));
  const state = s('state') || 'open';
  const mine = s('mine') === '1';
  const filter: MessageFilter = {
    provinceCode: s('province') || undefined,
    districtCode: s('district') || undefined,
    communeCode: s('commune') || undefined,
    service: s('service') || undefined,
    reviewState: state === 'all' ? undefined : (state as ReviewStateFilter),
    owner: mine && username ? username : undefined,
    from: from.at,
    to: to.at,
  };
  // A district or commune outside the chosen province is dropped rather than silently matching nothing.
  if (filter.districtCode && filter.provinceCode && !filter.districtCode.startsWith(filter.provinceCode)) filter.districtCode = undefined;
  if (filter.communeCode && filter.districtCode && !filter.communeCode.startsWith(filter.districtCode)) filter.communeCode = undefined;
  const order: MessageOrder = s('sort') === 'newest' ? 'newest' : 'oldest';
  const page = Math.max(1, Number(s('page') || '1') || 1);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    province: filter.provinceCode, district: filter.districtCode, commune: filter.communeCode, service: filter.service,
    state: state === 'open' ? '' : state, mine: mine ? '1' : '', from: s('from'), to: s('to'), sort: order === 'newest' ? 'newest' : '',
  })) {
    if (v) params[k] = v;
  }
  if (page > 1) params.page = String(page);
  return { filter, order, page, mine, params, problems };
}

/** A place in a picker: the reader's script first, the other after it (names are data, not catalog text). */
export function placeLabel(p: { nameKm: string; nameLatin: string }, t: Translate): string {
  return t.lang === 'km' ? `${p.nameKm} · ${p.nameLatin}` : `${p.nameLatin} · ${p.nameKm}`;
}

const listUrl = (params: Record<string, string>) => {
  const qs = new URLSearchParams(params).toString();
  return qs ? `/staff/messages?${qs}` : '/staff/messages';
};

/** The list query a message page came from (its `back`), if it is one. */
function backParams(value: unknown): Record<string, string> {
  if (typeof value !== 'string' || value.length > 500) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(value)) if (LIST_KEYS.includes(k)) out[k] = v;
  return out;
}

/** What a reader entered in a message's form, shown again when it could not be saved as it was. */
interface ReviewDraft {
  state?: ReviewState;
  note?: string;
  owner?: string;
}

interface ReviewBody {
  version: string;
  state?: ReviewState;
  from?: ReviewState;
  'from-owner'?: string;
  note?: string;
  owner?: string;
  take?: '1';
  release?: '1';
  then?: 'stay' | 'next';
  confirm?: 'cancel-answer-call';
  back?: string;
}

export const messagePages: StaffPages = (router, deps) => {
  const rt: Runtime = deps.rt;
  const collection = rt.store.collection<StaffVisibleMessage>('messages');
  const queries = new MessageQueries(collection);
  const desk = new ReviewDesk(collection);
  const answerDeps = { queue: rt.outbound.queue, desk, files: rt.store.files };
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  const reviewers = requireRole('admin', 'reviewer');
  deps.nav.push({ href: '/staff/messages', key: 'nav.messages', roles: ['admin', 'reviewer', 'viewer'] });

  const placeName = (code: string | undefined, t: Translate): SafeHtml => {
    const p = code ? rt.gazetteer.find(code) : undefined;
    return p ? html`${km(p.nameKm)} ${latin(p.nameLatin, t)}` : html`<span class="muted">${code || t('common.unknown')}</span>`;
  };
  /** The commune with its district and province after it, in the reader's script. */
  const placeLine = (m: StaffVisibleMessage, t: Translate): SafeHtml => html`${placeName(m.communeCode, t)}${m.communeCode ? html` <span class="muted">(${[m.districtCode, m.provinceCode].map((c) => { const p = rt.gazetteer.find(c); return t.lang === 'km' ? p?.nameKm ?? '' : p?.nameLatin ?? ''; }).join(', ')})</span>` : ''}`;
  const serviceName = (id: string | undefined, t: Translate): SafeHtml => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? html`${km(s.name.km)} ${latin(s.name.en, t)}` : html`<span class="muted">${id || t('common.unknown')}</span>`;
  };
  const languageName = (code: string | undefined, t: Translate): SafeHtml => {
    const l = rt.languages.languages.find((x) => x.code === code);
    if (!l) return html`${code || t('common.unknown')}`;
    return l.nativeName !== l.name ? html`${km(l.nativeName)} ${latin(l.name, t)}` : latin(l.name, t);
  };
  const stateBadge = (s: ReviewState, t: Translate) => html`<span class="state state-${s}">${t(`state.${s}`)}</span>`;
  const stateOptions = (selected: string, t: Translate) =>
    REVIEW_STATES.map((s) => html`<option value="${s}"${s === selected ? html` selected` : ''}>${t(`state.${s}`)}</option>`);
  /** How long an open message has waited, in words; closed messages wait for nothing. */
  const waitingBadge = (m: StaffVisibleMessage, t: Translate): SafeHtml => {
    if (!isOpen(m)) return html``;
    const long = Date.now() - new Date(m.createdAt).getTime() >= LONG_WAIT_MS;
    return html`<span class="waiting${long ? ' waiting-long' : ''}">${waitingWords(m.createdAt, new Date(), t)}</span>`;
  };
  const ownerBadge = (m: StaffVisibleMessage, me: string, t: Translate): SafeHtml => {
    const owner = m.review?.owner;
    if (!owner) return html``;
    return owner === me ? html`<span class="owner owner-me">${t('owner.you')}</span>` : html`<span class="owner">${t('owner.someone', { who: owner })}</span>`;
  };
  const answerBadge = (entry: CallbackEntry | undefined, t: Translate): SafeHtml => {
    if (!entry) return html``;
    const stage = answerCallStage(entry);
    return stage === 'ended' ? html`` : html`<span class="answer-badge answer-${stage}">${answerStageWords(stage, t)}</span>`;
  };
  const downloadNote = (m: StaffVisibleMessage, t: Translate): SafeHtml => {
    const d = m.download;
    if (!d) return html`<span class="muted">${t('message.audio-waiting')}</span>`;
    switch (d.state) {
      case 'stored': return html``;
      case 'failed': return html`<span class="error">${t('message.audio-failed')}</span>${d.lastError ? technicalDetail(d.lastError, t) : ''}`;
      case 'discarded': return html`<span class="muted">${t('message.audio-discarded')}</span>`;
      default: return html`<span class="muted">${t('message.audio-pending', { state: t(`download.${d.state}`), attempts: d.attempts ?? 0 })}</span>`;
    }
  };
  /** Where the carrier's copy stands: deleted only on the carrier's 2xx, otherwise kept with the reason. */
  const carrierCopy = (m: StaffVisibleMessage, t: Translate): SafeHtml => {
    const d = m.download;
    if (!d || (d.state !== 'stored' && d.state !== 'discarded')) return html``;
    if (d.deletedAtCarrier) return html` <span class="muted carrier-copy">${t('message.carrier-deleted')}</span>`;
    if (d.keptAtCarrier) return html` <span class="muted carrier-copy">${t('message.carrier-kept')}</span>${technicalDetail(d.keptAtCarrier, t)}`;
    return html` <span class="muted carrier-copy">${t('message.carrier-pending')}</span>`;
  };
  /** The message's recording; on its own page, Alt+P plays and pauses it. */
  const player = (m: StaffVisibleMessage, t: Translate, shortcut = false) =>
    audioOf(m)
      ? html`<audio controls preload="none" src="/staff/messages/${encodeURIComponent(m._id)}/audio" data-message="${m._id}" aria-label="${t('message.recording-of', { ref: m.referenceNumber || m._id })}"${shortcut ? html` data-shortcut="KeyP" aria-keyshortcuts="Alt+P"` : ''}></audio>${carrierCopy(m, t)}`
      : downloadNote(m, t);
  const noteCount = (m: StaffVisibleMessage, t: Translate) => {
    const n = m.review?.notes?.length ?? 0;
    return n === 1 ? t('list.notes-one') : t('list.notes-many', { n });
  };
  const detailUrl = (id: string, params: Record<string, string>, extra: Record<string, string> = {}) => {
    const qs = new URLSearchParams({ ...(Object.keys(params).length ? { back: new URLSearchParams(params).toString() } : {}), ...extra }).toString();
    return `/staff/messages/${encodeURIComponent(id)}${qs ? `?${qs}` : ''}`;
  };
  /** The standard answers (catalog prompts answer.standard.*), with their text in the reader's language. */
  const standardAnswers = (t: Translate) =>
    Object.entries(rt.catalog.prompts).filter(([id]) => STANDARD_ANSWER.test(id)).map(([id, p]) => ({ id, text: p.text[t.lang] ?? p.text.en ?? id }));
  const answerText = (answer: string, t: Translate) =>
    answer === RECORDED_ANSWER || answer === RECORDED ? t('outbound.recorded-answer') : (rt.catalog.prompts[answer]?.text[t.lang] ?? rt.catalog.prompts[answer]?.text.en ?? answer);
  /** Where a standard answer's recording is served: in the caller's language, else the default one (as the call plays it). */
  const answerAudioUrl = (id: string, language: string | undefined) => {
    const lang = language && fs.existsSync(path.join(rt.config.audioDir, language, `${id}.wav`)) ? language : rt.languages.default;
    return `/audio/${encodeURIComponent(lang)}/${encodeURIComponent(id)}.wav`;
  };
  const reviewerAccounts = async () => (await deps.accounts.list()).filter((a) => !a.disabled && (a.role === 'admin' || a.role === 'reviewer')).map((a) => a._id);

  const findMessage = async (req: Request): Promise<StaffVisibleMessage> => {
    const id = String(req.params.id ?? '');
    if (!MESSAGE_ID.test(id)) throw new NotFoundError('No such message.', { key: 'message.not-found' });
    const m = await queries.find(id);
    if (!m) throw new NotFoundError('No such message.', { key: 'message.not-found' });
    return m;
  };

  /** The keys a page answers to (documented, and named on each control with aria-keyshortcuts). */
  const keyMap = (keys: [string, string][], t: Translate) => html`<details class="keys"><summary>${t('keys.title')}</summary>
<dl>${keys.map(([k, what]) => html`<dt><kbd lang="en">${k}</kbd></dt><dd>${what}</dd>`)}</dl>
<p class="muted">${t('keys.shift')} <kbd lang="en">Alt+Shift+S</kbd>. ${t('keys.layout')}</p></details>`;

  const filterForm = (view: ListView, t: Translate) => {
    const { filter } = view;
    const option = (value: string, label: SafeHtml | string, selected: string | undefined) =>
      html`<option value="${value}"${value === (selected ?? '') ? html` selected` : ''}>${label}</option>`;
    const placeOption = (p: { code: string; nameKm: string; nameLatin: string }, selected: string | undefined) =>
      option(p.code, placeLabel(p, t), selected);
    const districts = filter.provinceCode ? rt.gazetteer.childrenOf(filter.provinceCode) : [];
    const communes = filter.districtCode ? rt.gazetteer.childrenOf(filter.districtCode) : [];
    const v = (k: string) => view.params[k] ?? '';
    const state = v('state') || 'open';
    // What the filter holds now, in the summary line, so it need not be opened to be read.
    const active = [
      filter.reviewState ? (filter.reviewState === 'open' ? t('filter.open') : t(`state.${filter.reviewState}`)) : t('filter.all-states'),
      view.order === 'oldest' ? t('filter.oldest-first') : t('filter.newest-first'),
      ...[filter.communeCode ?? filter.districtCode ?? filter.provinceCode].filter(Boolean).map((c) => { const p = rt.gazetteer.find(c!); return t.lang === 'km' ? p?.nameKm ?? c! : p?.nameLatin ?? c!; }),
      ...(filter.service ? [rt.scorecard.services.find((x) => x.id === filter.service)?.name[t.lang === 'km' ? 'km' : 'en'] ?? filter.service] : []),
      ...(v('from') || v('to') ? [`${v('from') || '…'} – ${v('to') || '…'}`] : []),
    ].join(' · ');
    return html`<details class="filter-box"${view.problems.length ? html` open` : ''}><summary><span class="filter-label">${t('filter.title')}:</span> <span class="filter-active">${active}</span></summary>
<form method="get" action="/staff/messages" class="filters" id="message-filters">
  ${view.mine ? html`<input type="hidden" name="mine" value="1">` : ''}
  <label><span>${t('filter.province')}</span>
    <select name="province" data-children="district" data-all="${t('filter.all-districts')}" data-choose="${t('filter.choose-province')}">${option('', t('filter.all-provinces'), filter.provinceCode)}${rt.gazetteer.provinces.map((p) => placeOption(p, filter.provinceCode))}</select></label>
  <label><span>${t('filter.district')}</span>
    <select name="district" data-children="commune" data-all="${t('filter.all-communes')}" data-choose="${t('filter.choose-district')}">${option('', districts.length ? t('filter.all-districts') : t('filter.choose-province'), filter.districtCode)}${districts.map((p) => placeOption(p, filter.districtCode))}</select></label>
  <label><span>${t('filter.commune')}</span>
    <select name="commune">${option('', communes.length ? t('filter.all-communes') : t('filter.choose-district'), filter.communeCode)}${communes.map((p) => placeOption(p, filter.communeCode))}</select></label>
  <label><span>${t('filter.service')}</span>
    <select name="service">${option('', t('filter.all-services'), filter.service)}${rt.scorecard.services.map((s) => option(s.id, t.lang === 'km' ? `${s.name.km} · ${s.name.en}` : `${s.name.en} · ${s.name.km}`, filter.service))}</select></label>
  <label><span>${t('filter.state')}</span>
    <select name="state">${option('open', t('filter.open'), state)}${option('all', t('filter.all-states'), state)}${REVIEW_STATES.map((s) => option(s, t(`state.${s}`), state))}</select></label>
  <label><span>${t('filter.sort')}</span>
    <select name="sort">${option('', t('filter.oldest-first'), v('sort'))}${option('newest', t('filter.newest-first'), v('sort'))}</select></label>
  <label><span>${t('filter.from')}</span> <input type="date" name="from" value="${v('from')}"></label>
  <label><span>${t('filter.to')}</span> <input type="date" name="to" value="${v('to')}"></label>
  <div class="filter-buttons"><button type="submit">${t('filter.apply')}</button> <a href="/staff/messages" class="button-link">${t('filter.clear')}</a></div>
</form></details>`;
  };

  /** The queue, mine, everything: one tap each. */
  const views = (view: ListView, t: Translate) => {
    const p = view.params;
    const only = (...keys: string[]) => Object.keys(p).filter((k) => k !== 'page').sort().join(',') === keys.sort().join(',');
    const items: [string, string, boolean][] = [
      ['/staff/messages', t('list.view-queue'), only()],
      ['/staff/messages?mine=1', t('list.view-mine'), only('mine')],
      ['/staff/messages?state=all&sort=newest', t('list.view-all'), only('state', 'sort') && p.state === 'all' && p.sort === 'newest'],
    ];
    return html`<nav class="views" aria-label="${t('list.views')}"><ul>${items.map(([href, label, current]) => html`<li><a href="${href}"${current ? html` aria-current="true"` : ''}>${label}</a></li>`)}</ul></nav>`;
  };

  router.get('/messages', everyone, async (req, res, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const view = readListQuery(req.query as Record<string, unknown>, t, staff.username);
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
      const answers = await rt.outbound.queue.answerRequestsFor(messages.map((m) => m._id));
      const withoutPage = Object.fromEntries(Object.entries(view.params).filter(([k]) => k !== 'page'));
      await deps.audit.record({ username: staff.username, action: 'list-messages', detail: { ...withoutPage, page: view.page, shown: messages.length } });

      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const link = (p: number) => listUrl({ ...withoutPage, ...(p > 1 ? { page: String(p) } : {}) });
      const pastTheEnd = view.page > pages;
      const q = req.query as Record<string, string>;
      const notices: string[] = [];
      if (typeof q.changed === 'string' && /^[0-9]{1,3}$/.test(q.changed)) notices.push(t('bulk.changed', { n: q.changed }));
      if (typeof q.skipped === 'string' && /^[0-9A-Za-z -]{1,500}$/.test(q.skipped)) notices.push(t('bulk.skipped', { refs: q.skipped.trim().split(' ').map((r) => t('common.number', { ref: r })).join(', ') }));
      if (q.end === '1') notices.push(t('detail.last-in-list'));
      const countText = total === 1 ? t('list.count-one') : t('list.count-many', { n: total });
      const backQuery = new URLSearchParams(view.params).toString();

      sendPage(res, {
        title,
        scripts: ['messages.js'],
        body: html`${views(view, t)}
<div class="list-actions">
${canReview ? html`<form method="post" action="/staff/messages/next" class="take-next">${csrfField(staff)}<input type="hidden" name="back" value="${backQuery}"><input type="hidden" name="_return" value="${listUrl(view.params)}"><button type="submit" data-shortcut="KeyS" aria-keyshortcuts="Alt+S">${t('list.take-next')}</button></form>` : ''}
${filterForm(view, t)}
</div>
${notices.length ? html`<p class="notice" role="status">${notices.join(' ')}</p>` : ''}
<p class="count">${countText} ${view.order === 'oldest' ? t('list.oldest-first') : t('list.newest-first')} ${t('common.cambodia-time')}</p>
${pastTheEnd ? html`<p class="error" role="alert">${t('list.past-end', { page: view.page, pages })} <a href="${link(pages)}">${t('list.to-last-page', { pages })}</a></p>` : ''}
${canReview && messages.length ? html`<form id="bulk" method="post" action="/staff/messages/bulk-state" class="bulk">${csrfField(staff)}
  <input type="hidden" name="back" value="${backQuery}">
  <input type="hidden" name="_return" value="${listUrl(view.params)}">
  <label class="pick-all" hidden><input type="checkbox" id="pick-all"> <span class="narrow-hidden">${t('bulk.select-all')}</span></label>
  <label><span class="narrow-hidden">${t('bulk.move-selected')}</span> <select name="state">${stateOptions('in-review', t)}</select></label>
  <button type="submit">${t('bulk.button')}</button>
</form>` : ''}
<ol class="messages">
${messages.map((m) => html`<li class="message" data-id="${m._id}">
  <div class="message-head">${canReview ? html`<label class="pick-label"><input type="checkbox" name="id" value="${m._id}.${versionOf(m)}" form="bulk" class="pick" aria-label="${t('bulk.select', { ref: m.referenceNumber || m._id })}"></label>` : ''}<a href="${detailUrl(m._id, view.params)}" class="ref">${t('common.number', { ref: m.referenceNumber || '—' })}</a> ${stateBadge(stateOf(m), t)} ${waitingBadge(m, t)} ${answerBadge(answers.get(m._id), t)}</div>
  <div class="place">${placeLine(m, t)}</div>
  <div class="service">${serviceName(m.service, t)}</div>
  <div class="meta">${t('message.language')}: ${languageName(m.language, t)} · ${duration(m.durationSeconds)}${m.callerChoice === 'unknown' ? html` · <span class="muted">${t('message.not-confirmed')}</span>` : ''} · <span class="notes-count">${noteCount(m, t)}</span> · <span class="when">${cambodiaDateTime(m.createdAt, t)}</span> ${ownerBadge(m, staff.username, t)}</div>
  <div class="audio">${player(m, t)}</div>
</li>`)}
</ol>
${messages.length === 0 && !pastTheEnd ? html`<p class="empty">${view.filter.reviewState === 'open' ? t('list.queue-empty') : t('list.empty')}</p>` : ''}
<nav class="pager" aria-label="${t('common.pages')}">${view.page > 1 && !pastTheEnd ? html`<a href="${link(view.page - 1)}" rel="prev">← ${t('common.previous')}</a>` : ''} <span>${t('common.page-of', { page: Math.min(view.page, pages), pages })}</span> ${view.page < pages ? html`<a href="${link(view.page + 1)}" rel="next">${t('common.next')} →</a>` : ''}</nav>
${canReview ? keyMap([['Alt+S', t('keys.take-next')]], t) : ''}`,
      }, pastTheEnd && total > 0 ? 404 : 200);
    } catch (err) {
      next(err);
    }
  });

  /** One line of a message's history: when, who, what. */
  const eventLine = (e: ReviewEvent, t: Translate): SafeHtml => {
    const what = e.type === 'state' ? html`${t('detail.moved')} ${stateBadge(e.from, t)} → ${stateBadge(e.to, t)}`
      : e.type === 'note' ? html`${t('detail.noted')} <span class="note-text">${e.text}</span>`
        : html`${stepWords(e.kind, t, { owner: e.owner, answer: e.answer ? answerText(e.answer, t) : '' })}`;
    return html`<li><span class="when">${cambodiaDateTime(e.at, t)}</span> <span class="who">${e.by}</span> ${what}</li>`;
  };

  /** The history: the caller, every change staff made, and the answer call's request and attempts. */
  const historyItems = (m: StaffVisibleMessage, request: CallbackEntry | null, t: Translate): SafeHtml[] => {
    type Line = { at: Date; html: SafeHtml };
    const line = (at: Date, who: string, what: SafeHtml | string): Line => ({ at: new Date(at), html: html`<li><span class="when">${cambodiaDateTime(at, t)}</span> <span class="who">${who}</span> ${what}</li>` });
    const events = reviewEvents(m);
    const lines: Line[] = [line(m.createdAt, t('detail.caller'), t('detail.received')), ...events.map((e) => ({ at: new Date(e.at), html: eventLine(e, t) }))];
    // A state set before its history was kept: show the last change we know of.
    if (!m.review?.history?.length && m.review?.updatedBy && stateOf(m) !== 'new' && !events.length) {
      lines.push(line(m.review.updatedAt ?? m.createdAt, m.review.updatedBy, html`${t('detail.moved')} → ${stateBadge(stateOf(m), t)}`));
    }
    if (request) {
      lines.push(line(request.createdAt, t('detail.caller'), t('history.answer-asked')));
      const calledOff = events.some((e) => e.type === 'step' && e.kind === 'answer-call-cancelled');
      for (const h of request.history ?? []) {
        if (h.status === 'message-discarded' && calledOff) continue;
        const words = callEventWords(h.status, t);
        if (words) lines.push(line(h.at, t('history.hotline'), words));
      }
    }
    return lines.sort((a, b) => a.at.getTime() - b.at.getTime()).map((l) => l.html);
  };

  /** The answer call inside the message: the caller's request, the answer to choose (with a preview) or where the call stands. */
  const answerSection = (m: StaffVisibleMessage, request: CallbackEntry | null, params: Record<string, string>, canReview: boolean, t: Translate): SafeHtml => {
    if (!request && !m.answerCall) return html``;
    const stage = request ? answerCallStage(request) : 'ended';
    const summary = m.answerCall
      ? html`<p>${t('detail.answer-call-summary', { outcome: callbackOutcomeWord(m.answerCall.outcome, t), attempts: m.answerCall.attempts, at: cambodiaDateTime(m.answerCall.endedAt, t), answer: answerText(m.answerCall.answerPromptId, t) })}</p>`
      : html``;
    const asked = request ? html`<p>${t('answer.asked', { at: cambodiaDateTime(request.createdAt, t) })} ${t('message.language')}: ${languageName(request.language, t)}.</p>` : html``;
    let body: SafeHtml = html`<p class="answer-stage">${answerStageWords(stage, t)}${request?.answerPromptId || request?.answerFileId ? html` ${t('answer.chosen', { answer: answerText(request.answerPromptId ?? RECORDED_ANSWER, t) })}` : ''}</p>`;
    if (request && stage === 'awaiting' && canReview) {
      const answers = standardAnswers(t);
      const option = (value: string, text: string, src: string, checked: boolean) => html`<div class="answer-option">
  <label class="choice"><input type="radio" name="answer" value="${value}" required${checked ? html` checked` : ''}> <span>${text}</span></label>
  <audio controls preload="none" src="${src}" aria-label="${t('answer.listen', { answer: text })}"></audio></div>`;
      body = html`<form method="get" action="/staff/messages/${encodeURIComponent(m._id)}/answer-call" class="answer-choice">
  ${Object.keys(params).length ? html`<input type="hidden" name="back" value="${new URLSearchParams(params).toString()}">` : ''}
  <fieldset><legend>${t('answer.choose')}</legend>
  ${request.draftAnswerFileId ? option(RECORDED, t('answer.your-recording'), `/staff/messages/${encodeURIComponent(m._id)}/answer-audio`, true) : ''}
  ${answers.map((a) => option(a.id, a.text, answerAudioUrl(a.id, request.language), false))}
  </fieldset>
  <button type="submit">${t('answer.continue')}</button>
</form>
<p class="record-row">${t('answer.or-record')} <button type="button" class="record-answer secondary" data-message="${m._id}">${request.draftAnswerFileId ? t('answer.record-again') : t('outbound.record-answer')}</button> <span class="record-status" role="status" data-message="${m._id}"></span></p>`;
    }
    // Words the recorder script shows, in the reader's language.
    const scriptStrings = JSON.stringify({
      record: t('outbound.record-answer'), stop: t('outbound.script-stop'), recording: t('outbound.script-recording'),
      sending: t('outbound.script-sending'), sendFailed: t('outbound.script-send-failed'),
      cannotRecord: t('outbound.script-cannot-record'), noMicrophone: t('outbound.script-no-microphone'),
    });
    return html`<section class="answer-call" id="answer-call" aria-labelledby="answer-call-title" data-strings="${scriptStrings}">
<h2 id="answer-call-title">${t('answer.title')}</h2>
${asked}${summary}${body}
</section>`;
  };

  /** The one form of a message: state, note, who works on it, and "save and next". */
  const reviewForm = (m: StaffVisibleMessage, o: { params: Record<string, string>; me: string; accounts: string[]; draft?: ReviewDraft; focus: boolean; t: Translate; csrf: SafeHtml }): SafeHtml => {
    const { t } = o;
    const state = o.draft?.state ?? stateOf(m);
    const owner = o.draft?.owner ?? m.review?.owner ?? '';
    const mine = m.review?.owner === o.me;
    const accounts = [...new Set([...o.accounts, ...(owner ? [owner] : [])])].sort();
    const self = detailUrl(m._id, o.params);
    return html`<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/review" class="review" id="review" data-draft="note:${m._id}" data-restored="${t('detail.note-restored')}">
  ${o.csrf}
  <input type="hidden" name="back" value="${new URLSearchParams(o.params).toString()}">
  <input type="hidden" name="version" value="${String(versionOf(m))}">
  <input type="hidden" name="from" value="${stateOf(m)}">
  <input type="hidden" name="from-owner" value="${m.review?.owner ?? ''}">
  <input type="hidden" name="_return" value="${self}">
  <fieldset class="states"><legend>${t('detail.move-to')}</legend>
  ${REVIEW_STATES.map((s) => html`<label class="choice"><input type="radio" name="state" value="${s}"${s === state ? html` checked` : ''}${s === state && o.focus ? html` autofocus` : ''}> ${stateBadge(s, t)}</label>`)}
  </fieldset>
  <label for="note-text" class="note-label">${t('detail.note-label')}</label>
  <textarea id="note-text" name="note" rows="2" maxlength="2000" data-shortcut="KeyN" aria-keyshortcuts="Alt+N">${o.draft?.note ?? ''}</textarea>
  <p id="note-restored" class="notice" role="status" hidden></p>
  <div class="review-buttons">
    <button type="submit" name="then" value="next" data-shortcut="KeyS" aria-keyshortcuts="Alt+S">${t('detail.save-and-next')}</button>
    <button type="submit" name="then" value="stay" class="secondary">${t('detail.save')}</button>
  </div>
  <div class="owner-row">
    <label><span>${t('detail.owner')}</span> <select name="owner">${[html`<option value=""${owner ? '' : html` selected`}>${t('detail.nobody')}</option>`, ...accounts.map((a) => html`<option value="${a}"${a === owner ? html` selected` : ''}>${a === o.me ? t('detail.me', { who: a }) : a}</option>`)]}</select></label>
    ${mine
    ? html`<button type="submit" name="release" value="1" class="secondary">${t('detail.release')}</button>`
    : html`<button type="submit" name="take" value="1" class="secondary" data-shortcut="KeyT" aria-keyshortcuts="Alt+T">${t('detail.take')}</button>`}
  </div>
</form>`;
  };

  interface DetailOptions {
    params: Record<string, string>;
    notices?: SafeHtml[];
    /** What others changed since the reader's form was opened (their changes were not saved). */
    conflict?: ReviewEvent[];
    draft?: ReviewDraft;
    /** Came from the queue ("take the next", "save and next"): the state choice has the focus. */
    focus?: boolean;
  }

  const renderDetail = async (res: Response, m: StaffVisibleMessage, o: DetailOptions, status = 200) => {
    const t = tr(res);
    const { staff } = staffLocals(res);
    const canReview = staff.role === 'admin' || staff.role === 'reviewer';
    const request = await rt.outbound.queue.latestAnswerRequest(m._id);
    const accounts = canReview ? await reviewerAccounts() : [];
    const owner = m.review?.owner;
    const notices = [...(o.notices ?? [])];
    if (owner && owner !== staff.username) notices.push(html`<p class="notice owned" role="status">${t('detail.owned-by', { who: owner, at: cambodiaDateTime(m.review?.ownedAt ?? m.createdAt, t) })}</p>`);
    const conflict = o.conflict
      ? html`<div class="error conflict" role="alert"><p><strong>${t('conflict.title')}</strong></p>
<ol class="history">${o.conflict.map((e) => eventLine(e, t))}</ol>
<p>${t('conflict.again')}</p></div>`
      : html``;
    const awaitingAnswer = request && answerCallStage(request) === 'awaiting' && canReview;
    // The message page may use the microphone only when an answer can be recorded on it.
    if (awaitingAnswer) res.setHeader('Permissions-Policy', 'camera=(), microphone=(self), geolocation=()');
    const keys: [string, string][] = [
      ['Alt+P', t('keys.play')], ['↑ ↓', t('keys.states')], ['Alt+N', t('keys.note')], ['Alt+S', t('keys.save-next')], ['Alt+T', t('keys.take')], ['Alt+L', t('keys.list')],
    ];
    sendPage(res, {
      title: t('detail.title', { ref: m.referenceNumber || m._id }),
      scripts: awaitingAnswer ? ['messages.js', 'answer-recorder.js'] : ['messages.js'],
      body: html`
<p class="back-row"><a href="${listUrl(o.params)}" class="back" data-shortcut="KeyL" aria-keyshortcuts="Alt+L">← ${t('detail.back')}</a></p>
${notices}${conflict}
<p class="badges">${stateBadge(stateOf(m), t)} ${waitingBadge(m, t)} ${ownerBadge(m, staff.username, t)} ${answerBadge(request ?? undefined, t)}</p>
<p class="where">${placeLine(m, t)} · ${serviceName(m.service, t)} · ${languageName(m.language, t)} · ${duration(m.durationSeconds)}</p>
<div class="audio">${player(m, t, true)}</div>
${canReview ? reviewForm(m, { params: o.params, me: staff.username, accounts, draft: o.draft, focus: Boolean(o.focus), t, csrf: csrfField(staff) }) : ''}
${answerSection(m, request, o.params, canReview, t)}
${canReview ? keyMap(keys, t) : ''}
<h2>${t('detail.details')}</h2>
<dl class="message-detail">
  <dt>${t('detail.reference')}</dt><dd>${m.referenceNumber || '—'}</dd>
  <dt>${t('detail.received-at')}</dt><dd>${cambodiaDateTime(m.createdAt, t)} ${t('detail.cambodia-time')}</dd>
  <dt>${t('filter.commune')}</dt><dd>${placeName(m.communeCode, t)}</dd>
  <dt>${t('filter.district')}</dt><dd>${placeName(m.districtCode, t)}</dd>
  <dt>${t('filter.province')}</dt><dd>${placeName(m.provinceCode, t)}</dd>
  <dt>${t('filter.service')}</dt><dd>${serviceName(m.service, t)}</dd>
  <dt>${t('message.language')}</dt><dd>${languageName(m.language, t)}</dd>
  <dt>${t('detail.duration')}</dt><dd>${duration(m.durationSeconds)}</dd>
  <dt>${t('filter.state')}</dt><dd>${stateBadge(stateOf(m), t)}</dd>
  <dt>${t('detail.owner')}</dt><dd>${owner ?? t('detail.nobody')}</dd>
  <dt>${t('list.notes-title')}</dt><dd>${noteCount(m, t)}</dd>
  ${m.answerCall ? html`<dt>${t('detail.answer-call')}</dt><dd>${t('detail.answer-call-summary', { outcome: callbackOutcomeWord(m.answerCall.outcome, t), attempts: m.answerCall.attempts, at: cambodiaDateTime(m.answerCall.endedAt, t), answer: answerText(m.answerCall.answerPromptId, t) })}</dd>` : ''}
</dl>
<h2>${t('detail.history')}</h2>
<ol class="history">${historyItems(m, request, t)}</ol>`,
    }, status);
  };

  router.get('/messages/:id', everyone, async (req, res, next) => {
    try {
      const t = tr(res);
      const m = await findMessage(req);
      const { staff } = staffLocals(res);
      await deps.audit.record({ username: staff.username, action: 'view-message', messageId: m._id });
      const q = req.query as Record<string, unknown>;
      const notices: SafeHtml[] = [];
      // "Save and next" names the message it saved, so the reviewer knows it went through and its note draft can go.
      if (typeof q.done === 'string' && MESSAGE_ID.test(q.done)) {
        const done = await queries.find(q.done);
        if (done) notices.push(html`<p class="notice" role="status" data-clear-draft="note:${done._id}">${t('detail.saved-previous', { ref: done.referenceNumber || done._id })}</p>`);
      }
      if (q.saved === '1') notices.push(html`<p class="notice" role="status" data-clear-draft="note:${m._id}">${t('detail.saved')}</p>`);
      if (q.saved === 'nothing') notices.push(html`<p class="notice" role="status">${t('detail.saved-nothing')}</p>`);
      if (q.saved === 'answer') notices.push(html`<p class="notice" role="status">${t('answer.queued')}</p>`);
      await renderDetail(res, m, { params: backParams(q.back), notices, focus: q.queue === '1' });
    } catch (err) {
      next(err);
    }
  });

  /** Where to go after a save: the same page, or the next message of the list it came from (taken for the reader). */
  const afterSave = async (res: Response, m: StaffVisibleMessage, body: { back?: string; then?: string }, saved: 'saved' | 'nothing') => {
    const params = backParams(body.back);
    if (body.then === 'next') {
      const { staff } = staffLocals(res);
      const view = readListQuery(params, tr(res), staff.username);
      const following = view.problems.length ? null : await desk.takeNext(m, view.filter, view.order, staff.username);
      if (following?.taken) await deps.audit.record({ username: staff.username, action: 'take-message', messageId: following.message._id, detail: { via: 'next' } });
      res.redirect(303, following ? detailUrl(following.message._id, params, { queue: '1', ...(saved === 'saved' ? { done: m._id } : {}) }) : listUrl({ ...params, end: '1' }));
      return;
    }
    res.redirect(303, detailUrl(m._id, params, { saved: saved === 'saved' ? '1' : 'nothing' }));
  };

  /** Asks before a dismissal calls off the caller's answer call; the form's fields go along unchanged. */
  const confirmDismissal = (res: Response, m: StaffVisibleMessage, body: ReviewBody, entry: CallbackEntry) => {
    const t = tr(res);
    const { staff } = staffLocals(res);
    const params = backParams(body.back);
    const keep = Object.entries(body).filter(([k, v]) => !['confirm', '_csrf'].includes(k) && typeof v === 'string');
    sendPage(res, {
      title: t('dismiss.title'),
      body: html`<p>${t('common.number', { ref: m.referenceNumber || m._id })} · ${placeLine(m, t)}</p>
<p class="notice" role="status">${t('dismiss.text')}${answerCallStage(entry) === 'under-way' ? html` ${t('dismiss.under-way')}` : ''}</p>
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/review" class="confirm">${csrfField(staff)}
  ${keep.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v as string}">`)}
  <input type="hidden" name="confirm" value="cancel-answer-call">
  <input type="hidden" name="_return" value="${detailUrl(m._id, params)}">
  <button type="submit" class="danger">${t('dismiss.button')}</button>
  <a href="${detailUrl(m._id, params)}" class="button-link">${t('dismiss.back')}</a>
</form>`,
    });
  };

  router.post('/messages/:id/review', reviewers, async (req, res, next) => {
    try {
      if (!validateReviewBody(req.body)) throw new BadRequestError('Choose one of the review states; a note has at most 2000 characters.', { key: 'detail.invalid' });
      const m = await findMessage(req);
      const body = req.body as ReviewBody;
      const { staff } = staffLocals(res);
      // A message stays with an owner whose account was disabled meanwhile, but is given only to an active one.
      if (body.owner && body.owner !== m.review?.owner && !(await reviewerAccounts()).includes(body.owner)) throw new BadRequestError('Assign the message to a reviewer or an administrator.', { key: 'detail.bad-owner' });
      const owner = body.take ? staff.username : body.release ? null : body.owner === undefined ? undefined : body.owner || null;
      const action: ReviewAction = { state: body.state, note: body.note, owner };
      const expected = Number(body.version);
      // Dismissing ends the caller's wait for an answer call: ask first.
      if (body.state === 'dismissed' && stateOf(m) !== 'dismissed' && versionOf(m) === expected && body.confirm !== 'cancel-answer-call') {
        const entry = (await rt.outbound.queue.answerRequestsFor([m._id])).get(m._id);
        if (entry && answerCallStage(entry) !== 'ended') {
          confirmDismissal(res, m, body, entry);
          return;
        }
      }
      const r = await desk.apply(m._id, expected, action, staff.username);
      if (r.kind === 'missing') throw new NotFoundError('No such message.', { key: 'message.not-found' });
      if (r.kind === 'conflict') {
        // What the reader changed is offered again; what they left as it was shows the message as it is now.
        const draft: ReviewDraft = {
          note: body.note,
          state: body.from !== undefined && body.state === body.from ? undefined : body.state,
          owner: body['from-owner'] !== undefined && body.owner === body['from-owner'] && !body.take && !body.release ? undefined : (owner === undefined ? undefined : owner ?? ''),
        };
        await renderDetail(res, r.message, { params: backParams(body.back), conflict: r.since, draft }, 409);
        return;
      }
      if (r.kind === 'saved') {
        const answerCall = r.changed.includes('state') && body.state === 'dismissed' ? await callOffAnswerCall(answerDeps, m._id, staff.username) : 'none';
        if (r.changed.includes('state')) await deps.audit.record({ username: staff.username, action: 'change-state', messageId: m._id, detail: { from: r.from, to: body.state!, ...(answerCall === 'none' ? {} : { answerCall }) } });
        if (r.changed.includes('note')) await deps.audit.record({ username: staff.username, action: 'add-note', messageId: m._id, detail: { characters: body.note!.trim().length } });
        if (r.changed.includes('owner')) {
          const to = r.message.review?.owner;
          await deps.audit.record({ username: staff.username, action: to ? (to === staff.username ? 'take-message' : 'assign-message') : 'release-message', messageId: m._id, detail: to ? { owner: to } : { owner: m.review?.owner ?? '' } });
        }
      }
      await afterSave(res, r.message, body, r.kind === 'saved' ? 'saved' : 'nothing');
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/next', reviewers, async (req, res, next) => {
    try {
      if (!validateTakeNextBody(req.body ?? {})) throw new BadRequestError('Not a list of messages.', { key: 'filter.invalid' });
      const { staff } = staffLocals(res);
      const params = backParams((req.body as { back?: string }).back);
      const view = readListQuery(params, tr(res), staff.username);
      const following = view.problems.length ? null : await desk.takeNext(null, view.filter, view.order, staff.username);
      if (following?.taken) await deps.audit.record({ username: staff.username, action: 'take-message', messageId: following.message._id, detail: { via: 'next' } });
      res.redirect(303, following ? detailUrl(following.message._id, params, { queue: '1' }) : listUrl({ ...params, end: '1' }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/bulk-state', reviewers, async (req, res, next) => {
    try {
      if (!validateBulkBody(req.body)) throw new BadRequestError('Choose messages and one of the review states.', { key: 'bulk.invalid', vars: { max: BULK_LIMIT } });
      const body = req.body as { state: ReviewState; id?: string | string[]; back?: string; confirm?: string };
      const picked = new Map<string, number | 'any'>();
      for (const value of typeof body.id === 'string' ? [body.id] : body.id ?? []) {
        const [, id, v] = PICKED.exec(value)!;
        // A bare id (no version) is changed whatever happened to it since.
        picked.set(id, v === undefined ? 'any' : Number(v));
      }
      if (!picked.size) throw new BadRequestError('Select at least one message.', { key: 'bulk.none' });
      const { staff } = staffLocals(res);
      const t = tr(res);
      if (body.state === 'dismissed' && body.confirm !== 'cancel-answer-call') {
        const waiting = [...(await rt.outbound.queue.answerRequestsFor([...picked.keys()])).values()].filter((e) => answerCallStage(e) !== 'ended');
        if (waiting.length) {
          const refs = await queries.referenceNumbers(waiting.map((e) => e.messageId ?? ''));
          const params = backParams(body.back);
          sendPage(res, {
            title: t('dismiss.title'),
            body: html`<p class="notice" role="status">${t('bulk.confirm-answer-calls', { n: waiting.length, refs: waiting.map((e) => t('common.number', { ref: refs.get(e.messageId ?? '') ?? '' })).join(', ') })} ${t('dismiss.text')}</p>
<form method="post" action="/staff/messages/bulk-state" class="confirm">${csrfField(staff)}
  <input type="hidden" name="state" value="dismissed">
  <input type="hidden" name="back" value="${body.back ?? ''}">
  <input type="hidden" name="confirm" value="cancel-answer-call">
  <input type="hidden" name="_return" value="${listUrl(params)}">
  ${[...picked].map(([id, v]) => html`<input type="hidden" name="id" value="${v === 'any' ? id : `${id}.${v}`}">`)}
  <button type="submit" class="danger">${t('bulk.confirm-button', { n: picked.size })}</button>
  <a href="${listUrl(params)}" class="button-link">${t('dismiss.back')}</a>
</form>`,
          });
          return;
        }
      }
      let changed = 0;
      const skipped: string[] = [];
      for (const [id, expected] of picked) {
        const r = await desk.apply(id, expected, { state: body.state }, staff.username);
        if (r.kind === 'conflict') skipped.push(r.message.referenceNumber || id);
        if (r.kind !== 'saved') continue;
        changed += 1;
        const answerCall = body.state === 'dismissed' ? await callOffAnswerCall(answerDeps, id, staff.username) : 'none';
        await deps.audit.record({ username: staff.username, action: 'change-state', messageId: id, detail: { from: r.from, to: body.state, bulk: true, ...(answerCall === 'none' ? {} : { answerCall }) } });
      }
      res.redirect(303, listUrl({ ...backParams(body.back), changed: String(changed), ...(skipped.length ? { skipped: skipped.join(' ') } : {}) }));
    } catch (err) {
      next(err);
    }
  });

  /** The answer chosen on the message page, as a catalog prompt id or RECORDED_ANSWER; throws for anything else. */
  const chosenAnswer = (value: unknown): string => {
    if (value === RECORDED) return RECORDED_ANSWER;
    if (typeof value === 'string' && STANDARD_ANSWER.test(value) && value in rt.catalog.prompts) return value;
    throw new BadRequestError('Choose one of the recorded standard answers, or record one.', { key: 'outbound.bad-answer' });
  };

  // The confirmation step: what will be played, to whom and when; nothing is queued until "Yes".
  router.get('/messages/:id/answer-call', reviewers, async (req, res, next) => {
    try {
      const t = tr(res);
      const m = await findMessage(req);
      const answer = chosenAnswer(req.query.answer);
      const entry = await rt.outbound.queue.awaitingAnswerFor(m._id);
      if (!entry) throw new ConflictError('No answer call awaits this message.', { key: 'outbound.not-awaiting' });
      if (answer === RECORDED_ANSWER && !entry.draftAnswerFileId) throw new BadRequestError('There is no recorded answer yet.', { key: 'answer.no-recording' });
      const { staff } = staffLocals(res);
      const params = backParams(req.query.back);
      const o = rt.config.outbound;
      const hhmm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
      const src = answer === RECORDED_ANSWER ? `/staff/messages/${encodeURIComponent(m._id)}/answer-audio` : answerAudioUrl(answer, entry.language);
      sendPage(res, {
        title: t('answer.confirm-title'),
        body: html`<p>${t('answer.confirm-who', { ref: m.referenceNumber || m._id })} ${languageName(entry.language, t)}.</p>
<p class="where">${placeLine(m, t)} · ${serviceName(m.service, t)}</p>
<p>${t('answer.confirm-what')}</p>
<blockquote class="answer-text">${answerText(answer, t)}</blockquote>
<audio controls preload="none" src="${src}" aria-label="${t('answer.listen', { answer: answerText(answer, t) })}"></audio>
<p>${t('answer.confirm-when', { from: hhmm(o.callingHours.startMinute), to: hhmm(o.callingHours.endMinute), attempts: o.maxAttempts })}</p>
<p>${t('answer.confirm-resolved')}</p>
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/answer-call" class="confirm">${csrfField(staff)}
  <input type="hidden" name="answer" value="${answer === RECORDED_ANSWER ? RECORDED : answer}">
  <input type="hidden" name="version" value="${String(versionOf(m))}">
  <input type="hidden" name="confirm" value="yes">
  ${Object.keys(params).length ? html`<input type="hidden" name="back" value="${new URLSearchParams(params).toString()}">` : ''}
  <input type="hidden" name="_return" value="${detailUrl(m._id, params)}">
  <button type="submit">${t('answer.confirm-button')}</button>
  <a href="${detailUrl(m._id, params)}#answer-call" class="button-link">${t('answer.back')}</a>
</form>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/:id/answer-call', reviewers, async (req, res, next) => {
    try {
      if (!validateAnswerCallBody(req.body)) throw new BadRequestError('Confirm the answer call on its confirmation page.', { key: 'answer.not-confirmed' });
      const m = await findMessage(req);
      const body = req.body as { answer: string; version: string; back?: string };
      const answer = chosenAnswer(body.answer);
      const { staff } = staffLocals(res);
      const r = await confirmAnswerCall(answerDeps, { messageId: m._id, answer, expectedVersion: Number(body.version), by: staff.username });
      const params = backParams(body.back);
      switch (r.kind) {
        case 'missing': throw new NotFoundError('No such message.', { key: 'message.not-found' });
        case 'not-awaiting': throw new ConflictError('No answer call awaits this message.', { key: 'outbound.not-awaiting' });
        case 'no-recording': throw new BadRequestError('There is no recorded answer yet.', { key: 'answer.no-recording' });
        case 'conflict':
          await renderDetail(res, r.message, { params, conflict: r.since }, 409);
          return;
        case 'queued':
          await deps.audit.record({ username: staff.username, action: 'answer-call-queued', messageId: m._id, detail: { answer: answer === RECORDED_ANSWER ? 'recorded' : answer } });
          if (r.review.kind === 'saved' && r.review.changed.includes('state')) {
            await deps.audit.record({ username: staff.username, action: 'change-state', messageId: m._id, detail: { from: r.review.from, to: 'resolved', answerCall: 'queued' } });
          }
          res.redirect(303, detailUrl(m._id, params, { saved: 'answer' }));
      }
    } catch (err) {
      next(err);
    }
  });

  // A reviewer's recorded answer (the draft to check, or the one the call plays), for the players on the page.
  router.get('/messages/:id/answer-audio', reviewers, async (req: Request, res: Response, next) => {
    try {
      const m = await findMessage(req);
      const entry = await rt.outbound.queue.latestAnswerRequest(m._id);
      const fileId = entry?.draftAnswerFileId ?? entry?.answerFileId;
      if (!fileId || (await sendRecording(res, rt.store.files, fileId, 'audio/wav', req.header('range'))) === 'missing') {
        throw new NotFoundError('There is no recorded answer for this message.', { key: 'answer.no-recording' });
      }
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
