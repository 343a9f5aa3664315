import { requireRole, staffLocals } from '../auth/staff-auth';
import { MessageQueries, StaffVisibleMessage } from '../messages/message-queries';
import { html } from './html';
import { tr } from './i18n/i18n';
import { sendPage } from './layout';
import { placeLabel } from './message-pages';
import { cambodiaDateTime } from './page-dates';
import { StaffPages } from './staff-router';
import { westernDigits } from './khmer-digits';

/** What a caller is told and types back: digits only; staff may paste it with spaces or "No.". */
export function normalizeReference(raw: unknown): string {
  return typeof raw === 'string' ? westernDigits(raw).replace(/[^0-9]/g, '').slice(0, 12) : '';
}

/**
 * Find by reference number (the box on every page) and the place lists the filter forms fill
 * in without reloading the page.
 */
export const findPages: StaffPages = (router, deps) => {
  const rt = deps.rt;
  const queries = new MessageQueries(rt.store.collection<StaffVisibleMessage>('messages'));
  const everyone = requireRole('admin', 'reviewer', 'viewer');

  router.get('/find', everyone, async (req, res, next) => {
    try {
      const t = tr(res);
      const ref = normalizeReference(req.query.ref);
      const { staff } = staffLocals(res);
      const found = ref ? await queries.findByReference(ref) : [];
      await deps.audit.record({ username: staff.username, action: 'find-message', detail: { reference: ref, found: found.length } });
      if (found.length === 1) {
        res.redirect(303, `/staff/messages/${encodeURIComponent(found[0]._id)}`);
        return;
      }
      sendPage(res, {
        title: t('find.title'),
        body: html`<form method="get" action="/staff/find" class="filters">
  <label><span>${t('find.label')}</span> <input name="ref" value="${ref}" inputmode="numeric" maxlength="12" required></label>
  <button type="submit">${t('find.button')}</button>
</form>
${!ref ? html`<p class="error" role="alert">${t('find.empty')}</p>` : found.length === 0
    ? html`<p class="error" role="alert">${t('find.none', { ref })}</p><p>${t('find.hint')}</p>`
    : html`<p>${t('find.several', { ref, n: found.length })}</p><ul>${found.map((m) => html`<li><a href="/staff/messages/${encodeURIComponent(m._id)}">${t('common.number', { ref: m.referenceNumber })}</a> · ${cambodiaDateTime(m.createdAt, t)}</li>`)}</ul>`}`,
      }, found.length ? 200 : 404);
    } catch (err) {
      next(err);
    }
  });

  /** Districts of a province or communes of a district, for the filter forms' scripts. */
  router.get('/places', everyone, (req, res) => {
    const parent = typeof req.query.parent === 'string' && /^([0-9]{2}|[0-9]{4})$/.test(req.query.parent) ? req.query.parent : '';
    const places = parent ? rt.gazetteer.childrenOf(parent) : [];
    const t = tr(res);
    res.json(places.map((p) => ({ code: p.code, name: placeLabel(p, t) })));
  });
};
