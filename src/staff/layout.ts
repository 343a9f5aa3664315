import { Response } from 'express';
import { StaffRole } from '../auth/roles';
import { html, SafeHtml } from './html';
import { StaffLanguage, Translate, tr, translator } from './i18n/i18n';

/** One entry of the navigation bar; modules that add pages push theirs (see staff-router.ts). */
export interface NavItem {
  href: string;
  /** Catalog key of the label (src/staff/i18n/messages.json); preferred. */
  key?: string;
  /** Label when there is no key yet. */
  label?: string;
  /** Khmer label shown beside `label` (only without a key). */
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
  /** Extra external scripts under /staff/static (CSP forbids inline scripts). */
  scripts?: string[];
  nav?: readonly NavItem[];
  viewer?: StaffViewer;
  /** The page's language and words; English when absent. */
  t?: Translate;
  /** Path and query of this page: marks the current menu entry and brings the reader back after a language change. */
  currentUrl?: string;
}

/** A <span lang="km"> so browsers pick a Khmer font and screen readers the right voice. */
export function km(text: string | undefined): SafeHtml {
  return text ? html`<span lang="km" class="km">${text}</span>` : html``;
}

/** A name in Latin script (place, service, language): marked English on a Khmer page so screen readers switch voice. */
export function latin(text: string | undefined, t: Translate): SafeHtml {
  return t.lang === 'en' ? html`<span class="latin">${text}</span>` : html`<span class="latin" lang="en">${text}</span>`;
}

/**
 * A server's or carrier's own words (English, technical: "HTTP 404 ...") under a summary in the
 * reader's language: the page says what happened in its own words first, this is for whoever fixes it.
 */
export function technicalDetail(text: string, t: Translate): SafeHtml {
  return html` <details class="technical-detail"><summary>${t('common.technical-detail')}</summary><code lang="en">${text}</code></details>`;
}

/** A hidden CSRF field for every state-changing form. */
export function csrfField(viewer: StaffViewer | undefined): SafeHtml {
  return viewer ? html`<input type="hidden" name="_csrf" value="${viewer.csrfToken}">` : html``;
}

/** A wide table in a box that scrolls sideways on a phone; focusable so the keyboard can scroll it. */
export function scrollBox(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

/** The sign-in page in the other language, keeping where the reader was going (its `next`). */
function signInInLanguage(currentUrl: string | undefined, lang: StaffLanguage): string {
  const url = new URL(currentUrl ?? '/staff/sign-in', 'http://x');
  const params = new URLSearchParams();
  const next = url.pathname === '/staff/sign-in' ? url.searchParams.get('next') : null;
  if (next) params.set('next', next);
  params.set('lang', lang);
  return `/staff/sign-in?${params.toString()}`;
}

const navLabel = (n: NavItem, t: Translate) => (n.key ? html`${t(n.key)}` : html`${n.label ?? n.href}${n.labelKm ? html` ${km(n.labelKm)}` : ''}`);

/**
 * The staff page shell: readable on a phone (viewport meta, one column under 40em), Khmer fonts
 * first in the stack, all styling and scripts from /staff/static so the CSP can forbid inline code.
 */
export function renderPage(opts: PageOptions): string {
  const viewer = opts.viewer;
  const t = opts.t ?? translator('en');
  const nav = (opts.nav ?? []).filter((n) => viewer && n.roles.includes(viewer.role));
  const here = (opts.currentUrl ?? '').split('?')[0];
  const current = nav.reduce<NavItem | undefined>((best, n) => (here === n.href || here.startsWith(`${n.href}/`)) && (!best || n.href.length > best.href.length) ? n : best, undefined);
  const other: StaffLanguage = t.lang === 'km' ? 'en' : 'km';
  const back = opts.currentUrl && /^\/staff\/[^\s]*$/.test(opts.currentUrl) ? opts.currentUrl.slice(0, 300) : '/staff/messages';
  // The visible word is the other language's own name; the hidden prefix says what the button does.
  const switchLabel = html`<span class="visually-hidden">${t('layout.language-switch')} </span>${other === 'km' ? html`<span lang="km">ខ្មែរ</span>` : html`<span lang="en">English</span>`}`;
  const page = html`<!doctype html>
<html lang="${t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${viewer ? html`<meta name="csrf-token" content="${viewer.csrfToken}">` : ''}
<title>${opts.title} · ${t('layout.app-name')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/staff/static/staff.css">
${(opts.scripts ?? []).map((s) => html`<script src="/staff/static/${s}" defer></script>`)}
</head>
<body>
<a class="skip-link" href="#main">${t('layout.skip')}</a>
<header class="top">
  <a class="brand" href="/staff/messages">${t('layout.app-name')}</a>
  ${nav.length ? html`<nav aria-label="${t('layout.menu')}"><ul>${nav.map((n) => html`<li><a href="${n.href}"${n === current ? html` aria-current="page"` : ''}>${navLabel(n, t)}</a></li>`)}</ul></nav>` : ''}
  ${viewer ? html`<form class="find-ref" role="search" method="get" action="/staff/find">
    <label for="find-ref">${t('find.label')}</label>
    <input id="find-ref" name="ref" inputmode="numeric" autocomplete="off" maxlength="12" size="8">
    <button type="submit" class="secondary">${t('find.button')}</button></form>` : ''}
  <div class="top-actions">
  ${viewer
    ? html`<form class="language" method="post" action="/staff/language">${csrfField(viewer)}<input type="hidden" name="lang" value="${other}"><input type="hidden" name="next" value="${back}"><input type="hidden" name="_return" value="${back}"><button type="submit" class="secondary">${switchLabel}</button></form>`
    : html`<a class="language" href="${signInInLanguage(opts.currentUrl, other)}">${switchLabel}</a>`}
  ${viewer ? html`<form class="signout" method="post" action="/staff/sign-out">${csrfField(viewer)}<input type="hidden" name="_return" value="/staff/messages"><a class="who" href="/staff/password">${viewer.username} (${t(`role.${viewer.role}`)})<span class="visually-hidden"> ${t('layout.change-password')}</span></a> <button type="submit" class="secondary">${t('layout.sign-out')}</button></form>` : ''}
  </div>
</header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${opts.body}
</main>
</body>
</html>
`;
  return page.value;
}

/** Sends a page with the viewer, navigation and language the staff router put on res.locals. */
export function sendPage(res: Response, opts: Omit<PageOptions, 'viewer' | 'nav' | 't' | 'currentUrl'>, status = 200): void {
  const locals = res.locals as { staff?: StaffViewer; nav?: readonly NavItem[]; currentUrl?: string };
  res.status(status).type('html').send(renderPage({ ...opts, viewer: locals.staff, nav: locals.nav, t: tr(res), currentUrl: locals.currentUrl }));
}
