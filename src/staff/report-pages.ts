/**
 * Scorecard report pages for staff: the satisfaction table for an area, a commune page with a
 * bar chart per indicator, and CSV downloads. Figures come from src/reports: each shows its
 * distinct callers and its answers, and is withheld under REPORT_MIN_CALLERS callers or where it
 * would let a withheld figure be worked out (src/reports/disclosure-control.ts).
 *
 * Charts are server-rendered SVG that read in print and in greyscale: each scale point has its
 * own hatch pattern as well as a tint, every bar carries its count and share as text, and the
 * axis names each point, so no figure depends on colour.
 */
import { Request, Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError } from '../errors';
import { Figures } from '../reports/figures';
import { cambodianMidnight, CAMBODIA_UTC_OFFSET_HOURS, parsePeriod, Period } from '../reports/period';
import { ratingsWaitingForPlace } from '../reports/places-waiting';
import { dontKnowAnswers } from '../reports/dont-know';
import { Area } from '../reports/rating-counts';
import { SatisfactionTable, TABLE_COLUMNS, TableCell } from '../reports/satisfaction-table';
import { reportCsv } from '../reports/scorecard-report';
import { AreaSummary, FacilitySummary, figuresPart, ServiceSummary } from '../reports/scorecard-summary';
import { html, htmlInSlices, SafeHtml } from './html';
import { Translate, tr, translator } from './i18n/i18n';
import { km, scrollBox, sendPage } from './layout';
import { ictDateTime, ictDay, placeLabel } from './message-pages';
import { ReportRunner } from './report-runner';
import { StaffPages } from './staff-router';

/** Catalog keys of the five scale points, 1 to 5. */
export const SCALE_KEYS = ['scale.1', 'scale.2', 'scale.3', 'scale.4', 'scale.5'] as const;
const ENGLISH = translator('en');

const TINTS = ['#f4c7c3', '#fbe3c2', '#eeeeee', '#d4ecd0', '#a8d5a2'];

/** Hatch patterns for scale points 1-5, defined once per page and referenced by every chart. */
export function chartPatterns(): SafeHtml {
  const defs = [
    // 1: dense cross-hatch
    html`<path d="M0 0L6 6M6 0L0 6" stroke="#000" stroke-width="1.2"/>`,
    // 2: diagonal lines
    html`<path d="M0 6L6 0" stroke="#000" stroke-width="1.2"/>`,
    // 3: dots
    html`<circle cx="3" cy="3" r="1.1" fill="#000"/>`,
    // 4: horizontal lines
    html`<path d="M0 3H6" stroke="#000" stroke-width="1"/>`,
    // 5: solid dark
    html`<rect width="6" height="6" fill="#2f5d2b"/>`,
  ];
  return html`<svg class="chart-patterns" width="0" height="0" aria-hidden="true" focusable="false"><defs>${defs.map(
    (d, k) => html`<pattern id="scale-${k + 1}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${TINTS[k]}"/>${d}</pattern>`,
  )}</defs></svg>`;
}

const pct = (share: number | null) => (share === null ? '' : `${Math.round(share * 100)}%`);

/** Why a figure has no numbers: nobody rated, too few callers, or withheld to protect another. */
export function withheldText(f: Figures, t: Translate = ENGLISH): SafeHtml {
  if (f.status === 'no-ratings') return html`<span class="muted">${t('report.no-ratings-cell')}</span>`;
  if (f.status === 'protects-another') return html`<span class="muted">${t('report.protects-another')}</span>`;
  return html`<span class="muted">${t('report.too-few')}</span>`;
}

/** "n callers · m answers", the people and the ratings a shown figure rests on. */
const base = (f: { callers: number | null; answers: number | null }, t: Translate) => t('report.base', { callers: f.callers ?? '', answers: f.answers ?? '' });

