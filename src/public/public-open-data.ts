/**
 * The open data: a Frictionless Data Package (https://specs.frictionlessdata.io/data-package/)
 * at /public/data/datapackage.json with CSV resources at /public/data/<name>.csv, each described
 * by a Table Schema (types, primary and foreign keys): the published periods, every published
 * figure of every area and period (withheld figures as empty cells with their status), the JAAP
 * promises' public fields with their status and citizens' checks as published, and the places
 * from the gazetteer. Results and promises under CC-BY-4.0; the places under the gazetteer's own
 * licence and attribution (MIT, the pumi project; data/gazetteer/README.md). No BOM: the package
 * is for programs (the staff CSVs keep theirs, for Excel).
 */
import { Router } from 'express';
import { csvDocument } from '../exports/csv';
import { Runtime } from '../runtime';
import { publicItem } from './public-jaap';
import { JaapRegister } from '../jaap/jaap-register';
import { RESULTS_LICENCE } from './public-layout';
import { PublicFigure, PublicLevel, PublicResults } from './public-results';
import { Gazetteer } from '../gazetteer/gazetteer';

type Field = { name: string; type: string; description?: string; constraints?: Record<string, unknown>; format?: string };
interface CsvResource {
  name: string;
  title: string;
  description: string;
  schema: { fields: Field[]; primaryKey?: string[]; foreignKeys?: { fields: string[]; reference: { resource: string; fields: string[] } }[] };
  licenses?: { name: string; title: string; path: string }[];
  sources?: { title: string; path: string }[];
}

export const PUBLIC_LEVELS: PublicLevel[] = ['country', 'province', 'district', 'commune', 'facility'];
const STATUSES = ['shown', 'no-ratings', 'too-few', 'protects-another'];

const PLACES_LICENCE = { name: 'MIT', title: 'MIT License (pumi project, copyright 2019 David Wilkie)', path: 'https://opensource.org/licenses/MIT' };

