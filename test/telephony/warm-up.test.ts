import { createApp } from '../../src/app';
import { TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { warmUpLine } from '../../src/telephony/warm-up';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';

/**
 * Issue 21, item 5: the first turns after a start ran code for the first time, and callers ringing
 * together after a restart queued behind them. The server runs one test call through the app
 * before it listens (src/server.ts); how much that saves is measured by `npm run bench -- --shapes
 * burst`, not here. Here: the call goes through like a real one and leaves nothing that counts.
 */
describe(`the warm-up call before listening (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => h.stop());

  const warmUp = (authToken = h.config.twilioAuthToken) =>
    warmUpLine(createApp(h.rt), { publicBaseUrl: h.config.publicBaseUrl, authToken, accountSid: h.config.twilioAccountSid, logger: h.rt.logger });

  it('goes through the signed webhooks as a test call, ends, and leaves no rating, message or callback', async () => {
    await warmUp();
    expect(h.logs.join('')).not.toMatch(/warm-up call/);
    const calls = await h.store.collection<{ _id: string; turn: number }>('calls').find({});
    expect(calls).toHaveLength(1);
    expect(calls[0]._id.startsWith(TEST_CALL_SID_PREFIX)).toBe(true);
    expect(calls[0].turn).toBe(2); // answered, then a key: the turn code ran as well as the first
    expect(await h.store.collection<{ _id: string; status: string }>('call_status').findOne({ _id: calls[0]._id })).toMatchObject({ status: 'completed' });
    expect(await h.store.collection('ratings').countDocuments({})).toBe(0);
    expect(await h.store.collection('messages').countDocuments({})).toBe(0);
    expect(await h.rt.outbound.queue.collection.countDocuments({})).toBe(0);
  });

  it('a warm-up that is refused (a wrong signature) is logged and the start goes on', async () => {
    await expect(warmUp('not-the-token')).resolves.toBeUndefined();
    expect(h.logs.join('')).toMatch(/the warm-up call before listening did not go through/);
  });
});
