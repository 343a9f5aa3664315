import { requireRole } from '../auth/staff-auth';
import { html } from './html';
import { sendPage } from './layout';
import { StaffPages } from './staff-router';

/** The voice messages: list with filters, detail with review state and notes, and the audio. */
export const messagePages: StaffPages = (router, deps) => {
  deps.nav.push({ href: '/staff/messages', label: 'Messages', labelKm: 'សារ', roles: ['admin', 'reviewer', 'viewer'] });

  router.get('/messages', requireRole('admin', 'reviewer', 'viewer'), async (_req, res) => {
    sendPage(res, { title: 'Voice messages', body: html`<p>Messages list (being built).</p>` });
  });
};
