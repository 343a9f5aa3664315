/**
 * The public pages' words (dashboard, posters, open-data page), Khmer first, English on a switch.
 * The catalog (messages.json next to this file) follows the staff catalog's rules and is checked
 * by the same parser (src/staff/i18n/i18n.ts): both languages, the same placeholders, Khmer in
 * Khmer script. The figures' words ("7 of 10 callers satisfied", "up 2 of 10": `report.*`) and
 * JAAP item statuses (`jaap.status.*`) are the staff catalog's entries, so the desk and the
 * public read one wording.
 */
import { parseStaffCatalog, STAFF_CATALOG, StaffCatalog, StaffLanguage, Translate, translator } from '../../staff/i18n/i18n';
import catalogJson from './messages.json';

/** Staff catalog entries the public pages share (figures in words, item statuses). */
export const SHARED_PREFIXES = ['report.', 'jaap.status.', 'scale.'] as const;

export const PUBLIC_OWN_CATALOG: StaffCatalog = parseStaffCatalog(catalogJson, 'public message catalog');

export const PUBLIC_CATALOG: StaffCatalog = {
  messages: {
    ...Object.fromEntries(Object.entries(STAFF_CATALOG.messages).filter(([key]) => SHARED_PREFIXES.some((p) => key.startsWith(p)))),
    ...PUBLIC_OWN_CATALOG.messages,
  },
};

/** Khmer unless the URL asks for English (`?lang=en`): the choice lives in the link, no cookie. */
export type PublicLanguage = StaffLanguage;
export const DEFAULT_PUBLIC_LANGUAGE: PublicLanguage = 'km';

export function publicTranslator(lang: PublicLanguage): Translate {
  return translator(lang, PUBLIC_CATALOG);
}
