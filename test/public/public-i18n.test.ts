import * as fs from 'node:fs';
import * as path from 'node:path';
import { PUBLIC_CATALOG, PUBLIC_OWN_CATALOG, publicTranslator } from '../../src/public/i18n/public-i18n';

/** Every literal catalog key the public pages use: t('x'). */
function keysUsedInSource(): Map<string, string> {
  const used = new Map<string, string>();
  const dir = 'src/public';
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
  for (const file of walk(dir)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\('([a-z0-9.-]+)'/g)) used.set(m[1], file);
  }
  return used;
}

describe('the public pages\' catalog (Khmer and English)', () => {
  test('every key the public pages use has both languages, and keys built from data do too', () => {
    const used = keysUsedInSource();
    expect(used.size).toBeGreaterThan(40);
    const dynamic = [
      ...['not-started', 'ongoing', 'done', 'dropped'].map((s) => `jaap.status.${s}`),
      ...['province', 'district', 'commune', 'facility'].map((l) => `public.level.${l}`),
      ...['province', 'district', 'commune', 'facility'].map((l) => `public.areas.${l}`),
      ...['bad-request', 'not-found', 'too-many', 'unavailable'].flatMap((k) => [`public.error.${k}`, `public.error.${k}-title`]),
    ];
    const missing = [...[...used.keys()], ...dynamic].filter((key) => !PUBLIC_CATALOG.messages[key]?.km);
    expect(missing).toEqual([]);
  });

  test('no Khmer string has a Latin word (A4 and A3, CSV are not words a reader must read in English)', () => {
    const latin = Object.entries(PUBLIC_OWN_CATALOG.messages)
      .flatMap(([key, m]) => (m.km.replace(/\{[a-z]+\}/g, '').match(/[A-Za-z]{3,}[A-Za-z0-9]*/g) ?? []).filter((w) => w !== 'CSV').map((w) => `${key}: ${w}`));
    expect(latin).toEqual([]);
  });

  test('the figures\' words are the staff reports\' own', () => {
    expect(publicTranslator('en')('report.callers-satisfied', { n: 7 })).toBe('7 of 10 callers satisfied');
    expect(publicTranslator('km')('public.period.quarter', { n: 1, year: 2026 })).toBe('ត្រីមាសទី 1 ឆ្នាំ 2026');
  });
});
