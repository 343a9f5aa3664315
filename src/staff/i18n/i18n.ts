/**
 * The staff app's words, in Khmer and English, from one catalog (messages.json next to this
 * file, validated with ajv when loaded). Pages call `t('nav.messages')` or `t('list.count-many', { n: 3 })`; `{n}` in
 * the text is replaced. Every entry has both languages: the schema refuses an entry without
 * Khmer, and test/staff/i18n.test.ts fails when source code uses a key the catalog lacks.
 *
 * Each staff member chooses a language (POST /staff/language); it is kept with their account
 * (staff_preferences) and in a cookie, so the sign-in page and every later page use it.
 */
import { lazyAjv } from '../../schema-validation';
import { Request, Response } from 'express';
import { DefinitionError } from '../../errors';
import catalogJson from './messages.json';

export const STAFF_LANGUAGES = ['en', 'km'] as const;
export type StaffLanguage = (typeof STAFF_LANGUAGES)[number];
export const DEFAULT_STAFF_LANGUAGE: StaffLanguage = 'en';
export const LANGUAGE_COOKIE = 'staff_lang';

export interface StaffMessage {
  en: string;
  km: string;
  /** "needed" until a native Khmer speaker has read the Khmer text; then "done". */
  kmReview: 'needed' | 'done';
  /** Where the text appears, for translators. */
  note?: string;
}

export interface StaffCatalog {
  messages: Record<string, StaffMessage>;
}

export type Translate = ((key: string, vars?: Record<string, string | number>) => string) & { lang: StaffLanguage };

const validate = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['messages'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    messages: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9]+([.-][a-z0-9]+)*$' },
      additionalProperties: {
        type: 'object',
        required: ['en', 'km', 'kmReview'],
        additionalProperties: false,
        properties: {
          en: { type: 'string', minLength: 1 },
          km: { type: 'string', minLength: 1, pattern: '[\u1780-\u17FF]' },
          kmReview: { enum: ['needed', 'done'] },
          note: { type: 'string' },
        },
      },
    },
  },
});

/** Checks a catalog: every entry in both languages, the same {placeholders} in each. */
export function parseStaffCatalog(raw: unknown, source = 'staff message catalog'): StaffCatalog {
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new DefinitionError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const catalog = raw as StaffCatalog;
  const names = (s: string) => [...s.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const [key, m] of Object.entries(catalog.messages)) {
    if (names(m.en) !== names(m.km)) throw new DefinitionError(`${source}: ${key} has placeholders {${names(m.en)}} in English but {${names(m.km)}} in Khmer`);
  }
  return catalog;
}

export const STAFF_CATALOG = parseStaffCatalog(catalogJson);

export function isStaffLanguage(value: unknown): value is StaffLanguage {
  return typeof value === 'string' && (STAFF_LANGUAGES as readonly string[]).includes(value);
}

export function translator(lang: StaffLanguage, catalog: StaffCatalog = STAFF_CATALOG): Translate {
  const t = (key: string, vars?: Record<string, string | number>) => {
    const entry = catalog.messages[key];
    // A missing key is a programming error the catalog test catches; fail loudly rather than show a key.
    if (!entry) throw new DefinitionError(`the staff message catalog has no entry ${key}`);
    const text = entry[lang];
    return vars ? text.replace(/\{([a-z]+)\}/g, (all, name: string) => (name in vars ? String(vars[name]) : all)) : text;
  };
  return Object.assign(t, { lang });
}

/** The language a request asked for before any account is known: the cookie, else the browser's first choice. */
export function requestLanguage(req: Request, cookie: string | undefined): StaffLanguage {
  if (isStaffLanguage(cookie)) return cookie;
  const accept = (req.header('accept-language') ?? '').toLowerCase();
  const first = accept.split(',')[0]?.trim() ?? '';
  return first.startsWith('km') ? 'km' : DEFAULT_STAFF_LANGUAGE;
}

/** The translator the staff router put on res.locals (English when none, e.g. in a bare test app). */
export function tr(res: Response): Translate {
  const locals = res.locals as { t?: Translate };
  return locals.t ?? translator(DEFAULT_STAFF_LANGUAGE);
}

/** Sets the remembered language cookie (a year; Path /staff; not a secret). */
export function languageCookie(lang: StaffLanguage, secure: boolean): string {
  return `${LANGUAGE_COOKIE}=${lang}; Path=/staff; Max-Age=31536000; SameSite=Lax; HttpOnly${secure ? '; Secure' : ''}`;
}