export const RESOURCES: CsvResource[] = [
  {
    name: 'periods', title: 'Published periods',
    description: 'The fixed public periods (calendar quarters and years, Cambodian calendar days, `to` exclusive; completed scorecard rounds). A period is published once it has ended (final); a running period is never published, so no two versions of it can be subtracted.',
    schema: {
      fields: [
        { name: 'id', type: 'string', constraints: { required: true, unique: true } },
        { name: 'kind', type: 'string', constraints: { required: true, enum: ['quarter', 'year', 'round'] } },
        { name: 'from', type: 'date', constraints: { required: true } },
        { name: 'to', type: 'date', constraints: { required: true }, description: 'the day after the last day' },
        { name: 'final', type: 'boolean', constraints: { required: true } },
        { name: 'built_at', type: 'datetime', constraints: { required: true } },
      ],
      primaryKey: ['id'],
    },
  },
  {
    name: 'figures', title: 'Share of callers satisfied, per area, service and question',
    description: 'One row per period, area, service and question (indicator "all": the service over all its questions). A figure resting on fewer than 5 distinct callers, or one that would let such a figure be worked out, is withheld: its numbers are empty and status says why.',
    schema: {
      fields: [
        { name: 'period', type: 'string', constraints: { required: true } },
        { name: 'level', type: 'string', constraints: { required: true, enum: PUBLIC_LEVELS } },
        { name: 'code', type: 'string', constraints: { required: true }, description: 'gazetteer code; KH for the country; <commune>/<facility> for a facility' },
        { name: 'name_km', type: 'string' },
        { name: 'name_latin', type: 'string' },
        { name: 'service', type: 'string', constraints: { required: true } },
        { name: 'indicator', type: 'string', constraints: { required: true } },
        { name: 'status', type: 'string', constraints: { required: true, enum: STATUSES } },
        { name: 'callers', type: 'integer', constraints: { minimum: 5 }, description: 'distinct callers the figure rests on (empty when withheld)' },
        { name: 'satisfied_share', type: 'number', constraints: { minimum: 0, maximum: 1 }, description: 'share of ratings of 4 or 5 on the 1-5 scale' },
        { name: 'out_of_ten', type: 'integer', constraints: { minimum: 0, maximum: 10 }, description: 'satisfied_share as a whole number out of 10, as the pages say it' },
        { name: 'change_out_of_ten', type: 'integer', constraints: { minimum: -10, maximum: 10 }, description: 'out_of_ten minus that of the previous period of the same kind (both shown)' },
      ],
      primaryKey: ['period', 'level', 'code', 'service', 'indicator'],
      foreignKeys: [{ fields: ['period'], reference: { resource: 'periods', fields: ['id'] } }],
    },
  },
  {
    name: 'jaap-items', title: "Councils' promises (JAAP action items)",
    description: 'The public fields of every action item of the Joint Accountability Action Plans, its status as the council records it, and citizens\' checks of items marked done ("was it done?"), shown only when 5 or more callers answered.',
    schema: {
      fields: [
        { name: 'id', type: 'string', constraints: { required: true, unique: true } },
        { name: 'jaap_id', type: 'string', constraints: { required: true } },
        { name: 'commune_code', type: 'string', constraints: { required: true } },
        { name: 'year', type: 'integer', constraints: { required: true } },
        { name: 'agreed_on', type: 'date', constraints: { required: true } },
        { name: 'deadline', type: 'date', constraints: { required: true }, description: 'last day it counts as solved within 12 months' },
        { name: 'section', type: 'string', constraints: { required: true, enum: ['A', 'B'] }, description: 'A: needs external resources; B: internal' },
        { name: 'no', type: 'integer', constraints: { required: true } },
        { name: 'activity', type: 'string', constraints: { required: true } },
        { name: 'service', type: 'string', constraints: { required: true } },
        { name: 'facility_name', type: 'string' },
        { name: 'indicator', type: 'string' },
        { name: 'start_month', type: 'yearmonth' },
        { name: 'end_month', type: 'yearmonth' },
        { name: 'status', type: 'string', constraints: { required: true, enum: ['not-started', 'ongoing', 'done', 'dropped'] } },
        { name: 'done_on', type: 'date' },
        { name: 'checks_status', type: 'string', constraints: { required: true, enum: ['shown', 'too-few', 'none'] } },
        { name: 'checks_callers', type: 'integer', constraints: { minimum: 5 } },
        { name: 'checks_yes', type: 'integer', constraints: { minimum: 0 } },
        { name: 'checks_partly', type: 'integer', constraints: { minimum: 0 } },
        { name: 'checks_no', type: 'integer', constraints: { minimum: 0 } },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ fields: ['commune_code'], reference: { resource: 'places', fields: ['code'] } }],
    },
  },
  {
    name: 'places', title: 'Provinces, districts and communes of Cambodia',
    description: 'Codes and names from the gazetteer of the National Committee for Sub-National Democratic Development (NCDD), as collected and corrected by the pumi project. A code is its parent\'s code plus two digits.',
    schema: {
      fields: [
        { name: 'code', type: 'string', constraints: { required: true, unique: true, pattern: '[0-9]{2}([0-9]{2}([0-9]{2})?)?' } },
        { name: 'parent_code', type: 'string' },
        { name: 'level', type: 'string', constraints: { required: true, enum: ['province', 'district', 'commune'] } },
        { name: 'type', type: 'string' },
        { name: 'name_km', type: 'string', constraints: { required: true } },
        { name: 'name_latin', type: 'string', constraints: { required: true } },
      ],
      primaryKey: ['code'],
      foreignKeys: [{ fields: ['parent_code'], reference: { resource: '', fields: ['code'] } }],
    },
    licenses: [PLACES_LICENCE],
    sources: [{ title: 'pumi (NCDD gazetteer), data/*.yml at 3a5c2bebc567d6240ba28e59fd5f6cdeb384a9b2', path: 'https://github.com/dwilkie/pumi' }],
  },
];

