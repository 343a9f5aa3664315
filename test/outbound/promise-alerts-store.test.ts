import * as crypto from 'node:crypto';
import { CallbackQueue, NEWS_GATHER_MINUTES, PromiseNewsItem } from '../../src/outbound/callback-queue';
import { NumberCipher } from '../../src/outbound/number-cipher';
import { PromiseAlerts } from '../../src/outbound/promise-alerts';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';

/**
 * Promise news sign-ups and their calls straight on a store with the test's clock: one sign-up
 * per caller and commune, expiry, and how changes gather into one call per caller and commune
 * (and wait for the next day past the daily limit).
 */
const T0 = Date.parse('2030-11-30T03:00:00.000Z'); // 10:00 in Phnom Penh; after the machine's date, as the stores expire TTL records by the real clock
const NUMBER = '+85512345678';

describe(`promise news on the store (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  const cipher = new NumberCipher(crypto.randomBytes(32));
  const sharedStore = sharedTestStore(['outbound_callbacks', 'outbound_blocks', 'promise_alerts']);
  const now = () => new Date(clock);
  beforeEach(() => {
    store = sharedStore();
    clock = T0;
  });
  const item = (itemId: string, status: string): PromiseNewsItem => ({ itemId, service: 'health', status, at: now() });
  const news = (q: CallbackQueue, callerId: string, i: PromiseNewsItem, dailyLimit = 2) =>
    q.queueNews({ callerId, number: NUMBER, communeCode: '120101', language: 'km', item: i, dailyLimit });

  it('one sign-up per caller and commune, sealed; after 12 months it is no longer counted and the caller may sign up again', async () => {
    const alerts = new PromiseAlerts(store, cipher, now);
    expect(await alerts.subscribe({ callerId: 'a', number: NUMBER, communeCode: '120101', language: 'km' })).toBe('subscribed');
    expect(await alerts.subscribe({ callerId: 'a', number: NUMBER, communeCode: '120101', language: 'km' })).toBe('already');
    expect(await alerts.subscribe({ callerId: 'a', number: NUMBER, communeCode: '120102', language: 'km' })).toBe('subscribed');
    expect((await alerts.communesOf('a')).sort()).toEqual(['120101', '120102']);
    const [first] = await alerts.subscribersOf('120101');
    expect(JSON.stringify(first)).not.toContain('12345678');
    expect(alerts.numberOf(first)).toBe(NUMBER);
    clock = T0 + 366 * 86_400_000;
    expect(await alerts.communesOf('a')).toEqual([]);
    expect(await alerts.subscribersOf('120101')).toEqual([]);
    expect(await alerts.subscribe({ callerId: 'a', number: NUMBER, communeCode: '120101', language: 'km' })).toBe('subscribed');
    expect(await alerts.stop('a', '120101')).toBe(true);
    expect(await alerts.communesOf('a')).toEqual([]);
  });

  it('changes gather into one waiting call per caller and commune; past the daily limit the call waits for the next day; a stop drops it with its number', async () => {
    const q = new CallbackQueue(store, cipher, { maxAttempts: 3, retryBaseSeconds: 60 }, now);
    expect(await news(q, 'a', item('i1', 'ongoing'))).toBe('queued');
    expect(await news(q, 'a', item('i2', 'done'))).toBe('added');
    expect(await news(q, 'b', item('i1', 'ongoing'))).toBe('queued');
    const [entry, ...rest] = await q.collection.find({ callerId: 'a' });
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ kind: 'promise-news', state: 'queued', nextAttemptAt: new Date(T0 + NEWS_GATHER_MINUTES * 60_000) });
    expect(entry.news?.map((n) => `${n.itemId} ${n.status}`)).toEqual(['i1 ongoing', 'i2 done']);
    expect(q.numberOf(entry)).toBe(NUMBER);

    // Two news calls ended today: a third change today is called tomorrow.
    await q.end(entry, 'completed', 'answered', { status: 'completed' });
    const b = (await q.collection.find({ callerId: 'b' }))[0];
    await q.end(b, 'completed', 'answered', { status: 'completed' });
    expect(await news(q, 'a', item('i3', 'done'), 1)).toBe('queued');
    const tomorrow = await q.collection.findOne({ callerId: 'a', state: 'queued' });
    expect(tomorrow?.nextAttemptAt).toEqual(new Date('2030-11-30T17:00:00.000Z')); // midnight in Phnom Penh

    expect(await q.endNews('a', '120101')).toBe(true);
    const stopped = await q.find(tomorrow!._id);
    expect(stopped).toMatchObject({ state: 'abandoned', outcome: 'stopped' });
    expect(stopped?.sealedNumber).toBeUndefined();
  });
});
