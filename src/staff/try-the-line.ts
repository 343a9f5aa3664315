import { requireRole } from '../auth/staff-auth';
import { html } from './html';
import { sendPage } from './layout';
import { StaffPages } from './staff-router';

/** Try the line: a keypad in the browser that runs a test call through the real webhooks. */
export const tryTheLinePages: StaffPages = (router, deps) => {
  deps.nav.push({ href: '/staff/try-the-line', label: 'Try the line', roles: ['admin', 'reviewer', 'viewer'] });

  router.get('/try-the-line', requireRole('admin', 'reviewer', 'viewer'), (_req, res) => {
    sendPage(res, { title: 'Try the line', body: html`<p>Keypad (being built).</p>` });
  });
};
