import * as fs from 'node:fs';
import { lazyAjv } from '../schema-validation';
import { ConfigError } from '../errors';

export interface Indicator {
  id: string;
  en: string;
}
export interface ServiceDefinition {
  id: string;
  name: { en: string; km: string };
  indicators: Indicator[];
}
export interface Scorecard {
  scale: { min: 1; max: 5; satisfiedFrom: number };
  services: ServiceDefinition[];
}

const schema = {
  type: 'object',
  required: ['scale', 'services'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    scale: {
      type: 'object',
      required: ['min', 'max', 'satisfiedFrom'],
      additionalProperties: false,
      properties: { min: { const: 1 }, max: { const: 5 }, satisfiedFrom: { type: 'integer', minimum: 2, maximum: 5 } },
    },
    services: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'name', 'indicators'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          name: { type: 'object', required: ['en', 'km'], properties: { en: { type: 'string' }, km: { type: 'string' } } },
          indicators: {
            type: 'array',
            minItems: 4,
            maxItems: 8,
            items: {
              type: 'object',
              required: ['id', 'en'],
              additionalProperties: false,
              properties: { id: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' }, en: { type: 'string', minLength: 1 } },
            },
          },
        },
      },
    },
  },
};
const validate = lazyAjv({ allErrors: true }).compile(schema);

export function parseScorecard(raw: unknown, source = 'scorecard'): Scorecard {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ConfigError(`${source} is invalid (services with 4 to 8 indicators each):\n  - ${problems.join('\n  - ')}`);
  }
  const card = raw as unknown as Scorecard;
  const seen = new Set<string>();
  for (const s of card.services) {
    if (seen.has(s.id)) throw new ConfigError(`${source}: service ${s.id} is defined twice`);
    seen.add(s.id);
    const ids = new Set(s.indicators.map((i) => i.id));
    if (ids.size !== s.indicators.length) throw new ConfigError(`${source}: service ${s.id} repeats an indicator id`);
  }
  return card;
}

export function loadScorecard(file: string): Scorecard {
  try {
    return parseScorecard(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read the scorecard ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function indicatorIds(card: Scorecard): Record<string, string[]> {
  return Object.fromEntries(card.services.map((s) => [s.id, s.indicators.map((i) => i.id)]));
}
