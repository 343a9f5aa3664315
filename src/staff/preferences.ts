import { Store } from '../store/store';
import { isStaffLanguage, StaffLanguage } from './i18n/i18n';

interface StaffPreferencesDoc {
  /** The username. */
  _id: string;
  language?: StaffLanguage;
  updatedAt: Date;
}

/** What each staff member chose for themselves (the language of the staff app), kept with their username. */
export class StaffPreferences {
  constructor(private readonly store: Store) {}
  private get collection() {
    return this.store.collection<StaffPreferencesDoc>('staff_preferences');
  }

  async language(username: string): Promise<StaffLanguage | undefined> {
    const doc = await this.collection.findOne({ _id: username });
    return isStaffLanguage(doc?.language) ? doc.language : undefined;
  }

  async setLanguage(username: string, language: StaffLanguage): Promise<void> {
    await this.collection.updateOne({ _id: username }, { $set: { language, updatedAt: new Date() } }, { upsert: true });
  }
}
