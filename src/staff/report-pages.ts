/**
 * Scorecard report pages for staff and the councils they report to: an area's satisfaction table
 * and its communes (grouped under their provinces or districts, sortable), a commune page, a
 * one-page printable commune scorecard, and CSV downloads. Figures come from src/reports: each is
 * withheld under REPORT_MIN_CALLERS callers or where it would let a withheld figure be worked out
 * (src/reports/disclosure-control.ts).
 *
 * Pages say what figures mean in plain words ("7 of 10 callers satisfied", "up 2 of 10 since
 * October to December 2025"), keep the exact figures a click away, say why a figure is not shown
 * and point to a wider view (the district, the last 12 months) that is likely to have one. A
 * change is only ever the difference of two shown figures (src/reports/out-of-ten.ts), each
 * protected in its own period, and the two periods never overlap.
 *
 * This module holds the routes, the filters and the area page; the commune page and its
 * scorecard are drawn by commune-report.ts, the tables they share by report-tables.ts, the words
 * by report-words.ts and the charts by report-charts.ts.
 */
import { Request, Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError } from '../errors';
import { cambodianMidnight, CAMBODIA_UTC_OFFSET_HOURS, dayAfter, lastDay, longerPeriod, parsePeriod, Period, previousPeriod } from '../reports/period';
import { ratingsWaitingForPlace } from '../reports/places-waiting';
import { dontKnowAnswers } from '../reports/dont-know';
import { Area } from '../reports/rating-counts';
import { TABLE_COLUMNS } from '../reports/satisfaction-table';
import { reportCsv } from '../reports/scorecard-report';
import { AreaRow } from '../reports/table-and-summary';
import { CommuneView, communeReportHtml, scorecardHtml } from './commune-report';
import { html, htmlInSlices, SafeHtml } from './html';
import { Translate, tr, translator } from './i18n/i18n';
import { km, scrollBox, sendPage } from './layout';
import { ictDay, placeLabel } from './message-pages';
import { cambodiaDateTime } from './page-dates';
import { chartPatterns } from './report-charts';
import { areaUrl, cellHtml, CommuneSort, communeUrl, longerLink, meaningHtml, periodQuery, ReportNames, satisfactionTableHtml, scorecardUrl, sortFromQuery, sortParam, sortRows, widerLinks } from './report-tables';
import { periodWords } from './report-words';
import { StaffPages } from './staff-router';

const ENGLISH = translator('en');

/** From/to as calendar days; `until` (the form's last day, included) wins over `to` (exclusive). By default 1 January of this year to today (Cambodia). */
export function periodFromQuery(q: Record<string, unknown>, now = new Date()): Period {
  const local = new Date(now.getTime() + CAMBODIA_UTC_OFFSET_HOURS * 3600_000);
  const tomorrow = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1)).toISOString().slice(0, 10);
  const from = typeof q.from === 'string' && q.from ? q.from : `${local.getUTCFullYear()}-01-01`;
  const until = typeof q.until === 'string' && q.until ? q.until : '';
  if (until) cambodianMidnight(until, 'until');
  const to = until ? dayAfter(until) : typeof q.to === 'string' && q.to ? q.to : tomorrow;
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

/** Bad days (2026-02-31) and a last day before the first, in the reader's words, before any figure is computed. */
function periodProblems(q: Record<string, unknown>, t: Translate): string[] {
  const from = typeof q.from === 'string' ? q.from : '';
  const until = typeof q.until === 'string' ? q.until : '';
  const to = typeof q.to === 'string' ? q.to : '';
  const a = ictDay(from, false, t);
  const problems = [a.problem];
  if (until) {
    const b = ictDay(until, false, t);
    problems.push(b.problem);
    if (a.at && b.at && b.at < a.at) problems.push(t('report.last-day-before-first', { from, until }));
  } else {
    const b = ictDay(to, false, t);
    problems.push(b.problem);
    if (a.at && b.at && b.at <= a.at) problems.push(t('report.to-not-after-from', { from, to }));
  }
  return problems.filter((p): p is string => Boolean(p));
}

