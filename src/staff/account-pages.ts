import { lazyAjv } from '../schema-validation';
import { Response } from 'express';
import { AccountAdmin } from '../auth/account-admin';
import { STAFF_ROLES, StaffRole } from '../auth/roles';
import { normalizeUsername, temporaryPasswordExpired, USERNAME_PATTERN } from '../auth/staff-accounts';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { html } from './html';
import { tr } from './i18n/i18n';
import { csrfField, scrollBox, sendPage } from './layout';
import { cambodiaDateTime, isoInstant } from './page-dates';
import { StaffPages } from './staff-router';

const ajv = lazyAjv({ allErrors: true });
const validateRole = ajv.compile({
  type: 'object', required: ['role'], additionalProperties: false,
  properties: { role: { enum: [...STAFF_ROLES] }, _csrf: { type: 'string' } },
});
const validateNewAccount = ajv.compile({
  type: 'object', required: ['username', 'role'], additionalProperties: false,
  properties: { username: { type: 'string', maxLength: 64 }, role: { enum: [...STAFF_ROLES] }, _csrf: { type: 'string' } },
});
const validateDisabled = ajv.compile({
  type: 'object', required: ['disabled'], additionalProperties: false,
  properties: { disabled: { enum: ['true', 'false'] }, _csrf: { type: 'string' } },
});

/**
 * Accounts, for admins: see who has access, create an account, reset a forgotten password,
 * change a role, disable or enable, and unlock an account that failed sign-ins have locked; all
 * audited. A new account and a reset get a temporary password, shown to the admin once and
 * stored only as its hash; the person must choose their own at the next sign-in
 * (src/staff/password-pages.ts). The command line (npm run staff) stays for the first admin.
 */