/** One indicator's distribution over the five scale points, or why there is none. */
export function indicatorChart(label: string, f: Figures, t: Translate = ENGLISH): SafeHtml {
  if (f.status !== 'shown' || !f.counts || !f.answers) {
    return html`<figure class="indicator-chart withheld"><figcaption>${label}</figcaption><p>${withheldText(f, t)}</p></figure>`;
  }
  const W = 420;
  const H = 220;
  const left = 12;
  const top = 28;
  const bottom = 46;
  const plotH = H - top - bottom;
  const slot = (W - left * 2) / 5;
  const barW = slot * 0.62;
  const max = Math.max(...f.counts, 1);
  const summary = `${label}: ${t('report.chart-summary', { base: base(f, t), median: f.median ?? '', mean: f.mean ?? '', satisfied: pct(f.satisfiedShare) })} `
    + f.counts.map((c, k) => `${k + 1} ${t(SCALE_KEYS[k])}: ${c}`).join('; ');
  const bars = f.counts.map((c, k) => {
    const h = Math.round((c / max) * plotH);
    const x = Math.round(left + slot * k + (slot - barW) / 2);
    const y = top + plotH - h;
    const cx = Math.round(left + slot * k + slot / 2);
    return html`<g>
<rect x="${x}" y="${y}" width="${Math.round(barW)}" height="${Math.max(h, 1)}" fill="url(#scale-${k + 1})" stroke="#000" stroke-width="1"/>
<text x="${cx}" y="${y - 6}" text-anchor="middle" font-size="13" font-weight="bold">${c} (${pct(c / f.answers!)})</text>
<text x="${cx}" y="${top + plotH + 17}" text-anchor="middle" font-size="13" font-weight="bold">${k + 1}</text>
<text x="${cx}" y="${top + plotH + 34}" text-anchor="middle" font-size="11">${t(SCALE_KEYS[k])}</text>
</g>`;
  });
  return html`<figure class="indicator-chart">
<figcaption>${label} <span class="figures">${t('report.chart-figures', { base: base(f, t), median: f.median ?? '', mean: f.mean ?? '', satisfied: pct(f.satisfiedShare) })}</span></figcaption>
<div class="chart-scroll" role="region" aria-label="${label}" tabindex="0"><svg role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" preserveAspectRatio="xMidYMid meet"><title>${summary}</title>
<line x1="${left}" y1="${top + plotH}" x2="${W - left}" y2="${top + plotH}" stroke="#000" stroke-width="1"/>
${bars}
</svg></div>
</figure>`;
}

const cellText = (c: TableCell, t: Translate) => (c.status !== 'shown' ? withheldText(c as Figures, t) : html`${pct(c.satisfiedShare)} <span class="muted">(${base(c, t)})</span>`);

export function satisfactionTableHtml(table: SatisfactionTable, serviceName: (id: string) => SafeHtml, t: Translate = ENGLISH): SafeHtml {
  return scrollBox(t('report.table-caption', { from: table.period.from, to: table.period.to }), html`<table class="satisfaction">
<caption>${t('report.table-caption', { from: table.period.from, to: table.period.to })}</caption>
<thead><tr><th scope="col">${t('filter.service')}</th>${TABLE_COLUMNS.map((c) => html`<th scope="col">${t(`report.column-${c}`)}</th>`)}</tr></thead>
<tbody>${table.rows.map((r) => html`<tr><th scope="row">${serviceName(r.service)}</th>${TABLE_COLUMNS.map((c) => html`<td>${cellText(r.cells[c], t)}</td>`)}</tr>`)}</tbody>
</table>`);
}

/**
 * A commune's facilities (a school of several, a health centre): one row per facility and service
 * it was rated as, the share satisfied or why it is withheld. Their ratings from this commune only.
 * Two columns, the service under the name, so that the figure stays in view on a 360 px phone.
 */
