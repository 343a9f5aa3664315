/**
 * The Joint Accountability Action Plan (JAAP): one per commune and year, agreed at the interface
 * meeting, its action items in the official layout (section A: needs external resources, goes
 * into the Commune Investment Plan; section B: internal), plus what no existing tool keeps: the
 * indicator an item answers, its status history, its fund source and its 12-month deadline.
 *
 * JAAP items are public commitments: they carry no caller data.
 */
import { BadRequestError } from '../errors';
import { cambodianDay } from '../outbound/cambodia-time';
import { cambodianMidnight } from '../reports/period';

export const JAAP_SECTIONS = ['A', 'B'] as const;
export type JaapSection = (typeof JAAP_SECTIONS)[number];

export const ITEM_STATUSES = ['not-started', 'ongoing', 'done', 'dropped'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** A JAAP: one per commune and year, `_id` `<commune>-<year>`. */
export interface Jaap {
  _id: string;
  communeCode: string;
  year: number;
  /** The day the interface meeting agreed it (Cambodian calendar day): the 12 months run from here. */
  agreedOn: string;
  createdAt: Date;
  createdBy: string;
}

export interface StatusChange {
  status: ItemStatus;
  at: Date;
  by: string;
  note?: string;
  /** A photo as evidence (the ramp built, the price list posted), in the store's files: src/jaap/evidence-photos.ts. */
  photo?: EvidencePhoto;
}

export interface EvidencePhoto {
  fileId: string;
  contentType: 'image/jpeg' | 'image/png';
  bytes: number;
}

/** One agreed activity, in the columns of the official JAAP letter plus follow-up. */
export interface JaapItem {
  /** `<jaapId>-<section><no>`, e.g. 120101-2025-A3. */
  _id: string;
  jaapId: string;
  communeCode: string;
  provinceCode: string;
  districtCode: string;
  year: number;
  /** The JAAP's agreement day, copied so a period's items are found by one index. */
  agreedOn: string;
  /** The last day it counts as solved within 12 months (agreedOn plus 12 months). */
  deadline: string;
  section: JaapSection;
  no: number;
  activity: string;
  proposer?: string;
  targetResponse?: string;
  /** The kind of facility the item is about: a scorecard service id (commune, health, school). */
  service: string;
  /** The facility's name as the meeting wrote it (location). */
  facilityName?: string;
  quantity?: number;
  unit?: string;
  /** YYYY-MM. */
  startMonth?: string;
  endMonth?: string;
  beneficiariesTotal?: number;
  beneficiariesFemale?: number;
  costRiel?: number;
  implementer?: string;
  fundSource?: string;
  /** The scorecard indicator the item answers, when it answers one. */
  indicatorId?: string;
  /** The interface meeting's priority action it carries out, in the meeting's words (from the commune's scorecard rounds of the year). */
  priorityAction?: string;
  status: ItemStatus;
  /** When the item last became done (null unless its status is done). */
  doneAt: Date | null;
  history: StatusChange[];
}

/** The day 12 months after `agreedOn`; the 29th of February becomes the 28th in a common year. */
export function twelveMonthsAfter(agreedOn: string): string {
  cambodianMidnight(agreedOn, 'agreement date');
  const [y, m, d] = agreedOn.split('-').map(Number);
  const lastDay = new Date(Date.UTC(y + 1, m, 0)).getUTCDate();
  return `${y + 1}-${String(m).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

export function jaapId(communeCode: string, year: number): string {
  return `${communeCode}-${year}`;
}

export function itemId(jaap: string, section: JaapSection, no: number): string {
  return `${jaap}-${section}${no}`;
}

/** Where an item stands against the result indicator on a given day. */
export type ItemOutcome = 'solved-within-12-months' | 'done-later' | 'still-inside-12-months' | 'not-solved' | 'dropped';

/**
 * An item is solved within 12 months when its status became done no later than 12 months after
 * its JAAP's agreement (the seed's "% of JAAP action items implemented (solved) within 12
 * months"). An item done, reopened and done again counts from the last time it became done.
 */
export function itemOutcome(item: Pick<JaapItem, 'status' | 'doneAt' | 'deadline'>, asOf: Date): ItemOutcome {
  return itemOutcomeOn(item, cambodianDay(asOf));
}

/** itemOutcome on a Cambodian calendar day (YYYY-MM-DD), for counting many items against one day. */
export function itemOutcomeOn(item: Pick<JaapItem, 'status' | 'doneAt' | 'deadline'>, asOfDay: string): ItemOutcome {
  if (item.status === 'dropped') return 'dropped';
  if (item.status === 'done' && item.doneAt) return cambodianDay(new Date(item.doneAt)) <= item.deadline ? 'solved-within-12-months' : 'done-later';
  return asOfDay <= item.deadline ? 'still-inside-12-months' : 'not-solved';
}

/** The status change an item gets, or a BadRequestError for one that is not allowed. */
export function changedStatus(item: Pick<JaapItem, 'status' | 'doneAt' | 'history'>, change: StatusChange): Pick<JaapItem, 'status' | 'doneAt' | 'history'> {
  if (!ITEM_STATUSES.includes(change.status)) throw new BadRequestError(`status must be one of ${ITEM_STATUSES.join(', ')}`);
  if (change.status === item.status) throw new BadRequestError(`the item is already ${item.status}`);
  return {
    status: change.status,
    doneAt: change.status === 'done' ? change.at : null,
    history: [...item.history, change],
  };
}
