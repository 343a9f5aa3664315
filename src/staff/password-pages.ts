import { lazyAjv } from '../schema-validation';
import { Request, Response } from 'express';
import { AccountAdmin } from '../auth/account-admin';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from '../auth/passwords';
import { SESSION_ABSOLUTE_MS } from '../auth/sessions';
import { addressOf, safeNext, sessionCookie, staffLocals, STAFF_PATH } from '../auth/staff-auth';
import { AppError } from '../errors';
import { html } from './html';
import { tr } from './i18n/i18n';
import { csrfField, sendPage } from './layout';
import { StaffPages } from './staff-router';

const validatePasswordForm = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['current', 'password', 'repeat'],
  additionalProperties: false,
  properties: {
    _csrf: { type: 'string' },
    current: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH + 1 },
    repeat: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH + 1 },
    next: { type: 'string', maxLength: 300 },
  },
});

/**
 * Every staff member changes their own password here, and must when an admin gave them a
 * temporary one (a new account, a reset: src/staff/account-pages.ts): until then the session
 * reaches nothing else (requireOwnPassword in src/auth/staff-auth.ts). The current password is
 * checked like a sign-in (counted by the sign-in limits, bounded by the password-check gate);
 * the change signs the person out everywhere else and this browser gets a fresh session.
 * Passwords are never logged, audited or shown back in a form.
 */
export const passwordPages: StaffPages = (router, deps) => {
  const admin = new AccountAdmin(deps.rt.store, deps.rt.config.sessionSecret);

  const form = (req: Request, res: Response, opts: { error?: string; next?: string } = {}, status = 200) => {
    const t = tr(res);
    const { staff, session } = staffLocals(res);
    const next = opts.next ?? (typeof req.query.next === 'string' ? safeNext(req.query.next) : '');
    const temporary = Boolean(session.mustChangePassword);
    sendPage(res, {
      title: t('password.title'),
      body: html`
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
${!opts.error && req.query.changed === '1' ? html`<p class="notice" role="status">${t('password.changed')}</p>` : ''}
${temporary ? html`<p class="notice">${t('password.temporary-notice')}</p>` : ''}
<form method="post" action="${STAFF_PATH}/password" class="password-form">${csrfField(staff)}
  <input type="hidden" name="_return" value="${STAFF_PATH}/password">
  ${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
  <input type="text" name="username" value="${staff.username}" autocomplete="username" hidden>
  <label>${temporary ? t('password.temporary') : t('password.current')} <input name="current" type="password" autocomplete="current-password" required maxlength="${MAX_PASSWORD_LENGTH}"></label>
  <label>${t('password.new')} <input name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}" aria-describedby="password-rules"></label>
  <p id="password-rules" class="hint">${t('password.rules', { min: MIN_PASSWORD_LENGTH })}</p>
  <label>${t('password.repeat')} <input name="repeat" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}"></label>
  <button type="submit">${t('password.button')}</button>
</form>`,
    }, status);
  };

  router.get('/password', (req, res) => form(req, res));

  router.post('/password', async (req, res, next) => {
    try {
      const t = tr(res);
      const { session } = staffLocals(res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      // The hidden username field is only there for password managers.
      delete body.username;
      const back = typeof body.next === 'string' ? safeNext(body.next) : '';
      const again = (error: string, status: number) => form(req, res, { error, next: back }, status);
      if (!validatePasswordForm(body)) return again(t('password.incomplete'), 400);
      const { current, password, repeat } = body as { current: string; password: string; repeat: string };
      if (password !== repeat) return again(t('password.differ'), 400);
      try {
        AccountAdmin.checkPassword(password, session.username);
      } catch (err) {
        if (err instanceof AppError && err.messageKey) return again(t(err.messageKey, err.messageVars), 400);
        throw err;
      }
      if (password === current) return again(t('password.same'), 400);

      // The current password is checked as a sign-in is: counted first, then checked if a slot is free.
      const address = addressOf(req);
      const verdict = await deps.throttle.attempt(session.username, address);
      if (verdict.locked) {
        await deps.audit.recordRepeated({ username: session.username, action: 'change-own-password-locked', address, detail: { reason: verdict.reason ?? '' } });
        return again(t('password.locked'), 429);
      }
      const checked = await deps.passwordChecks.run(async () => {
        const account = await deps.accounts.find(session.username);
        return { account, ok: account ? await verifyPassword(current, account.passwordHash) : false };
      });
      if (checked === 'busy') {
        await deps.throttle.takeBack(verdict);
        res.setHeader('Retry-After', '5');
        return again(t('sign-in.busy'), 429);
      }
      if (!checked.account || checked.account.disabled || !checked.ok) {
        await deps.audit.record({ username: session.username, action: 'change-own-password-failed', address });
        return again(t('password.wrong-current'), 400);
      }
      await deps.throttle.takeBack(verdict);
      // Ends every session of the account, this one too: this browser gets a fresh one.
      const ended = await admin.changePassword(session.username, password);
      const { token } = await deps.sessions.create(checked.account._id, checked.account.role);
      res.append('Set-Cookie', sessionCookie(token, deps.secureCookie, Math.floor(SESSION_ABSOLUTE_MS / 1000)));
      await deps.audit.record({ username: session.username, action: 'change-own-password', address, detail: { sessionsEnded: ended, wasTemporary: Boolean(session.mustChangePassword) } });
      deps.rt.logger.info({ username: session.username }, 'staff password changed');
      res.redirect(303, back || `${STAFF_PATH}/password?changed=1`);
    } catch (err) {
      next(err);
    }
  });
};
