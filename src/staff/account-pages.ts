import Ajv from 'ajv';
import { AccountAdmin } from '../auth/account-admin';
import { STAFF_ROLES, StaffRole } from '../auth/roles';
import { normalizeUsername, USERNAME_PATTERN } from '../auth/staff-accounts';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, NotFoundError } from '../errors';
import { html } from './html';
import { csrfField, sendPage } from './layout';
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
 * Accounts, for admins: see who has access, change a role, disable or enable. Creating accounts
 * and setting passwords stays on the command line (npm run staff), so no password crosses the web.
 */
export const accountPages: StaffPages = (router, deps) => {
  const admin = new AccountAdmin(deps.rt.store, deps.rt.config.sessionSecret);
  const admins = requireRole('admin');
  deps.nav.push({ href: '/staff/accounts', label: 'Accounts', roles: ['admin'] });

  const target = (raw: unknown, self: string) => {
    const name = normalizeUsername(String(raw ?? ''));
    if (!USERNAME_PATTERN.test(name)) throw new NotFoundError('No such account.');
    // An admin cannot lock themselves out; another admin (or the command line) can.
    if (name === self) throw new BadRequestError('You cannot change your own account here; ask another admin or use npm run staff.');
    return name;
  };

  router.get('/accounts', admins, async (_req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const accounts = await admin.list();
      const now = new Date();
      const sessions = await deps.sessions.collection.find({ expiresAt: { $gt: now } });
      const live = (name: string) => sessions.filter((s) => s.username === name && new Date(s.idleExpiresAt) > now).length;
      await deps.audit.record({ username: staff.username, action: 'view-accounts' });
      sendPage(res, {
        title: 'Accounts',
        body: html`
<p>New accounts and passwords: <code>npm run staff -- add &lt;username&gt; --role admin|reviewer|viewer</code> on the server.</p>
<table class="accounts">
<thead><tr><th>User</th><th>Role</th><th>Status</th><th>Signed in</th><th>Created</th><th></th></tr></thead>
<tbody>
${accounts.map((a) => html`<tr>
  <td>${a._id}</td>
  <td>${a._id === staff.username ? a.role : html`<form method="post" action="/staff/accounts/${a._id}/role" class="inline">${csrfField(staff)}
    <select name="role" aria-label="Role of ${a._id}">${STAFF_ROLES.map((r) => html`<option value="${r}"${r === a.role ? html` selected` : ''}>${r}</option>`)}</select>
    <button type="submit" class="secondary">Change</button></form>`}</td>
  <td>${a.disabled ? html`<span class="error">disabled</span>` : 'active'}</td>
  <td>${live(a._id)} session(s)</td>
  <td>${ictDateTime(a.createdAt)}</td>
  <td>${a._id === staff.username ? html`<span class="muted">you</span>` : html`<form method="post" action="/staff/accounts/${a._id}/disabled" class="inline">${csrfField(staff)}
    <input type="hidden" name="disabled" value="${a.disabled ? 'false' : 'true'}"><button type="submit" class="secondary">${a.disabled ? 'Enable' : 'Disable'}</button></form>`}</td>
</tr>`)}
</tbody>
</table>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:username/role', admins, async (req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const name = target(req.params.username, staff.username);
      if (!validateRole(req.body)) throw new BadRequestError(`Choose a role: ${STAFF_ROLES.join(', ')}.`);
      const role = (req.body as { role: StaffRole }).role;
      const ended = await admin.setRole(name, role);
      await deps.audit.record({ username: staff.username, action: 'change-role', detail: { account: name, role, sessionsEnded: ended } });
      res.redirect(303, '/staff/accounts');
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:username/disabled', admins, async (req, res, next) => {
    try {
      const { staff } = staffLocals(res);
      const name = target(req.params.username, staff.username);
      if (!validateDisabled(req.body)) throw new BadRequestError('disabled must be true or false.');
      const disabled = (req.body as { disabled: string }).disabled === 'true';
      const ended = await admin.setDisabled(name, disabled);
      await deps.audit.record({ username: staff.username, action: disabled ? 'disable-account' : 'enable-account', detail: { account: name, sessionsEnded: ended } });
      res.redirect(303, '/staff/accounts');
    } catch (err) {
      next(err);
    }
  });
};