export function facilitiesTableHtml(facilities: readonly FacilitySummary[], serviceName: (id: string) => SafeHtml, t: Translate = ENGLISH): SafeHtml {
  const name = (f: FacilitySummary) => (f.name.km === f.name.latin ? html`${f.name.latin}` : html`${km(f.name.km)} <span class="latin" lang="en">${f.name.latin}</span>`);
  return html`<h2>${t('report.facilities-heading')}</h2>
<p class="muted">${t('report.facilities-note')}</p>
${scrollBox(t('report.facilities-heading'), html`<table class="facilities">
<thead><tr><th scope="col">${t('report.column-facility')}</th><th scope="col">${t('report.column-satisfied')}</th></tr></thead>
<tbody>${facilities.flatMap((f) => f.services.map((s) => html`<tr><th scope="row">${name(f)}<br><span class="muted facility-service">${serviceName(s.service)}</span></th><td>${cellText(s, t)}</td></tr>`))}</tbody>
</table>`)}`;
}

export function communeReportHtml(area: AreaSummary, table: SatisfactionTable, deps: { serviceName: (id: string) => SafeHtml; indicatorLabel: (service: string, id: string) => string }, t: Translate = ENGLISH): SafeHtml {
  const service = (s: ServiceSummary) => {
    const f = figuresPart(s);
    return html`<section class="service-report">
<h2>${deps.serviceName(s.service)}</h2>
${s.status !== 'shown' ? html`<p>${t('report.all-indicators')}: ${withheldText(f, t)}</p>` : html`<p>${t('report.service-figures', { base: base(s, t), median: s.median ?? '', mean: s.mean ?? '', satisfied: pct(s.satisfiedShare) })}</p>`}
${s.status !== 'shown' ? '' : indicatorChart(t('report.all-indicators'), f, t)}
${s.indicators.map((i) => indicatorChart(deps.indicatorLabel(s.service, i.id), i, t))}
</section>`;
  };
  return html`${chartPatterns()}
<p class="legend">${t('report.legend', { low: t(SCALE_KEYS[0]), high: t(SCALE_KEYS[4]), min: table.minCallers })}</p>
${satisfactionTableHtml(table, deps.serviceName, t)}
${area.facilities?.length ? facilitiesTableHtml(area.facilities, deps.serviceName, t) : ''}
${area.services.map(service)}`;
}

/** From/to as calendar days; by default from 1 January of this year to tomorrow (Cambodia). */
export function periodFromQuery(q: Record<string, unknown>, now = new Date()): Period {
  const local = new Date(now.getTime() + CAMBODIA_UTC_OFFSET_HOURS * 3600_000);
  const tomorrow = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1)).toISOString().slice(0, 10);
  const from = typeof q.from === 'string' && q.from ? q.from : `${local.getUTCFullYear()}-01-01`;
  const to = typeof q.to === 'string' && q.to ? q.to : tomorrow;
  cambodianMidnight(from, 'from');
  return parsePeriod(from, to);
}

/** An area from one code: 2 digits a province, 4 a district, 6 a commune, empty the country. */
export function areaFromCode(code: unknown): Area {
  const c = typeof code === 'string' ? code.trim() : '';
  if (c === '') return {};
  if (/^[0-9]{6}$/.test(c)) return { communes: [c] };
  if (/^[0-9]{4}$/.test(c)) return { districts: [c] };
  if (/^[0-9]{2}$/.test(c)) return { provinces: [c] };
  throw new BadRequestError(`area code ${JSON.stringify(c.slice(0, 20))} must be 2 (province), 4 (district) or 6 (commune) digits`);
}

/** The area from the picker (province, district, commune: the most specific wins) or an older link's `code`. */
export function areaCodeFromQuery(q: Record<string, unknown>): string {
  const pick = (k: string, digits: number) => (typeof q[k] === 'string' && new RegExp(`^[0-9]{${digits}}$`).test((q[k] as string).trim()) ? (q[k] as string).trim() : '');
  const commune = pick('commune', 6);
  const district = pick('district', 4);
  const province = pick('province', 2);
  if (commune && (!district || commune.startsWith(district))) return commune;
  if (district && (!province || district.startsWith(province))) return district;
  if (province) return province;
  return typeof q.code === 'string' ? q.code.trim().slice(0, 20) : '';
}

