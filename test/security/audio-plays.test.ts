import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, seedMessage, StaffClient, toneWav } from '../staff/staff-support';

/**
 * Issue 12, finding 3: a play of a voice message is audited once per session and message,
 * whatever the Range header says; "bytes=00-" and "bytes=-N" used to fetch audio unlogged.
 */
describe(`voice-message plays in the audit log (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline();
    await addAccount(h.store, 'view1', 'viewer');
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterAll(async () => {
    await h.stop();
  });
  const plays = (messageId: string) => h.store.collection<AuditEntry>('staff_audit').find({ action: 'play-message', messageId });

  it.each(['bytes=00-', 'bytes=-100000', 'bytes=0000-99', 'bytes=44-', 'bytes=1-2,3-4', 'garbage'])(
    'a request with Range "%s" leaves a play entry',
    async (range) => {
      const wav = toneWav(1);
      const m = await seedMessage(h.store, { audio: wav });
      const c = await new StaffClient(h).signedIn('view1');
      const res = await c.request(`/staff/messages/${m._id}/audio`, { headers: { range } });
      expect([200, 206]).toContain(res.status);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
      expect((await plays(m._id)).map((p) => p.username)).toEqual(['view1']);
    },
  );

  it('one session\'s many range requests for one message are one entry; another session or another message is another', async () => {
    const wav = toneWav(2);
    const m = await seedMessage(h.store, { audio: wav });
    const other = await seedMessage(h.store, { audio: wav });
    const viewer = await new StaffClient(h).signedIn('view1');
    await Promise.all(['bytes=0-', 'bytes=100-', 'bytes=-10', 'bytes=0-', ''].map((range) =>
      viewer.request(`/staff/messages/${m._id}/audio`, { headers: range ? { range } : {} }).then((r) => r.arrayBuffer())));
    expect(await plays(m._id)).toHaveLength(1);
    await viewer.request(`/staff/messages/${other._id}/audio`, { headers: { range: 'bytes=500-' } });
    expect(await plays(other._id)).toHaveLength(1);
    const reviewer = await new StaffClient(h).signedIn('rev1');
    await reviewer.request(`/staff/messages/${m._id}/audio`, { headers: { range: 'bytes=-1' } });
    expect((await plays(m._id)).map((p) => p.username).sort()).toEqual(['rev1', 'view1']);
  });
});
