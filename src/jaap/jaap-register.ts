/**
 * The JAAP register in the store: plans (`jaaps`) and their action items (`jaap_items`). A status
 * change is a compare-and-set on the status it was read with, so two staff members changing one
 * item at once never overwrite each other: the second gets a ConflictError and looks again.
 */
import { ConflictError, DuplicateKeyError, NotFoundError } from '../errors';
import { cambodianDay } from '../outbound/cambodia-time';
import { Store } from '../store/store';
import { changedStatus, ItemStatus, Jaap, JaapItem, StatusChange } from './jaap';

/** The fields the result indicator reads: a national report reads only these. */
export const OUTCOME_FIELDS = ['communeCode', 'districtCode', 'provinceCode', 'service', 'section', 'status', 'doneAt', 'deadline'] as const;
export type ItemOutcomeFields = Pick<JaapItem, (typeof OUTCOME_FIELDS)[number]>;

export interface AreaFilter {
  communes?: string[];
  districts?: string[];
  provinces?: string[];
}

function areaQuery(area: AreaFilter = {}): Record<string, unknown> {
  const any: Record<string, unknown>[] = [];
  if (area.communes?.length) any.push({ communeCode: { $in: area.communes } });
  if (area.districts?.length) any.push({ districtCode: { $in: area.districts } });
  if (area.provinces?.length) any.push({ provinceCode: { $in: area.provinces } });
  return any.length === 0 ? {} : any.length === 1 ? any[0] : { $or: any };
}

export class JaapRegister {
  constructor(private readonly store: Store) {}

  private get plans() {
    return this.store.collection<Jaap>('jaaps');
  }

  private get items() {
    return this.store.collection<JaapItem>('jaap_items');
  }

  /** Records a new JAAP; a second one for the same commune and year is refused. */
  async addPlan(plan: Jaap): Promise<void> {
    try {
      await this.plans.insertOne(plan);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new ConflictError(`there is already a JAAP for commune ${plan.communeCode} in ${plan.year}`, { cause: err });
      throw err;
    }
  }

  plan(id: string): Promise<Jaap | null> {
    return this.plans.findOne({ _id: id });
  }

  plansOf(communeCode: string): Promise<Jaap[]> {
    return this.plans.find({ communeCode }, { sort: { year: -1 } });
  }

  /** Adds items to a plan; an item number already used in its section is refused. */
  async addItems(items: JaapItem[]): Promise<void> {
    try {
      await this.items.insertMany(items);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new ConflictError('an item with this section and number is already in the JAAP', { cause: err });
      throw err;
    }
  }

  item(id: string): Promise<JaapItem | null> {
    return this.items.findOne({ _id: id });
  }

  itemsOf(jaapId: string): Promise<JaapItem[]> {
    return this.items.find({ jaapId }, { sort: { section: 1, no: 1 } });
  }

  /**
   * Changes an item's status if it still has the status the change was made from, adding the
   * change to its history; otherwise ConflictError (someone changed it meanwhile).
   */
  async setStatus(id: string, from: ItemStatus, change: StatusChange): Promise<JaapItem> {
    const current = await this.item(id);
    if (!current) throw new NotFoundError(`no JAAP item ${id}`);
    if (current.status !== from) throw new ConflictError(`item ${id} is now ${current.status}, not ${from}: someone changed it meanwhile`);
    const next = changedStatus(current, change);
    const updated = await this.items.findOneAndUpdate(
      { _id: id, status: from },
      { $set: { status: next.status, doneAt: next.doneAt }, $push: { history: change } },
    );
    if (!updated) throw new ConflictError(`item ${id} changed meanwhile: look again`);
    return updated;
  }

  /** The fields the result indicator needs, for every item of the JAAPs agreed on days in [from, to). */
  itemsAgreedIn(fromDay: string, toDay: string, area?: AreaFilter): Promise<ItemOutcomeFields[]> {
    const projection = Object.fromEntries(OUTCOME_FIELDS.map((f) => [f, 1 as const]));
    return this.items.find({ agreedOn: { $gte: fromDay, $lt: toDay }, ...areaQuery(area) }, { projection }) as Promise<ItemOutcomeFields[]>;
  }

  /** Every JAAP agreed on a day in [from, to), by commune then year (the national roll-up export). */
  plansAgreedIn(fromDay: string, toDay: string): Promise<Jaap[]> {
    return this.plans.find({ agreedOn: { $gte: fromDay, $lt: toDay } }, { sort: { communeCode: 1, year: 1 } });
  }

  /** Every item, all its fields, of the JAAPs agreed on days in [from, to), by plan, section and number. */
  itemsOfPlansAgreedIn(fromDay: string, toDay: string): Promise<JaapItem[]> {
    return this.items.find({ agreedOn: { $gte: fromDay, $lt: toDay } }, { sort: { jaapId: 1, section: 1, no: 1 } });
  }

  /** Items past their 12 months and neither done nor dropped, the longest overdue first. */
  overdue(asOf: Date, area?: AreaFilter, limit = 500): Promise<JaapItem[]> {
    return this.items.find(
      { status: { $in: ['not-started', 'ongoing'] }, deadline: { $lt: cambodianDay(asOf) }, ...areaQuery(area) },
      { sort: { deadline: 1, _id: 1 }, limit },
    );
  }
}
