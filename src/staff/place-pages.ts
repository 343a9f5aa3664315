import { lazyAjv } from '../schema-validation';
import { Request, Response } from 'express';
import { SESSION_ABSOLUTE_MS } from '../auth/sessions';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { audioOf, VoiceMessage } from '../messages/messages';
import { PlaceState, PlaceToConfirm } from '../store/places-to-confirm';
import { Rating } from '../store/ratings';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, sendPage } from './layout';
import { placeLabel } from './message-pages';
import { cambodiaDateTime } from './page-dates';
import { sendRecording } from './recording-stream';
import { StaffPages } from './staff-router';

/**
 * Places callers said instead of a commune code (src/store/places-to-confirm.ts): staff listen to
 * each recording and pick the commune from the gazetteer. Every list view, play and confirmation
 * is in the audit log; only a confirmed place's ratings count in figures.
 */

const PER_PAGE = 20;
const PLACE_ID = /^[A-Za-z0-9-]{10,64}$/;
const BASE = '/staff/places-to-confirm';

const ajv = lazyAjv({ allErrors: true, coerceTypes: false });
/** The commune from the pickers, or typed as its six-digit code (a browser without scripts). */
const validateConfirmBody = ajv.compile({
  type: 'object',
  required: ['_csrf'],
  additionalProperties: true,
  properties: {
    _csrf: { type: 'string', maxLength: 100 },
    province: { type: 'string', maxLength: 2 },
    district: { type: 'string', maxLength: 4 },
    commune: { type: 'string', maxLength: 6 },
    code: { type: 'string', maxLength: 20 },
    facility: { type: 'string', maxLength: 60 },
  },
});