export const accountPages: StaffPages = (router, deps) => {
  const admin = new AccountAdmin(deps.rt.store, deps.rt.config.sessionSecret);
  const admins = requireRole('admin');
  deps.nav.push({ href: '/staff/accounts', key: 'nav.accounts', roles: ['admin'] });

  const target = (raw: unknown, self: string) => {
    const name = normalizeUsername(String(raw ?? ''));
    if (!USERNAME_PATTERN.test(name)) throw new NotFoundError('No such account.', { key: 'accounts.not-found' });
    // An admin cannot lock themselves out; another admin (or the command line) can.
    if (name === self) throw new BadRequestError('You cannot change your own account here; ask another admin or use npm run staff.', { key: 'accounts.not-yourself' });
    return name;
  };
  /** Another person's account that exists (404 otherwise). */
  const existing = async (raw: unknown, self: string) => {
    const name = target(raw, self);
    if (!(await admin.accounts.find(name))) throw new NotFoundError('No such account.', { key: 'accounts.not-found' });
    return name;
  };

  /** The list, with the new-account form (its problem and the values typed, when sent back). */
  const listPage = async (res: Response, form: { error?: string; username?: string; role?: StaffRole } = {}, status = 200) => {
    const t = tr(res);
    const { staff } = staffLocals(res);
    const accounts = await admin.list();
    const now = new Date();
    const sessions = await deps.sessions.collection.find({ expiresAt: { $gt: now } });
    const live = (name: string) => sessions.filter((s) => s.username === name && new Date(s.idleExpiresAt) > now).length;
    const locks = await admin.throttle.locks(accounts.map((a) => a._id));
    // Failed sign-ins have locked the account somewhere: say where, with the unlock button.
    const lockNote = (name: string) => {
      const l = locks.get(name);
      if (!l) return '';
      return html`<br><span class="error">${l.fromNewPlaces ? t('accounts.locked-new-places') : t('accounts.locked-places', { n: l.places })}</span>
<form method="post" action="/staff/accounts/${name}/unlock" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts"><button type="submit" class="secondary">${t('accounts.unlock')}<span class="visually-hidden"> ${name}</span></button></form>`;
    };
    const chosenRole = form.role ?? 'reviewer';
    sendPage(res, {
      title: t('accounts.title'),
      body: html`
${scrollBox(t('accounts.title'), html`<table class="accounts">
<thead><tr><th scope="col">${t('accounts.user')}</th><th scope="col">${t('accounts.role')}</th><th scope="col">${t('accounts.status')}</th><th scope="col">${t('accounts.sessions')}</th><th scope="col">${t('accounts.created')}</th><th scope="col">${t('accounts.actions')}</th></tr></thead>
<tbody>
${accounts.map((a) => html`<tr data-account="${a._id}">
  <th scope="row">${a._id}</th>
  <td>${a._id === staff.username ? t(`role.${a.role}`) : html`<form method="post" action="/staff/accounts/${a._id}/role" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
    <select name="role" aria-label="${t('accounts.role-of', { user: a._id })}">${STAFF_ROLES.map((r) => html`<option value="${r}"${r === a.role ? html` selected` : ''}>${t(`role.${r}`)}</option>`)}</select>
    <button type="submit" class="secondary">${t('accounts.change')}<span class="visually-hidden"> ${a._id}</span></button></form>`}</td>
  <td>${a.disabled ? html`<span class="error">${t('accounts.disabled')}</span>` : t('accounts.active')}${a.mustChangePassword ? html`<br><span class="muted">${temporaryPasswordExpired(a) ? t('accounts.temporary-expired') : t('accounts.must-change')}</span>` : ''}${lockNote(a._id)}</td>
  <td>${t('accounts.session-count', { n: live(a._id) })}</td>
  <td><time datetime="${isoInstant(a.createdAt)}">${cambodiaDateTime(a.createdAt, t)}</time></td>
  <td>${a._id === staff.username ? html`<a class="button-link" href="/staff/password">${t('accounts.own-password')}</a>` : html`<div class="account-actions">${a.disabled
    ? html`<form method="post" action="/staff/accounts/${a._id}/disabled" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts"><input type="hidden" name="disabled" value="false"><button type="submit" class="secondary">${t('accounts.enable')}<span class="visually-hidden"> ${a._id}</span></button></form>`
    : html`<a class="button-link" href="/staff/accounts/${a._id}/disable">${t('accounts.disable')}<span class="visually-hidden"> ${a._id}</span></a>`}
    <a class="button-link" href="/staff/accounts/${a._id}/reset-password">${t('accounts.reset')}<span class="visually-hidden"> ${a._id}</span></a></div>`}</td>
</tr>`)}
</tbody>
</table>`)}
<h2 id="new-account">${t('accounts.new-title')}</h2>
${form.error ? html`<p class="error" role="alert" id="new-account-error">${form.error}</p>` : ''}
<form method="post" action="/staff/accounts" class="new-account" aria-labelledby="new-account">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
  <label>${t('accounts.new-username')} <input name="username" required maxlength="32" autocomplete="off" autocapitalize="none" spellcheck="false" value="${form.username ?? ''}" aria-describedby="new-username-hint${form.error ? ' new-account-error' : ''}"${form.error ? html` aria-invalid="true"` : ''}></label>
  <label>${t('accounts.role')} <select name="role">${STAFF_ROLES.map((r) => html`<option value="${r}"${r === chosenRole ? html` selected` : ''}>${t(`role.${r}`)}</option>`)}</select></label>
  <button type="submit">${t('accounts.create')}</button>
</form>
<p id="new-username-hint" class="hint">${t('accounts.new-username-hint')}</p>
<p class="muted">${t('accounts.cli')} <code>npm run staff -- add &lt;username&gt; --role admin</code></p>`,
    }, status);
  };

  /** A temporary password, shown this once; the page is never cached (Cache-Control: no-store on every staff page). */
  const temporaryPasswordPage = (res: Response, opts: { title: string; lead: string; user: string; password: string }) => {
    const t = tr(res);
    sendPage(res, {
      title: opts.title,
      body: html`<p role="status">${opts.lead}</p>
<p class="temporary-password"><code translate="no">${opts.password}</code></p>
<p>${t('accounts.shown-once', { user: opts.user })}</p>
<p><a class="button-link" href="/staff/accounts">${t('accounts.back')}</a></p>`,
    });
  };

  router.get('/accounts', admins, async (_req, res, next) => {
    try {
      await deps.audit.record({ username: staffLocals(res).staff.username, action: 'view-accounts' });
      await listPage(res);
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts', admins, async (req, res, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const body = (req.body ?? {}) as { username?: unknown; role?: unknown };
      const typed = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
      if (!validateNewAccount(req.body)) {
        await listPage(res, { error: t('accounts.new-incomplete'), username: typed }, 400);
        return;
      }
      const role = body.role as StaffRole;
      let created: Awaited<ReturnType<AccountAdmin['addWithTemporaryPassword']>>;
      try {
        created = await admin.addWithTemporaryPassword(typed, role);
      } catch (err) {
        // A bad or taken username: the form again, with what was typed and why.
        if (err instanceof BadRequestError && err.messageKey) {
          await listPage(res, { error: t(err.messageKey, err.messageVars), username: typed, role }, 400);
          return;
        }
        throw err;
      }
      const name = created.account._id;
      await deps.audit.record({ username: staff.username, action: 'add-account', detail: { account: name, role, temporaryPassword: true } });
      deps.rt.logger.info({ by: staff.username, account: name, role }, 'staff account created');
      temporaryPasswordPage(res, {
        title: t('accounts.created-title', { user: name }),
        lead: t('accounts.created-text', { user: name, role: t(`role.${role}`) }),
        user: name,
        password: created.temporaryPassword,
      });
    } catch (err) {
      next(err);
    }
  });

  /** A reset signs the person out and their password stops working: ask first, on a page of its own. */
  router.get('/accounts/:username/reset-password', admins, async (req, res, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const name = await existing(req.params.username, staff.username);
      sendPage(res, {
        title: t('accounts.reset-confirm-title', { user: name }),
        body: html`<p>${t('accounts.reset-confirm-text', { user: name })}</p>
<form method="post" action="/staff/accounts/${name}/password" class="confirm">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
  <button type="submit" class="danger">${t('accounts.reset-confirm-button', { user: name })}</button>
  <a class="button-link" href="/staff/accounts">${t('accounts.cancel')}</a>
</form>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:username/password', admins, async (req, res, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const name = await existing(req.params.username, staff.username);
      const { temporaryPassword, sessionsEnded } = await admin.resetPassword(name);
      await deps.audit.record({ username: staff.username, action: 'reset-password', detail: { account: name, sessionsEnded } });
      deps.rt.logger.info({ by: staff.username, account: name, sessionsEnded }, 'staff password reset');
      temporaryPasswordPage(res, {
        title: t('accounts.reset-title', { user: name }),
        lead: t('accounts.reset-text', { user: name, n: sessionsEnded }),
        user: name,
        password: temporaryPassword,
      });
    } catch (err) {
      next(err);
    }
  });

  /** Disabling ends the person's sessions at once: ask first, on a page of its own (works without scripts). */
  router.get('/accounts/:username/disable', admins, async (req, res, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const name = await existing(req.params.username, staff.username);
      sendPage(res, {
        title: t('accounts.confirm-title', { user: name }),
        body: html`<p>${t('accounts.confirm-text', { user: name })}</p>
<form method="post" action="/staff/accounts/${name}/disabled" class="confirm">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
  <input type="hidden" name="disabled" value="true">
  <button type="submit" class="danger">${t('accounts.confirm-button', { user: name })}</button>
  <a class="button-link" href="/staff/accounts">${t('accounts.cancel')}</a>
</form>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:username/role', admins, async (req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const name = target(req.params.username, staff.username);
      if (!validateRole(req.body)) throw new BadRequestError(`Choose a role: ${STAFF_ROLES.join(', ')}.`, { key: 'accounts.choose-role' });
      const role = (req.body as { role: StaffRole }).role;
      const ended = await admin.setRole(name, role);
      await deps.audit.record({ username: staff.username, action: 'change-role', detail: { account: name, role, sessionsEnded: ended } });
      res.redirect(303, '/staff/accounts');
    } catch (err) {
      next(err);
    }
  });

  /** Unlocking only clears failure counts (no access is given), so it needs no confirmation and may be one's own. */
  router.post('/accounts/:username/unlock', admins, async (req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const name = normalizeUsername(String(req.params.username ?? ''));
      if (!USERNAME_PATTERN.test(name)) throw new NotFoundError('No such account.', { key: 'accounts.not-found' });
      const cleared = await admin.unlock(name);
      await deps.audit.record({ username: staff.username, action: 'unlock-account', detail: { account: name, countsCleared: cleared } });
      res.redirect(303, '/staff/accounts');
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:username/disabled', admins, async (req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const name = target(req.params.username, staff.username);
      if (!validateDisabled(req.body)) throw new BadRequestError('disabled must be true or false.', { key: 'accounts.disabled-value' });
      const disabled = (req.body as { disabled: string }).disabled === 'true';
      const ended = await admin.setDisabled(name, disabled);
      await deps.audit.record({ username: staff.username, action: disabled ? 'disable-account' : 'enable-account', detail: { account: name, sessionsEnded: ended } });
      res.redirect(303, '/staff/accounts');
    } catch (err) {
      next(err);
    }
  });
};
