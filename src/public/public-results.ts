/**
 * Published results: what the public dashboard, the open data, the noticeboard posters and the
 * results-by-phone menu serve. They read ONLY these snapshots (never ratings): each fixed public
 * period's figures are computed once by the report process, with the staff reports' disclosure
 * control (src/reports/disclosure-control.ts), and stored here per area (`public_snapshots`).
 *
 * Citizens' checks of done JAAP items ("was it done?") are kept per item and keyed caller, once
 * per caller per item (`jaap_item_checks`): caller data, so counts leave only through
 * `checksOf`, which withholds under MIN_CALLERS_FLOOR.
 */
import { DuplicateKeyError } from '../errors';
import { FigureStatus, MIN_CALLERS_FLOOR } from '../reports/figures';
import { OutOfTen } from '../reports/out-of-ten';
import { Store } from '../store/store';

/** Calendar quarters and years (Cambodian calendar days), and completed scorecard rounds. */
export type PublicPeriodKind = 'quarter' | 'year' | 'round';

export interface PublicPeriod {
  /** '2026-Q1', '2026', or 'round-<roundId>'. */
  id: string;
  kind: PublicPeriodKind;
  /** Cambodian calendar days, `to` exclusive (as src/reports/period.ts). */
  from: string;
  to: string;
  /** False while the period runs (its snapshot is refreshed daily), true once built after its end. */
  final: boolean;
  builtAt: Date;
}

export type PublicLevel = 'country' | 'province' | 'district' | 'commune' | 'facility';

/** Where a withheld figure has enough callers: a wider area or a longer period. */
export interface WiderView {
  level: PublicLevel;
  code: string;
  periodId: string;
}

/** One service's (or indicator's) published figure: only what disclosure control let through. */
export interface PublicFigure {
  status: FigureStatus;
  /** Distinct callers it rests on (null when withheld). */
  callers: number | null;
  satisfiedShare: number | null;
  outOfTen: OutOfTen | null;
  /** Change out of 10 since the previous period of the same kind; null unless both are shown. */
  changeOutOfTen: number | null;
  /** For a withheld figure: the nearest wider view (area, then period) where it is shown. */
  widerView: WiderView | null;
}

export interface PublicServiceFigure extends PublicFigure {
  /** A scorecard service id. */
  service: string;
  indicators: (PublicFigure & { id: string })[];
}

/** One area's published figures for one period: a document of `public_snapshots`. */
export interface PublicAreaSnapshot {
  /** `<periodId>/<level>/<code>`. */
  _id: string;
  periodId: string;
  level: PublicLevel;
  /** Gazetteer code; 'KH' for the country; `<commune>/<facilityId>` for a facility. */
  code: string;
  name: { km: string; latin: string };
  /** Codes of the areas above it (province, district, commune), for breadcrumbs. */
  parents: { level: PublicLevel; code: string }[];
  services: PublicServiceFigure[];
  /** The areas one level down that have a snapshot in this period (codes). */
  children: string[];
  builtAt: Date;
  /**
   * A completed scorecard round's period only (kind 'round'): its meeting's and providers'
   * results, public meeting outcomes with no caller data. Such a snapshot has no caller figures
   * (`services` is empty): see src/public/public-periods.ts.
   */
  round?: PublicRoundResults;
}

/** A completed scorecard round's published results (src/rounds/scorecard-round.ts). */
export interface PublicRoundResults {
  roundId: string;
  service: string;
  facilityId?: string;
  year: number;
  /** The meeting day (Cambodian), when recorded. */
  heldOn?: string;
  /** Per indicator: participants per point of the 1-5 scale at the meeting, and the providers' own. */
  indicators: {
    key: string;
    /** For an indicator the meeting proposed in its own words. */
    name?: string;
    meeting: [number, number, number, number, number] | null;
    selfAssessment: [number, number, number, number, number] | null;
    /** Suggested actions the interface meeting made priorities. */
    priorityActions: string[];
  }[];
}

export const snapshotId = (periodId: string, level: PublicLevel, code: string) => `${periodId}/${level}/${code}`;

/** A citizen's answer to "Was it done?" for a JAAP item marked done. */
export const ITEM_CHECK_ANSWERS = ['yes', 'partly', 'no'] as const;
export type ItemCheckAnswer = (typeof ITEM_CHECK_ANSWERS)[number];

