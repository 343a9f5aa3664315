import { AUDIT_ACTIONS } from '../../src/staff/audit-log';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STORE_UNAVAILABLE } from '../../src/app';
import { PASSWORD_PROBLEM_CODES } from '../../src/auth/passwords';
import { STAFF_ROLES } from '../../src/auth/roles';
import { DOWNLOAD_STATES, REVIEW_STATES } from '../../src/messages/messages';
import { TABLE_COLUMNS } from '../../src/reports/satisfaction-table';
import { parseStaffCatalog, STAFF_CATALOG, translator } from '../../src/staff/i18n/i18n';
import { SCALE_KEYS } from '../../src/staff/report-charts';
import { PROMPT_STATES, STUDIO_REFUSAL_CODES, STUDIO_SCRIPT_KEYS, STUDIO_WARNING_CODES } from '../../src/staff/studio-pages';
import { ROUND_CHANNELS, ROUND_STATES } from '../../src/rounds/scorecard-round';

/** Every literal catalog key in the staff app's code: t('x'), tr(res)('x'), { key: 'x' }, and the script strings' 'try.x'. */
function keysUsedInSource(): Map<string, string> {
  const used = new Map<string, string>();
  const dirs = ['src/staff', 'src/auth'];
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of dirs.flatMap(walk)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bt\(|\btr\(res\)\(|\bkey: )'([a-z0-9.-]+)'/g)) used.set(m[1], file);
    for (const m of text.matchAll(/'(try\.[a-z0-9-]+)'/g)) used.set(m[1], file);
  }
  return used;
}

describe('the staff message catalog (Khmer and English)', () => {
  test('every key the code uses has an English and a Khmer entry', () => {
    const used = keysUsedInSource();
    expect(used.size).toBeGreaterThan(150);
    const missing = [...used].filter(([key]) => !STAFF_CATALOG.messages[key]?.km).map(([key, file]) => `${key} (${file})`);
    expect(missing).toEqual([]);
  });

  test('keys built from data (states, roles, table columns, scale points) have entries too', () => {
    const dynamic = [
      ...REVIEW_STATES.map((s) => `state.${s}`),
      ...DOWNLOAD_STATES.map((s) => `download.${s}`),
      ...STAFF_ROLES.map((r) => `role.${r}`),
      ...TABLE_COLUMNS.map((c) => `report.column-${c}`),
      ...SCALE_KEYS,
      ...PROMPT_STATES.map((s) => `studio.state.${s}`),
      ...STUDIO_SCRIPT_KEYS.map((k) => `studio.js.${k}`),
      ...PASSWORD_PROBLEM_CODES.map((c) => `password.problem.${c}`),
      ...STUDIO_REFUSAL_CODES.map((c) => `studio.refused.${c.toLowerCase().replace(/_/g, '-')}`),
      ...STUDIO_WARNING_CODES.map((c) => `studio.warning.${c}`),
      ...ROUND_STATES.map((s) => `rounds.state.${s}`),
      ...ROUND_CHANNELS.map((c) => `rounds.channel.${c}`),
    ];
    for (const key of dynamic) {
      expect(STAFF_CATALOG.messages[key]?.en).toBeTruthy();
      expect(STAFF_CATALOG.messages[key]?.km).toMatch(/[\u1780-\u17FF]/);
    }
  });

  test('every entry is Khmer script and says whether a native speaker has reviewed it', () => {
    for (const [key, m] of Object.entries(STAFF_CATALOG.messages)) {
      expect({ key, km: /[\u1780-\u17FF]/.test(m.km) }).toEqual({ key, km: true });
      expect(['needed', 'done']).toContain(m.kmReview);
    }
  });

  test('a catalog entry without Khmer, or with other placeholders in Khmer, is refused', () => {
    expect(() => parseStaffCatalog({ messages: { 'a.b': { en: 'Save', kmReview: 'needed' } } })).toThrow(/km/);
    expect(() => parseStaffCatalog({ messages: { 'a.b': { en: 'Save', km: '', kmReview: 'needed' } } })).toThrow(/km/);
    expect(() => parseStaffCatalog({ messages: { 'a.b': { en: 'Save', km: 'Save', kmReview: 'needed' } } })).toThrow(/km/);
    expect(() => parseStaffCatalog({ messages: { 'a.b': { en: 'Page {page}', km: 'ទំព័រ {pages}', kmReview: 'needed' } } })).toThrow(/placeholders/);
    expect(() => parseStaffCatalog({ messages: { 'a.b': { en: 'Save', km: 'រក្សាទុក' } } })).toThrow(/kmReview/);
  });

  test('t() fills in values, speaks the chosen language, and refuses an unknown key', () => {
    const en = translator('en');
    const km = translator('km');
    expect(en('common.page-of', { page: 2, pages: 5 })).toBe('Page 2 of 5');
    expect(km('common.page-of', { page: 2, pages: 5 })).toBe('ទំព័រ 2 នៃ 5');
    expect(km.lang).toBe('km');
    expect(() => en('no.such-key')).toThrow(/no entry no.such-key/);
    // Staff pages say the same as the app's plain-text answer when the database fails.
    expect(en('error.store')).toBe(STORE_UNAVAILABLE);
  });

  it('has words in both languages for every action the audit log records (the audit page shows words, not codes)', () => {
    const missing = AUDIT_ACTIONS.filter((a) => !STAFF_CATALOG.messages[`audit.action.${a}`]);
    expect(missing).toEqual([]);
  });
});
