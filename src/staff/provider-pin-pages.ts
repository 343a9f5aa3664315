import { lazyAjv } from '../schema-validation';
import { Request, Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError } from '../errors';
import { parseProviderTarget, ProviderPin } from '../rounds/provider-pins';
import { CountersRepository } from '../store/counters';
import { html } from './html';
import { Translate, tr } from './i18n/i18n';
import { westernDigits } from './khmer-digits';
import { csrfField, scrollBox, sendPage } from './layout';
import { cambodiaDateTime } from './page-dates';
import { StaffPages } from './staff-router';

/**
 * Service providers' PINs for the phone self-assessment (src/rounds/provider-pins.ts): the list
 * of PINs set (never the PINs themselves), and setting or resetting one, shown once on the page
 * that answers the form. Admins only; every view and every PIN set is audited.
 */

const BASE = '/staff/provider-pins';

const ajv = lazyAjv({ allErrors: true, coerceTypes: false });
const validateBody = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    _csrf: { type: 'string', maxLength: 100 },
    target: { type: 'string', maxLength: 80 },
    commune: { type: 'string', maxLength: 20 },
    service: { type: 'string', maxLength: 40 },
  },
});

export const providerPinPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  deps.nav.push({ href: BASE, key: 'nav.provider-pins', roles: ['admin'] });
  const admins = requireRole('admin');
  const services = rt.scorecard.services.map((s) => s.id);
  const facilities = rt.programme.areas.facilities;

  const serviceName = (id: string, t: Translate) => {
    const s = rt.scorecard.services.find((x) => x.id === id);
    return s ? (t.lang === 'km' ? s.name.km : s.name.en) : id;
  };
  // Khmer pages name places and facilities in Khmer only (no Latin word on a Khmer page).
  const communeName = (code: string, t: Translate) => {
    const p = rt.gazetteer.find(code);
    return p ? (t.lang === 'km' ? p.nameKm : `${p.nameLatin} (${code})`) : code;
  };
  const targetName = (p: Pick<ProviderPin, 'facilityId' | 'communeCode' | 'service'>, t: Translate): string => {
    if (p.facilityId) {
      const f = facilities.find((x) => x.id === p.facilityId);
      return f ? (t.lang === 'km' ? f.name.km : f.name.en) : p.facilityId;
    }
    return `${communeName(p.communeCode ?? '', t)}: ${serviceName(p.service, t)}`;
  };

  router.get('/provider-pins', admins, async (_req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const pins = await rt.providerPins.list();
      sendPage(res, {
        title: t('provider-pins.title'),
        body: html`<p>${t('provider-pins.intro', { failures: rt.config.providerPinMaxFailures, minutes: rt.config.providerPinLockoutMinutes })}</p>
${pins.length === 0 ? html`<p>${t('provider-pins.none')}</p>` : scrollBox(t('provider-pins.title'), html`<table><thead><tr><th scope="col">${t('provider-pins.col.target')}</th><th scope="col">${t('provider-pins.col.number')}</th><th scope="col">${t('provider-pins.col.set')}</th><th scope="col">${t('provider-pins.col.reset')}</th></tr></thead><tbody>
${pins.map((p) => html`<tr><td>${targetName(p, t)}</td><td>${p.providerNumber}</td><td>${cambodiaDateTime(p.setAt, t)} · ${p.setBy}</td><td><form method="post" action="${BASE}">${csrfField(staff)}<input type="hidden" name="target" value="${p.facilityId ?? `${p.communeCode}:${p.service}`}"><button type="submit">${t('provider-pins.reset', { target: targetName(p, t) })}</button></form></td></tr>`)}
</tbody></table>`)}
${facilities.length ? html`<h2>${t('provider-pins.facility-form')}</h2>
<form method="post" action="${BASE}" class="filters">${csrfField(staff)}
  <label><span>${t('provider-pins.facility')}</span> <select name="target">${facilities.map((f) => html`<option value="${f.id}">${t.lang === 'km' ? f.name.km : f.name.en}</option>`)}</select></label>
  <div class="filter-buttons"><button type="submit">${t('provider-pins.set')}</button></div>
</form>` : ''}
<h2>${t('provider-pins.service-form')}</h2>
<form method="post" action="${BASE}" class="filters">${csrfField(staff)}
  <label><span>${t('provider-pins.commune-code')}</span> <input name="commune" inputmode="numeric" maxlength="6" required autocomplete="off"></label>
  <label><span>${t('provider-pins.service')}</span> <select name="service">${services.map((s) => html`<option value="${s}">${serviceName(s, t)}</option>`)}</select></label>
  <div class="filter-buttons"><button type="submit">${t('provider-pins.set')}</button></div>
</form>
<p>${t('provider-pins.cli')} <code lang="en">npm run staff -- provider-pin 120101:health</code></p>`,
      });
      await deps.audit.record({ username: staff.username, action: 'view-provider-pins' });
    } catch (err) {
      next(err);
    }
  });

  router.post('/provider-pins', admins, async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const body = (req.body ?? {}) as Record<string, string>;
      if (!validateBody(body)) throw new BadRequestError('Choose a facility, or type a commune code and choose a service.', { key: 'provider-pins.bad-target' });
      const typed = body.target ? body.target : `${westernDigits((body.commune ?? '').trim())}:${body.service ?? ''}`;
      const { target, service } = parseProviderTarget(typed, {
        facility: (id) => facilities.find((f) => f.id === id), isCommune: (c) => rt.gazetteer.isCommune(c), services,
      });
      const { staff } = staffLocals(res);
      const { providerNumber, pin } = await rt.providerPins.setPin(target, service, staff.username, new Date(), new CountersRepository(rt.store));
      await deps.audit.record({ username: staff.username, action: 'set-provider-pin', detail: { target: typed, providerNumber } });
      const name = targetName({ ...target, service }, t);
      // The one time the PIN exists in clear: on this page, never stored, never logged (no-store is set for every staff page).
      sendPage(res, {
        title: t('provider-pins.shown-title'),
        body: html`<p class="notice" role="status">${t('provider-pins.shown', { target: name })}</p>
<dl class="pin-shown"><dt>${t('provider-pins.col.number')}</dt><dd><strong>${providerNumber}</strong></dd><dt>${t('provider-pins.pin')}</dt><dd><strong>${pin}</strong></dd></dl>
<p>${t('provider-pins.shown-once')}</p>
<p><a href="${BASE}">${t('provider-pins.back')}</a></p>`,
      });
    } catch (err) {
      next(err);
    }
  });
};