export const reportPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  const everyone = requireRole('admin', 'reviewer', 'viewer');
  deps.nav.push({ href: '/staff/reports', key: 'nav.reports', roles: ['admin', 'reviewer', 'viewer'] });

  // Off the webhooks' event loop (a child process), and kept for REPORT_FRESH_SECONDS: src/staff/report-runner.ts.
  const runner = deps.reports;
  const serviceIds = rt.scorecard.services.map((s) => s.id);

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
  const serviceWords = (t: Translate) => (id: string) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? (t.lang === 'km' ? s.name.km : s.name.en) : id;
  };
  const namesFor = (t: Translate): ReportNames => ({ serviceName, serviceWords: serviceWords(t), placeName, indicatorLabel: (service, id) => indicatorLabel(service, id, t) });
  const sortName = (t: Translate) => (code: string) => {
    const p = rt.gazetteer.find(code);
    return p ? (t.lang === 'km' ? p.nameKm : p.nameLatin) : code;
  };
  // When the figures were counted, and for how long they are shown again (REPORT_FRESH_SECONDS).
  const countedAtHtml = (countedAt: Date, t: Translate) => {
    const time = cambodiaDateTime(countedAt, t, { seconds: true });
    const seconds = rt.config.reportFreshSeconds;
    return html`<p class="muted counted-at">${seconds ? t('report.counted-at-kept', { time, seconds: String(seconds) }) : t('report.counted-at', { time })}</p>`;
  };
  // A country page's 1,650 commune rows, rendered once per language and order for figures shown
  // again (REPORT_FRESH_SECONDS): the same counted rows come back as the same array, and go with it.
  const renderedRows = new WeakMap<object, Map<string, Promise<SafeHtml>>>();
  const renderedOnce = (rows: object, variant: string, render: () => Promise<SafeHtml>) => {
    let byVariant = renderedRows.get(rows);
    if (!byVariant) renderedRows.set(rows, (byVariant = new Map()));
    let made = byVariant.get(variant);
    if (!made) byVariant.set(variant, (made = render()));
    return made;
  };

  /** The area picker: province, then its districts, then their communes, by name; the script fills the next list in. */
  const form = (period: { from: string; until: string } | null, code: string, t: Translate) => {
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
  <label><span>${t('report.first-day')}</span> <input name="from" type="date" value="${period?.from ?? ''}"></label>
  <label><span>${t('report.last-day')}</span> <input name="until" type="date" value="${period?.until ?? ''}"></label>
  <div class="filter-buttons"><button type="submit">${t('report.show')}</button></div>
</form>`;
  };
  const formDays = (period: Period) => ({ from: period.label.from, until: lastDay(period) });

  const badRequest = (res: Response, message: string | string[], code: string, q: Record<string, unknown>) => {
    const t = tr(res);
    const given = { from: typeof q.from === 'string' ? q.from.slice(0, 10) : '', until: typeof q.until === 'string' ? q.until.slice(0, 10) : '' };
    const messages = Array.isArray(message) ? message : [message];
    sendPage(res, {
      title: t('report.title'),
      scripts: ['messages.js'],
      body: html`${form(given, code, t)}<div class="error" role="alert">${messages.map((m) => html`<p>${m}</p>`)}<p>${t('filter.fix-and-retry')}</p></div>`,
    }, 400);
  };

  /** The commune list: a row group per province (or district) with its own figures first, in the chosen order. */
  const communeList = async (period: Period, code: string, communes: AreaRow[], groups: AreaRow[], sort: CommuneSort, t: Translate) => {
    const groupOf = (commune: string) => (groups[0]?.level === 'province' ? commune.slice(0, 2) : groups[0]?.level === 'district' ? commune.slice(0, 4) : '');
    const nameOf = sortName(t);
    const sortedGroups = groups.length ? sortRows(groups, sort, nameOf, t.lang) : [null];
    const cells = (r: AreaRow) => r.services.map((s) => html`<td>${cellHtml(s, undefined, rt.config.reportMinCallers, t)}</td>`);
    const whole = groups[0]?.level === 'province' ? t('report.whole-province') : t('report.whole-district');
    const rows = await htmlInSlices(sortedGroups, (g) => {
      const members = sortRows(communes.filter((c) => !g || groupOf(c.code) === g.code), sort, nameOf, t.lang);
      return html`<tbody>${g ? html`<tr class="group-row"><th scope="row"><a href="${areaUrl(period, g.code)}">${placeName(g.code)}</a> <span class="muted">(${whole})</span></th>${cells(g)}</tr>` : ''}${members.map((c) => html`<tr><th scope="row"><a href="${communeUrl(period, c.code)}">${placeName(c.code)}</a></th>${cells(c)}</tr>`)}</tbody>`;
    }, 5);
    const sortLink = (next: CommuneSort, label: SafeHtml | string, state: string) =>
      html`<a href="/staff/reports?${periodQuery(period, { ...(code ? { code } : {}), sort: sortParam(next) })}">${label}<span class="sort-state">${state}</span></a>`;
    const nameSorted = sort.by === 'name';
    const head = html`<thead><tr><th scope="col"${nameSorted ? html` aria-sort="ascending"` : ''}>${sortLink({ by: 'name' }, t('report.place'), nameSorted ? ` ${t('report.sorted-by-name')}` : '')}</th>${rt.scorecard.services.map((s) => {
      const on = sort.by === 'service' && sort.service === s.id ? sort : null;
      const next: CommuneSort = { by: 'service', service: s.id, lowFirst: Boolean(on && !on.lowFirst) };
      return html`<th scope="col"${on ? html` aria-sort="${on.lowFirst ? 'ascending' : 'descending'}"` : ''}>${sortLink(next, serviceName(s.id), on ? ` ${on.lowFirst ? t('report.sorted-low-first') : t('report.sorted-high-first')}` : '')}</th>`;
    })}</tr></thead>`;
    return html`<p class="muted">${groups.length ? t('report.sort-note-grouped', { whole }) : t('report.sort-note')}</p>
${scrollBox(t('report.communes-heading'), html`<table class="communes">${head}${rows}</table>`)}`;
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
        res.redirect(303, communeUrl(period, code));
        return;
      }
      const sort = sortFromQuery(q.sort, serviceIds);
      const previous = previousPeriod(period);
      // This period's figures and the previous one's, counted in one report process.
      const { table, communes, groups, before, countedAt } = await runner.tableAndCommuneRows(period, area, previous);
      // Ratings whose place a caller said (no code) belong to no area until staff confirm it: the whole country's page says how many wait.
      const waiting = code ? null : await ratingsWaitingForPlace(rt.store, period, rt.config.reportMinCallers);
      // "Don't know / did not use" answers are in no figure: the page says how many, apart.
      const dontKnow = await dontKnowAnswers(rt.store, period, area, rt.config.reportMinCallers);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code || 'country', from: period.label.from, to: period.label.to } });
      const list = communes.length === 0 ? html`<p class="muted">${t('report.no-ratings')}</p>`
        : await renderedOnce(communes, `${t.lang}|${periodQuery(period)}|${code}|${sortParam(sort)}`, () => communeList(period, code, communes, groups, sort, t));
      const withheld = table.rows.some((r) => TABLE_COLUMNS.some((c) => r.cells[c].withheld));
      const parent = code.length === 4 ? code.slice(0, 2) : code.length === 2 ? '' : null;
      const longer = longerPeriod(period);
      sendPage(res, {
        title: t('report.title'),
        scripts: ['messages.js'],
        body: html`${chartPatterns()}${form(formDays(period), code, t)}
<h2>${code ? placeName(code) : t('report.whole-country')}</h2>
<p class="period-line">${t('report.period', { period: periodWords(period, t) })} · ${t('report.compared-with', { period: periodWords(previous, t) })}</p>
${countedAtHtml(countedAt, t)}
${waiting?.status === 'shown' ? html`<p class="places-waiting">${t('report.places-waiting', { n: waiting.ratings })}</p>` : waiting?.status === 'too-few' ? html`<p class="places-waiting">${t('report.places-waiting-few')}</p>` : ''}
${dontKnow.status === 'shown' ? html`<p class="dont-know">${t('report.dont-know', { n: dontKnow.answers })}</p>` : dontKnow.status === 'too-few' ? html`<p class="dont-know">${t('report.dont-know-few')}</p>` : ''}
${meaningHtml(table.minCallers, t)}
${satisfactionTableHtml(table, serviceName, t, before?.table)}
${withheld ? html`<p class="withheld-help">${t('report.withheld-help')} ${widerLinks([
    ...(parent !== null ? [{ href: areaUrl(period, parent), label: parent ? placeName(parent) : html`${t('report.whole-country')}` }] : []),
    ...longerLink(longer, areaUrl(longer ?? period, code), t),
  ], t)}</p>` : ''}
<p><a href="/staff/reports/download.csv?${periodQuery(period, code ? { code } : {})}&amp;kind=table">${t('report.download-table')}</a> · <a href="/staff/reports/download.csv?${periodQuery(period, code ? { code } : {})}&amp;kind=summary">${t('report.download-all')}</a></p>
<h2 id="communes">${t('report.communes-heading')}</h2>
${list}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err.message, code, q);
      else next(err);
    }
  });

  /** A commune's figures for the period and the one before, for its page and its scorecard. */
  const communeView = async (code: string, period: Period): Promise<{ view: CommuneView; countedAt: Date }> => {
    const area = { communes: [code] };
    const previous = previousPeriod(period);
    const { table, summary, around, before, countedAt } = await runner.tableAndSummary(period, area, previous);
    return {
      countedAt,
      view: {
        code,
        period,
        previous,
        before: before ? { summary: before.summary.communes[0], table: before.table } : null,
        longer: longerPeriod(period),
        area: summary.communes[0],
        table,
        around,
        minCallers: table.minCallers,
      },
    };
  };

  const communeRoute = (scorecard: boolean) => async (req: Request, res: Response, next: (err?: unknown) => void) => {
    const code = String(req.params.code);
    const q = req.query as Record<string, unknown>;
    const t = tr(res);
    try {
      const problems = periodProblems(q, t);
      if (problems.length) return badRequest(res, problems, code, q);
      const period = periodFromQuery(q);
      if (!rt.gazetteer.isCommune(code)) throw new BadRequestError(t('report.not-a-commune', { code: code.slice(0, 20) }));
      const { view, countedAt } = await communeView(code, period);
      await deps.audit.record({ username: staffLocals(res).session.username, action: 'view-report', detail: { area: code, from: period.label.from, to: period.label.to, ...(scorecard ? { scorecard: true } : {}) } });
      const place = rt.gazetteer.find(code)!;
      const placeWord = t.lang === 'km' ? place.nameKm : place.nameLatin;
      const names = namesFor(t);
      if (scorecard) {
        sendPage(res, { title: t('report.scorecard-title-of', { place: placeWord }), body: html`${scorecardHtml(view, names, t)}${countedAtHtml(countedAt, t)}` });
        return;
      }
      const csv = (kind: string) => `/staff/reports/download.csv?${periodQuery(period, { code })}&amp;kind=${kind}`;
      sendPage(res, {
        title: `${placeWord} (${code})`,
        scripts: ['messages.js'],
        body: html`<details class="change-view"><summary>${t('report.change-view')}</summary>${form(formDays(period), code, t)}</details>
<p class="place-line">${placeName(code)} · ${placeName(code.slice(0, 4))} · ${placeName(code.slice(0, 2))}</p>
<p class="period-line"><strong>${t('report.period', { period: periodWords(period, t) })}</strong></p>
<p class="report-links"><a href="${scorecardUrl(period, code)}">${t('report.print-scorecard')}</a> · <a href="${csv('summary')}">${t('report.download-commune')}</a> · <a href="${csv('table')}">${t('report.download-table')}</a></p>
${communeReportHtml(view, names, t)}
${countedAtHtml(countedAt, t)}`,
      });
    } catch (err) {
      if (err instanceof BadRequestError) badRequest(res, err.message, code, q);
      else next(err);
    }
  };
  router.get('/reports/commune/:code', everyone, communeRoute(false));
  router.get('/reports/commune/:code/scorecard', everyone, communeRoute(true));

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

