import express from 'express';
import { requireRole } from '../auth/staff-auth';
import { AudioInputError } from '../audio/telephony-conversion';
import { ANSWER_UPLOAD_MAX_BYTES, storeAnswerRecording } from '../outbound/answer-recordings';
import { CALLBACK_STATES } from '../outbound/callback-queue';
import { typedPhoneNumber } from '../outbound/outbound';
import { callerIdFor } from '../store/callers';
import { BadRequestError, ConflictError } from '../errors';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, km, latin, scrollBox, sendPage } from './layout';
import { ictDateTime } from './message-pages';
import { callbackKindWord, callbackOutcomeWord, callbackStateWord, carrierProblemWord, queueCapWord } from './outbound-words';
import { StaffPages } from './staff-router';
import { uploadExtension } from './audio-upload';
import { IMPORT_EXTENSIONS } from '../prompts/prompt-import';

const CALLER_ID = /^[0-9a-f]{64}$/;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;
/** Recorded standard answers are the catalog prompts answer.standard.*. */
const STANDARD_ANSWER = /^answer\.standard\.[a-z0-9-]+$/;

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
      const answers = Object.entries(rt.catalog.prompts).filter(([id]) => STANDARD_ANSWER.test(id));
      const canAnswer = viewer.role === 'admin' || viewer.role === 'reviewer';
      const admin = viewer.role === 'admin';
      await deps.audit.record({ username: viewer.username, action: 'view-outbound' });
      const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const changed = control.changedBy
        ? ` — ${t(control.paused ? 'outbound.paused-by' : 'outbound.resumed-by', { who: control.changedBy, at: ictDateTime(control.changedAt!) })}`
        : '';
      // Words the recorder script shows, in the reader's language.
      const scriptStrings = JSON.stringify({
        record: t('outbound.record-answer'), stop: t('outbound.script-stop'), recording: t('outbound.script-recording'),
        sending: t('outbound.script-sending'), sendFailed: t('outbound.script-send-failed'),
        cannotRecord: t('outbound.script-cannot-record'), noMicrophone: t('outbound.script-no-microphone'),
      });
      // This page may use the microphone (recording an answer); every other staff page may not.
      res.setHeader('Permissions-Policy', 'camera=(), microphone=(self), geolocation=()');
      sendPage(res, {
        title: t('outbound.title'),
        scripts: ['answer-recorder.js'],
        body: html`
<section class="outbound-status" data-strings="${scriptStrings}">
  <p><strong>${control.paused ? t('outbound.paused') : t('outbound.calling')}</strong>${changed}</p>
  ${admin ? html`<form method="post" action="/staff/outbound/${control.paused ? 'resume' : 'pause'}">${csrfField(viewer)}<button type="submit">${control.paused ? t('outbound.resume-button') : t('outbound.pause-button')}</button></form>` : ''}
  <p><strong>${t('outbound.today', { placed, budget: o.dailyBudget })}</strong> ${t('outbound.lines', { lines, max: o.maxConcurrent })}
  ${t('outbound.limits', { perminute: o.maxPerMinute, from: hhmm(o.callingHours.startMinute), to: hhmm(o.callingHours.endMinute), attempts: o.maxAttempts })}</p>
  <p>${t('outbound.queue-limits', { perhour: o.queueMaxPerHour, waiting: o.queueMaxWaiting, hours: o.maxWaitHours, weekly: o.weeklyCallsPerNumber })}</p>
  ${o.fromNumber ? '' : html`<p class="error"><code>OUTBOUND_FROM_NUMBER</code> ${t('outbound.no-from-number')}</p>`}
  ${problem ? html`<div class="error carrier-problem" role="alert"><p><strong>${t('outbound.carrier-problem', { since: ictDateTime(new Date(problem.since)), status: problem.httpStatus, code: problem.code })}</strong></p>
  <p>${carrierProblemWord(problem.kind, o.fromNumber, t)}</p>
  <p>${t('outbound.carrier-problem-resume', { at: ictDateTime(new Date(problem.retryAt)) })}</p>
  ${admin ? html`<form method="post" action="/staff/outbound/resume">${csrfField(viewer)}<button type="submit">${t('outbound.carrier-problem-retry')}</button></form>` : ''}</div>` : ''}
  ${capHit ? html`<div class="error queue-full" role="alert"><p><strong>${t('outbound.queue-full', { refused: capHit.refused, at: ictDateTime(new Date(capHit.lastRefusedAt ?? new Date())) })}</strong> ${queueCapWord(capHit.lastRefusedBy ?? '', t)}</p>
  <p>${t('outbound.queue-full-help')}</p></div>` : ''}
  ${admin && waitingMissed > 0 ? html`<form method="post" action="/staff/outbound/purge" class="purge">${csrfField(viewer)}
  <label><input type="checkbox" name="confirm" value="yes" required> ${t('outbound.purge-confirm', { count: waitingMissed })}</label>
  <button type="submit">${t('outbound.purge-button')}</button></form>` : ''}
</section>
${scrollBox(t('outbound.counts'), html`<table class="outbound-counts"><caption>${t('outbound.counts')}</caption><thead><tr>${CALLBACK_STATES.map((s) => html`<th scope="col">${callbackStateWord(s, t)}</th>`)}</tr></thead>
<tbody><tr>${CALLBACK_STATES.map((s) => html`<td>${counts[s]}</td>`)}</tr></tbody></table>`)}
<h2>${t('outbound.awaiting-title')}</h2>
<p>${t('outbound.awaiting-help')}</p>
<ul class="awaiting-answers">${awaiting.map((e) => html`<li><a href="/staff/messages/${encodeURIComponent(e.messageId ?? '')}">${t('outbound.awaiting-message')} <code>${e.messageId}</code></a>
  (${languageName(e.language, t)}, ${t('outbound.awaiting-asked', { at: ictDateTime(e.createdAt) })})
  ${canAnswer ? html`<form method="post" action="/staff/outbound/answer" class="inline">${csrfField(viewer)}<input type="hidden" name="messageId" value="${e.messageId ?? ''}">
  <label>${t('outbound.answer-label')} <select name="answer">${answers.map(([id, p]) => html`<option value="${id}">${p.text[t.lang] ?? p.text.en}</option>`)}</select></label> <button type="submit">${t('outbound.resolve-and-call')}</button></form>
  ${t('outbound.or')} <button type="button" class="record-answer" data-message="${e.messageId ?? ''}">${t('outbound.record-answer')}</button> <span class="record-status" role="status" data-message="${e.messageId ?? ''}"></span>` : ''}</li>`)}</ul>
<h2>${t('outbound.queue-title')}</h2>
${scrollBox(t('outbound.queue-title'), html`<table class="outbound-queue">
<thead><tr><th scope="col">${t('outbound.col-queued')}</th><th scope="col">${t('outbound.col-kind')}</th><th scope="col">${t('outbound.col-caller')}</th><th scope="col">${t('outbound.col-state')}</th><th scope="col">${t('outbound.col-attempts')}</th><th scope="col">${t('outbound.col-last-status')}</th><th scope="col">${t('outbound.col-next')}</th><th scope="col">${t('outbound.col-outcome')}</th></tr></thead>
<tbody>
${recent.map((e) => html`<tr>
  <td>${ictDateTime(e.createdAt)}</td><td>${callbackKindWord(e.kind, t)}</td><td><code class="caller-id">${e.callerId}</code></td>
  <td>${callbackStateWord(e.state, t)}</td><td>${e.attempts}</td><td>${e.lastStatus ? html`<code>${e.lastStatus}</code>` : ''}${e.lastError ? html` <span class="error">${latin(e.lastError, t)}</span>` : ''}</td>
  <td>${e.nextAttemptAt && (e.state === 'queued' || e.state === 'retry') ? ictDateTime(e.nextAttemptAt) : ''}</td><td>${e.outcome ? callbackOutcomeWord(e.outcome, t) : ''}</td>
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
<ul class="blocked-callers">${blocks.map((b) => html`<li><code>${b._id}</code> ${t('outbound.blocked-by', { who: b.by, at: ictDateTime(b.at) })}
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

  router.post('/outbound/answer', requireRole('admin', 'reviewer'), async (req, res, next) => {
    try {
      const messageId = typeof req.body?.messageId === 'string' ? req.body.messageId : '';
      const answer = typeof req.body?.answer === 'string' ? req.body.answer : '';
      if (!MESSAGE_ID.test(messageId) || !STANDARD_ANSWER.test(answer) || !(answer in rt.catalog.prompts)) {
        throw new BadRequestError('Choose a message and one of the recorded standard answers.', { key: 'outbound.bad-answer' });
      }
      const username = res.locals.staff.username;
      if (!(await rt.outbound.queue.queueAnswer(messageId, { promptId: answer }, username))) {
        throw new ConflictError('No answer call awaits this message.', { key: 'outbound.not-awaiting' });
      }
      const at = new Date();
      await rt.messages.collection.updateOne({ _id: messageId }, { $set: { 'review.state': 'resolved', 'review.updatedAt': at, 'review.updatedBy': username } });
      await deps.audit.record({ username, action: 'answer-call-queued', messageId, detail: { answer } });
      res.redirect(303, '/staff/outbound');
    } catch (err) {
      next(err);
    }
  });

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
      if (!(await rt.outbound.queue.queueAnswer(messageId, { fileId }, username))) {
        await rt.store.files.remove(fileId);
        throw new ConflictError('The answer call was queued meanwhile.', { key: 'outbound.queued-meanwhile' });
      }
      await rt.messages.collection.updateOne({ _id: messageId }, { $set: { 'review.state': 'resolved', 'review.updatedAt': new Date(), 'review.updatedBy': username } });
      await deps.audit.record({ username, action: 'answer-call-queued', messageId, detail: { answer: 'recorded' } });
      res.status(200).json({ queued: true });
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
