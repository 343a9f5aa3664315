import { Collection, Filter } from '../store/store';
import { ReviewState, VoiceMessage } from './messages';

/** "open": still to be dealt with (new or in review). */
export type ReviewStateFilter = ReviewState | 'open';
export type MessageOrder = 'newest' | 'oldest';

/** A test call from the staff "try the line" page: kept out of the list (see src/staff/try-the-line.ts). */
export type StaffVisibleMessage = VoiceMessage & { testCall?: boolean };

/** What staff can filter the list by; every field optional. Codes are NCDD gazetteer codes. */
export interface MessageFilter {
  provinceCode?: string;
  districtCode?: string;
  communeCode?: string;
  service?: string;
  reviewState?: ReviewStateFilter;
  /** Only messages this staff member works on ("mine"). */
  owner?: string;
  /** Inclusive range on createdAt. */
  from?: Date;
  to?: Date;
}

/** The query for a filter: never discarded recordings (the caller recorded again), places said for staff to confirm, nor test calls. */
export function messageQuery(f: MessageFilter): Filter {
  const and: Filter[] = [{ callerChoice: { $nin: ['discarded', 'place'] } }, { testCall: { $ne: true } }];
  // The most specific place wins: a commune implies its district and province.
  if (f.communeCode) and.push({ communeCode: f.communeCode });
  else if (f.districtCode) and.push({ districtCode: f.districtCode });
  else if (f.provinceCode) and.push({ provinceCode: f.provinceCode });
  if (f.service) and.push({ service: f.service });
  if (f.reviewState === 'new') and.push({ $or: [{ 'review.state': 'new' }, { review: { $exists: false } }] });
  else if (f.reviewState === 'open') and.push({ $or: [{ 'review.state': { $in: ['new', 'in-review'] } }, { review: { $exists: false } }] });
  else if (f.reviewState) and.push({ 'review.state': f.reviewState });
  if (f.owner) and.push({ 'review.owner': f.owner });
  if (f.from) and.push({ createdAt: { $gte: f.from } });
  if (f.to) and.push({ createdAt: { $lte: f.to } });
  return { $and: and };
}

export class MessageQueries {
  constructor(private readonly collection: Collection<StaffVisibleMessage>) {}

  /** One page, newest or oldest first. */
  async list(filter: MessageFilter, page: number, perPage: number, order: MessageOrder = 'newest'): Promise<{ messages: StaffVisibleMessage[]; total: number }> {
    const query = messageQuery(filter);
    const way = order === 'oldest' ? 1 : -1;
    const [messages, total] = await Promise.all([
      this.collection.find(query, { sort: { createdAt: way, _id: way }, skip: (page - 1) * perPage, limit: perPage }),
      this.collection.countDocuments(query),
    ]);
    return { messages, total };
  }

  /** Messages staff may see with the number the hotline read to the caller, newest first. */
  findByReference(referenceNumber: string): Promise<StaffVisibleMessage[]> {
    return this.collection.find({ $and: [{ referenceNumber }, messageQuery({})] }, { sort: { createdAt: -1, _id: -1 }, limit: 20 });
  }

  /** Reference numbers of the given messages, for showing them instead of internal ids. */
  async referenceNumbers(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const found = await this.collection.find({ _id: { $in: [...new Set(ids)] } }, { projection: { _id: 1, referenceNumber: 1 } });
    return new Map(found.map((m) => [m._id, m.referenceNumber]));
  }

  /** A message staff may see (not discarded, not a test call). */
  find(id: string): Promise<StaffVisibleMessage | null> {
    return this.collection.findOne({ $and: [{ _id: id }, messageQuery({})] });
  }

  /** Marks the recordings left on a test call so they stay out of the list and every count. */
  async markTestCall(callSid: string): Promise<void> {
    await this.collection.updateMany({ callSid, testCall: { $ne: true } }, { $set: { testCall: true } });
  }
}
