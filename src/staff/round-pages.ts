import { lazyAjv } from '../schema-validation';
import { Request, Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import { cambodianDay } from '../outbound/cambodia-time';
import { REVIEW_STATES } from '../messages/messages';
import { Figures } from '../reports/figures';
import { cambodianMidnight, dayAfter } from '../reports/period';
import { IndicatorComparison, RoundComparison, roundComparison, StoredFigures } from '../rounds/round-comparison';
import { RoundRegister } from '../rounds/round-register';
import {
  checkedCounts, defaultPhonePeriod, nextRoundStates, proposedIndicatorKey, resultId, ROUND_STATES, RoundResult, RoundState, roundId, ScorecardRound, STORED_CHANNELS, StoredChannel,
} from '../rounds/scorecard-round';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { westernDigits } from './khmer-digits';
import { csrfField, scrollBox, sendPage } from './layout';
import { calendarDay, cambodiaDateTime } from './page-dates';
import { SCALE_KEYS } from './report-charts';
import { notShownWords } from './report-words';
import { StaffPages } from './staff-router';

/**
 * Scorecard rounds at the desk (src/rounds/): the list with its filters and a form for a new round;
 * a round's page with its dates, its state (moved on by compare-and-set: a page left open while
 * someone else moved the round is told so, and nothing changes), the three channels side by side
 * per indicator and the form that enters or replaces the meeting's or the self-assessment's
 * result for one indicator; and the interface meeting pack, a page made to be printed on A4.
 * Phone figures come from the reports (src/rounds/round-comparison.ts), counted in the report
 * runner's child process like every other report page. Reviewers and admins edit; viewers read.
 */

const BASE = '/staff/rounds';
const ROUND_ID = /^[0-9]{6}-[a-z0-9]+(-[a-z0-9]+)*-20[0-9]{2}$/;
const DAY = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
const OPTIONAL_DAY = `^(${DAY})?$`;
const COUNT = '^([0-9]{1,6})?$';
/** Lines of strengths, weaknesses or actions a result keeps at most, and characters per line. */
const MAX_LINES = 30;
const MAX_LINE = 500;

const ajv = lazyAjv({ allErrors: true, coerceTypes: false });
const text = (max: number) => ({ type: 'string', maxLength: max });
const validateRoundBody = ajv.compile({
  type: 'object',
  required: ['commune', 'service', 'year'],
  additionalProperties: false,
  properties: { _csrf: text(100), commune: { type: 'string', pattern: '^[0-9]{6}$' }, service: text(40), facility: text(60), year: { type: 'string', pattern: '^20[0-9]{2}$' }, plannedOn: { type: 'string', pattern: OPTIONAL_DAY } },
});
const validateDatesBody = ajv.compile({
  type: 'object',
  required: ['phoneFrom', 'phoneTo'],
  additionalProperties: false,
  properties: { _csrf: text(100), plannedOn: { type: 'string', pattern: OPTIONAL_DAY }, heldOn: { type: 'string', pattern: OPTIONAL_DAY }, phoneFrom: { type: 'string', pattern: `^${DAY}$` }, phoneTo: { type: 'string', pattern: `^${DAY}$` } },
});
const validateStateBody = ajv.compile({
  type: 'object',
  required: ['from', 'state'],
  additionalProperties: false,
  properties: { _csrf: text(100), from: { enum: [...ROUND_STATES] }, state: { enum: [...ROUND_STATES] } },
});
const validateResultBody = ajv.compile({
  type: 'object',
  required: ['channel', 'indicator'],
  additionalProperties: false,
  properties: {
    _csrf: text(100), channel: { enum: [...STORED_CHANNELS] }, indicator: text(100), proposedWords: text(200),
    c1: { type: 'string', pattern: COUNT }, c2: { type: 'string', pattern: COUNT }, c3: { type: 'string', pattern: COUNT }, c4: { type: 'string', pattern: COUNT }, c5: { type: 'string', pattern: COUNT },
    strengths: text(MAX_LINES * (MAX_LINE + 2)), weaknesses: text(MAX_LINES * (MAX_LINE + 2)), suggested: text(MAX_LINES * (MAX_LINE + 2)), priorities: text(MAX_LINES * (MAX_LINE + 2)),
  },
});

/** The form's fields as strings, numbers typed in Khmer digits read as the digits they are; free text kept as typed. */
function formBody(body: unknown, numeric: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) {
      if (typeof v !== 'string') out[k] = v as string;
      else out[k] = numeric.includes(k) ? westernDigits(v.trim()) : v;
    }
  }
  return out;
}

