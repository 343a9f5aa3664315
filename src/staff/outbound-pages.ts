import express from 'express';
import { requireRole } from '../auth/staff-auth';
import { AudioInputError } from '../audio/telephony-conversion';
import { keepDraftAnswer } from '../outbound/answer-calls';
import { ANSWER_UPLOAD_MAX_BYTES, storeAnswerRecording } from '../outbound/answer-recordings';
import { StaffVisibleMessage } from '../messages/message-queries';
import { ReviewDesk } from '../messages/review-desk';
import { CALLBACK_STATES } from '../outbound/callback-queue';
import { typedPhoneNumber } from '../outbound/outbound';
import { callerIdFor } from '../store/callers';
import { BadRequestError, ConflictError } from '../errors';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, km, latin, scrollBox, sendPage, technicalDetail } from './layout';
import { cambodiaDateTime } from './page-dates';
import { callbackErrorWord, callbackKindWord, callbackOutcomeWord, callbackStateWord, carrierProblemWord, queueCapWord } from './outbound-words';
import { StaffPages } from './staff-router';
import { uploadExtension } from './audio-upload';
import { IMPORT_EXTENSIONS } from '../prompts/prompt-import';

const CALLER_ID = /^[0-9a-f]{64}$/;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;

/**
 * "Outbound calls": the callback queue with each entry's state and attempts, today's calls
 * against the budget, the pause switch (who and when, in the audit log too), and blocking a
 * caller by hashed id or by a typed phone number (hashed at once with the caller-hash key, never
 * stored or logged), a carrier refusal that holds calling (what to fix), a queue cap reached, and
 * a confirmed, audited purge of the waiting missed-call callbacks. No number is ever shown here.
 */
