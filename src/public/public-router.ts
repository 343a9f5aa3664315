/**
 * The public results under /public, no sign-in: the country, province, district, commune and
 * facility pages (src/public/public-area-page.ts), each commune's noticeboard poster
 * (public-poster.ts) and the open data (public-open-data.ts). Everything served comes from the
 * published snapshots (PublicResults: whatever `periods()` returns is published), the JAAP
 * register's public fields, and citizens' checks as `checksOf` lets them out.
 *
 * Khmer first, English with `?lang=en` (kept in every link, no cookie); `?period=<id>` picks a
 * published period (the newest by default). Bad input gets a plain page in the reader's language:
 * 404 for an unknown place or period, 400 for an odd query, 429 past the public rate limit
 * (PUBLIC_REQUESTS_PER_MINUTE, counted in the database), never a stack trace. The staff pages'
 * CSP applies (no inline script or style); pages may be cached for a few minutes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import { Runtime } from '../runtime';
import { addressOf } from '../auth/staff-auth';
import { JaapRegister } from '../jaap/jaap-register';
import { errorFields } from '../logging/error-cause';
import { StoreError } from '../errors';
import { html } from '../staff/html';
import { Translate } from '../staff/i18n/i18n';
import { staffSecurityHeaders } from '../staff/security-headers';
import { publicTranslator, PublicLanguage } from './i18n/public-i18n';
import { areaPageBody, areaPath, AreaPageData, CHILD_LEVEL, PublicNames } from './public-area-page';
import { PublicJaap } from './public-jaap';
import { latinName, publicHref, PUBLIC_PATH, renderPublicPage } from './public-layout';
import { missingNumberWarning, posterBody, PosterSize } from './public-poster';
import { PublicRateLimit } from './public-rate-limit';
import { PublicLevel, PublicPeriod } from './public-results';
import { openDataRoutes } from './public-open-data';

/** public/public at the package root, whether running from src/ (tsx) or dist/src/ (build). */
const STATIC_DIR = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'public', 'public');
})();

/** Longer query strings are refused (400): a shared link with a tracking parameter still fits. */
export const MAX_QUERY_LENGTH = 512;
const KNOWN_VALUE = /^[A-Za-z0-9._-]{1,40}$/;
const PERIOD_ID = /^[A-Za-z0-9._-]{1,80}$/;

class PublicHttpError extends Error {
  constructor(readonly status: 400 | 404) {
    super(status === 404 ? 'not found' : 'bad request');
  }
}

const langOf = (res: Response): PublicLanguage => (res.locals as { publicLang?: PublicLanguage }).publicLang ?? 'km';
const tOf = (res: Response): Translate => publicTranslator(langOf(res));

const ERROR_KEYS: Record<number, string> = { 400: 'bad-request', 404: 'not-found', 429: 'too-many', 503: 'unavailable', 500: 'unavailable' };

function sendError(res: Response, status: number): void {
  const t = tOf(res);
  const key = ERROR_KEYS[status] ?? 'unavailable';
  res.status(status).type('html').send(renderPublicPage({
    t, title: t(`public.error.${key}-title`), path: PUBLIC_PATH,
    body: html`<p>${t(`public.error.${key}`)}</p><p><a href="${publicHref(PUBLIC_PATH, t.lang)}">${t('public.error.back')}</a></p>`,
  }));
}

