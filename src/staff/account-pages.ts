import Ajv from 'ajv';
import { AccountAdmin } from '../auth/account-admin';
import { STAFF_ROLES, StaffRole } from '../auth/roles';
import { normalizeUsername, USERNAME_PATTERN } from '../auth/staff-accounts';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { html } from './html';
import { tr } from './i18n/i18n';
import { csrfField, scrollBox, sendPage } from './layout';
import { ictDateTime } from './message-pages';
import { StaffPages } from './staff-router';

const ajv = new Ajv({ allErrors: true });
const validateRole = ajv.compile({
  type: 'object', required: ['role'], additionalProperties: false,
  properties: { role: { enum: [...STAFF_ROLES] }, _csrf: { type: 'string' } },
});
const validateDisabled = ajv.compile({
  type: 'object', required: ['disabled'], additionalProperties: false,
  properties: { disabled: { enum: ['true', 'false'] }, _csrf: { type: 'string' } },
});

/**
 * Accounts, for admins: see who has access, change a role, disable or enable, and unlock an
 * account that failed sign-ins have locked (audited). Creating accounts
 * and setting passwords stays on the command line (npm run staff), so no password crosses the web.
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

  router.get('/accounts', admins, async (_req, res, next) => {
    try {
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
<form method="post" action="/staff/accounts/${name}/unlock" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts"><button type="submit" class="secondary">${t('accounts.unlock')}</button></form>`;
      };
      await deps.audit.record({ username: staff.username, action: 'view-accounts' });
      sendPage(res, {
        title: t('accounts.title'),
        body: html`
<p>${t('accounts.cli')} <code>npm run staff -- add &lt;username&gt; --role admin|reviewer|viewer</code></p>
${scrollBox(t('accounts.title'), html`<table class="accounts">
<thead><tr><th scope="col">${t('accounts.user')}</th><th scope="col">${t('accounts.role')}</th><th scope="col">${t('accounts.status')}</th><th scope="col">${t('accounts.sessions')}</th><th scope="col">${t('accounts.created')}</th><th scope="col">${t('accounts.actions')}</th></tr></thead>
<tbody>
${accounts.map((a) => html`<tr>
  <th scope="row">${a._id}</th>
  <td>${a._id === staff.username ? t(`role.${a.role}`) : html`<form method="post" action="/staff/accounts/${a._id}/role" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
    <select name="role" aria-label="${t('accounts.role-of', { user: a._id })}">${STAFF_ROLES.map((r) => html`<option value="${r}"${r === a.role ? html` selected` : ''}>${t(`role.${r}`)}</option>`)}</select>
    <button type="submit" class="secondary">${t('accounts.change')}</button></form>`}</td>
  <td>${a.disabled ? html`<span class="error">${t('accounts.disabled')}</span>` : t('accounts.active')}${lockNote(a._id)}</td>
  <td>${t('accounts.session-count', { n: live(a._id) })}</td>
  <td>${ictDateTime(a.createdAt)}</td>
  <td>${a._id === staff.username ? html`<span class="muted">${t('accounts.you')}</span>` : a.disabled
    ? html`<form method="post" action="/staff/accounts/${a._id}/disabled" class="inline">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts"><input type="hidden" name="disabled" value="false"><button type="submit" class="secondary">${t('accounts.enable')}</button></form>`
    : html`<a class="button-link" href="/staff/accounts/${a._id}/disable">${t('accounts.disable')}</a>`}</td>
</tr>`)}
</tbody>
</table>`)}`,
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
      const name = target(req.params.username, staff.username);
      const account = (await admin.list()).find((a) => a._id === name);
      if (!account) throw new NotFoundError('No such account.', { key: 'accounts.not-found' });
      sendPage(res, {
        title: t('accounts.confirm-title', { user: name }),
        body: html`<p>${t('accounts.confirm-text', { user: name })}</p>
<form method="post" action="/staff/accounts/${name}/disabled" class="confirm">${csrfField(staff)}<input type="hidden" name="_return" value="/staff/accounts">
  <input type="hidden" name="disabled" value="true">
  <button type="submit" class="danger">${t('accounts.confirm-button', { user: name })}</button>
  <a href="/staff/accounts">${t('accounts.cancel')}</a>
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
