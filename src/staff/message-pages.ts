import Ajv from 'ajv';
import { Request, Response } from 'express';
import { SESSION_ABSOLUTE_MS } from '../auth/sessions';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { MessageFilter, MessageQueries, StaffVisibleMessage } from '../messages/message-queries';
import { audioOf, REVIEW_STATES, ReviewState } from '../messages/messages';
import { Runtime } from '../runtime';
import { html, SafeHtml } from './html';
import { csrfField, km, sendPage } from './layout';
import { sendRecording } from './recording-stream';
import { StaffPages } from './staff-router';

const PER_PAGE = 20;
/** Cambodia keeps UTC+7 all year: dates staff type and read are local dates. */
const ICT_OFFSET_MS = 7 * 60 * 60 * 1000;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;

const STATE_LABELS: Record<ReviewState, { en: string; km: string }> = {
  new: { en: 'New', km: 'ថ្មី' },
  'in-review': { en: 'In review', km: 'កំពុងពិនិត្យ' },
  forwarded: { en: 'Forwarded', km: 'បានបញ្ជូនបន្ត' },
  resolved: { en: 'Resolved', km: 'បានដោះស្រាយ' },
  dismissed: { en: 'Dismissed', km: 'បានច្រានចោល' },
};

const ajv = new Ajv({ allErrors: true, coerceTypes: false });
const date = { type: 'string', pattern: '^(|[0-9]{4}-[0-9]{2}-[0-9]{2})$' };
const validateListQuery = ajv.compile({
  type: 'object',
  additionalProperties: true,
  properties: {
    province: { type: 'string', pattern: '^(|[0-9]{2})$' },
    district: { type: 'string', pattern: '^(|[0-9]{4})$' },
    commune: { type: 'string', pattern: '^(|[0-9]{6})$' },
    service: { type: 'string', pattern: '^(|[a-z][a-z0-9-]{0,31})$' },
    state: { enum: ['', ...REVIEW_STATES] },
    from: date,
    to: date,
    page: { type: 'string', pattern: '^[0-9]{1,5}$' },
  },
});
const validateStateBody = ajv.compile({
  type: 'object',
  required: ['state'],
  properties: { state: { enum: [...REVIEW_STATES] }, _csrf: { type: 'string' }, back: { type: 'string' } },
  additionalProperties: false,
});
const validateNoteBody = ajv.compile({
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', minLength: 1, maxLength: 2000 }, _csrf: { type: 'string' } },
  additionalProperties: false,
});

export function ictDateTime(d: Date, withSeconds = false): string {
  return new Date(new Date(d).getTime() + ICT_OFFSET_MS).toISOString().replace('T', ' ').slice(0, withSeconds ? 19 : 16);
}

/** "2026-11-03" as the start (or end) of that day in Cambodia. */
function ictDay(value: string, end: boolean): Date | undefined {
  if (!value) return undefined;
  const t = Date.parse(`${value}T00:00:00.000Z`);
  if (Number.isNaN(t)) throw new BadRequestError(`the date ${value} does not exist`);
  return new Date(t - ICT_OFFSET_MS + (end ? 24 * 60 * 60 * 1000 - 1 : 0));
}