export interface JaapItemCheck {
  /** `<itemId>/<callerKey>`: once per caller per item. */
  _id: string;
  itemId: string;
  communeCode: string;
  /** The caller's keyed hash (as on calls), never the number. */
  callerKey: string;
  answer: ItemCheckAnswer;
  at: Date;
  callSid: string;
}

/** Citizens' checks of one item: shown only when they rest on MIN_CALLERS_FLOOR callers or more. */
export type ItemChecks =
  | { status: 'shown'; callers: number; yes: number; partly: number; no: number }
  | { status: 'too-few' | 'none'; callers: null; yes: null; partly: null; no: null };

/** Staff are told to look again at an item when this many callers or more say it was not done. */
export const ITEM_FLAG_NO_CALLERS = MIN_CALLERS_FLOOR;

export class PublicResults {
  constructor(private readonly store: Store) {}

  private get periodsCollection() {
    return this.store.collection<PublicPeriod & { _id: string }>('public_periods');
  }

  private get snapshots() {
    return this.store.collection<PublicAreaSnapshot>('public_snapshots');
  }

  private get checks() {
    return this.store.collection<JaapItemCheck>('jaap_item_checks');
  }

  /** Records (or replaces) a period's description; its area snapshots are saved with saveAreas. */
  async savePeriod(period: PublicPeriod): Promise<void> {
    await this.periodsCollection.updateOne({ _id: period.id }, { $set: { ...period } }, { upsert: true });
  }

  /** Replaces a period's area snapshots whole (a refresh leaves no stale area behind). */
  async saveAreas(periodId: string, areas: readonly PublicAreaSnapshot[]): Promise<void> {
    const keep = new Set(areas.map((a) => a._id));
    const stored = new Set((await this.snapshots.find({ periodId }, { projection: { _id: 1 } })).map((a) => a._id));
    // Existing areas are updated in place and new ones inserted, so a reader never finds the period empty.
    const existing = areas.filter((a) => stored.has(a._id));
    const added = areas.filter((a) => !stored.has(a._id));
    if (existing.length) await this.snapshots.updateEachById(existing.map(({ _id, ...rest }) => ({ _id, update: { $set: rest } })));
    if (added.length) await this.snapshots.insertMany([...added]);
    const stale = [...stored].filter((id) => !keep.has(id));
    if (stale.length) await this.snapshots.deleteMany({ _id: { $in: stale } });
  }

  /** Removes a period and its area snapshots (the publication setting no longer publishes it). */
  async removePeriod(periodId: string): Promise<void> {
    // The period first: a reader that lists periods then no longer reaches its areas.
    await this.periodsCollection.deleteOne({ _id: periodId });
    await this.snapshots.deleteMany({ periodId });
  }

  /** Every stored period, newest first (quarters and years by start, rounds among them). */
  async periods(): Promise<PublicPeriod[]> {
    const rows = await this.periodsCollection.find({}, { sort: { from: -1, kind: 1 } });
    return rows.map(({ _id, ...p }) => ({ ...p, id: _id }) as PublicPeriod);
  }

  area(periodId: string, level: PublicLevel, code: string): Promise<PublicAreaSnapshot | null> {
    return this.snapshots.findOne({ _id: snapshotId(periodId, level, code) });
  }

  /** The area's snapshot in the first of `periodIds` that has one (one read, whatever the number of periods). */
  async firstAreaIn(periodIds: readonly string[], level: PublicLevel, code: string): Promise<PublicAreaSnapshot | null> {
    if (!periodIds.length) return null;
    const found = await this.snapshots.find({ _id: { $in: periodIds.map((id) => snapshotId(id, level, code)) } });
    const byPeriod = new Map(found.map((a) => [a.periodId, a]));
    for (const id of periodIds) if (byPeriod.has(id)) return byPeriod.get(id)!;
    return null;
  }

  /** All areas of one level in a period (e.g. every commune of 2026-Q1), by code. */
  areasOf(periodId: string, level: PublicLevel): Promise<PublicAreaSnapshot[]> {
    return this.snapshots.find({ periodId, level }, { sort: { code: 1 } });
  }

