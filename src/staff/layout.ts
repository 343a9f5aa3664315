import { Response } from 'express';
import { StaffRole } from '../auth/roles';
import { html, SafeHtml } from './html';

/** One entry of the navigation bar; modules that add pages push theirs (see staff-router.ts). */
export interface NavItem {
  href: string;
  label: string;
  /** Khmer label shown beside the English one. */
  labelKm?: string;
  roles: readonly StaffRole[];
}

/** Who is looking at the page, set on res.locals.staff by the session middleware. */
export interface StaffViewer {
  username: string;
  role: StaffRole;
  csrfToken: string;
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Language of the page's own text; Khmer fragments carry lang="km" themselves. */
  lang?: string;
  /** Extra external scripts under /staff/static (CSP forbids inline scripts). */
  scripts?: string[];
  nav?: readonly NavItem[];
  viewer?: StaffViewer;
}

/** A <span lang="km"> so browsers pick a Khmer font and screen readers the right voice. */
export function km(text: string | undefined): SafeHtml {
  return text ? html`<span lang="km" class="km">${text}</span>` : html``;
}

/** A hidden CSRF field for every state-changing form. */
export function csrfField(viewer: StaffViewer | undefined): SafeHtml {
  return viewer ? html`<input type="hidden" name="_csrf" value="${viewer.csrfToken}">` : html``;
}

/**
 * The staff page shell: readable on a phone (viewport meta, one column under 40em), Khmer fonts
 * first in the stack, all styling and scripts from /staff/static so the CSP can forbid inline code.
 */
export function renderPage(opts: PageOptions): string {
  const viewer = opts.viewer;
  const nav = (opts.nav ?? []).filter((n) => viewer && n.roles.includes(viewer.role));
  const page = html`<!doctype html>
<html lang="${opts.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${viewer ? html`<meta name="csrf-token" content="${viewer.csrfToken}">` : ''}
<title>${opts.title} · Hotline staff</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/staff/static/staff.css">
${(opts.scripts ?? []).map((s) => html`<script src="/staff/static/${s}" defer></script>`)}
</head>
<body>
<header class="top">
  <a class="brand" href="/staff/messages">Hotline <span lang="km" class="km">ខ្សែទូរស័ព្ទ</span></a>
  ${nav.length ? html`<nav>${nav.map((n) => html`<a href="${n.href}">${n.label}${n.labelKm ? html` ${km(n.labelKm)}` : ''}</a>`)}</nav>` : ''}
  ${viewer ? html`<form class="signout" method="post" action="/staff/sign-out">${csrfField(viewer)}<span class="who">${viewer.username} (${viewer.role})</span> <button type="submit">Sign out</button></form>` : ''}
</header>
<main>
<h1>${opts.title}</h1>
${opts.body}
</main>
</body>
</html>
`;
  return page.value;
}

/** Sends a page with the viewer and navigation the session middleware put on res.locals. */
export function sendPage(res: Response, opts: Omit<PageOptions, 'viewer' | 'nav'>, status = 200): void {
  const locals = res.locals as { staff?: StaffViewer; nav?: readonly NavItem[] };
  res.status(status).type('html').send(renderPage({ ...opts, viewer: locals.staff, nav: locals.nav }));
}
