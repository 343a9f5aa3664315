import { Collection, Filter } from '../store/store';
import { ReviewState, VoiceMessage } from './messages';

/** A test call from the staff "try the line" page: kept out of the list (see src/staff/try-the-line.ts). */
export type StaffVisibleMessage = VoiceMessage & { testCall?: boolean };

/** What staff can filter the list by; every field optional. Codes are NCDD gazetteer codes. */
export interface MessageFilter {
  provinceCode?: string;
  districtCode?: string;
  communeCode?: string;
  service?: string;
  reviewState?: ReviewState;
  /** Inclusive range on createdAt. */
  from?: Date;
  to?: Date;
}

/** The query for a filter: never discarded recordings (the caller recorded again) nor test calls. */
export function messageQuery(f: MessageFilter): Filter {
  const and: Filter[] = [{ callerChoice: { $ne: 'discarded' } }, { testCall: { $ne: true } }];
  // The most specific place wins: a commune implies its district and province.
  if (f.communeCode) and.push({ communeCode: f.communeCode });
  else if (f.districtCode) and.push({ districtCode: f.districtCode });
  else if (f.provinceCode) and.push({ provinceCode: f.provinceCode });
  if (f.service) and.push({ service: f.service });
  if (f.reviewState === 'new') and.push({ $or: [{ 'review.state': 'new' }, { review: { $exists: false } }] });
  else if (f.reviewState) and.push({ 'review.state': f.reviewState });
  if (f.from) and.push({ createdAt: { $gte: f.from } });
  if (f.to) and.push({ createdAt: { $lte: f.to } });
  return { $and: and };
}

export class MessageQueries {
  constructor(private readonly collection: Collection<StaffVisibleMessage>, private readonly now: () => Date = () => new Date()) {}

  /** Newest first, one page. */
  async list(filter: MessageFilter, page: number, perPage: number): Promise<{ messages: StaffVisibleMessage[]; total: number }> {
    const query = messageQuery(filter);
    const [messages, total] = await Promise.all([
      this.collection.find(query, { sort: { createdAt: -1, _id: -1 }, skip: (page - 1) * perPage, limit: perPage }),
      this.collection.countDocuments(query),
    ]);
    return { messages, total };
  }

  /** A message staff may see (not discarded, not a test call). */
  find(id: string): Promise<StaffVisibleMessage | null> {
    return this.collection.findOne({ $and: [{ _id: id }, messageQuery({})] });
  }

  /** Moves a message to a review state; returns false when there is no such message. */
  async setReviewState(id: string, state: ReviewState, by: string): Promise<boolean> {
    const r = await this.collection.updateOne(
      { $and: [{ _id: id }, messageQuery({})] },
      { $set: { 'review.state': state, 'review.updatedAt': this.now(), 'review.updatedBy': by } },
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