/** The package descriptor; resource paths are relative, so the package validates wherever it is saved. */
export function dataPackage(): Record<string, unknown> {
  return {
    profile: 'tabular-data-package',
    name: 'i4c-hotline-public-results',
    title: "Citizens' scorecard results and councils' promises (I4C hotline)",
    description: 'Published results of the citizens\' scorecard hotline for fixed periods, with disclosure control (no figure rests on fewer than 5 distinct callers), and the Joint Accountability Action Plan items of the communes.',
    licenses: [{ ...RESULTS_LICENCE }],
    sources: [{ title: 'I4C hotline published snapshots', path: '/public' }],
    resources: RESOURCES.map((r) => ({
      name: r.name, path: `${r.name}.csv`, profile: 'tabular-data-resource', format: 'csv', mediatype: 'text/csv', encoding: 'utf-8',
      title: r.title, description: r.description, schema: r.schema, ...(r.licenses ? { licenses: r.licenses } : {}), ...(r.sources ? { sources: r.sources } : {}),
    })),
  };
}

const isoSecond = (d: Date) => new Date(d).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
const figureCells = (f: PublicFigure) => {
  const shown = f.status === 'shown';
  return [f.status, shown ? f.callers : null, shown ? f.satisfiedShare : null, shown ? f.outOfTen?.tenths ?? null : null, shown ? f.changeOutOfTen : null];
};

/** Each resource's CSV text. */
export async function openDataCsv(name: string, o: { results: PublicResults; register: JaapRegister; gazetteer: Gazetteer }): Promise<string | null> {
  const header = (n: string) => RESOURCES.find((r) => r.name === n)!.schema.fields.map((f) => f.name);
  if (name === 'periods') {
    const periods = await o.results.periods();
    return csvDocument([header(name), ...periods.map((p) => [p.id, p.kind, p.from, p.to, String(p.final), isoSecond(p.builtAt)])], { bom: false });
  }
  if (name === 'figures') {
    const rows: unknown[][] = [header(name)];
    for (const p of await o.results.periods()) {
      for (const level of PUBLIC_LEVELS) {
        for (const a of await o.results.areasOf(p.id, level)) {
          for (const s of a.services) {
            rows.push([p.id, a.level, a.code, a.name.km, a.name.latin, s.service, 'all', ...figureCells(s)]);
            for (const i of s.indicators) rows.push([p.id, a.level, a.code, a.name.km, a.name.latin, s.service, i.id, ...figureCells(i)]);
          }
        }
      }
    }
    return csvDocument(rows, { bom: false });
  }
  if (name === 'jaap-items') {
    // Every plan ever agreed: the register's own query, by plan, section and number.
    const items = await o.register.itemsOfPlansAgreedIn('0000-01-01', '9999-12-31');
    const checks = await o.results.checksOf(items.map((i) => i._id));
    return csvDocument([header(name), ...items.map((raw) => {
      const i = publicItem(raw);
      const c = checks.get(i.id)!;
      return [i.id, i.jaapId, i.communeCode, i.year, i.agreedOn, i.deadline, i.section, i.no, i.activity, i.service, i.facilityName, i.indicatorId, i.startMonth, i.endMonth, i.status, i.doneOn, c.status, c.callers, c.yes, c.partly, c.no];
    })], { bom: false });
  }
  if (name === 'places') {
    const rows: unknown[][] = [header(name)];
    for (const p of o.gazetteer.provinces) {
      rows.push([p.code, null, 'province', p.type, p.nameKm, p.nameLatin]);
      for (const d of o.gazetteer.childrenOf(p.code)) {
        rows.push([d.code, p.code, 'district', d.type, d.nameKm, d.nameLatin]);
        for (const c of o.gazetteer.childrenOf(d.code)) rows.push([c.code, d.code, 'commune', c.type, c.nameKm, c.nameLatin]);
      }
    }
    return csvDocument(rows, { bom: false });
  }
  return null;
}

export function openDataRoutes(router: Router, rt: Runtime, register: JaapRegister): void {
  // Open data: any site's scripts may read it (it is public and carries no cookie-bound data).
  router.use('/data', (_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  router.get('/data/datapackage.json', (_req, res) => {
    res.type('application/json').send(`${JSON.stringify(dataPackage(), null, 2)}\n`);
  });
  router.get('/data/:name.csv', async (req, res, next) => {
    try {
      const name = (req.params as Record<string, string>).name;
      const text = RESOURCES.some((r) => r.name === name) ? await openDataCsv(name, { results: rt.publicResults, register, gazetteer: rt.gazetteer }) : null;
      if (text === null) return next();
      res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `inline; filename="${name}.csv"`);
      res.send(text);
    } catch (err) {
      next(err);
    }
  });
}