export function publicRouter(rt: Runtime): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const limit = new PublicRateLimit(rt.store, rt.config.sessionSecret, rt.config.publicRequestsPerMinute);
  const register = new JaapRegister(rt.store);
  const jaap = new PublicJaap(register, rt.publicResults);
  const g = rt.gazetteer;

  // The staff pages' headers (CSP without inline code, no framing, no referrer); published
  // figures change at most daily, so a few minutes in a browser or proxy cache saves the line.
  router.use(staffSecurityHeaders({ https: rt.config.publicBaseUrl.startsWith('https:'), cacheControl: 'public, max-age=300' }));
  // One stylesheet for every public page (and the poster), cached a day.
  router.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '1d', dotfiles: 'ignore', fallthrough: false }));

  // The language first (every later answer, errors included, is in it), then the rate limit, then the query.
  router.use((req, res, next) => {
    const q = req.query as Record<string, unknown>;
    (res.locals as { publicLang?: PublicLanguage }).publicLang = q.lang === 'en' ? 'en' : 'km';
    next();
  });
  router.use(async (req, res, next) => {
    try {
      const verdict = await limit.hit(addressOf(req));
      if (verdict.over) {
        res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
        res.setHeader('Cache-Control', 'no-store');
        sendError(res, 429);
        return;
      }
      next();
    } catch (err) {
      next(err);
    }
  });
  router.use((req, res, next) => {
    const raw = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const q = req.query as Record<string, unknown>;
    const odd = raw.length > MAX_QUERY_LENGTH
      || (q.lang !== undefined && q.lang !== 'en' && q.lang !== 'km')
      || (q.period !== undefined && (typeof q.period !== 'string' || !PERIOD_ID.test(q.period)))
      || (q.size !== undefined && (typeof q.size !== 'string' || !KNOWN_VALUE.test(q.size)));
    if (odd) return sendError(res, 400);
    next();
  });

  /**
   * The published periods and the one asked for; an unknown one is a 404. By default the newest
   * quarter or year: a completed round (dated on its meeting day, so often the newest) has its
   * meeting's results for one commune only, not callers' figures for every place.
   */
  const choosePeriod = async (req: Request): Promise<{ periods: PublicPeriod[]; period: PublicPeriod | null }> => {
    const periods = await rt.publicResults.periods();
    const asked = (req.query as Record<string, unknown>).period as string | undefined;
    if (asked === undefined) return { periods, period: periods.find((p) => p.kind !== 'round') ?? periods[0] ?? null };
    const period = periods.find((p) => p.id === asked);
    if (!period) throw new PublicHttpError(404);
    return { periods, period };
  };

  const serviceName = (id: string, t: Translate) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? (t.lang === 'km' ? s.name.km : s.name.en) : id;
  };
  const namesFor = (t: Translate): PublicNames => ({
    service: (id) => serviceName(id, t),
    // An indicator's Khmer words are the prompt callers hear, as on the staff reports.
    indicator: (service, id) => (t.lang === 'km' ? rt.catalog.prompts[`indicator.${service}.${id}`]?.text.km : undefined)
      ?? rt.scorecard.services.find((s) => s.id === service)?.indicators.find((i) => i.id === id)?.en ?? id,
    area: (level, code) => {
      if (level === 'country') return t('public.country');
      const p = g.find(code.split('/')[0]);
      if (level === 'facility') return code;
      return p ? (t.lang === 'km' ? p.nameKm : p.nameLatin) : code;
    },
  });

  /** Country, then the province, district and commune above an area (and the commune of a facility). */
  const crumbsFor = (level: PublicLevel, code: string, t: Translate, period: string | undefined) => {
    const lengths = level === 'district' ? [2] : level === 'commune' ? [2, 4] : level === 'facility' ? [2, 4, 6] : [];
    const levels: PublicLevel[] = ['province', 'district', 'commune'];
    return [
      { href: publicHref(PUBLIC_PATH, t.lang, { period }), label: html`${t('public.country')}` },
      ...lengths.flatMap((len, k) => {
        const p = g.find(code.slice(0, len));
        return p ? [{ href: publicHref(areaPath(levels[k], p.code), t.lang, { period }), label: html`${t.lang === 'km' ? p.nameKm : p.nameLatin}` }] : [];
      }),
    ];
  };

  const areaPage = (level: PublicLevel) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const t = tOf(res);
      const params = req.params as Record<string, string>;
      const code = level === 'country' ? 'KH' : level === 'facility' ? `${params.commune}/${params.facility}` : params.code;
      const digits = { province: 2, district: 4, commune: 6 } as Record<string, number>;
      const place = level === 'country' ? null : g.find(level === 'facility' ? params.commune : code);
      if (level !== 'country' && (!place || (level !== 'facility' && code.length !== digits[level]) || (level === 'facility' && (params.commune.length !== 6 || !KNOWN_VALUE.test(params.facility))))) throw new PublicHttpError(404);
      const { periods, period } = await choosePeriod(req);
      const snapshot = period ? await rt.publicResults.area(period.id, level, code) : null;
      // A facility is known only by its published snapshot.
      if (level === 'facility' && !snapshot) throw new PublicHttpError(404);
      const childLevel = CHILD_LEVEL[level];
      const childCodes = snapshot?.children ?? [];
      const children = await Promise.all(childCodes.slice(0, 300).map(async (c) => {
        if (childLevel === 'facility') {
          const f = period ? await rt.publicResults.area(period.id, 'facility', c) : null;
          return { level: childLevel, code: c, name: f ? (t.lang === 'km' ? f.name.km : f.name.latin) : c };
        }
        const p = g.find(c);
        return { level: childLevel!, code: c, name: p ? (t.lang === 'km' ? p.nameKm : p.nameLatin) : c };
      }));
      const data: AreaPageData = { level, code, period, periods, snapshot, children };
      if (level === 'commune') data.plans = await jaap.commune(code);
      else if (level !== 'facility') {
        const area = level === 'country' ? {} : level === 'province' ? { provinces: [code] } : { districts: [code] };
        data.jaapCounts = await jaap.counts(area, `${level}:${code}`);
      }
      const name = level === 'country' ? { km: t('public.country'), latin: t('public.country') } : level === 'facility' ? snapshot!.name : { km: place!.nameKm, latin: place!.nameLatin };
      const title = level === 'country' ? t('public.title.country') : t.lang === 'km' ? name.km : name.latin;
      const subtitle = level === 'country' ? html`` : html`<p class="subtitle">${t(`public.level.${level}`)} · ${t.lang === 'km' ? latinName(name.latin, t) : html`<span lang="km">${name.km}</span>`} · <code>${code}</code></p>`;
      const pagePath = areaPath(level, code);
      res.type('html').send(renderPublicPage({
        t, title, path: pagePath, params: { period: (req.query as Record<string, string>).period },
        breadcrumb: level === 'country' ? [] : crumbsFor(level, code, t, period?.id),
        body: areaPageBody(data, namesFor(t), t, subtitle), hotlineNumber: rt.config.hotlineNumber,
      }));
    } catch (err) {
      next(err);
    }
  };

  router.get('/', areaPage('country'));
  router.get('/province/:code', areaPage('province'));
  router.get('/district/:code', areaPage('district'));
  router.get('/commune/:code', areaPage('commune'));
  router.get('/facility/:commune/:facility', areaPage('facility'));

  router.get('/commune/:code/poster', async (req, res, next) => {
    try {
      // Always Khmer: it goes on a commune's noticeboard.
      const t = publicTranslator('km');
      const code = (req.params as Record<string, string>).code;
      const place = g.find(code);
      if (!place || code.length !== 6) throw new PublicHttpError(404);
      const size = (req.query as Record<string, unknown>).size ?? 'a4';
      if (size !== 'a4' && size !== 'a3') throw new PublicHttpError(400);
      const { period } = await choosePeriod(req);
      const snapshot = period ? await rt.publicResults.area(period.id, 'commune', code) : null;
      const [plan] = await jaap.commune(code, 1);
      res.type('html').send(renderPublicPage({
        t, title: t('public.poster.title', { place: place.nameKm }), path: `${areaPath('commune', code)}/poster`, bare: true, bodyClass: `poster poster-${size}`,
        beforeTitle: missingNumberWarning(rt.config.hotlineNumber, t),
        body: posterBody({
          placeName: place.nameKm, period, snapshot, plan: plan ?? null, hotlineNumber: rt.config.hotlineNumber, size: size as PosterSize,
          dashboardUrl: `${rt.config.publicBaseUrl}${areaPath('commune', code)}`,
        }, namesFor(t), t),
      }));
    } catch (err) {
      next(err);
    }
  });

  openDataRoutes(router, rt, register);

  router.use((_req: Request, res: Response) => sendError(res, 404));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof PublicHttpError) return sendError(res, err.status);
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 404) return sendError(res, status);
    rt.logger.error({ path: req.path, ...errorFields(err) }, 'public page failed');
    res.setHeader('Cache-Control', 'no-store');
    sendError(res, err instanceof StoreError ? 503 : 500);
  });
  return router;
}
