import express from 'express';
import { requireRole } from '../auth/staff-auth';
import { AudioInputError } from '../audio/telephony-conversion';
import { ANSWER_UPLOAD_MAX_BYTES, storeAnswerRecording } from '../outbound/answer-recordings';
import { CALLBACK_STATES } from '../outbound/callback-queue';
import { html } from './html';
import { csrfField, sendPage } from './layout';
import { ictDateTime } from './message-pages';
import { StaffPages } from './staff-router';

const CALLER_ID = /^[0-9a-f]{64}$/;
const MESSAGE_ID = /^[A-Za-z0-9-]{10,64}$/;
/** Recorded standard answers are the catalog prompts answer.standard.*. */
const STANDARD_ANSWER = /^answer\.standard\.[a-z0-9-]+$/;

/**
 * "Outbound calls": the callback queue with each entry's state and attempts, today's calls
 * against the budget, the pause switch (who and when, in the audit log too), and blocking a
 * caller by hashed id. No number is ever shown or entered here: the hotline calls back only
 * numbers that rang it.
 */
export const outboundPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: '/staff/outbound', label: 'Outbound calls', labelKm: 'ការហៅចេញ', roles: ['admin', 'reviewer', 'viewer'] });

  router.get('/outbound', requireRole('admin', 'reviewer', 'viewer'), async (_req, res, next) => {
    try {
      const { queue, limits } = rt.outbound;
      const viewer = res.locals.staff;
      const o = rt.config.outbound;
      const [control, placed, lines, counts, recent, blocks, awaiting] = await Promise.all([
        limits.controlState(), limits.placedToday(), limits.linesInUse(), queue.countsByState(), queue.recent(100), queue.listBlocks(), queue.awaitingAnswers(),
      ]);
      const answers = Object.entries(rt.catalog.prompts).filter(([id]) => STANDARD_ANSWER.test(id));
      const canAnswer = viewer.role === 'admin' || viewer.role === 'reviewer';
      const admin = viewer.role === 'admin';
      await deps.audit.record({ username: viewer.username, action: 'view-outbound' });
      const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      // This page may use the microphone (recording an answer); every other staff page may not.
      res.setHeader('Permissions-Policy', 'camera=(), microphone=(self), geolocation=()');
      sendPage(res, {
        title: 'Outbound calls',
        scripts: ['answer-recorder.js'],
        body: html`
<section class="outbound-status">
  <p><strong>${control.paused ? 'Paused' : 'Calling'}</strong>${control.changedBy ? html` — ${control.paused ? 'paused' : 'resumed'} by ${control.changedBy} at ${ictDateTime(control.changedAt!)}` : ''}</p>
  ${admin ? html`<form method="post" action="/staff/outbound/${control.paused ? 'resume' : 'pause'}">${csrfField(viewer)}<button type="submit">${control.paused ? 'Resume outbound calling' : 'Pause all outbound calling'}</button></form>` : ''}
  <p>Today: <strong>${placed}</strong> of ${o.dailyBudget} calls in the daily budget. Lines in use: ${lines} of ${o.maxConcurrent}.
  At most ${o.maxPerMinute} calls started a minute, between ${hhmm(o.callingHours.startMinute)} and ${hhmm(o.callingHours.endMinute)} Cambodia time; ${o.maxAttempts} tries per callback.</p>
  ${o.fromNumber ? '' : html`<p class="error">OUTBOUND_FROM_NUMBER is not set: callbacks are queued but none is placed. Set it to the hotline's number at the carrier.</p>`}
</section>
<table class="outbound-counts"><thead><tr>${CALLBACK_STATES.map((s) => html`<th>${s}</th>`)}</tr></thead>
<tbody><tr>${CALLBACK_STATES.map((s) => html`<td>${counts[s]}</td>`)}</tr></tbody></table>
<h2>Messages waiting for their answer call</h2>
<p>These callers asked to be called back with the answer to their voice message. Choose the recorded answer: the message is marked resolved and the hotline calls them in their language.</p>
<ul class="awaiting-answers">${awaiting.map((e) => html`<li><a href="/staff/messages/${encodeURIComponent(e.messageId ?? '')}">message ${e.messageId}</a> (${e.language ?? ''}, asked ${ictDateTime(e.createdAt)})
  ${canAnswer ? html`<form method="post" action="/staff/outbound/answer" class="inline">${csrfField(viewer)}<input type="hidden" name="messageId" value="${e.messageId ?? ''}">
  <select name="answer">${answers.map(([id, p]) => html`<option value="${id}">${p.text.en}</option>`)}</select> <button type="submit">Resolve and call back</button></form>
  or <button type="button" class="record-answer" data-message="${e.messageId ?? ''}">Record a short answer</button> <span class="record-status" data-message="${e.messageId ?? ''}"></span>` : ''}</li>`)}</ul>
<h2>Queue (newest 100)</h2>
<table class="outbound-queue">
<thead><tr><th>Queued (Cambodia time)</th><th>Kind</th><th>Caller (hashed)</th><th>State</th><th>Attempts</th><th>Last status</th><th>Next try</th><th>Outcome</th></tr></thead>
<tbody>
${recent.map((e) => html`<tr>
  <td>${ictDateTime(e.createdAt)}</td><td>${e.kind}</td><td><code class="caller-id">${e.callerId}</code></td>
  <td>${e.state}</td><td>${e.attempts}</td><td>${e.lastStatus ?? ''}${e.lastError ? html` <span class="error">${e.lastError}</span>` : ''}</td>
  <td>${e.nextAttemptAt && (e.state === 'queued' || e.state === 'retry') ? ictDateTime(e.nextAttemptAt) : ''}</td><td>${e.outcome ?? ''}</td>
</tr>`)}
</tbody>
</table>
<h2>Blocked callers</h2>
${admin ? html`<form method="post" action="/staff/outbound/block" class="filters">${csrfField(viewer)}
  <label>Caller id (the 64-character hashed id) <input name="callerId" required pattern="[0-9a-f]{64}" maxlength="64"></label>
  <button type="submit">Block callbacks</button></form>` : ''}
<ul>${blocks.map((b) => html`<li><code>${b._id}</code> by ${b.by} at ${ictDateTime(b.at)}
  ${admin ? html`<form method="post" action="/staff/outbound/unblock" class="inline">${csrfField(viewer)}<input type="hidden" name="callerId" value="${b._id}"><button type="submit">Unblock</button></form>` : ''}</li>`)}</ul>`,
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
        res.status(400).type('text/plain').send('Bad request: choose a message and one of the recorded standard answers.\n');
        return;
      }
      const username = res.locals.staff.username;
      if (!(await rt.outbound.queue.queueAnswer(messageId, { promptId: answer }, username))) {
        res.status(409).type('text/plain').send('This caller did not ask for an answer call, or it is already queued. Reload the page.\n');
        return;
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
        res.status(400).type('text/plain').send('Bad request: a message id and a recording are needed.\n');
        return;
      }
      const entry = await rt.outbound.queue.awaitingAnswerFor(messageId);
      if (!entry) {
        res.status(409).type('text/plain').send('This caller did not ask for an answer call, or it is already queued. Reload the page.\n');
        return;
      }
      let fileId: string;
      try {
        fileId = await storeAnswerRecording(rt.store, entry._id, upload);
      } catch (err) {
        if (!(err instanceof AudioInputError)) throw err;
        res.status(400).type('text/plain').send(`The recording cannot be used: ${err.message}. Record it again, closer to the microphone.\n`);
        return;
      }
      const username = res.locals.staff.username;
      if (!(await rt.outbound.queue.queueAnswer(messageId, { fileId }, username))) {
        await rt.store.files.remove(fileId);
        res.status(409).type('text/plain').send('This answer call was queued meanwhile by someone else. Reload the page.\n');
        return;
      }
      await rt.messages.collection.updateOne({ _id: messageId }, { $set: { 'review.state': 'resolved', 'review.updatedAt': new Date(), 'review.updatedBy': username } });
      await deps.audit.record({ username, action: 'answer-call-queued', messageId, detail: { answer: 'recorded' } });
      res.status(200).json({ queued: true });
    } catch (err) {
      next(err);
    }
  });

  for (const block of [true, false]) {
    router.post(`/outbound/${block ? 'block' : 'unblock'}`, requireRole('admin'), async (req, res, next) => {
      try {
        const callerId = typeof req.body?.callerId === 'string' ? req.body.callerId.trim().toLowerCase() : '';
        if (!CALLER_ID.test(callerId)) {
          res.status(400).type('text/plain').send('Bad request: give the caller\'s hashed id (64 characters 0-9 a-f), as shown on the messages and outbound pages. Phone numbers are not accepted.\n');
          return;
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
