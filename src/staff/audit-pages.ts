import { requireRole } from '../auth/staff-auth';
import { html } from './html';
import { sendPage } from './layout';
import { ictDateTime } from './message-pages';
import { StaffPages } from './staff-router';

const PER_PAGE = 50;

/** The audit log, for admins only: who did what to which message, newest first. */
export const auditPages: StaffPages = (router, deps) => {
  deps.nav.push({ href: '/staff/audit', label: 'Audit log', roles: ['admin'] });

  router.get('/audit', requireRole('admin'), async (req, res, next) => {
    try {
      const q = req.query as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64) : '');
      const filter = { username: str(q.username), messageId: str(q.message), action: str(q.action) };
      const page = Math.max(1, Math.min(10_000, Number.parseInt(str(q.page), 10) || 1));
      const { entries, total } = await deps.audit.page(filter, page, PER_PAGE);
      await deps.audit.record({ username: res.locals.staff.username, action: 'view-audit-log' });
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const link = (p: number) => `/staff/audit?${new URLSearchParams({ ...filter, page: String(p) }).toString()}`;
      sendPage(res, {
        title: 'Audit log',
        body: html`
<form method="get" action="/staff/audit" class="filters">
  <label>User <input name="username" value="${filter.username}"></label>
  <label>Message <input name="message" value="${filter.messageId}"></label>
  <label>Action <input name="action" value="${filter.action}"></label>
  <button type="submit">Filter</button>
</form>
<p>${total} entries.</p>
<table class="audit">
<thead><tr><th>When (Cambodia time)</th><th>Who</th><th>What</th><th>Message</th><th>Details</th></tr></thead>
<tbody>
${entries.map((e) => html`<tr>
  <td>${ictDateTime(e.at, true)}</td>
  <td>${e.username}</td>
  <td>${e.action}</td>
  <td>${e.messageId ? html`<a href="/staff/messages/${encodeURIComponent(e.messageId)}">${e.messageId}</a>` : ''}</td>
  <td>${Object.entries(e.detail ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}${e.address ? ` (${e.address})` : ''}</td>
</tr>`)}
</tbody>
</table>
<p class="pager">${page > 1 ? html`<a href="${link(page - 1)}">← Newer</a>` : ''} Page ${page} of ${pages} ${page < pages ? html`<a href="${link(page + 1)}">Older →</a>` : ''}</p>`,
      });
    } catch (err) {
      next(err);
    }
  });
};
