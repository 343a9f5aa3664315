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
  if (f.from) and.push({ createdAt: { $gte: f.from } });
  if (f.to) and.push({ createdAt: { $lte: f.to } });
  return { $and: and };
}

export class MessageQueries {
  constructor(private readonly collection: Collection<StaffVisibleMessage>, private readonly now: () => Date = () => new Date()) {}

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

  /** The message after `current` in the list with this filter and order ("save and next"), or null at the end. */
  async after(current: Pick<VoiceMessage, '_id' | 'createdAt'>, filter: MessageFilter, order: MessageOrder = 'newest'): Promise<StaffVisibleMessage | null> {
    const way = order === 'oldest' ? 1 : -1;
    const beyond = order === 'oldest' ? '$gt' : '$lt';
    const at = new Date(current.createdAt);
    const query = { $and: [messageQuery(filter), { _id: { $ne: current._id } }, { $or: [{ createdAt: { [beyond]: at } }, { createdAt: at, _id: { [beyond]: current._id } }] }] };
    const [next] = await this.collection.find(query, { sort: { createdAt: way, _id: way }, limit: 1 });
    return next ?? null;
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

  /**
   * Moves a message to a review state and adds the move to its history; returns false when there
   * is no such message. `from` is the state the reader saw: the history says what was changed.
   */
  async setReviewState(id: string, state: ReviewState, by: string, from: ReviewState = 'new'): Promise<boolean> {
    const at = this.now();
    const r = await this.collection.updateOne(
      { $and: [{ _id: id }, messageQuery({})] },
      { $set: { 'review.state': state, 'review.updatedAt': at, 'review.updatedBy': by }, $push: { 'review.history': { from, to: state, by, at } } },
    );
    return r.matched > 0;
  }

  /** Appends a note (notes are never edited or removed: they are part of the record). */
  async addNote(id: string, by: string, text: string): Promise<boolean> {
    const at = this.now();
    const r = await this.collection.updateOne(
      { $and: [{ _id: id }, messageQuery({})] },
      { $push: { 'review.notes': { by, at, text } }, $set: { 'review.updatedAt': at, 'review.updatedBy': by } },
    );
    return r.matched > 0;
  }

  /** Marks the recordings left on a test call so they stay out of the list and every count. */
  async markTestCall(callSid: string): Promise<void> {
    await this.collection.updateMany({ callSid, testCall: { $ne: true } }, { $set: { testCall: true } });
  }
}
