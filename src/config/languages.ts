import * as fs from 'node:fs';
import { lazyAjv } from '../schema-validation';
import { ConfigError } from '../errors';

export interface LanguageOption {
  code: string;
  key: string;
  name: string;
  nativeName: string;
  /** Reports group callers as Khmer or indigenous-language callers. */
  group: 'khmer' | 'indigenous' | 'other';
}
export interface LanguageConfig {
  default: string;
  languages: LanguageOption[];
}

const validate = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['default', 'languages'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    default: { type: 'string', pattern: '^[a-z]{2,3}$' },
    languages: {
      type: 'array',
      minItems: 1,
      maxItems: 9,
      items: {
        type: 'object',
        required: ['code', 'key', 'name', 'nativeName', 'group'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^[a-z]{2,3}$' },
          key: { type: 'string', pattern: '^[1-9]$' },
          name: { type: 'string', minLength: 1 },
          nativeName: { type: 'string', minLength: 1 },
          group: { enum: ['khmer', 'indigenous', 'other'] },
        },
      },
    },
  },
});

export function parseLanguages(raw: unknown, source = 'languages'): LanguageConfig {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const cfg = raw as LanguageConfig;
  const keys = new Set(cfg.languages.map((l) => l.key));
  const codes = new Set(cfg.languages.map((l) => l.code));
  if (keys.size !== cfg.languages.length) throw new ConfigError(`${source}: two languages share a key`);
  if (codes.size !== cfg.languages.length) throw new ConfigError(`${source}: a language is listed twice`);
  if (!codes.has(cfg.default)) throw new ConfigError(`${source}: the default language ${cfg.default} is not offered`);
  return cfg;
}

export function loadLanguages(file: string): LanguageConfig {
  try {
    return parseLanguages(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
