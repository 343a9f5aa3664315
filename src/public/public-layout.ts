/**
 * The public pages' shell: small (one shared stylesheet, no script, no font download), Khmer
 * first with English on a link that keeps the choice in the URL (`?lang=en`), a breadcrumb, the
 * attribution and licence footer, and print styles for A4 (public/public/public.css).
 */
import { html, SafeHtml } from '../staff/html';
import { Translate } from '../staff/i18n/i18n';
import { PublicLanguage } from './i18n/public-i18n';

export const PUBLIC_PATH = '/public';
export const PUBLIC_CSS = `${PUBLIC_PATH}/static/public.css`;
/** The licence the published results and JAAP items are offered under (open data and pages). */
export const RESULTS_LICENCE = { name: 'CC-BY-4.0', title: 'Creative Commons Attribution 4.0', path: 'https://creativecommons.org/licenses/by/4.0/' } as const;

/** A public URL in the reader's language: English adds `lang=en`; Khmer, the default, adds nothing. */
export function publicHref(path: string, lang: PublicLanguage, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  if (lang === 'en') q.set('lang', 'en');
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface PublicPageOptions {
  t: Translate;
  title: string;
  body: SafeHtml;
  /** The page's path and its own query values (not lang): the language link keeps them. */
  path: string;
  params?: Record<string, string | undefined>;
  breadcrumb?: { href: string; label: SafeHtml }[];
  hotlineNumber?: string;
  /** Extra class on <body> (the poster). */
  bodyClass?: string;
  /** Leave out header and footer (the poster is one sheet of its own). */
  bare?: boolean;
  /** Above the title: what must be seen first (the poster's missing-number warning). */
  beforeTitle?: SafeHtml;
}

/** A name in Latin script on a page (marked English on a Khmer page, for screen readers and the Latin-word check). */
export function latinName(text: string, t: Translate): SafeHtml {
  return t.lang === 'en' ? html`<span class="latin">${text}</span>` : html`<span class="latin" lang="en">${text}</span>`;
}

/** A place's name in the page's language, with the other script beside it. */
export function placeName(name: { km: string; latin: string }, t: Translate): SafeHtml {
  return t.lang === 'km'
    ? html`${name.km} <span class="other-script">${latinName(name.latin, t)}</span>`
    : html`${name.latin} <span class="other-script" lang="km">${name.km}</span>`;
}

export function footerHtml(t: Translate): SafeHtml {
  return html`<footer class="public-footer">
<p>${t('public.footer.privacy')}</p>
<p>${t('public.footer.licence')} <a href="${RESULTS_LICENCE.path}" lang="en">CC BY 4.0</a>. <a href="${publicHref(`${PUBLIC_PATH}/data/datapackage.json`, 'km')}">${t('public.data-link')}</a></p>
<p>${t('public.footer.places')}${t.lang === 'km' ? html` <span lang="en">pumi (MIT, © 2019 David Wilkie)</span>។` : ''}</p>
</footer>`;
}

export function renderPublicPage(o: PublicPageOptions): string {
  const { t } = o;
  const other: PublicLanguage = t.lang === 'km' ? 'en' : 'km';
  const switchLink = html`<a class="language" href="${publicHref(o.path, other, o.params)}" hreflang="${other}"><span class="visually-hidden">${t('public.language-switch')} </span>${other === 'km' ? html`<span lang="km">ខ្មែរ</span>` : html`<span lang="en">English</span>`}</a>`;
  const crumbs = o.breadcrumb ?? [];
  const page = html`<!doctype html>
<html lang="${t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} · ${t('public.app-name')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PUBLIC_CSS}">
</head>
<body${o.bodyClass ? html` class="${o.bodyClass}"` : ''}>
${o.bare ? '' : html`<a class="skip-link" href="#main">${t('public.skip')}</a>
<header class="top"><a class="brand" href="${publicHref(PUBLIC_PATH, t.lang)}">${t('public.app-name')}</a> ${switchLink}</header>
${crumbs.length ? html`<nav class="crumbs" aria-label="${t('public.breadcrumb')}"><ol>${crumbs.map((c) => html`<li><a href="${c.href}">${c.label}</a></li>`)}</ol></nav>` : ''}`}
<main id="main" tabindex="-1">
${o.beforeTitle ?? ''}<h1>${o.title}</h1>
${o.body}
</main>
${o.bare ? '' : html`${o.hotlineNumber ? html`<p class="hotline">${t('public.hotline', { number: o.hotlineNumber })}</p>` : ''}${footerHtml(t)}`}
</body>
</html>
`;
  return page.value;
}
