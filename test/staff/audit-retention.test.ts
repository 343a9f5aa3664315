import { AuditEntry, AuditLog, MERGED_USERNAME_SAMPLES } from '../../src/staff/audit-log';
import { AuditRetention } from '../../src/staff/audit-retention';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

const DAY = 24 * 60 * 60 * 1000;

/** Issue 12, finding 4: the audit log's retention rule, and merged repeated refusals. */
describe(`audit log retention and merging (${ENGINE} store)`, () => {
  let store: Store;
  beforeEach(async () => {
    store = await openTestStore();
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  it('entries made in one millisecond list in the order they were made (newest first on the page)', async () => {
    const log = new AuditLog(store, () => new Date('2026-11-30T12:00:00.123Z'));
    const actions: AuditEntry['action'][] = ['add-account', 'change-role', 'reset-password', 'disable-account', 'enable-account', 'unlock-account'];
    for (const action of actions) await log.record({ username: 'admin', action });
    const page = await log.page({}, 1, 50);
    expect(page.entries.map((e) => e.action)).toEqual([...actions].reverse());
  });

  it('deletes entries older than the retention rule and keeps the rest', async () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const at = (daysAgo: number) => () => new Date(now.getTime() - daysAgo * DAY);
    await new AuditLog(store, at(500)).record({ username: 'a', action: 'view-message' });
    await new AuditLog(store, at(401)).recordRepeated({ username: 'x', action: 'sign-in-locked', address: '10.0.0.1' });
    await new AuditLog(store, at(399)).record({ username: 'b', action: 'view-message' });
    await new AuditLog(store, at(1)).record({ username: 'c', action: 'sign-in' });
    const deleted = await new AuditRetention(store, 400, undefined, () => now).sweep();
    expect(deleted).toBe(2);
    const left = await store.collection<AuditEntry>('staff_audit').find({}, { sort: { at: 1 } });
    expect(left.map((e) => e.username)).toEqual(['b', 'c']);
  });

  it('a repeated refusal is one entry per address, reason and 15 minutes whatever the username, with its count, the last time and a few sample usernames', async () => {
    let t = new Date('2026-11-30T12:00:00Z').getTime();
    const log = new AuditLog(store, () => new Date(t));
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      counts.push(await log.recordRepeated({ username: 'rev1', action: 'sign-in-locked', address: '10.0.0.1', detail: { reason: 'account-and-address' } }));
      t += 1000;
    }
    // New usernames from the same address: the same entry (issue 21: a new name per request made an entry each).
    for (let i = 0; i < 3 * MERGED_USERNAME_SAMPLES; i++) {
      await log.recordRepeated({ username: `fresh${i}`, action: 'sign-in-locked', address: '10.0.0.1', detail: { reason: 'account-and-address' } });
    }
    t -= 5000;
    await log.recordRepeated({ username: 'rev1', action: 'sign-in-locked', address: '10.0.0.2', detail: { reason: 'account-and-address' } });
    t += 15 * 60 * 1000;
    await log.recordRepeated({ username: 'rev1', action: 'sign-in-locked', address: '10.0.0.1', detail: { reason: 'account-and-address' } });
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    const entries = await store.collection<AuditEntry>('staff_audit').find({}, { sort: { at: 1, address: 1 } });
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ username: 'rev1', address: '10.0.0.1', detail: { reason: 'account-and-address', count: 5 + 3 * MERGED_USERNAME_SAMPLES, lastAt: '2026-11-30T12:00:05.000Z' } });
    expect(entries[0].detail?.usernames).toEqual(['rev1', ...Array.from({ length: MERGED_USERNAME_SAMPLES - 1 }, (_, i) => `fresh${i}`)]);
    expect(new Date(entries[0].at).toISOString()).toBe('2026-11-30T12:00:00.000Z');
    expect(entries[2].detail).toMatchObject({ count: 1 });
  });
});