/** Bad days (2026-02-31) and an end not after the start, in the reader's words, before any figure is computed. */
function periodProblems(q: Record<string, unknown>, t: Translate): string[] {
  const from = typeof q.from === 'string' ? q.from : '';
  const to = typeof q.to === 'string' ? q.to : '';
  const a = ictDay(from, false, t);
  const b = ictDay(to, false, t);
  const problems = [a.problem, b.problem].filter((p): p is string => Boolean(p));
  if (a.at && b.at && b.at <= a.at) problems.push(t('report.to-not-after-from', { from, to }));
  return problems;
}

export const reportPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  deps.nav.push({ href: '/staff/reports', key: 'nav.reports', roles: ['admin', 'reviewer', 'viewer'] });

  // Off the webhooks' event loop (a child process), and kept for REPORT_FRESH_SECONDS: src/staff/report-runner.ts.
  const runner = new ReportRunner(rt);
  const tableAndSummary = (period: Period, area: Area) => runner.tableAndSummary(period, area);

  const serviceName = (id: string) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? html`<span lang="en">${s.name.en}</span> ${km(s.name.km)}` : html`${id}`;
  };
  // Indicator wording in Khmer is the prompt callers hear (prompts/catalog.json); English from the scorecard.
  const indicatorLabel = (service: string, id: string, t: Translate = ENGLISH) =>
    (t.lang === 'km' ? rt.catalog.prompts[`indicator.${service}.${id}`]?.text.km : undefined)
    ?? rt.scorecard.services.find((s) => s.id === service)?.indicators.find((i) => i.id === id)?.en ?? id;
  // The same in every language and on every page: kept once made (a country page names 1,650 communes).
  const placeNames = new Map<string, SafeHtml>();
  const placeName = (code: string) => {
    let made = placeNames.get(code);
    if (!made) {
      const p = rt.gazetteer.find(code);
      made = p ? html`${km(p.nameKm)} <span class="latin" lang="en">${p.nameLatin}</span> <span class="muted">${code}</span>` : html`${code}`;
      if (p) placeNames.set(code, made);
    }
    return made;
  };
  // When the figures were counted, and for how long they are shown again (REPORT_FRESH_SECONDS).
  const countedAtHtml = (countedAt: Date, t: Translate) => {
    const time = ictDateTime(countedAt, true);
    const seconds = rt.config.reportFreshSeconds;
    return html`<p class="muted counted-at">${seconds ? t('report.counted-at-kept', { time, seconds: String(seconds) }) : t('report.counted-at', { time })}</p>`;
  };
  // A country page's 1,650 commune rows, rendered once per language for figures shown again
  // (REPORT_FRESH_SECONDS): the same counted rows come back as the same array, and go with it.
  const renderedRows = new WeakMap<object, Map<string, Promise<SafeHtml>>>();
  const renderedOnce = (rows: object, variant: string, render: () => Promise<SafeHtml>) => {
    let byVariant = renderedRows.get(rows);
    if (!byVariant) renderedRows.set(rows, (byVariant = new Map()));
    let made = byVariant.get(variant);
    if (!made) byVariant.set(variant, (made = render()));
    return made;
  };
  const query = (period: Period, code: string) =>
    new URLSearchParams({ from: period.label.from, to: period.label.to, ...(code ? { code } : {}) }).toString();

  /** The area picker: province, then its districts, then their communes, by name; the script fills the next list in. */
  const form = (period: { from: string; to: string } | null, code: string, t: Translate) => {
    const province = /^[0-9]{2,6}$/.test(code) ? code.slice(0, 2) : '';
    const district = /^[0-9]{4,6}$/.test(code) ? code.slice(0, 4) : '';
    const commune = /^[0-9]{6}$/.test(code) ? code : '';
    const option = (value: string, label: string, selected: string) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
    const places = (list: { code: string; nameKm: string; nameLatin: string }[], selected: string) => list.map((p) => option(p.code, placeLabel(p, t), selected));
    const districts = province ? rt.gazetteer.childrenOf(province) : [];
    const communes = district ? rt.gazetteer.childrenOf(district) : [];
    return html`<form method="get" action="/staff/reports" class="filters" id="report-filters">
  <label><span>${t('filter.province')}</span>
    <select name="province" data-children="district" data-all="${t('filter.all-districts')}" data-choose="${t('filter.choose-province')}">${option('', t('report.whole-country'), province)}${places(rt.gazetteer.provinces, province)}</select></label>
  <label><span>${t('filter.district')}</span>
    <select name="district" data-children="commune" data-all="${t('filter.all-communes')}" data-choose="${t('filter.choose-district')}">${option('', districts.length ? t('filter.all-districts') : t('filter.choose-province'), district)}${places(districts, district)}</select></label>
  <label><span>${t('filter.commune')}</span>
    <select name="commune">${option('', communes.length ? t('filter.all-communes') : t('filter.choose-district'), commune)}${places(communes, commune)}</select></label>
  <label><span>${t('filter.from')}</span> <input name="from" type="date" value="${period?.from ?? ''}"></label>
  <label><span>${t('report.to-exclusive')}</span> <input name="to" type="date" value="${period?.to ?? ''}"></label>
  <div class="filter-buttons"><button type="submit">${t('report.show')}</button></div>
</form>`;
  };

  const badRequest = (res: Response, message: string | string[], code: string, q: Record<string, unknown>) => {
    const t = tr(res);
    const given = { from: typeof q.from === 'string' ? q.from.slice(0, 10) : '', to: typeof q.to === 'string' ? q.to.slice(0, 10) : '' };
    const messages = Array.isArray(message) ? message : [message];
    sendPage(res, {
      title: t('report.title'),
      scripts: ['messages.js'],
      body: html`${form(given, code, t)}<div class="error" role="alert">${messages.map((m) => html`<p>${m}</p>`)}<p>${t('filter.fix-and-retry')}</p></div>`,
    }, 400);
  };

  router.get('/reports', everyone, async (req: Request, res: Response, next) => {
    const q = req.query as Record<string, unknown>;
    const code = areaCodeFromQuery(q);
    const t = tr(res);
    try {
      const problems = periodProblems(q, t);
      if (problems.length) return badRequest(res, problems, code, q);
      const period = periodFromQuery(q);
      const area = areaFromCode(code);
      if (area.communes) {
        res.redirect(303, `/staff/reports/commune/${code}?${query(period, '')}`);
        return;
      }
      const { table, communes, countedAt } = await runner.tableAndCommuneRows(period, area);
      // Ratings whose place a caller said (no code) belong to no area until staff confirm it: the whole country's page says how many wait.
      const waiting = code ? null : await ratingsWaitingForPlace(rt.store, period, rt.config.reportMinCallers);
      // "Don't know / did not use" answers are in no figure: the page says how many, apart.
      const dontKnow = await dontKnowAnswers(rt.store, period, area, rt.config.reportMinCallers);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code || 'country', from: period.label.from, to: period.label.to } });
      const communeRows = await renderedOnce(communes, `${t.lang}|${query(period, '')}`, () =>
        htmlInSlices(communes, (c) => html`<tr><th scope="row"><a href="/staff/reports/commune/${c.code}?${query(period, '')}">${placeName(c.code)}</a></th>${c.services.map((s) => html`<td>${cellText(s, t)}</td>`)}</tr>`, 50));
      sendPage(res, {
        title: t('report.title'),
        scripts: ['messages.js'],
        body: html`${form(period.label, code, t)}
<h2>${code ? placeName(code) : t('report.whole-country')}</h2>
${countedAtHtml(countedAt, t)}
${waiting?.status === 'shown' ? html`<p class="places-waiting">${t('report.places-waiting', { n: waiting.ratings })}</p>` : waiting?.status === 'too-few' ? html`<p class="places-waiting">${t('report.places-waiting-few')}</p>` : ''}
${dontKnow.status === 'shown' ? html`<p class="dont-know">${t('report.dont-know', { n: dontKnow.answers })}</p>` : dontKnow.status === 'too-few' ? html`<p class="dont-know">${t('report.dont-know-few')}</p>` : ''}
${satisfactionTableHtml(table, serviceName, t)}
<p><a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=table">${t('report.download-table')}</a> · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=summary">${t('report.download-all')}</a></p>
<h2>${t('report.communes-heading')}</h2>
${communes.length === 0 ? html`<p class="muted">${t('report.no-ratings')}</p>` : scrollBox(t('report.communes-heading'), html`<table class="communes">
<thead><tr><th scope="col">${t('filter.commune')}</th>${rt.scorecard.services.map((s) => html`<th scope="col">${serviceName(s.id)}</th>`)}</tr></thead>
<tbody>${communeRows}</tbody>
</table>`)}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err.message, code, q);
      else next(err);
    }
  });

  router.get('/reports/commune/:code', everyone, async (req: Request, res: Response, next) => {
    const code = String(req.params.code);
    const q = req.query as Record<string, unknown>;
    const t = tr(res);
    try {
      const problems = periodProblems(q, t);
      if (problems.length) return badRequest(res, problems, code, q);
      const period = periodFromQuery(q);
      if (!rt.gazetteer.isCommune(code)) throw new BadRequestError(t('report.not-a-commune', { code: code.slice(0, 20) }));
      const area = { communes: [code] };
      const { table, summary, countedAt } = await tableAndSummary(period, area);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code, from: period.label.from, to: period.label.to } });
      const place = rt.gazetteer.find(code)!;
      sendPage(res, {
        title: `${t.lang === 'km' ? place.nameKm : place.nameLatin} (${code})`,
        scripts: ['messages.js'],
        body: html`${form(period.label, code, t)}
<p>${placeName(code)} · ${placeName(code.slice(0, 4))} · ${placeName(code.slice(0, 2))}</p>
<p>${t('report.period', { from: period.label.from, to: period.label.to })} · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=summary">${t('report.download-commune')}</a> · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=table">${t('report.download-table')}</a></p>
${countedAtHtml(countedAt, t)}
${communeReportHtml(summary.communes[0], table, { serviceName, indicatorLabel: (service, id) => indicatorLabel(service, id, t) }, t)}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err.message, code, q);
      else next(err);
    }
  });

  router.get('/reports/download.csv', everyone, async (req: Request, res: Response, next) => {
    const code = areaCodeFromQuery(req.query as Record<string, unknown>);
    try {
      const problems = periodProblems(req.query as Record<string, unknown>, tr(res));
      if (problems.length) throw new BadRequestError(problems.join(' '));
      const period = periodFromQuery(req.query);
      const area = areaFromCode(code);
      const table = req.query.kind === 'table';
      const report = await runner.report({ period, area, table });
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'download-report', detail: { area: code || 'country', kind: table ? 'table' : 'summary', from: period.label.from, to: period.label.to } });
      const name = `scorecard-${table ? 'table' : 'summary'}-${code || 'country'}-${period.label.from}-${period.label.to}.csv`;
      res.status(200).type('text/csv; charset=utf-8').attachment(name).send(reportCsv(report));
    } catch (err) {
      if (err instanceof BadRequestError) res.status(400).type('text/plain').send(`${err.message}\n`);
      else next(err);
    }
  });
};
