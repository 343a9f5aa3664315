import { requireRole, staffLocals } from '../auth/staff-auth';
import { MessageQueries, StaffVisibleMessage } from '../messages/message-queries';
import { AUDIT_ACTIONS, AuditAction, AuditFilter } from './audit-log';
import { normalizeReference } from './find-pages';
import { html } from './html';
import { Translate, tr } from './i18n/i18n';
import { scrollBox, sendPage } from './layout';
import { ictDay } from './message-pages';
import { cambodiaDateTime } from './page-dates';
import { StaffPages } from './staff-router';

const PER_PAGE = 50;

function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** An action in the reader's words (an entry written by an older version may have a code no longer listed). */
export function actionWord(action: string, t: Translate): string {
  return isAuditAction(action) ? t(`audit.action.${action}`) : action;
}

/** Every action as [code, words], in the order of the words. */
function actionChoices(t: Translate): [string, string][] {
  return AUDIT_ACTIONS.map((a): [string, string] => [a, t(`audit.action.${a}`)]).sort((x, y) => x[1].localeCompare(y[1], t.lang));
}

/** The audit log, for admins only: who did what to which message (by its reference number), newest first. */
export const auditPages: StaffPages = (router, deps) => {
  deps.nav.push({ href: '/staff/audit', key: 'nav.audit', roles: ['admin'] });
  const messages = new MessageQueries(deps.rt.store.collection<StaffVisibleMessage>('messages'));

  router.get('/audit', requireRole('admin'), async (req, res, next) => {
    try {
      const t = tr(res);
      const q = req.query as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64).trim() : '');
      const form = { username: str(q.username), ref: normalizeReference(q.ref), action: str(q.action), from: str(q.from), to: str(q.to) };
      const page = Math.max(1, Math.min(10_000, Number.parseInt(str(q.page), 10) || 1));
      const from = ictDay(form.from, false, t);
      const to = ictDay(form.to, true, t);
      const problems = [from.problem, to.problem].filter((p): p is string => Boolean(p));
      if (from.at && to.at && from.at > to.at) problems.push(t('filter.from-after-to', { from: form.from, to: form.to }));

      const filterForm = html`<form method="get" action="/staff/audit" class="filters">
  <label><span>${t('audit.user')}</span> <input name="username" value="${form.username}" autocapitalize="none"></label>
  <label><span>${t('audit.reference')}</span> <input name="ref" value="${form.ref}" inputmode="numeric" maxlength="12"></label>
  <label><span>${t('audit.action')}</span> <select name="action"><option value="">${t('audit.any-action')}</option>${actionChoices(t).map(([code, word]) => html`<option value="${code}"${code === form.action ? html` selected` : ''}>${word}</option>`)}</select></label>
  <label><span>${t('filter.from')}</span> <input type="date" name="from" value="${form.from}"></label>
  <label><span>${t('filter.to')}</span> <input type="date" name="to" value="${form.to}"></label>
  <div class="filter-buttons"><button type="submit">${t('filter.apply')}</button> <a href="/staff/audit">${t('filter.clear')}</a></div>
</form>`;
      if (problems.length) {
        sendPage(res, { title: t('audit.title'), body: html`${filterForm}<div class="error" role="alert">${problems.map((p) => html`<p>${p}</p>`)}<p>${t('filter.fix-and-retry')}</p></div>` }, 400);
        return;
      }
      const filter: AuditFilter = { username: form.username || undefined, action: isAuditAction(form.action) ? form.action : undefined, from: from.at, to: to.at };
      if (form.ref) filter.messageIds = (await messages.findByReference(form.ref)).map((m) => m._id);
      const { entries, total } = filter.messageIds?.length === 0 ? { entries: [], total: 0 } : await deps.audit.page(filter, page, PER_PAGE);
      await deps.audit.record({ username: staffLocals(res).staff.username, action: 'view-audit-log' });
      const refs = await messages.referenceNumbers(entries.map((e) => e.messageId).filter((id): id is string => Boolean(id)));
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      const used = Object.fromEntries(Object.entries(form).filter(([, v]) => v));
      const link = (p: number) => `/staff/audit?${new URLSearchParams({ ...used, ...(p > 1 ? { page: String(p) } : {}) }).toString()}`;
      const pastTheEnd = page > pages;
      sendPage(res, {
        title: t('audit.title'),
        body: html`${filterForm}
<p>${t('audit.count', { n: total })} ${t('common.cambodia-time')}</p>
${pastTheEnd ? html`<p class="error" role="alert">${t('list.past-end', { page, pages })} <a href="${link(pages)}">${t('list.to-last-page', { pages })}</a></p>` : ''}
${scrollBox(t('audit.title'), html`<table class="audit">
<thead><tr><th scope="col">${t('audit.when')}</th><th scope="col">${t('audit.user')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.message')}</th><th scope="col">${t('audit.details')}</th></tr></thead>
<tbody>
${entries.map((e) => html`<tr>
  <td>${cambodiaDateTime(e.at, t, { seconds: true })}</td>
  <td>${e.username}</td>
  <td>${actionWord(e.action, t)}</td>
  <td>${e.messageId ? html`<a href="/staff/messages/${encodeURIComponent(e.messageId)}">${t('common.number', { ref: refs.get(e.messageId) || '—' })}</a>` : ''}</td>
  <td><code>${Object.entries(e.detail ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}${e.address ? ` (${e.address})` : ''}</code></td>
</tr>`)}
</tbody>
</table>`)}
<nav class="pager" aria-label="${t('common.pages')}">${page > 1 && !pastTheEnd ? html`<a href="${link(page - 1)}" rel="prev">← ${t('common.previous')}</a>` : ''} <span>${t('common.page-of', { page: Math.min(page, pages), pages })}</span> ${page < pages ? html`<a href="${link(page + 1)}" rel="next">${t('common.next')} →</a>` : ''}</nav>`,
      }, pastTheEnd && total > 0 ? 404 : 200);
    } catch (err) {
      next(err);
    }
  });
};