  /**
   * Records a citizen's check, once per caller per item: the first answer stands (a retried
   * webhook, or the same caller later, changes nothing), so the order of answers is fixed and
   * what the public saw once stays part of what it sees later (checksOf).
   */
  async recordCheck(check: Omit<JaapItemCheck, '_id'>): Promise<void> {
    try {
      await this.checks.insertOne({ _id: `${check.itemId}/${check.callerKey}`, ...check });
    } catch (err) {
      // The caller answered before (or a retried webhook): that first answer stands.
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
  }

  /** Whether this caller has already answered for this item. */
  async hasChecked(itemId: string, callerKey: string): Promise<boolean> {
    return (await this.checks.countDocuments({ _id: `${itemId}/${callerKey}` })) > 0;
  }

  /** Raw counts per item, for staff (behind sign-in) and the flag; never for the public as is. */
  async checkCounts(itemIds: readonly string[]): Promise<Map<string, Record<ItemCheckAnswer, number>>> {
    const out = new Map<string, Record<ItemCheckAnswer, number>>();
    if (!itemIds.length) return out;
    const rows = await this.checks.find({ itemId: { $in: [...itemIds] } }, { projection: { itemId: 1, answer: 1 } });
    for (const r of rows) {
      let c = out.get(r.itemId);
      if (!c) out.set(r.itemId, (c = { yes: 0, partly: 0, no: 0 }));
      c[r.answer]++;
    }
    return out;
  }

  /**
   * The items staff should look again at (itemFlagged), of some communes when given, with their
   * raw counts: for the staff desk only (src/staff/jaap-pages.ts). Reads the "no" answers, then the
   * flagged items' counts.
   */
  async flaggedItems(communes?: readonly string[]): Promise<Map<string, Record<ItemCheckAnswer, number>>> {
    const noes = await this.checks.find({ answer: 'no', ...(communes ? { communeCode: { $in: [...communes] } } : {}) }, { projection: { itemId: 1 } });
    const perItem = new Map<string, number>();
    for (const r of noes) perItem.set(r.itemId, (perItem.get(r.itemId) ?? 0) + 1);
    return this.checkCounts([...perItem].filter(([, n]) => n >= ITEM_FLAG_NO_CALLERS).map(([id]) => id).sort());
  }

  /**
   * Citizens' checks per item as the public may see them: the first answers in steps of
   * MIN_CALLERS_FLOOR (5, 10, 15 ...; fewer than 5: withheld). Counts that grew by one caller at a
   * time could be subtracted from the counts seen the day before, giving that caller's answer;
   * in steps of 5, two versions differ by 5 callers at least.
   */
  async checksOf(itemIds: readonly string[]): Promise<Map<string, ItemChecks>> {
    const out = new Map<string, ItemChecks>(itemIds.map((id) => [id, publicChecks(undefined)]));
    if (!itemIds.length) return out;
    const rows = await this.checks.find({ itemId: { $in: [...itemIds] } }, { projection: { itemId: 1, answer: 1, at: 1 } });
    const byItem = new Map<string, JaapItemCheck[]>();
    for (const r of rows) {
      let list = byItem.get(r.itemId);
      if (!list) byItem.set(r.itemId, (list = []));
      list.push(r);
    }
    for (const [id, list] of byItem) {
      list.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime() || (a._id < b._id ? -1 : 1));
      const counted = list.length < MIN_CALLERS_FLOOR ? list : list.slice(0, list.length - (list.length % MIN_CALLERS_FLOOR));
      const counts = { yes: 0, partly: 0, no: 0 };
      for (const r of counted) counts[r.answer]++;
      out.set(id, publicChecks(counts));
    }
    return out;
  }
}

/** Counts as the public may see them: every caller answers once, so callers = yes + partly + no (checksOf passes them in steps of 5). */
export function publicChecks(c: Record<ItemCheckAnswer, number> | undefined): ItemChecks {
  const callers = c ? c.yes + c.partly + c.no : 0;
  if (callers === 0) return { status: 'none', callers: null, yes: null, partly: null, no: null };
  if (callers < MIN_CALLERS_FLOOR) return { status: 'too-few', callers: null, yes: null, partly: null, no: null };
  return { status: 'shown', callers, yes: c!.yes, partly: c!.partly, no: c!.no };
}

/** Whether staff should look again: ITEM_FLAG_NO_CALLERS or more callers said it was not done. */
export const itemFlagged = (c: Record<ItemCheckAnswer, number> | undefined) => (c?.no ?? 0) >= ITEM_FLAG_NO_CALLERS;