/** A textarea's lines, trimmed, empty ones dropped. */
function lines(value: string | undefined): string[] {
  const out = (value ?? '').split(/\r?\n/).map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l);
  if (out.length > MAX_LINES || out.some((l) => l.length > MAX_LINE)) throw new BadRequestError(`at most ${MAX_LINES} lines of ${MAX_LINE} characters`, { key: 'rounds.too-many-lines', vars: { lines: MAX_LINES, chars: MAX_LINE } });
  return out;
}

const realDay = (day: string | undefined): boolean => {
  if (!day) return true;
  try {
    cambodianMidnight(day);
    return true;
  } catch {
    return false;
  }
};

const gapWords = (gap: number | null): string => (gap === null ? '–' : gap > 0 ? `+${gap}` : gap < 0 ? `−${-gap}` : '0');

export const roundPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: BASE, key: 'nav.rounds', roles: ['admin', 'reviewer', 'viewer'] });
  const editors = requireRole('admin', 'reviewer');
  const register = new RoundRegister(rt.store);
  const facilities = () => rt.programme.areas.facilities;

  // Khmer pages name places, services and facilities in Khmer only; English pages in English with the Khmer after.
  const placeName = (code: string, t: Translate): string => {
    const p = rt.gazetteer.find(code);
    if (!p) return code;
    return t.lang === 'km' ? p.nameKm : `${p.nameLatin} (${p.nameKm})`;
  };
  const communeLine = (code: string, t: Translate) => [code, code.slice(0, 4), code.slice(0, 2)].map((c) => placeName(c, t)).join(', ');
  const serviceName = (id: string, t: Translate) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? (t.lang === 'km' ? s.name.km : s.name.en) : id;
  };
  const facilityName = (id: string, t: Translate) => {
    const f = facilities().find((x) => x.id === id);
    return f ? (t.lang === 'km' ? f.name.km : f.name.en) : id;
  };
  const whatOf = (r: ScorecardRound, t: Translate) => (r.facilityId ? `${serviceName(r.service, t)}: ${facilityName(r.facilityId, t)}` : serviceName(r.service, t));
  // As the report pages: an indicator's Khmer words are the prompt callers hear; English from the scorecard.
  const indicatorLabel = (service: string, id: string, t: Translate) =>
    (t.lang === 'km' ? rt.catalog.prompts[`indicator.${service}.${id}`]?.text.km : undefined)
    ?? rt.scorecard.services.find((s) => s.id === service)?.indicators.find((i) => i.id === id)?.en ?? id;
  const rowLabel = (round: ScorecardRound, row: IndicatorComparison, t: Translate): SafeHtml => (row.key.startsWith('proposed:')
    ? html`<span class="note-text">${row.proposedWords ?? row.key.slice('proposed:'.length)}</span> <span class="muted">(${t('rounds.proposed')})</span>`
    : html`${indicatorLabel(round.service, row.key, t)}`);
  const stateWord = (s: RoundState, t: Translate) => t(`rounds.state.${s}`);
  const channelWord = (c: StoredChannel, t: Translate) => t(`rounds.channel.${c}`);
  const day = (d: string | undefined, t: Translate) => (d ? calendarDay(d, t) : t('rounds.not-set'));
  const period = (r: ScorecardRound, t: Translate) => t('rounds.period', { from: calendarDay(r.phoneFrom, t), until: calendarDay(dayBefore(r.phoneTo), t) });

  const findRound = async (req: Request): Promise<ScorecardRound> => {
    const id = String(req.params.id ?? '');
    const round = ROUND_ID.test(id) ? await register.round(id) : null;
    if (!round) throw new NotFoundError('No such scorecard round.', { key: 'rounds.not-found' });
    return round;
  };
  const comparisonOf = (round: ScorecardRound) => roundComparison({ store: rt.store, scorecard: rt.scorecard, gazetteer: rt.gazetteer, minCallers: rt.config.reportMinCallers, facilities: facilities(), report: (r) => deps.reports.report(r) }, round);

  /** A phone figure in a cell: its median and callers, or why it is not shown. */
  const phoneCell = (f: Figures | null, minCallers: number, t: Translate): SafeHtml => {
    if (!f) return html`<td class="muted">${t('rounds.not-asked')}</td>`;
    if (f.status !== 'shown') return html`<td class="not-shown">${notShownWords(f.status, minCallers, t)}</td>`;
    return html`<td>${t('rounds.median-of', { median: f.median ?? '–', n: f.callers ?? 0 })}</td>`;
  };
  const storedCell = (f: StoredFigures | null, t: Translate, edit?: SafeHtml): SafeHtml => (f
    ? html`<td>${t('rounds.median-of-people', { median: f.median, n: f.participants })}${edit ?? ''}</td>`
    : html`<td class="muted">${t('rounds.no-result')}${edit ?? ''}</td>`);
  const messageLine = (c: RoundComparison, t: Translate): SafeHtml => html`<p>${t('rounds.messages-line', { total: c.messages.total })} ${c.messages.total
    ? REVIEW_STATES.map((s, k) => html`${k ? ' · ' : ''}${t(`state.${s}`)}: ${c.messages[s]}`)
    : ''}</p>`;
  // The pack goes to a public meeting: a count under the publication minimum could point at the
  // few who called, so it says only "fewer than N", and the split by review state stays on the desk.
  const packMessageLine = (c: RoundComparison, t: Translate): SafeHtml => (c.messages.total >= rt.config.reportMinCallers
    ? html`<p>${t('rounds.messages-line', { total: c.messages.total })}</p>`
    : html`<p>${t('rounds.messages-few', { min: rt.config.reportMinCallers })}</p>`);

  router.get('/rounds', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const year = westernDigits(String(req.query.year ?? '').trim());
      const province = String(req.query.province ?? '').trim();
      const state = String(req.query.state ?? '').trim();
      if ((year && !/^20[0-9]{2}$/.test(year)) || (province && !(/^[0-9]{2}$/.test(province) && rt.gazetteer.find(province))) || (state && !ROUND_STATES.includes(state as RoundState))) {
        throw new BadRequestError('Choose a year such as 2026, a province and a state from the lists.', { key: 'rounds.bad-filter' });
      }
      const rounds = (await register.list({ ...(year ? { year: Number(year) } : {}), ...(province ? { provinces: [province] } : {}), ...(state ? { states: [state as RoundState] } : {}) }))
        // Newest first: by year, then the meeting day, then when the round was entered.
        .sort((a, b) => b.year - a.year || (b.plannedOn ?? '').localeCompare(a.plannedOn ?? '') || new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime());
      const canEdit = staff.role !== 'viewer';
      const thisYear = Number(cambodianDay(new Date()).slice(0, 4));
      const option = (value: string, label: string, chosen: string) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${label}</option>`;
      sendPage(res, {
        title: t('rounds.title'),
        body: html`<p>${t('rounds.intro')}</p>
<form method="get" action="${BASE}" class="filters">
  <label><span>${t('rounds.year')}</span> <input name="year" value="${year}" inputmode="numeric" maxlength="4" autocomplete="off"></label>
  <label><span>${t('filter.province')}</span> <select name="province">${option('', t('filter.all-provinces'), province)}${rt.gazetteer.provinces.map((p) => option(p.code, t.lang === 'km' ? p.nameKm : p.nameLatin, province))}</select></label>
  <label><span>${t('rounds.state')}</span> <select name="state">${option('', t('rounds.all-states'), state)}${ROUND_STATES.map((s) => option(s, stateWord(s, t), state))}</select></label>
  <div class="filter-buttons"><button type="submit">${t('rounds.show')}</button></div>
</form>
${rounds.length === 0 ? html`<p>${t('rounds.none')}</p>` : scrollBox(t('rounds.title'), html`<table class="rounds"><thead><tr><th scope="col">${t('rounds.commune')}</th><th scope="col">${t('rounds.service')}</th><th scope="col">${t('rounds.year')}</th><th scope="col">${t('rounds.planned-on')}</th><th scope="col">${t('rounds.state')}</th></tr></thead><tbody>
${rounds.map((r) => html`<tr><th scope="row"><a href="${BASE}/${r._id}">${placeName(r.communeCode, t)}</a> <span class="muted">${r.communeCode}</span></th><td>${whatOf(r, t)}</td><td>${r.year}</td><td>${day(r.heldOn ?? r.plannedOn, t)}</td><td>${stateWord(r.state, t)}</td></tr>`)}
</tbody></table>`)}
${canEdit ? html`<h2>${t('rounds.add')}</h2>
<form method="post" action="${BASE}" class="filters">${csrfField(staff)}
  <label><span>${t('rounds.commune-code')}</span> <input name="commune" inputmode="numeric" maxlength="6" required autocomplete="off"></label>
  <label><span>${t('rounds.service')}</span> <select name="service">${rt.scorecard.services.map((s) => html`<option value="${s.id}">${serviceName(s.id, t)}</option>`)}</select></label>
  <label><span>${t('rounds.facility')}</span> <select name="facility"><option value="">${t('rounds.no-facility')}</option>${facilities().map((f) => html`<option value="${f.id}">${t.lang === 'km' ? f.name.km : f.name.en}</option>`)}</select></label>
  <label><span>${t('rounds.year')}</span> <input name="year" inputmode="numeric" maxlength="4" required value="${thisYear}"></label>
  <label><span>${t('rounds.planned-on')}</span> <input name="plannedOn" type="date"></label>
  <div class="filter-buttons"><button type="submit">${t('rounds.add')}</button></div>
</form>
<p class="muted">${t('rounds.add-help')}</p>
<p><a href="${BASE}/import">${t('rounds-import.title')}</a></p>` : ''}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/rounds', editors, async (req: Request, res: Response, next) => {
    try {
      const body = formBody(req.body, ['commune', 'year', 'plannedOn']);
      if (body.facility === '') delete body.facility;
      if (body.plannedOn === '') delete body.plannedOn;
      if (!validateRoundBody(body) || !rt.gazetteer.isCommune(body.commune) || !rt.scorecard.services.some((s) => s.id === body.service) || !realDay(body.plannedOn)) {
        throw new BadRequestError('Give a six-digit commune code from the gazetteer, the service, the year and, if known, the planned day.', { key: 'rounds.bad-round' });
      }
      const facility = body.facility ? facilities().find((f) => f.id === body.facility) : undefined;
      if (body.facility && (!facility || facility.service !== body.service || !facility.communes.includes(body.commune))) {
        throw new BadRequestError('The facility must be of the chosen service and serve the commune.', { key: 'rounds.bad-facility' });
      }
      const { staff } = staffLocals(res);
      const year = Number(body.year);
      const { districtCode, provinceCode } = rt.gazetteer.lineage(body.commune);
      const round: ScorecardRound = {
        _id: roundId(body.commune, facility?.id ?? body.service, year), communeCode: body.commune, districtCode, provinceCode, service: body.service,
        ...(facility ? { facilityId: facility.id } : {}), year, ...(body.plannedOn ? { plannedOn: body.plannedOn } : {}), ...defaultPhonePeriod(year, body.plannedOn),
        state: 'planned', history: [], createdAt: new Date(), createdBy: staff.username,
      };
      try {
        await register.addRound(round);
      } catch (err) {
        if (err instanceof ConflictError) throw new ConflictError(err.message, { key: 'rounds.exists', cause: err });
        throw err;
      }
      await deps.audit.record({ username: staff.username, action: 'add-round', detail: { round: round._id } });
      res.redirect(303, `${BASE}/${round._id}`);
    } catch (err) {
      next(err);
    }
  });

  /** The round's page; `conflict` when a state change found the round moved on meanwhile. */
  const roundPage = async (req: Request, res: Response, round: ScorecardRound, opts: { conflict?: { tried: RoundState } } = {}, status = 200) => {
    const t = tr(res);
    const { staff } = staffLocals(res);
    const canEdit = staff.role !== 'viewer';
    const c = await comparisonOf(round);
    const service = rt.scorecard.services.find((s) => s.id === round.service);
    const editLink = (channel: StoredChannel, row: IndicatorComparison) => (canEdit && round.state !== 'completed'
      ? html` <a class="no-print" href="${BASE}/${round._id}?${new URLSearchParams({ channel, indicator: row.key }).toString()}#enter">${t('rounds.change-result')}<span class="visually-hidden"> ${channelWord(channel, t)}: ${row.proposedWords ?? (row.key.startsWith('proposed:') ? row.key : indicatorLabel(round.service, row.key, t))}</span></a>`
      : undefined);
    // The form is filled in with a stored result when its "change" link was followed.
    const chosenChannel = STORED_CHANNELS.includes(req.query.channel as StoredChannel) ? (req.query.channel as StoredChannel) : 'meeting';
    const chosenKey = typeof req.query.indicator === 'string' ? req.query.indicator.slice(0, 100) : '';
    const stored = chosenKey ? (await register.resultsOf(round._id, chosenChannel)).find((r) => r.indicatorKey === chosenKey) : undefined;
    const proposedKeys = c.indicators.filter((i) => i.key.startsWith('proposed:'));
    const countsField = (k: number) => html`<label><span>${t('rounds.count-of', { point: k + 1, words: t(SCALE_KEYS[k]) })}</span> <input name="c${k + 1}" inputmode="numeric" maxlength="6" value="${stored ? stored.counts[k] : ''}"></label>`;
    const area = (name: string, label: string, value: string[] | undefined) => html`<label class="wide"><span>${label}</span> <textarea name="${name}" rows="3" maxlength="${MAX_LINES * (MAX_LINE + 2)}">${(value ?? []).join('\n')}</textarea></label>`;
    sendPage(res, {
      title: t('rounds.round-title', { commune: placeName(round.communeCode, t), what: whatOf(round, t), year: round.year }),
      body: html`${opts.conflict ? html`<div class="error conflict" role="alert"><p><strong>${t('rounds.state-conflict', { tried: stateWord(opts.conflict.tried, t), now: stateWord(round.state, t) })}</strong></p></div>` : ''}
<dl class="round-facts">
  <dt>${t('rounds.commune')}</dt><dd>${communeLine(round.communeCode, t)} <span class="muted">${round.communeCode}</span></dd>
  <dt>${t('rounds.service')}</dt><dd>${whatOf(round, t)}</dd>
  <dt>${t('rounds.planned-on')}</dt><dd>${day(round.plannedOn, t)}</dd>
  <dt>${t('rounds.held-on')}</dt><dd>${day(round.heldOn, t)}</dd>
  <dt>${t('rounds.phone-period')}</dt><dd>${period(round, t)}</dd>
  <dt>${t('rounds.state')}</dt><dd><strong>${stateWord(round.state, t)}</strong></dd>
</dl>
<p><a href="${BASE}/${round._id}/meeting-pack">${t('rounds.pack-link')}</a></p>
${canEdit ? html`<div class="round-actions">${nextRoundStates(round.state).map((s) => html`<form method="post" action="${BASE}/${round._id}/state" class="inline">${csrfField(staff)}<input type="hidden" name="from" value="${round.state}"><input type="hidden" name="state" value="${s}"><button type="submit"${ROUND_STATES.indexOf(s) < ROUND_STATES.indexOf(round.state) ? html` class="secondary"` : ''}>${t('rounds.move-to', { state: stateWord(s, t) })}</button></form>`)}</div>` : ''}
${round.history.length ? html`<details><summary>${t('rounds.history')}</summary><ul>${round.history.map((h) => html`<li>${cambodiaDateTime(h.at, t)} · ${h.by} · ${stateWord(h.state, t)}</li>`)}</ul></details>` : ''}
<h2>${t('rounds.side-by-side')}</h2>
<p>${t('rounds.side-by-side-intro')}</p>
${scrollBox(t('rounds.side-by-side'), html`<table class="round-results"><thead><tr><th scope="col">${t('rounds.indicator')}</th><th scope="col">${t('rounds.channel.phone')}</th><th scope="col">${t('rounds.channel.meeting')}</th><th scope="col">${t('rounds.channel.self-assessment')}</th><th scope="col">${t('rounds.gap')}</th></tr></thead><tbody>
${c.indicators.map((row) => html`<tr><th scope="row">${rowLabel(round, row, t)}</th>${phoneCell(row.phone, c.minCallers, t)}${storedCell(row.meeting, t, editLink('meeting', row))}${storedCell(row.selfAssessment, t, editLink('self-assessment', row))}<td>${gapWords(row.meetingGap)}</td></tr>`)}
</tbody></table>`)}
<p class="muted">${t('rounds.gap-means')} ${t('report.privacy-note', { min: c.minCallers })}</p>
${messageLine(c, t)}
${canEdit && round.state !== 'completed' ? html`<h2 id="enter">${t('rounds.enter-result')}</h2>
<p>${t('rounds.enter-help')}</p>
<form method="post" action="${BASE}/${round._id}/results" class="result-form">${csrfField(staff)}
  <label><span>${t('rounds.channel')}</span> <select name="channel">${STORED_CHANNELS.map((ch) => html`<option value="${ch}"${ch === chosenChannel ? html` selected` : ''}>${channelWord(ch, t)}</option>`)}</select></label>
  <label><span>${t('rounds.indicator')}</span> <select name="indicator">${(service?.indicators ?? []).map((i) => html`<option value="${i.id}"${i.id === chosenKey ? html` selected` : ''}>${indicatorLabel(round.service, i.id, t)}</option>`)}${proposedKeys.map((i) => html`<option value="${i.key}"${i.key === chosenKey ? html` selected` : ''}>${i.proposedWords ?? i.key}</option>`)}<option value="proposed">${t('rounds.new-proposed')}</option></select></label>
  <label class="wide"><span>${t('rounds.proposed-words')}</span> <input name="proposedWords" maxlength="200"></label>
  <fieldset class="counts"><legend>${t('rounds.counts')}</legend>${[0, 1, 2, 3, 4].map(countsField)}</fieldset>
  ${area('strengths', t('rounds.strengths-lines'), stored?.strengths)}
  ${area('weaknesses', t('rounds.weaknesses-lines'), stored?.weaknesses)}
  ${area('suggested', t('rounds.suggested-lines'), stored?.suggestedActions)}
  ${area('priorities', t('rounds.priorities-lines'), stored?.priorityActions)}
  <div><button type="submit">${t('rounds.save-result')}</button></div>
</form>` : ''}
${canEdit ? html`<h2>${t('rounds.dates')}</h2>
<form method="post" action="${BASE}/${round._id}/dates" class="filters">${csrfField(staff)}
  <label><span>${t('rounds.planned-on')}</span> <input name="plannedOn" type="date" value="${round.plannedOn ?? ''}"></label>
  <label><span>${t('rounds.held-on')}</span> <input name="heldOn" type="date" value="${round.heldOn ?? ''}"></label>
  <label><span>${t('rounds.phone-from')}</span> <input name="phoneFrom" type="date" required value="${round.phoneFrom}"></label>
  <label><span>${t('rounds.phone-until')}</span> <input name="phoneTo" type="date" required value="${dayBefore(round.phoneTo)}"></label>
  <div class="filter-buttons"><button type="submit">${t('rounds.save-dates')}</button></div>
</form>` : ''}`,
    }, status);
  };

  router.get('/rounds/:id', async (req: Request, res: Response, next) => {
    try {
      await roundPage(req, res, await findRound(req));
    } catch (err) {
      next(err);
    }
  });

  router.post('/rounds/:id/state', editors, async (req: Request, res: Response, next) => {
    try {
      const round = await findRound(req);
      const body = formBody(req.body, []);
      if (!validateStateBody(body) || body.from === body.state) throw new BadRequestError('Choose the new state.', { key: 'rounds.bad-state' });
      const { staff } = staffLocals(res);
      const to = body.state as RoundState;
      try {
        await register.setState(round._id, body.from as RoundState, { state: to, at: new Date(), by: staff.username });
      } catch (err) {
        // Someone moved the round since this page was drawn: show it as it is now, and change nothing.
        if (err instanceof ConflictError) {
          await roundPage(req, res, (await register.round(round._id)) ?? round, { conflict: { tried: to } }, 409);
          return;
        }
        if (err instanceof BadRequestError) throw new BadRequestError(err.message, { key: 'rounds.bad-state', cause: err });
        throw err;
      }
      await deps.audit.record({ username: staff.username, action: 'round-state', detail: { round: round._id, from: body.from, to } });
      res.redirect(303, `${BASE}/${round._id}`);
    } catch (err) {
      next(err);
    }
  });

  router.post('/rounds/:id/dates', editors, async (req: Request, res: Response, next) => {
    try {
      const round = await findRound(req);
      const body = formBody(req.body, ['plannedOn', 'heldOn', 'phoneFrom', 'phoneTo']);
      const ok = validateDatesBody(body) && [body.plannedOn, body.heldOn, body.phoneFrom, body.phoneTo].every(realDay) && body.phoneFrom <= body.phoneTo;
      if (!ok) throw new BadRequestError('Give real days; the phone period ends on or after it starts.', { key: 'rounds.bad-dates' });
      const { staff } = staffLocals(res);
      // The form shows the phone period's last day; the round keeps its end exclusive.
      const dates = { plannedOn: body.plannedOn || undefined, heldOn: body.heldOn || undefined, phoneFrom: body.phoneFrom, phoneTo: dayAfter(body.phoneTo) };
      const set = Object.fromEntries(Object.entries(dates).filter(([, v]) => v !== undefined)) as Partial<ScorecardRound>;
      await register.setDates(round._id, set);
      await deps.audit.record({ username: staff.username, action: 'round-dates', detail: { round: round._id, ...(set as Record<string, string>) } });
      res.redirect(303, `${BASE}/${round._id}`);
    } catch (err) {
      next(err);
    }
  });

  router.post('/rounds/:id/results', editors, async (req: Request, res: Response, next) => {
    try {
      const round = await findRound(req);
      const body = formBody(req.body, ['c1', 'c2', 'c3', 'c4', 'c5']);
      if (!validateResultBody(body)) throw new BadRequestError('Choose the channel and the indicator; counts in digits only.', { key: 'rounds.bad-result' });
      if (round.state === 'completed') throw new BadRequestError('The round is completed: move it back to review to change a result.', { key: 'rounds.completed' });
      const service = rt.scorecard.services.find((s) => s.id === round.service);
      const words = (body.proposedWords ?? '').trim().replace(/\s+/g, ' ');
      let indicatorKey: string;
      if (body.indicator === 'proposed') {
        if (!words) throw new BadRequestError('Write the words of the indicator the meeting proposed.', { key: 'rounds.proposed-needs-words' });
        indicatorKey = proposedIndicatorKey(words);
      } else if (service?.indicators.some((i) => i.id === body.indicator) || /^proposed:.+/.test(body.indicator)) {
        indicatorKey = body.indicator;
      } else {
        throw new BadRequestError('Choose the channel and the indicator; counts in digits only.', { key: 'rounds.bad-result' });
      }
      let counts: RoundResult['counts'];
      try {
        counts = checkedCounts([body.c1, body.c2, body.c3, body.c4, body.c5].map((v) => (v ? Number(v) : 0)));
      } catch (err) {
        throw new BadRequestError('Give how many people scored 1, 2, 3, 4 and 5; at least one.', { key: 'rounds.bad-counts', cause: err });
      }
      const suggested = lines(body.suggested);
      const priorities = lines(body.priorities);
      // A priority is one of the suggested actions: one typed only as a priority is suggested too.
      for (const p of priorities) if (!suggested.includes(p)) suggested.push(p);
      const channel = body.channel as StoredChannel;
      const existing = indicatorKey.startsWith('proposed:') ? (await register.resultsOf(round._id)).find((r) => r.indicatorKey === indicatorKey) : undefined;
      const name = body.indicator === 'proposed' ? words : existing?.indicatorName;
      const { staff } = staffLocals(res);
      await register.saveResult({
        _id: resultId(round._id, channel, indicatorKey), roundId: round._id, channel, indicatorKey, ...(name ? { indicatorName: name } : {}), counts,
        strengths: lines(body.strengths), weaknesses: lines(body.weaknesses), suggestedActions: suggested, priorityActions: priorities,
        source: 'desk', enteredBy: staff.username, enteredAt: new Date(),
      });
      await deps.audit.record({ username: staff.username, action: 'round-result', detail: { round: round._id, channel, indicator: indicatorKey } });
      res.redirect(303, `${BASE}/${round._id}`);
    } catch (err) {
      next(err);
    }
  });

  router.get('/rounds/:id/meeting-pack', async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const round = await findRound(req);
      const c = await comparisonOf(round);
      const pointHeads = SCALE_KEYS.map((key, k) => html`<th scope="col" class="point"><span aria-hidden="true">${k + 1}</span><span class="visually-hidden">${k + 1} ${t(key)}</span></th>`);
      const countCells = (counts: readonly number[] | null) => (counts ?? [0, 0, 0, 0, 0]).map((n) => html`<td class="point">${n}</td>`);
      const phoneRow = (f: Figures | null) => html`<tr><th scope="row">${t('rounds.pack.phone')}</th>${f && f.status === 'shown'
        ? html`<td>${f.median}</td><td>${f.callers}</td>${countCells(f.counts)}`
        : html`<td colspan="7" class="not-shown">${f ? notShownWords(f.status, c.minCallers, t) : t('rounds.not-asked')}</td>`}</tr>`;
      const storedRow = (label: string, f: StoredFigures | null) => html`<tr><th scope="row">${label}</th>${f
        ? html`<td>${f.median}</td><td>${f.participants}</td>${countCells(f.counts)}`
        : html`<td colspan="7" class="muted">${t('rounds.no-result')}</td>`}</tr>`;
      const wordList = (heading: string, items: string[], priorities: string[] = []) => (items.length
        ? html`<div><h3>${heading}</h3><ul>${items.map((i) => html`<li${priorities.includes(i) ? html` class="priority"` : ''}><span class="note-text">${i}</span>${priorities.includes(i) ? html` <strong class="priority-mark">${t('rounds.priority')}</strong>` : ''}</li>`)}</ul></div>`
        : '');
      const indicatorSection = (row: IndicatorComparison, k: number) => html`<section class="pack-indicator">
<h2 id="pack-${k}">${k + 1}. ${rowLabel(round, row, t)}</h2>
${scrollBox(`${k + 1}. ${row.proposedWords ?? (row.key.startsWith('proposed:') ? row.key : indicatorLabel(round.service, row.key, t))}`, html`<table class="pack-table"><thead><tr><th scope="col">${t('rounds.pack.channel')}</th><th scope="col">${t('rounds.pack.median')}</th><th scope="col">${t('rounds.pack.people')}</th>${pointHeads}</tr></thead><tbody>
${phoneRow(row.phone)}${storedRow(t('rounds.pack.meeting'), row.meeting)}${storedRow(t('rounds.pack.self-assessment'), row.selfAssessment)}
</tbody></table>`)}
<p class="pack-gap">${t('rounds.pack.gap', { meeting: gapWords(row.meetingGap), phone: gapWords(row.phoneGap) })}</p>
${row.strengths.length || row.weaknesses.length || row.suggestedActions.length ? html`<div class="pack-words">${wordList(t('rounds.strengths'), row.strengths)}${wordList(t('rounds.weaknesses'), row.weaknesses)}${wordList(t('rounds.suggested'), row.suggestedActions, row.priorityActions)}</div>` : ''}
</section>`;
      sendPage(res, {
        title: t('rounds.pack-title', { commune: placeName(round.communeCode, t), what: whatOf(round, t), year: round.year }),
        body: html`<div class="meeting-pack">
<p class="place-line">${communeLine(round.communeCode, t)} · ${whatOf(round, t)}</p>
<p class="period-line">${t('rounds.pack.meeting-day', { day: day(round.heldOn ?? round.plannedOn, t) })} · ${t('rounds.pack.phone-period', { period: period(round, t) })}</p>
<p class="no-print">${t('rounds.pack.print-hint')} <a href="${BASE}/${round._id}">${t('rounds.back-to-round')}</a></p>
<ul class="scale-key">${SCALE_KEYS.map((key, k) => html`<li>${k + 1} ${t(key)}</li>`)}</ul>
${packMessageLine(c, t)}
${c.indicators.map(indicatorSection)}
<p class="meaning">${t('rounds.pack.how-to-read')} ${t('report.privacy-note', { min: c.minCallers })}</p>
</div>`,
      });
      await deps.audit.record({ username: staff.username, action: 'view-meeting-pack', detail: { round: round._id } });
    } catch (err) {
      next(err);
    }
  });
};

const DAY_MS = 86_400_000;
const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
