/**
 * Scorecard report pages for staff: the satisfaction table for an area, a commune page with a
 * bar chart per indicator, and CSV downloads. Figures come from src/reports (withheld under 5
 * ratings, one caller counted once per indicator and period).
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
import { Area } from '../reports/rating-counts';
import { SatisfactionTable, TABLE_COLUMNS, TableCell } from '../reports/satisfaction-table';
import { reportCsv } from '../reports/scorecard-report';
import { AreaSummary, ServiceSummary } from '../reports/scorecard-summary';
import { html, SafeHtml } from './html';
import { km, sendPage } from './layout';
import { ReportRunner } from './report-runner';
import { StaffPages } from './staff-router';

export const SCALE_LABELS = [
  { en: 'Very bad', km: 'អាក្រក់ណាស់' },
  { en: 'Bad', km: 'អាក្រក់' },
  { en: 'Acceptable', km: 'មធ្យម' },
  { en: 'Good', km: 'ល្អ' },
  { en: 'Very good', km: 'ល្អណាស់' },
] as const;

const COLUMN_LABELS: Record<(typeof TABLE_COLUMNS)[number], { en: string; km: string }> = {
  all: { en: 'All', km: 'ទាំងអស់' },
  disability: { en: 'People with disabilities', km: 'ជនមានពិការភាព' },
  indigenous: { en: 'Indigenous-language callers', km: 'ជនជាតិដើមភាគតិច' },
  women: { en: 'Women', km: 'ស្ត្រី' },
  men: { en: 'Men', km: 'បុរស' },
};

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

/** One indicator's distribution over the five scale points, or a "too few" note when withheld. */
export function indicatorChart(label: string, f: Figures): SafeHtml {
  if (f.withheld || !f.counts || !f.n) {
    return html`<figure class="indicator-chart withheld"><figcaption>${label}</figcaption><p class="muted">Too few ratings to show (fewer than 5) ${km('មិនគ្រប់ចំនួន')}</p></figure>`;
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
  const summary = `${label}: ${f.n} ratings, median ${f.median}, mean ${f.mean}, ${pct(f.satisfiedShare)} satisfied. `
    + f.counts.map((c, k) => `${k + 1} ${SCALE_LABELS[k].en}: ${c}`).join('; ');
  const bars = f.counts.map((c, k) => {
    const h = Math.round((c / max) * plotH);
    const x = Math.round(left + slot * k + (slot - barW) / 2);
    const y = top + plotH - h;
    const cx = Math.round(left + slot * k + slot / 2);
    return html`<g>
<rect x="${x}" y="${y}" width="${Math.round(barW)}" height="${Math.max(h, 1)}" fill="url(#scale-${k + 1})" stroke="#000" stroke-width="1"/>
<text x="${cx}" y="${y - 6}" text-anchor="middle" font-size="13" font-weight="bold">${c} (${pct(c / f.n!)})</text>
<text x="${cx}" y="${top + plotH + 17}" text-anchor="middle" font-size="13" font-weight="bold">${k + 1}</text>
<text x="${cx}" y="${top + plotH + 34}" text-anchor="middle" font-size="11">${SCALE_LABELS[k].en}</text>
</g>`;
  });
  return html`<figure class="indicator-chart">
<figcaption>${label} <span class="figures">n ${f.n} · median ${f.median} · mean ${f.mean} · satisfied ${pct(f.satisfiedShare)}</span></figcaption>
<svg role="img" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet"><title>${summary}</title>
<line x1="${left}" y1="${top + plotH}" x2="${W - left}" y2="${top + plotH}" stroke="#000" stroke-width="1"/>
${bars}
</svg>
</figure>`;
}

const cellText = (c: TableCell) => (c.withheld ? html`<span class="muted">too few</span>` : html`${pct(c.satisfiedShare)} <span class="muted">(n ${c.n})</span>`);

export function satisfactionTableHtml(table: SatisfactionTable, serviceName: (id: string) => SafeHtml): SafeHtml {
  return html`<table class="satisfaction">
<caption>Share satisfied (rated 4 or 5) with the number of ratings, ${table.period.from} to ${table.period.to} (exclusive) ${km('ភាគរយពេញចិត្ត')}</caption>
<thead><tr><th scope="col">Service ${km('សេវា')}</th>${TABLE_COLUMNS.map((c) => html`<th scope="col">${COLUMN_LABELS[c].en} ${km(COLUMN_LABELS[c].km)}</th>`)}</tr></thead>
<tbody>${table.rows.map((r) => html`<tr><th scope="row">${serviceName(r.service)}</th>${TABLE_COLUMNS.map((c) => html`<td>${cellText(r.cells[c])}</td>`)}</tr>`)}</tbody>
</table>`;
}

export function communeReportHtml(area: AreaSummary, table: SatisfactionTable, deps: { serviceName: (id: string) => SafeHtml; indicatorLabel: (service: string, id: string) => string }): SafeHtml {
  const service = (s: ServiceSummary) => {
    const f: Figures = { n: s.ratings, median: s.median, mean: s.mean, counts: s.counts, satisfiedShare: s.satisfiedShare, withheld: s.withheld };
    return html`<section class="service-report">
<h2>${deps.serviceName(s.service)}</h2>
${s.withheld ? html`<p class="muted">Too few ratings for this service in this period (fewer than 5).</p>` : html`<p>${s.ratings} ratings over all indicators · median ${s.median} · mean ${s.mean} · ${pct(s.satisfiedShare)} satisfied</p>`}
${s.withheld ? '' : indicatorChart('All indicators together', f)}
${s.indicators.map((i) => indicatorChart(deps.indicatorLabel(s.service, i.id), i))}
</section>`;
  };
  return html`${chartPatterns()}
<p class="legend">Bars: ratings at each point of the scale, 1 ${SCALE_LABELS[0].en} to 5 ${SCALE_LABELS[4].en}; each bar shows its count and share. Figures on fewer than 5 ratings are withheld. A caller who rated an indicator more than once in the period counts once (the latest rating).</p>
${satisfactionTableHtml(table, deps.serviceName)}
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

export const reportPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  deps.nav.push({ href: '/staff/reports', label: 'Reports', labelKm: 'របាយការណ៍', roles: ['admin', 'reviewer', 'viewer'] });

  // Off the webhooks' event loop on the embedded store (a worker thread): src/staff/report-runner.ts.
  const runner = new ReportRunner(rt);
  const tableAndSummary = (period: Period, area: Area) => runner.tableAndSummary(period, area);

  const serviceName = (id: string) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? html`${s.name.en} ${km(s.name.km)}` : html`${id}`;
  };
  const indicatorLabel = (service: string, id: string) =>
    rt.scorecard.services.find((s) => s.id === service)?.indicators.find((i) => i.id === id)?.en ?? id;
  const placeName = (code: string) => {
    const p = rt.gazetteer.find(code);
    return p ? html`${km(p.nameKm)} <span class="latin">${p.nameLatin}</span> <span class="muted">${code}</span>` : html`${code}`;
  };
  const query = (period: Period, code: string) =>
    new URLSearchParams({ from: period.label.from, to: period.label.to, ...(code ? { code } : {}) }).toString();

  const form = (period: Period | null, code: string) => html`<form method="get" action="/staff/reports" class="filters">
  <label><span>Area code ${km('លេខកូដ')}</span><input name="code" value="${code}" inputmode="numeric" maxlength="6" placeholder="province 2, district 4 or commune 6 digits; empty: whole country"></label>
  <label><span>From ${km('ពី')}</span><input name="from" type="date" value="${period?.label.from ?? ''}"></label>
  <label><span>To (not included) ${km('ដល់')}</span><input name="to" type="date" value="${period?.label.to ?? ''}"></label>
  <button type="submit">Show</button>
</form>`;

  const badRequest = (res: Response, err: BadRequestError, code: string) =>
    sendPage(res, { title: 'Reports', body: html`${form(null, code)}<p class="error" role="alert">${err.message}</p>` }, 400);

  router.get('/reports', everyone, async (req: Request, res: Response, next) => {
    const code = typeof req.query.code === 'string' ? req.query.code.trim() : '';
    try {
      const period = periodFromQuery(req.query);
      const area = areaFromCode(code);
      if (area.communes) {
        res.redirect(303, `/staff/reports/commune/${code}?${query(period, '')}`);
        return;
      }
      const { table, summary } = await tableAndSummary(period, area);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code || 'country', from: period.label.from, to: period.label.to } });
      const communes = summary.communes;
      sendPage(res, {
        title: 'Scorecard reports',
        body: html`${form(period, code)}
<h2>${code ? placeName(code) : html`Whole country ${km('ទូទាំងប្រទេស')}`}</h2>
${satisfactionTableHtml(table, serviceName)}
<p><a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=table">Download the table (CSV)</a> · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=summary">Download all figures (CSV)</a></p>
<h2>Communes with ratings in this period</h2>
${communes.length === 0 ? html`<p class="muted">No ratings in this period.</p>` : html`<table class="communes">
<thead><tr><th scope="col">Commune ${km('ឃុំ')}</th>${rt.scorecard.services.map((s) => html`<th scope="col">${serviceName(s.id)}</th>`)}</tr></thead>
<tbody>${communes.map((c) => html`<tr><td><a href="/staff/reports/commune/${c.code}?${query(period, '')}">${placeName(c.code)}</a></td>${c.services.map((s) => html`<td>${s.withheld ? html`<span class="muted">too few</span>` : html`${pct(s.satisfiedShare)} <span class="muted">(n ${s.ratings})</span>`}</td>`)}</tr>`)}</tbody>
</table>`}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err, code);
      else next(err);
    }
  });

  router.get('/reports/commune/:code', everyone, async (req: Request, res: Response, next) => {
    const code = String(req.params.code);
    try {
      const period = periodFromQuery(req.query);
      if (!rt.gazetteer.isCommune(code)) throw new BadRequestError(`${code.slice(0, 20)} is not a commune code in the gazetteer`);
      const area = { communes: [code] };
      const { table, summary } = await tableAndSummary(period, area);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code, from: period.label.from, to: period.label.to } });
      const place = rt.gazetteer.find(code)!;
      sendPage(res, {
        title: `${place.nameLatin} (${code})`,
        body: html`${form(period, code)}
<p>${placeName(code)} · ${placeName(code.slice(0, 4))} · ${placeName(code.slice(0, 2))}</p>
<p>Period: ${period.label.from} to ${period.label.to} (not included) · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=summary">Download this commune's figures (CSV)</a> · <a href="/staff/reports/download.csv?${query(period, code)}&amp;kind=table">Download the table (CSV)</a></p>
${communeReportHtml(summary.communes[0], table, { serviceName, indicatorLabel })}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err, code);
      else next(err);
    }
  });

  router.get('/reports/download.csv', everyone, async (req: Request, res: Response, next) => {
    const code = typeof req.query.code === 'string' ? req.query.code.trim() : '';
    try {
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
