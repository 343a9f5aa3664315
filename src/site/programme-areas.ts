import * as fs from 'node:fs';
import { lazyAjv } from '../schema-validation';
import { ConfigError } from '../errors';
import { Gazetteer } from '../gazetteer/gazetteer';

/**
 * A site's programme areas: the communes its programme works in and their facilities (commune
 * office, each primary school, each health centre with the communes it serves). Operator content,
 * read from the site folder's config/programme-areas.json (PROGRAMME_AREAS_FILE; the shipped
 * config/programme-areas.json is a sample). The gazetteer stays the list of every place; these
 * are the few a caller is offered by name, so only their names need recording:
 * `place.<code>` for each commune, `facility.<id>` for each facility.
 */

export interface Facility {
  /** Stable id, used in prompt ids (facility.<id>), ratings and exports. */
  id: string;
  /** The scorecard service it is rated as: commune, health, school. */
  service: string;
  /** The ministry's or the Digital Community Scorecard app's institution code, where known. */
  code?: string;
  name: { en: string; km: string };
  /** Communes whose callers use it (a health centre serves several). */
  communes: string[];
}

export interface ProgrammeAreas {
  /** A shipped sample: `npm run doctor` should say so while it is in use. */
  sample?: boolean;
  /** Programme communes, in the order callers hear them. */
  communes: string[];
  facilities: Facility[];
}

const code6 = { type: 'string', pattern: '^[0-9]{6}$' };
const schema = {
  type: 'object',
  required: ['communes', 'facilities'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    sample: { type: 'boolean' },
    communes: { type: 'array', items: code6, uniqueItems: true },
    facilities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'service', 'name', 'communes'],
        additionalProperties: false,
        properties: {
          $comment: { type: 'string' },
          id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 60 },
          service: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          code: { type: 'string', minLength: 1, maxLength: 40 },
          name: {
            type: 'object', required: ['en', 'km'], additionalProperties: false,
            properties: { en: { type: 'string', minLength: 1 }, km: { type: 'string', minLength: 1 } },
          },
          communes: { type: 'array', items: code6, minItems: 1, uniqueItems: true },
        },
      },
    },
  },
};
const validate = lazyAjv({ allErrors: true }).compile(schema);

export const facilityPromptId = (id: string) => `facility.${id}`;

/** Checks a parsed file against the gazetteer and the scorecard's services, naming every problem. */
export function parseProgrammeAreas(raw: unknown, check: { gazetteer: Gazetteer; services: readonly string[] }, source = 'programme areas'): ProgrammeAreas {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const areas = raw as unknown as ProgrammeAreas;
  const problems: string[] = [];
  for (const c of areas.communes) if (!check.gazetteer.isCommune(c)) problems.push(`commune ${c} is not in the gazetteer`);
  const ids = new Set<string>();
  for (const f of areas.facilities) {
    if (ids.has(f.id)) problems.push(`facility id ${f.id} is used twice`);
    ids.add(f.id);
    if (!check.services.includes(f.service)) problems.push(`facility ${f.id}: service ${f.service} is not in the scorecard (${check.services.join(', ')})`);
    for (const c of f.communes) if (!check.gazetteer.isCommune(c)) problems.push(`facility ${f.id}: commune ${c} is not in the gazetteer`);
  }
  if (problems.length) throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  return areas;
}

export function loadProgrammeAreas(file: string, check: { gazetteer: Gazetteer; services: readonly string[] }): ProgrammeAreas {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the programme areas ${file} (PROGRAMME_AREAS_FILE): ${(err as Error).message}`, { cause: err });
  }
  return parseProgrammeAreas(raw, check, file);
}

/**
 * The programme the hotline offers: the file's, unless it is the shipped sample (`"sample": true`),
 * whose made-up facilities must never reach a caller: then none (callers enter codes as before).
 */
export function offeredProgramme(areas: ProgrammeAreas): ProgrammeAreas {
  return areas.sample ? { sample: true, communes: [], facilities: [] } : areas;
}

/** What callers are offered by name: the programme communes and facilities whose names are recorded. */
export class ProgrammePlaces {
  private readonly byCommuneAndService = new Map<string, Facility[]>();

  constructor(readonly areas: ProgrammeAreas, private readonly isRecorded: (promptId: string) => boolean) {
    for (const f of areas.facilities) {
      for (const c of f.communes) {
        const key = `${c}:${f.service}`;
        const list = this.byCommuneAndService.get(key) ?? [];
        list.push(f);
        this.byCommuneAndService.set(key, list);
      }
    }
  }

  /** Programme communes whose name is recorded, in the configured order. */
  communes(): string[] {
    return this.areas.communes.filter((c) => this.isRecorded(`place.${c}`));
  }

  /** Every facility of that kind used by the commune's callers, in the configured order. */
  facilitiesOf(communeCode: string, service: string): Facility[] {
    return this.byCommuneAndService.get(`${communeCode}:${service}`) ?? [];
  }

  /**
   * The facilities a caller can choose between by name: all of them when each name is recorded,
   * else none (a list that leaves one out would rate the wrong one). One facility is chosen without asking.
   */
  choosable(communeCode: string, service: string): string[] {
    const all = this.facilitiesOf(communeCode, service);
    if (all.length === 1) return [all[0].id];
    return all.every((f) => this.isRecorded(facilityPromptId(f.id))) ? all.map((f) => f.id) : [];
  }

  find(id: string): Facility | undefined {
    return this.areas.facilities.find((f) => f.id === id);
  }

  /** The districts of the programme communes, in the communes' order: a caller confirming a commune hears its district's name too. */
  districtCodes(): string[] {
    return [...new Set(this.areas.communes.map((c) => c.slice(0, 4)))];
  }

  /** Every name a programme's callers hear (studio and recording script): communes, their districts, then facilities. */
  promptIds(): string[] {
    return [...this.areas.communes.map((c) => `place.${c}`), ...this.districtCodes().map((d) => `place.${d}`), ...this.areas.facilities.map((f) => facilityPromptId(f.id))];
  }
}