function duration(seconds: number | undefined): string {
  const s = Math.max(0, Math.round(seconds ?? 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const messagePages: StaffPages = (router, deps) => {
  const rt: Runtime = deps.rt;
  const queries = new MessageQueries(rt.store.collection<StaffVisibleMessage>('messages'));
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  const reviewers = requireRole('admin', 'reviewer');
  deps.nav.push({ href: '/staff/messages', label: 'Messages', labelKm: 'សារ', roles: ['admin', 'reviewer', 'viewer'] });

  const placeName = (code: string | undefined): SafeHtml => {
    const p = code ? rt.gazetteer.find(code) : undefined;
    return p ? html`${km(p.nameKm)} <span class="latin">${p.nameLatin}</span>` : html`<span class="muted">${code || 'unknown'}</span>`;
  };
  const serviceName = (id: string | undefined): SafeHtml => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? html`${km(s.name.km)} <span class="latin">${s.name.en}</span>` : html`<span class="muted">${id || 'unknown'}</span>`;
  };
  const languageName = (code: string | undefined): SafeHtml => {
    const l = rt.languages.languages.find((x) => x.code === code);
    if (!l) return html`${code || 'unknown'}`;
    return l.nativeName !== l.name ? html`${km(l.nativeName)} <span class="latin">${l.name}</span>` : html`${l.name}`;
  };
  const stateOf = (m: StaffVisibleMessage): ReviewState => m.review?.state ?? 'new';
  const stateBadge = (s: ReviewState) => html`<span class="state state-${s}">${STATE_LABELS[s].en} ${km(STATE_LABELS[s].km)}</span>`;
  const downloadNote = (m: StaffVisibleMessage): SafeHtml => {
    const d = m.download;
    if (!d) return html`<span class="muted">waiting for the carrier's recording</span>`;
    switch (d.state) {
      case 'stored': return html``;
      case 'failed': return html`<span class="error">download failed${d.lastError ? `: ${d.lastError}` : ''}</span>`;
      case 'discarded': return html`<span class="muted">discarded by the caller</span>`;
      default: return html`<span class="muted">audio ${d.state} (attempt ${d.attempts ?? 0})</span>`;
    }
  };
  const player = (m: StaffVisibleMessage) =>
    audioOf(m)
      ? html`<audio controls preload="none" src="/staff/messages/${encodeURIComponent(m._id)}/audio" data-message="${m._id}"></audio>`
      : downloadNote(m);

  const findMessage = async (req: Request): Promise<StaffVisibleMessage> => {
    const id = String(req.params.id ?? '');
    if (!MESSAGE_ID.test(id)) throw new NotFoundError('No such message.');
    const m = await queries.find(id);
    if (!m) throw new NotFoundError('No such message.');
    return m;
  };

  router.get('/messages', everyone, async (req, res, next) => {
    try {
      const q = req.query as Record<string, string>;
      if (!validateListQuery(q)) throw new BadRequestError('The filter is not valid.');
      const filter: MessageFilter = {
        provinceCode: q.province || undefined,
        districtCode: q.district || undefined,
        communeCode: q.commune || undefined,
        service: q.service || undefined,
        reviewState: (q.state || undefined) as ReviewState | undefined,
        from: ictDay(q.from ?? '', false),
        to: ictDay(q.to ?? '', true),
      };
      // A district or commune outside the chosen province is dropped rather than silently matching nothing.
      if (filter.districtCode && filter.provinceCode && !filter.districtCode.startsWith(filter.provinceCode)) filter.districtCode = undefined;
      if (filter.communeCode && filter.districtCode && !filter.communeCode.startsWith(filter.districtCode)) filter.communeCode = undefined;
      const page = Math.max(1, Number(q.page ?? '1') || 1);
      const { messages, total } = await queries.list(filter, page, PER_PAGE);
      const { staff } = staffLocals(res);
      const used: Record<string, string> = {};
      for (const [k, v] of Object.entries({ province: filter.provinceCode, district: filter.districtCode, commune: filter.communeCode, service: filter.service, state: filter.reviewState, from: q.from, to: q.to })) {
        if (v) used[k] = v;
      }
      await deps.audit.record({ username: staff.username, action: 'list-messages', detail: { ...used, page, shown: messages.length } });

      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const link = (p: number) => `/staff/messages?${new URLSearchParams({ ...used, page: String(p) }).toString()}`;
      const option = (value: string, label: SafeHtml | string, selected: string | undefined) =>
        html`<option value="${value}"${value === (selected ?? '') ? html` selected` : ''}>${label}</option>`;
      const placeOption = (p: { code: string; nameKm: string; nameLatin: string }, selected: string | undefined) =>
        option(p.code, `${p.nameLatin} · ${p.nameKm}`, selected);
      const districts = filter.provinceCode ? rt.gazetteer.childrenOf(filter.provinceCode) : [];
      const communes = filter.districtCode ? rt.gazetteer.childrenOf(filter.districtCode) : [];

      sendPage(res, {
        title: 'Voice messages',
        scripts: ['messages.js'],
        body: html`
<form method="get" action="/staff/messages" class="filters" id="message-filters">
  <label><span>Province ${km('ខេត្ត')}</span>
    <select name="province" data-clears="district commune">${option('', 'All provinces', filter.provinceCode)}${rt.gazetteer.provinces.map((p) => placeOption(p, filter.provinceCode))}</select></label>
  <label><span>District ${km('ស្រុក')}</span>
    <select name="district" data-clears="commune"${districts.length ? '' : html` disabled`}>${option('', districts.length ? 'All districts' : 'Choose a province', filter.districtCode)}${districts.map((p) => placeOption(p, filter.districtCode))}</select></label>
  <label><span>Commune ${km('ឃុំ')}</span>
    <select name="commune"${communes.length ? '' : html` disabled`}>${option('', communes.length ? 'All communes' : 'Choose a district', filter.communeCode)}${communes.map((p) => placeOption(p, filter.communeCode))}</select></label>
  <label><span>Service ${km('សេវា')}</span>
    <select name="service">${option('', 'All services', filter.service)}${rt.scorecard.services.map((s) => option(s.id, `${s.name.en} · ${s.name.km}`, filter.service))}</select></label>
  <label><span>State ${km('ស្ថានភាព')}</span>
    <select name="state">${option('', 'All states', filter.reviewState)}${REVIEW_STATES.map((s) => option(s, `${STATE_LABELS[s].en} · ${STATE_LABELS[s].km}`, filter.reviewState))}</select></label>
  <label>From <input type="date" name="from" value="${q.from ?? ''}"></label>
  <label>To <input type="date" name="to" value="${q.to ?? ''}"></label>
  <button type="submit">Filter</button> <a href="/staff/messages">Clear</a>
</form>
<p class="count">${total === 1 ? '1 message' : `${total} messages`}, newest first. Times are Cambodia time (UTC+7).</p>
<ol class="messages">
${messages.map((m) => html`<li class="message" data-id="${m._id}">
  <div class="message-head"><a href="/staff/messages/${encodeURIComponent(m._id)}" class="ref">No. ${m.referenceNumber || '—'}</a> ${stateBadge(stateOf(m))} <span class="when">${ictDateTime(m.createdAt)}</span></div>
  <div class="place">${placeName(m.communeCode)}${m.communeCode ? html` <span class="muted">(${rt.gazetteer.find(m.districtCode)?.nameLatin ?? ''}, ${rt.gazetteer.find(m.provinceCode)?.nameLatin ?? ''})</span>` : ''}</div>
  <div class="service">${serviceName(m.service)}</div>
  <div class="meta">Language: ${languageName(m.language)} · ${duration(m.durationSeconds)}${m.callerChoice === 'unknown' ? html` · <span class="muted">caller did not confirm sending</span>` : ''}</div>
  <div class="audio">${player(m)}</div>
</li>`)}
</ol>
${messages.length === 0 ? html`<p class="empty">No messages match this filter.</p>` : ''}
<p class="pager">${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">← Newer</a>` : ''} <span>Page ${page} of ${pages}</span> ${page < pages ? html`<a href="${link(page + 1)}" rel="next">Older →</a>` : ''}</p>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/messages/:id', everyone, async (req, res, next) => {
    try {
      const m = await findMessage(req);
      const { staff } = staffLocals(res);
      await deps.audit.record({ username: staff.username, action: 'view-message', messageId: m._id });
      const canReview = staff.role === 'admin' || staff.role === 'reviewer';
      const notes = m.review?.notes ?? [];
      sendPage(res, {
        title: `Message No. ${m.referenceNumber || m._id}`,
        body: html`
<p><a href="/staff/messages">← All messages</a></p>
<dl class="message-detail">
  <dt>Reference</dt><dd>${m.referenceNumber || '—'}</dd>
  <dt>Received</dt><dd>${ictDateTime(m.createdAt)} (Cambodia time)</dd>
  <dt>Commune ${km('ឃុំ')}</dt><dd>${placeName(m.communeCode)}</dd>
  <dt>District ${km('ស្រុក')}</dt><dd>${placeName(m.districtCode)}</dd>
  <dt>Province ${km('ខេត្ត')}</dt><dd>${placeName(m.provinceCode)}</dd>
  <dt>Service ${km('សេវា')}</dt><dd>${serviceName(m.service)}</dd>
  <dt>Language</dt><dd>${languageName(m.language)}</dd>
  <dt>Duration</dt><dd>${duration(m.durationSeconds)}</dd>
  <dt>State</dt><dd>${stateBadge(stateOf(m))}${m.review?.updatedBy ? html` <span class="muted">by ${m.review.updatedBy}, ${m.review.updatedAt ? ictDateTime(m.review.updatedAt) : ''}</span>` : ''}</dd>
  <dt>Audio</dt><dd>${player(m)}</dd>
</dl>
${canReview ? html`
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/state" class="review-state">
  ${csrfField(staff)}
  <label>Move to
    <select name="state">${REVIEW_STATES.map((s) => html`<option value="${s}"${s === stateOf(m) ? html` selected` : ''}>${STATE_LABELS[s].en} · ${STATE_LABELS[s].km}</option>`)}</select></label>
  <button type="submit">Save state</button>
</form>` : ''}
<h2>Notes</h2>
${notes.length ? html`<ol class="notes">${notes.map((n) => html`<li><p class="note-text">${n.text}</p><p class="muted">${n.by}, ${ictDateTime(n.at)}</p></li>`)}</ol>` : html`<p class="muted">No notes yet.</p>`}
${canReview ? html`
<form method="post" action="/staff/messages/${encodeURIComponent(m._id)}/notes" class="add-note">
  ${csrfField(staff)}
  <label>Add a note <textarea name="text" rows="3" maxlength="2000" required></textarea></label>
  <button type="submit">Add note</button>
</form>` : ''}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/:id/state', reviewers, async (req, res, next) => {
    try {
      if (!validateStateBody(req.body)) throw new BadRequestError('Choose one of the review states.');
      const m = await findMessage(req);
      const to = (req.body as { state: ReviewState }).state;
      const { staff } = staffLocals(res);
      if (!(await queries.setReviewState(m._id, to, staff.username))) throw new NotFoundError('No such message.');
      await deps.audit.record({ username: staff.username, action: 'change-state', messageId: m._id, detail: { from: stateOf(m), to } });
      res.redirect(303, `/staff/messages/${encodeURIComponent(m._id)}`);
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages/:id/notes', reviewers, async (req, res, next) => {
    try {
      if (!validateNoteBody(req.body)) throw new BadRequestError('A note needs between 1 and 2000 characters.');
      const m = await findMessage(req);
      const text = (req.body as { text: string }).text.trim();
      if (!text) throw new BadRequestError('A note needs between 1 and 2000 characters.');
      const { staff } = staffLocals(res);
      if (!(await queries.addNote(m._id, staff.username, text))) throw new NotFoundError('No such message.');
      await deps.audit.record({ username: staff.username, action: 'add-note', messageId: m._id, detail: { characters: text.length } });
      res.redirect(303, `/staff/messages/${encodeURIComponent(m._id)}`);
    } catch (err) {
      next(err);
    }
  });

  router.get('/messages/:id/audio', everyone, async (req: Request, res: Response, next) => {
    try {
      const m = await findMessage(req);
      const audio = audioOf(m);
      if (!audio) throw new NotFoundError('This message has no stored audio yet.');
      const range = req.header('range');
      // One play is one entry per session and message, whatever the Range: the player's follow-up
      // requests add nothing, and no Range trick ("bytes=00-", "bytes=-N") fetches audio unlogged.
      const { staff, session } = staffLocals(res);
      await deps.audit.recordOnce(`play-message\n${session._id}\n${m._id}`, SESSION_ABSOLUTE_MS, { username: staff.username, action: 'play-message', messageId: m._id });
      if ((await sendRecording(res, rt.store.files, audio.fileId, audio.contentType, range)) === 'missing') {
        rt.logger.error({ messageId: m._id, fileId: audio.fileId }, 'stored message audio is missing from the file store');
        throw new NotFoundError('The audio of this message is missing.');
      }
    } catch (err) {
      next(err);
    }
  });
};