export const placePages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: BASE, key: 'nav.places', roles: ['admin', 'reviewer'] });
  const reviewers = requireRole('admin', 'reviewer');
  const recordings = rt.store.collection<VoiceMessage>('messages');
  const ratings = rt.store.collection<Rating>('ratings');

  const findPlace = async (req: Request): Promise<PlaceToConfirm> => {
    const id = String(req.params.id ?? '');
    const place = PLACE_ID.test(id) ? await rt.places.find(id) : null;
    if (!place) throw new NotFoundError('No such place to confirm.', { key: 'places.not-found' });
    return place;
  };

  const communeText = (code: string, t: Translate): string => {
    const commune = rt.gazetteer.find(code);
    const district = rt.gazetteer.find(code.slice(0, 4));
    const province = rt.gazetteer.find(code.slice(0, 2));
    return [commune, district, province].filter((p) => p).map((p) => placeLabel(p!, t)).join(', ') + ` (${code})`;
  };

  const facilityText = (id: string | undefined, t: Translate): string => {
    const f = id ? rt.programme.find(id) : undefined;
    return f ? ` · ${t.lang === 'km' ? f.name.km : f.name.en}` : '';
  };

  const player = (place: PlaceToConfirm, recording: VoiceMessage | undefined, t: Translate): SafeHtml => {
    if (recording && audioOf(recording)) {
      return html`<audio controls preload="none" src="${BASE}/${encodeURIComponent(place._id)}/audio" aria-label="${t('places.recording-of', { when: cambodiaDateTime(place.createdAt, t) })}"></audio>`;
    }
    if (recording?.silent) return html`<span class="muted">${t('places.audio-silent')}</span>`;
    if (recording?.download?.state === 'failed') return html`<span class="error">${t('places.audio-failed')}</span>`;
    return html`<span class="muted">${t('places.audio-waiting')}</span>`;
  };

  const picker = (place: PlaceToConfirm, t: Translate, staff: Parameters<typeof csrfField>[0], back: string): SafeHtml => html`<form method="post" action="${BASE}/${encodeURIComponent(place._id)}/confirm" class="filters">
  ${csrfField(staff)}
  <input type="hidden" name="back" value="${back}">
  <label><span>${t('filter.province')}</span>
    <select name="province" data-children="district" data-all="${t('filter.choose-district')}" data-choose="${t('filter.choose-province')}"><option value="">${t('filter.choose-province')}</option>${rt.gazetteer.provinces.map((p) => html`<option value="${p.code}">${placeLabel(p, t)}</option>`)}</select></label>
  <label><span>${t('filter.district')}</span>
    <select name="district" data-children="commune" data-all="${t('filter.choose-district')}" data-choose="${t('filter.choose-province')}"><option value="">${t('filter.choose-province')}</option></select></label>
  <label><span>${t('filter.commune')}</span>
    <select name="commune"><option value="">${t('filter.choose-district')}</option></select></label>
  <label><span>${t('places.or-code')}</span> <input name="code" inputmode="numeric" maxlength="6" pattern="[0-9]{6}" autocomplete="off"></label>
  ${rt.programme.areas.facilities.length ? html`<label><span>${t('places.facility')}</span>
    <select name="facility"><option value="">${t('places.no-facility')}</option>${rt.programme.areas.facilities.map((f) => html`<option value="${f.id}">${t.lang === 'km' ? f.name.km : f.name.en}</option>`)}</select></label>` : ''}
  <div class="filter-buttons"><button type="submit">${place.state === 'confirmed' ? t('places.correct') : t('places.confirm')}</button></div>
</form>`;

  router.get('/places-to-confirm', reviewers, async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const state: PlaceState = req.query.state === 'confirmed' ? 'confirmed' : 'to-confirm';
      const pageNumber = Math.max(1, Math.min(10_000, Number.parseInt(String(req.query.page ?? ''), 10) || 1));
      const { places, total } = await rt.places.list(state, pageNumber, PER_PAGE);
      await deps.audit.record({ username: staff.username, action: 'list-places', detail: { state, page: pageNumber } });
      const ids = places.map((p) => p._id);
      const audio = new Map((ids.length ? await recordings.find({ _id: { $in: ids } }) : []).map((m) => [m._id, m]));
      // How many ratings wait on each place: what confirming it adds to the figures.
      const waiting = new Map<string, number>();
      for (const r of ids.length ? await ratings.find({ spokenPlaceId: { $in: ids } }, { projection: { spokenPlaceId: 1 } }) : []) {
        waiting.set(r.spokenPlaceId!, (waiting.get(r.spokenPlaceId!) ?? 0) + 1);
      }
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const here = `${BASE}?${new URLSearchParams({ ...(state === 'confirmed' ? { state } : {}), ...(pageNumber > 1 ? { page: String(pageNumber) } : {}) }).toString()}`;
      const changed = typeof req.query.confirmed === 'string' && req.query.confirmed;
      sendPage(res, {
        title: t('places.title'),
        scripts: ['messages.js'],
        body: html`<p>${t('places.intro')}</p>
<p><a href="${BASE}"${state === 'to-confirm' ? html` aria-current="page"` : ''}>${t('places.to-confirm')}</a> · <a href="${BASE}?state=confirmed"${state === 'confirmed' ? html` aria-current="page"` : ''}>${t('places.confirmed')}</a></p>
${changed ? html`<p class="notice" role="status">${t('places.done')}</p>` : ''}
<p>${t('places.count', { n: total })} ${t('common.cambodia-time')}</p>
${places.map((p) => html`<section class="place" aria-label="${cambodiaDateTime(p.createdAt, t)}">
<h2>${cambodiaDateTime(p.createdAt, t)} · ${t(p.purpose === 'message' ? 'places.purpose-message' : 'places.purpose-rate')}</h2>
<p>${player(p, audio.get(p._id), t)}</p>
<p>${t('places.ratings-waiting', { n: waiting.get(p._id) ?? 0 })}</p>
${p.confirmed ? html`<p>${t('places.confirmed-as', { place: communeText(p.confirmed.communeCode, t) + facilityText(p.confirmed.facilityId, t), by: p.confirmed.by, when: cambodiaDateTime(p.confirmed.at, t) })}</p>` : ''}
${picker(p, t, staff, here)}
</section>`)}
${pages > 1 ? html`<p>${pageNumber > 1 ? html`<a href="${BASE}?${new URLSearchParams({ ...(state === 'confirmed' ? { state } : {}), page: String(pageNumber - 1) }).toString()}">${t('places.previous')}</a> ` : ''}${pageNumber < pages ? html`<a href="${BASE}?${new URLSearchParams({ ...(state === 'confirmed' ? { state } : {}), page: String(pageNumber + 1) }).toString()}">${t('places.next')}</a>` : ''}</p>` : ''}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/places-to-confirm/:id/audio', reviewers, async (req: Request, res: Response, next) => {
    try {
      const place = await findPlace(req);
      const recording = await recordings.findOne({ _id: place._id });
      const audio = recording ? audioOf(recording) : null;
      if (!audio) throw new NotFoundError('This place has no stored recording yet.', { key: 'places.no-audio' });
      const { staff, session } = staffLocals(res);
      // One play is one entry per session and place, whatever the player's range requests.
      await deps.audit.recordOnce(`play-place\n${session._id}\n${place._id}`, SESSION_ABSOLUTE_MS, { username: staff.username, action: 'play-place', detail: { place: place._id } });
      if ((await sendRecording(res, rt.store.files, audio.fileId, audio.contentType, req.header('range'))) === 'missing') {
        rt.logger.error({ placeId: place._id, fileId: audio.fileId }, 'stored place recording is missing from the file store');
        throw new NotFoundError('The recording of this place is missing.', { key: 'places.audio-missing' });
      }
    } catch (err) {
      next(err);
    }
  });

  router.post('/places-to-confirm/:id/confirm', reviewers, async (req: Request, res: Response, next) => {
    try {
      if (!validateConfirmBody(req.body)) throw new BadRequestError('Choose the commune, or type its six-digit code.', { key: 'places.choose-commune' });
      const body = req.body as { commune?: string; code?: string; facility?: string; back?: string };
      const code = (body.code ?? '').trim() || (body.commune ?? '').trim();
      if (!rt.gazetteer.isCommune(code)) throw new BadRequestError('Choose the commune, or type its six-digit code.', { key: 'places.choose-commune' });
      // A facility must serve the commune chosen (a health centre may serve several).
      const facility = body.facility ? rt.programme.find(body.facility) : undefined;
      if (body.facility && (!facility || !facility.communes.includes(code))) throw new BadRequestError('That facility does not serve the commune chosen: choose another, or none.', { key: 'places.facility-not-in-commune' });
      const place = await findPlace(req);
      const { staff } = staffLocals(res);
      if (!(await rt.places.confirm(place._id, code, staff.username, new Date(), facility ? { id: facility.id, service: facility.service } : undefined))) throw new NotFoundError('No such place to confirm.', { key: 'places.not-found' });
      await deps.audit.record({
        username: staff.username, action: 'confirm-place',
        detail: { place: place._id, commune: code, ...(facility ? { facility: facility.id } : {}), ...(place.confirmed ? { was: place.confirmed.communeCode } : {}) },
      });
      const back = typeof body.back === 'string' && body.back.startsWith(`${BASE}?`) ? body.back : `${BASE}?`;
      res.redirect(303, `${back}${back.endsWith('?') ? '' : '&'}confirmed=1`);
    } catch (err) {
      next(err);
    }
  });
};