export const outboundPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: '/staff/outbound', key: 'nav.outbound', roles: ['admin', 'reviewer', 'viewer'] });

  const languageName = (code: string | undefined, t: Translate): SafeHtml => {
    const l = rt.languages.languages.find((x) => x.code === code);
    if (!l) return html`${code || t('common.unknown')}`;
    return l.nativeName !== l.name ? html`${km(l.nativeName)} ${latin(l.name, t)}` : latin(l.name, t);
  };

  const messages = rt.store.collection<StaffVisibleMessage>('messages');
  const desk = new ReviewDesk(messages);
  const placeName = (code: string, t: Translate): SafeHtml => {
    const p = code ? rt.gazetteer.find(code) : undefined;
    return p ? (t.lang === 'km' ? km(p.nameKm) : latin(p.nameLatin, t)) : html`${t('common.unknown')}`;
  };
  const serviceName = (id: string, t: Translate): SafeHtml => {
    const x = rt.scorecard.services.find((s) => s.id === id);
    return x ? (t.lang === 'km' ? km(x.name.km) : latin(x.name.en, t)) : html`${t('common.unknown')}`;
  };

  router.get('/outbound', requireRole('admin', 'reviewer', 'viewer'), async (_req, res, next) => {
    try {
      const t = tr(res);
      const { queue, limits } = rt.outbound;
      const viewer = res.locals.staff;
      const o = rt.config.outbound;
      const [control, placed, lines, counts, recent, blocks, awaiting, capHits, waitingMissed] = await Promise.all([
        limits.controlState(), limits.placedToday(), limits.linesInUse(), queue.countsByState(), queue.recent(100), queue.listBlocks(), queue.awaitingAnswers(),
        queue.capHits(), queue.waitingMissedCalls(),
      ]);
      const problem = control.carrierProblem;
      const capHit = capHits[0];
      // Answer calls are named by their message's reference number, place and service, never an internal id.
      const answerMessages = await messages.find({ _id: { $in: [...new Set([...awaiting, ...recent].filter((e) => e.kind === 'message-answer').map((e) => e.messageId ?? ''))] } });
      const messageOf = new Map(answerMessages.map((m) => [m._id, m]));
      const admin = viewer.role === 'admin';
      await deps.audit.record({ username: viewer.username, action: 'view-outbound' });
      const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const changed = control.changedBy
        ? ` — ${t(control.paused ? 'outbound.paused-by' : 'outbound.resumed-by', { who: control.changedBy, at: cambodiaDateTime(control.changedAt!, t) })}`
        : '';
      sendPage(res, {
        title: t('outbound.title'),
        body: html`
<section class="outbound-status">
  <p><strong>${control.paused ? t('outbound.paused') : t('outbound.calling')}</strong>${changed}</p>
  ${admin ? html`<form method="post" action="/staff/outbound/${control.paused ? 'resume' : 'pause'}">${csrfField(viewer)}<button type="submit">${control.paused ? t('outbound.resume-button') : t('outbound.pause-button')}</button></form>` : ''}
  <p><strong>${t('outbound.today', { placed, budget: o.dailyBudget })}</strong> ${t('outbound.lines', { lines, max: o.maxConcurrent })}
  ${t('outbound.limits', { perminute: o.maxPerMinute, from: hhmm(o.callingHours.startMinute), to: hhmm(o.callingHours.endMinute), attempts: o.maxAttempts })}</p>
  <p>${t('outbound.queue-limits', { perhour: o.queueMaxPerHour, waiting: o.queueMaxWaiting, hours: o.maxWaitHours, weekly: o.weeklyCallsPerNumber })}</p>
  ${o.fromNumber ? '' : html`<p class="error"><code>OUTBOUND_FROM_NUMBER</code> ${t('outbound.no-from-number')}</p>`}
  ${problem ? html`<div class="error carrier-problem" role="alert"><p><strong>${t('outbound.carrier-problem', { since: cambodiaDateTime(new Date(problem.since), t), status: problem.httpStatus, code: problem.code })}</strong></p>
  <p>${carrierProblemWord(problem.kind, o.fromNumber, t)}</p>
  <p>${t('outbound.carrier-problem-resume', { at: cambodiaDateTime(new Date(problem.retryAt), t) })}</p>
  ${admin ? html`<form method="post" action="/staff/outbound/resume">${csrfField(viewer)}<button type="submit">${t('outbound.carrier-problem-retry')}</button></form>` : ''}</div>` : ''}
  ${capHit ? html`<div class="error queue-full" role="alert"><p><strong>${t('outbound.queue-full', { refused: capHit.refused, at: cambodiaDateTime(new Date(capHit.lastRefusedAt ?? new Date()), t) })}</strong> ${queueCapWord(capHit.lastRefusedBy ?? '', t)}</p>
  <p>${t('outbound.queue-full-help')}</p></div>` : ''}
  ${admin && waitingMissed > 0 ? html`<form method="post" action="/staff/outbound/purge" class="purge">${csrfField(viewer)}
  <label><input type="checkbox" name="confirm" value="yes" required> ${t('outbound.purge-confirm', { count: waitingMissed })}</label>
  <button type="submit">${t('outbound.purge-button')}</button></form>` : ''}
</section>
${scrollBox(t('outbound.counts'), html`<table class="outbound-counts"><caption>${t('outbound.counts')}</caption><thead><tr>${CALLBACK_STATES.map((s) => html`<th scope="col">${callbackStateWord(s, t)}</th>`)}</tr></thead>
<tbody><tr>${CALLBACK_STATES.map((s) => html`<td>${counts[s]}</td>`)}</tr></tbody></table>`)}
<h2>${t('outbound.awaiting-title')}</h2>
<p>${t('outbound.awaiting-help')}</p>
<ul class="awaiting-answers">${awaiting.map((e) => {
  const m = messageOf.get(e.messageId ?? '');
  return html`<li><a href="/staff/messages/${encodeURIComponent(e.messageId ?? '')}#answer-call" class="ref">${t('common.number', { ref: m?.referenceNumber || '—' })}</a>
  ${m ? html`<span class="place">${placeName(m.communeCode, t)}</span> · <span class="service">${serviceName(m.service, t)}</span> · ` : ''}${languageName(e.language, t)} · ${t('outbound.awaiting-asked', { at: cambodiaDateTime(e.createdAt, t) })}</li>`;
})}</ul>
<h2>${t('outbound.queue-title')}</h2>
${scrollBox(t('outbound.queue-title'), html`<table class="outbound-queue">
<thead><tr><th scope="col">${t('outbound.col-queued')}</th><th scope="col">${t('outbound.col-kind')}</th><th scope="col">${t('outbound.col-message')}</th><th scope="col">${t('outbound.col-caller')}</th><th scope="col">${t('outbound.col-state')}</th><th scope="col">${t('outbound.col-attempts')}</th><th scope="col">${t('outbound.col-last-status')}</th><th scope="col">${t('outbound.col-next')}</th><th scope="col">${t('outbound.col-outcome')}</th></tr></thead>
<tbody>
${recent.map((e) => html`<tr>
  <td>${cambodiaDateTime(e.createdAt, t)}</td><td>${callbackKindWord(e.kind, t)}</td>
  <td>${e.kind === 'message-answer' && e.messageId ? html`<a href="/staff/messages/${encodeURIComponent(e.messageId)}#answer-call">${t('common.number', { ref: messageOf.get(e.messageId)?.referenceNumber || '—' })}</a>` : e.kind === 'promise-news' && e.communeCode ? html`<span class="place">${placeName(e.communeCode, t)}</span>` : ''}</td><td><code class="caller-id">${e.callerId}</code></td>
  <td>${callbackStateWord(e.state, t)}</td><td>${e.attempts}</td><td>${e.lastStatus ? html`<code>${e.lastStatus}</code>` : ''}${e.lastError ? html` <span class="error">${callbackErrorWord(e.lastError, t)}</span>${technicalDetail(e.lastError, t)}` : ''}</td>
  <td>${e.nextAttemptAt && (e.state === 'queued' || e.state === 'retry') ? cambodiaDateTime(e.nextAttemptAt, t) : ''}</td><td>${e.outcome ? callbackOutcomeWord(e.outcome, t) : ''}</td>
</tr>`)}
</tbody>
</table>`)}
<h2>${t('outbound.blocked-title')}</h2>
${admin ? html`<form method="post" action="/staff/outbound/block-number" class="filters" autocomplete="off">${csrfField(viewer)}
  <label>${t('outbound.block-number-label')} <input name="phoneNumber" type="tel" required maxlength="32" autocomplete="off"></label>
  <button type="submit">${t('outbound.block-button')}</button></form>
<form method="post" action="/staff/outbound/block" class="filters">${csrfField(viewer)}
  <label>${t('outbound.block-label')} <input name="callerId" required pattern="[0-9a-f]{64}" maxlength="64"></label>
  <button type="submit">${t('outbound.block-button')}</button></form>` : ''}
<ul class="blocked-callers">${blocks.map((b) => html`<li><code>${b._id}</code> ${t('outbound.blocked-by', { who: b.by, at: cambodiaDateTime(b.at, t) })}
  ${admin ? html`<form method="post" action="/staff/outbound/unblock" class="inline">${csrfField(viewer)}<input type="hidden" name="callerId" value="${b._id}"><button type="submit">${t('outbound.unblock')}</button></form>` : ''}</li>`)}</ul>`,
      });
    } catch (err) {
      next(err);
    }
  });

  for (const paused of [true, false]) {
    router.post(`/outbound/${paused ? 'pause' : 'resume'}`, requireRole('admin'), async (_req, res, next) => {
      try {
        const username = res.locals.staff.username;
        await rt.outbound.limits.setPaused(paused, username);
        await deps.audit.record({ username, action: paused ? 'outbound-pause' : 'outbound-resume' });
        rt.logger.warn({ username }, paused ? 'outbound calling paused by staff' : 'outbound calling resumed by staff');
        res.redirect(303, '/staff/outbound');
      } catch (err) {
        next(err);
      }
    });
  }

  // The browser's recording (MediaRecorder: WebM/Ogg Opus, or any file ffmpeg decodes), raw in the body.
  const rawAudio = express.raw({ type: () => true, limit: ANSWER_UPLOAD_MAX_BYTES });
  router.post('/outbound/answer-recording', requireRole('admin', 'reviewer'), rawAudio, async (req, res, next) => {
    try {
      const messageId = typeof req.query.messageId === 'string' ? req.query.messageId : '';
      const upload = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!MESSAGE_ID.test(messageId) || upload.length === 0) {
        throw new BadRequestError('A message id and a recording are needed.', { key: 'outbound.bad-recording-request' });
      }
      const extension = uploadExtension(req.header('content-type'), undefined);
      if (!extension) throw new BadRequestError('Not an audio format the hotline imports.', { key: 'outbound.recording-format', vars: { formats: IMPORT_EXTENSIONS.join(', ') } });
      const entry = await rt.outbound.queue.awaitingAnswerFor(messageId);
      if (!entry) throw new ConflictError('No answer call awaits this message.', { key: 'outbound.not-awaiting' });
      let fileId: string;
      try {
        // At most AUDIO_DECODES_AT_ONCE conversions at once; more wait briefly, then are refused (DecodesBusyError, 503).
        fileId = await deps.decodes.run(() => storeAnswerRecording(rt.store, entry._id, upload, extension));
      } catch (err) {
        if (!(err instanceof AudioInputError)) throw err;
        throw new BadRequestError(`The recording cannot be used: ${err.message}`, { key: 'outbound.recording-unusable', vars: { problem: err.message } });
      }
      const username = res.locals.staff.username;
      // A draft to listen to on the message page; the call waits for the reviewer's confirmation there.
      if (!(await keepDraftAnswer({ queue: rt.outbound.queue, desk, files: rt.store.files }, entry, fileId, username))) {
        throw new ConflictError('Another answer was recorded or chosen meanwhile.', { key: 'outbound.queued-meanwhile' });
      }
      await deps.audit.record({ username, action: 'answer-recorded', messageId });
      res.status(200).json({ kept: true });
    } catch (err) {
      next(err);
    }
  });

  router.post('/outbound/purge', requireRole('admin'), async (req, res, next) => {
    try {
      if (req.body?.confirm !== 'yes') {
        throw new BadRequestError('Tick the box to confirm: every waiting missed-call callback ends and its number is erased.', { key: 'outbound.purge-not-confirmed' });
      }
      const username = res.locals.staff.username;
      const purged = await rt.outbound.queue.purgeWaiting(username);
      await deps.audit.record({ username, action: 'outbound-purge', detail: { purged } });
      rt.logger.warn({ username, purged }, 'waiting missed-call callbacks purged by staff; their numbers are erased');
      res.redirect(303, '/staff/outbound');
    } catch (err) {
      next(err);
    }
  });

  // A number typed by staff is hashed at once with the caller-hash key: only the hash is kept, audited and logged.
  router.post('/outbound/block-number', requireRole('admin'), async (req, res, next) => {
    try {
      const number = typeof req.body?.phoneNumber === 'string' ? typedPhoneNumber(req.body.phoneNumber) : null;
      if (!number) throw new BadRequestError('Not a phone number.', { key: 'outbound.bad-phone-number' });
      const callerId = callerIdFor(number, rt.config.callerHashSecret);
      const username = res.locals.staff.username;
      await rt.outbound.queue.block(callerId, username);
      await deps.audit.record({ username, action: 'outbound-block', detail: { callerId, entered: 'phone number' } });
      res.redirect(303, '/staff/outbound');
    } catch (err) {
      next(err);
    }
  });

  for (const block of [true, false]) {
    router.post(`/outbound/${block ? 'block' : 'unblock'}`, requireRole('admin'), async (req, res, next) => {
      try {
        const callerId = typeof req.body?.callerId === 'string' ? req.body.callerId.trim().toLowerCase() : '';
        if (!CALLER_ID.test(callerId)) {
          throw new BadRequestError('Not a hashed caller id.', { key: 'outbound.bad-caller-id' });
        }
        const username = res.locals.staff.username;
        if (block) await rt.outbound.queue.block(callerId, username);
        else await rt.outbound.queue.unblock(callerId);
        await deps.audit.record({ username, action: block ? 'outbound-block' : 'outbound-unblock', detail: { callerId } });
        res.redirect(303, '/staff/outbound');
      } catch (err) {
        next(err);
      }
    });
  }
};
