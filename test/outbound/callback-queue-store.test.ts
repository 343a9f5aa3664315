import * as crypto from 'node:crypto';
import { AttemptPolicy, backoffSeconds, CallbackEntry, CallbackQueue, ENDED_KEPT_DAYS, QueueCaps } from '../../src/outbound/callback-queue';
import { NumberCipher } from '../../src/outbound/number-cipher';
import { Store } from '../../src/store/store';
import { ENGINE } from '../support/engine';
import { failingWrites } from '../support/failing-store';
import { sharedTestStore } from '../support/shared-store';

/**
 * The callback queue as the worker, the missed-call webhook and the staff pages use it, straight on
 * a store with the test's clock: who gets queued (blocks, replays, daily and weekly limits, queue
 * caps), the life of an attempt (claim, placed, unsure, not placed, carrier statuses in any order,
 * retries with backoff, giving up), expiry by calling hours, and that a number is erased whenever a
 * callback ends. Fast on purpose: the callback-queue mutation group (stryker.config.mjs) runs
 * these, not the hotline tests.
 */
const DAY = 86_400_000;
const T0 = Date.parse('2030-11-30T03:00:00.000Z'); // 10:00 in Phnom Penh; after the machine's date, as the stores expire TTL records by the real clock
const HOURS = { startMinute: 8 * 60, endMinute: 17 * 60 }; // 08:00-17:00 Phnom Penh = 01:00-10:00 UTC
const NUMBER = '+85512345678';
const OTHER = '+85598765432';

describe(`callback queue on the store (${ENGINE} store)`, () => {
  let store: Store;
  let clock: number;
  const cipher = new NumberCipher(crypto.randomBytes(32));
  const queueWith = (p: Partial<AttemptPolicy> = {}) => new CallbackQueue(store, cipher, { maxAttempts: 3, retryBaseSeconds: 60, ...p }, () => new Date(clock));
  const missed = (q: CallbackQueue, callerId = 'caller-a', extra: { number?: string; dailyLimit?: number; ringSid?: string; caps?: QueueCaps } = {}) =>
    q.request({ kind: 'missed-call', callerId, number: extra.number ?? NUMBER, dailyLimit: extra.dailyLimit ?? 5, ...extra });
  const only = async (q: CallbackQueue): Promise<CallbackEntry> => {
    const all = await q.collection.find({});
    expect(all).toHaveLength(1);
    return all[0];
  };
  const entryOf = async (q: CallbackQueue, callerId: string) => (await q.collection.find({ callerId }))[0];
  /** Claims the one due entry and has the carrier accept it. */
  const dial = async (q: CallbackQueue, callSid = 'CA1') => {
    const e = await q.claimForCall(120);
    expect(e).not.toBeNull();
    await q.placed(e!, callSid, 300);
    return e!;
  };
  const sharedStore = sharedTestStore(['outbound_callbacks', 'outbound_blocks', 'outbound_rings', 'outbound_queue_hours']);
  beforeEach(async () => {
    store = sharedStore();
    clock = T0;
  });

  describe('asking for a callback', () => {
    it('queues one callback due now, the number sealed in the entry for the worker only', async () => {
      const q = queueWith();
      expect(await missed(q)).toBe('queued');
      const e = await only(q);
      expect(e).toMatchObject({ kind: 'missed-call', callerId: 'caller-a', state: 'queued', attempts: 0, nextAttemptAt: new Date(T0), createdAt: new Date(T0), history: [] });
      expect(e.waitUntil).toBeUndefined(); // no expiry configured
      expect(e.sealedNumber).toBeDefined();
      expect(JSON.stringify(e)).not.toContain('12345678');
      expect(q.numberOf(e)).toBe(NUMBER);
      expect(await q.find(e._id)).toEqual(e);
      expect(await q.hasDue()).toBe(true);
      await missed(q, 'caller-b', { number: OTHER });
      const b = (await q.collection.find({ callerId: 'caller-b' }))[0];
      expect(await q.find(b._id)).toEqual(b);
      expect(await q.find(e._id)).toEqual(e);
    });

    it('without a clock given, the time is the real time', async () => {
      const real = new CallbackQueue(store, cipher, { maxAttempts: 3, retryBaseSeconds: 60 });
      const before = Date.now();
      expect(await missed(real)).toBe('queued');
      const at = (await only(real)).createdAt.getTime();
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    });

    it('a caller who rings again while owed a callback gets no second one; another caller does; the same caller may be owed an answer too', async () => {
      const q = queueWith();
      expect(await missed(q)).toBe('queued');
      expect(await missed(q)).toBe('already-queued');
      expect(await missed(q, 'caller-b', { number: OTHER })).toBe('queued');
      expect(await q.request({ kind: 'message-answer', callerId: 'caller-a', number: NUMBER, dailyLimit: 5 })).toBe('queued');
      expect(await q.collection.countDocuments({})).toBe(3);
    });

    it('once a callback ended, the same caller can be called back again', async () => {
      const q = queueWith();
      await missed(q);
      const e = await only(q);
      expect(await q.end(e, 'abandoned', 'failed', { status: 'failed' })).toBe(true);
      expect(await missed(q)).toBe('queued');
      expect(await q.collection.countDocuments({ state: 'queued' })).toBe(1);
    });

    it('a replayed ring (same CallSid) queues nothing, even after its callback ended; a new ring does', async () => {
      const q = queueWith();
      expect(await missed(q, 'caller-a', { ringSid: 'CAring1' })).toBe('queued');
      const e = await only(q);
      await q.end(e, 'completed', 'answered', { status: 'completed' });
      expect(await missed(q, 'caller-a', { ringSid: 'CAring1' })).toBe('duplicate-ring');
      expect(await missed(q, 'caller-b', { ringSid: 'CAring1', number: OTHER })).toBe('duplicate-ring');
      expect(await missed(q, 'caller-a', { ringSid: 'CAring2' })).toBe('queued');
      // The ring is remembered for 8 days.
      const ring = await store.collection<{ _id: string; expiresAt: Date }>('outbound_rings').findOne({ _id: 'CAring1' });
      expect(ring?.expiresAt).toEqual(new Date(T0 + 8 * DAY));
    });

    it('a blocked caller is not queued and their owed callbacks end at once, numbers erased; unblocking lets them be called back', async () => {
      const q = queueWith();
      await missed(q);
      expect(await q.requestAnswer({ messageId: 'RE1', callerId: 'caller-a', number: NUMBER, language: 'km' })).toBe('awaiting');
      await missed(q, 'caller-b', { number: OTHER });
      await q.block('caller-a', 'dara');
      const ended = await q.collection.find({ callerId: 'caller-a' });
      expect(ended).toHaveLength(2);
      for (const e of ended) {
        expect(e).toMatchObject({ state: 'abandoned', outcome: 'refused' });
        expect(e.sealedNumber).toBeUndefined();
        expect(e.history.at(-1)).toMatchObject({ status: 'blocked', detail: 'blocked by dara' });
      }
      expect((await entryOf(q, 'caller-b')).state).toBe('queued');
      expect(await missed(q)).toBe('blocked');
      expect(await q.requestAnswer({ messageId: 'RE2', callerId: 'caller-a', number: NUMBER, language: 'km' })).toBe('blocked');
      expect(await q.listBlocks()).toEqual([{ _id: 'caller-a', by: 'dara', at: new Date(T0) }]);
      clock += 1000;
      await q.block('caller-z', 'sok');
      expect((await q.listBlocks()).map((b) => b._id)).toEqual(['caller-z', 'caller-a']);
      await q.unblock('caller-a');
      expect(await q.listBlocks()).toEqual([{ _id: 'caller-z', by: 'sok', at: new Date(T0 + 1000) }]);
      expect(await missed(q)).toBe('queued');
    });

    it('unblocking one caller leaves the others blocked, and a block stops only its own caller', async () => {
      const q = queueWith();
      await q.block('caller-x', 'dara');
      clock += 1000;
      await q.block('caller-y', 'dara');
      expect(await missed(q, 'caller-a')).toBe('queued');
      expect(await q.requestAnswer({ messageId: 'RE9', callerId: 'caller-a', number: NUMBER, language: 'km' })).toBe('awaiting');
      await q.unblock('caller-y');
      expect((await q.listBlocks()).map((b) => b._id)).toEqual(['caller-x']);
      expect(await missed(q, 'caller-x', { number: OTHER })).toBe('blocked');
      expect(await missed(q, 'caller-y', { number: OTHER })).toBe('queued');
    });

    it('blocking leaves a call already under way to finish', async () => {
      const q = queueWith();
      await missed(q);
      await dial(q);
      await q.block('caller-a', 'dara');
      expect((await only(q)).state).toBe('dialing');
    });

    it('a caller gets at most CALLBACK_DAILY_LIMIT callbacks a Cambodian day, counted per kind', async () => {
      const q = queueWith();
      clock = Date.parse('2030-11-30T17:00:00.000Z'); // midnight in Phnom Penh: the day's first moment
      expect(await missed(q, 'caller-a', { dailyLimit: 2 })).toBe('queued');
      await q.end(await entryOf(q, 'caller-a'), 'abandoned', 'failed', { status: 'failed' });
      clock += 3_600_000;
      expect(await missed(q, 'caller-a', { dailyLimit: 2 })).toBe('queued');
      await q.end((await q.collection.find({ callerId: 'caller-a', state: 'queued' }))[0], 'abandoned', 'failed', { status: 'failed' });
      expect(await missed(q, 'caller-a', { dailyLimit: 2 })).toBe('daily-limit');
      expect(await missed(q, 'caller-a', { dailyLimit: 3 })).toBe('queued');
      // Another kind has its own count.
      expect(await q.request({ kind: 'message-answer', callerId: 'caller-a', number: NUMBER, dailyLimit: 1 })).toBe('queued');
      // The next Cambodian day starts afresh.
      clock = Date.parse('2030-12-01T17:00:00.000Z');
      await q.end((await q.collection.find({ callerId: 'caller-a', kind: 'missed-call', state: 'queued' }))[0], 'abandoned', 'failed', { status: 'failed' });
      expect(await missed(q, 'caller-a', { dailyLimit: 1 })).toBe('queued');
    });

    it('a daily limit of 0 queues nothing', async () => {
      expect(await missed(queueWith(), 'caller-a', { dailyLimit: 0 })).toBe('daily-limit');
    });

    it('a number that had CALLBACK_WEEKLY_CALLS_PER_NUMBER calls in 7 days is not queued again until they are older than 7 days', async () => {
      const q = queueWith({ weeklyCallsPerNumber: 2 });
      await missed(q);
      await dial(q);
      expect(await q.applyStatus((await only(q))._id, (await only(q)).attemptId!, { status: 'busy' }, 300)).toBe('retry');
      expect(await q.callsThisWeek('caller-a')).toBe(1);
      // Another number's calls are its own.
      await missed(q, 'caller-b', { number: OTHER });
      clock += 1000;
      const other = await q.claimForCall(120);
      expect(other!.callerId).toBe('caller-b');
      expect(await q.callsThisWeek('caller-a')).toBe(1);
      await q.end(other!, 'completed', 'answered', { status: 'completed' });
      clock += 3_600_000;
      const second = await dial(q);
      expect(await q.callsThisWeek('caller-a')).toBe(2);
      // The second call's failure finds the week's calls spent: no third attempt though 3 are allowed.
      expect(await q.applyStatus(second._id, second.attemptId!, { status: 'no-answer' }, 300)).toBe('abandoned');
      clock += DAY;
      expect(await missed(q)).toBe('weekly-limit');
      expect(await missed(q, 'caller-b', { number: OTHER })).toBe('queued');
      // Answers to voice messages are not limited by it.
      expect(await q.request({ kind: 'message-answer', callerId: 'caller-a', number: NUMBER, dailyLimit: 5 })).toBe('queued');
      clock = T0 + 7 * DAY; // the first call's entry is exactly 7 days old: still counts
      expect(await missed(q)).toBe('weekly-limit');
      clock += 1;
      expect(await q.callsThisWeek('caller-a')).toBe(0);
      expect(await missed(q)).toBe('queued');
    });

    it('an answer to a voice message keeps its retries whatever the number\'s calls this week', async () => {
      const q = queueWith({ weeklyCallsPerNumber: 1 });
      await q.request({ kind: 'message-answer', callerId: 'caller-a', number: NUMBER, dailyLimit: 5 });
      const e = await dial(q);
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'busy' }, 300)).toBe('retry');
      clock += 60_000;
      const again = await dial(q);
      expect(await q.possiblyPlaced(again, 'lost')).toBe('retry');
    });

    it('without a weekly limit, calls this week do not stop a callback', async () => {
      const q = queueWith();
      await missed(q);
      const e = await dial(q);
      await q.applyStatus(e._id, e.attemptId!, { status: 'completed' }, 300);
      expect(await q.callsThisWeek('caller-a')).toBe(1);
      expect(await missed(q)).toBe('queued');
    });
  });

  describe('a database failure', () => {
    // Each of these writes may meet a duplicate key (a replayed ring, a second ring, another
    // instance's record), which is expected and answered; any other failure must surface.
    const broken = (collection: string, method: 'insertOne' | 'updateOne' = 'insertOne') =>
      new CallbackQueue(failingWrites(store, collection, method), cipher, { maxAttempts: 3, retryBaseSeconds: 60 }, () => new Date(clock));

    it('is not taken for a replayed ring, a callback already owed, another instance\'s hour record or an answer already asked for', async () => {
      await expect(missed(broken('outbound_rings'), 'a', { ringSid: 'CA1' })).rejects.toThrow('database unavailable');
      await expect(missed(broken('outbound_callbacks'), 'a')).rejects.toThrow('database unavailable');
      await expect(broken('outbound_callbacks').requestAnswer({ messageId: 'RE1', callerId: 'a', number: NUMBER, language: 'km' })).rejects.toThrow('database unavailable');
      await expect(missed(broken('outbound_queue_hours'), 'a', { caps: { perHour: 5, waiting: 5 } })).rejects.toThrow('database unavailable');
      expect(await queueWith().collection.countDocuments({})).toBe(0);
    });

    it('when the entry cannot be written, the hour\'s place taken for it is given back', async () => {
      const caps = { perHour: 1, waiting: 5 };
      await expect(missed(broken('outbound_callbacks'), 'a', { caps })).rejects.toThrow('database unavailable');
      expect(await missed(queueWith(), 'a', { caps })).toBe('queued');
    });
  });

  describe('queue caps', () => {
    it('refuses rings while CALLBACK_QUEUE_MAX_WAITING missed-call callbacks wait, and says so for staff', async () => {
      const q = queueWith();
      const caps = { perHour: 100, waiting: 2 };
      expect(await missed(q, 'a', { caps })).toBe('queued');
      clock += 1000; // 'a' is the most overdue: the one dialled below
      // An answer owed and a callback being dialled are not waiting missed calls.
      await q.requestAnswer({ messageId: 'RE1', callerId: 'x', number: NUMBER, language: 'km' });
      await q.request({ kind: 'message-answer', callerId: 'y', number: NUMBER, dailyLimit: 5 });
      expect(await missed(q, 'b', { caps })).toBe('queued');
      expect(await missed(q, 'c', { caps })).toBe('queue-full');
      await dial(q);
      expect(await q.waitingMissedCalls()).toBe(1);
      expect(await missed(q, 'c', { caps })).toBe('queued');
      expect(await missed(q, 'd', { caps })).toBe('queue-full');
      expect(await missed(q, 'e', { caps })).toBe('queue-full');
      const hits = await q.capHits();
      expect(hits).toHaveLength(1);
      // Kept two days for the staff page, then the database drops it.
      expect(hits[0]).toMatchObject({ _id: 'hour-2030-11-30T03', queued: 3, refused: 3, lastRefusedBy: 'waiting', lastRefusedAt: new Date(T0 + 1000), expiresAt: new Date(T0 + 2 * DAY) });
      // Without caps (staff typed the number, a test), the cap does not apply.
      expect(await missed(q, 'f')).toBe('queued');
    });

    it('refuses rings past CALLBACK_QUEUE_MAX_PER_HOUR in a clock hour; the next hour takes rings again', async () => {
      const q = queueWith();
      const caps = { perHour: 2, waiting: 100 };
      clock = Date.parse('2030-11-30T03:59:00.000Z');
      expect(await missed(q, 'a', { caps })).toBe('queued');
      expect(await missed(q, 'b', { caps })).toBe('queued');
      // A ring refused for another reason takes no place in the hour.
      expect(await missed(q, 'a', { caps })).toBe('already-queued');
      expect(await missed(q, 'c', { caps })).toBe('queue-full');
      expect(await q.capHits()).toEqual([expect.objectContaining({ _id: 'hour-2030-11-30T03', queued: 2, refused: 1, lastRefusedBy: 'per-hour' })]);
      clock = Date.parse('2030-11-30T04:00:00.000Z');
      expect(await missed(q, 'c', { caps })).toBe('queued');
      expect(await missed(q, 'd', { caps })).toBe('queued');
      expect(await missed(q, 'e', { caps })).toBe('queue-full');
      // The staff page shows this hour and the last, newest first.
      expect((await q.capHits()).map((h) => h._id)).toEqual(['hour-2030-11-30T04', 'hour-2030-11-30T03']);
      clock = Date.parse('2030-11-30T05:30:00.000Z');
      expect((await q.capHits()).map((h) => h._id)).toEqual(['hour-2030-11-30T04']);
      clock = Date.parse('2030-11-30T06:00:00.000Z');
      expect(await q.capHits()).toEqual([]);
    });

    it('an hour with no refusal is not shown', async () => {
      const q = queueWith();
      expect(await missed(q, 'a', { caps: { perHour: 5, waiting: 5 } })).toBe('queued');
      expect(await q.capHits()).toEqual([]);
    });

    it('two rings of one caller at once make one callback and use one place in the hour', async () => {
      const q = queueWith();
      const caps = { perHour: 2, waiting: 100 };
      const both = await Promise.all([missed(q, 'a', { caps }), missed(q, 'a', { caps })]);
      expect(both.sort()).toEqual(['already-queued', 'queued']);
      expect(await missed(q, 'b', { caps })).toBe('queued');
    });
  });

  describe('an attempt', () => {
    it('claims the most overdue due entry, counts the attempt and holds it for the lease', async () => {
      const q = queueWith();
      expect(await q.claimForCall(120)).toBeNull();
      expect(await q.hasDue()).toBe(false);
      await missed(q, 'a');
      clock += 1000;
      await missed(q, 'b', { number: OTHER });
      const first = await q.claimForCall(120);
      expect(first).toMatchObject({ callerId: 'a', state: 'dialing', attempts: 1, attemptStartedAt: new Date(T0 + 1000), nextAttemptAt: new Date(T0 + 121_000) });
      expect(first!.attemptId).toEqual(expect.any(String));
      expect(q.numberOf(first!)).toBe(NUMBER);
      const second = await q.claimForCall(120);
      expect(second).toMatchObject({ callerId: 'b', state: 'dialing' });
      expect(second!.attemptId).not.toBe(first!.attemptId);
      expect(await q.claimForCall(120)).toBeNull();
      expect(await q.hasDue()).toBe(false);
    });

    it('claims by due time, not by when the entry was made: a callback waiting to retry comes after one due earlier', async () => {
      const q = queueWith({ retryBaseSeconds: 60 });
      await missed(q, 'a');
      const a = await dial(q);
      await q.applyStatus(a._id, a.attemptId!, { status: 'busy' }, 300); // due again at T0 + 60 s
      clock += 1000;
      await missed(q, 'b', { number: OTHER }); // due at T0 + 1 s
      clock = T0 + 61_000;
      expect((await q.claimForCall(120))!.callerId).toBe('b');
      expect((await q.claimForCall(120))!.callerId).toBe('a');
    });

    it('two instances claiming at once never get the same entry', async () => {
      const q1 = queueWith();
      const q2 = queueWith();
      await missed(q1, 'a');
      const got = await Promise.all([q1.claimForCall(120), q2.claimForCall(120)]);
      expect(got.filter((e) => e !== null)).toHaveLength(1);
    });

    it('the carrier accepted: its CallSid is kept and the lease runs from now', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      await q.unsure(e!, 'timed out', 30);
      clock += 10_000;
      await q.placed(e!, 'CAabc', 300);
      expect(await only(q)).toMatchObject({ callSid: 'CAabc', state: 'unsure', lastError: 'timed out' });
      // From dialing, the lease moves and an earlier error is cleared.
      await q.notPlaced(e!, 'refused', 0);
      const e2 = await q.claimForCall(120);
      clock += 5000;
      await q.placed(e2!, 'CAdef', 300);
      const after = await only(q);
      expect(after).toMatchObject({ callSid: 'CAdef', state: 'dialing', nextAttemptAt: new Date(T0 + 315_000) });
      expect(after.lastError).toBeUndefined();
      // A stale attempt's late answer changes nothing.
      await q.placed(e!, 'CAold', 900);
      expect(await only(q)).toMatchObject({ callSid: 'CAdef', nextAttemptAt: new Date(T0 + 315_000) });
    });

    it('an unsure create is kept live and looked at again later, with the error cut to 300 characters', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      await q.unsure(e!, 'x'.repeat(400), 45);
      expect(await only(q)).toMatchObject({ state: 'unsure', lastError: 'x'.repeat(300), nextAttemptAt: new Date(T0 + 45_000) });
      expect(await q.hasDue()).toBe(false);
      // Only from dialing: a second report changes nothing.
      await q.unsure(e!, 'again', 999);
      expect(await only(q)).toMatchObject({ lastError: 'x'.repeat(300) });
    });

    it('a create the carrier certainly refused waits again without counting the attempt', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      expect(await q.notPlaced(e!, 'y'.repeat(400), 30)).toBe(true);
      const back = await only(q);
      expect(back).toMatchObject({ state: 'queued', attempts: 0, lastError: 'y'.repeat(300), nextAttemptAt: new Date(T0 + 30_000) });
      expect(back.attemptId).toBeUndefined();
      expect(await q.notPlaced(e!, 'again', 30)).toBe(false);
      expect(await q.hasDue()).toBe(false);
      clock += 30_000;
      expect(await q.hasDue()).toBe(true);
      // After a real attempt, a refused create goes back to retry, keeping the attempt made.
      const a1 = await dial(q);
      await q.applyStatus(a1._id, a1.attemptId!, { status: 'busy' }, 300);
      clock += 60_000;
      const a2 = await q.claimForCall(120);
      expect(a2!.attempts).toBe(2);
      expect(await q.notPlaced(a2!, 'refused', 10)).toBe(true);
      expect(await only(q)).toMatchObject({ state: 'retry', attempts: 1 });
    });

    it('an unsure create the carrier then said it never placed also waits again, without the CallSid of a call that does not exist', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      await q.unsure(e!, 'timed out', 10);
      await q.placed(e!, 'CAghost', 300);
      expect(await q.notPlaced(e!, 'not found at the carrier', 10)).toBe(true);
      const back = await only(q);
      expect(back).toMatchObject({ state: 'queued', attempts: 0 });
      expect(back.callSid).toBeUndefined();
    });

    it('a status brings the call\'s CallSid when the create\'s answer was lost', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      await q.unsure(e!, 'timed out', 10);
      expect(await q.applyStatus(e!._id, e!.attemptId!, { status: 'ringing', callSid: 'CAseen' }, 300)).toBe('progress');
      expect(await only(q)).toMatchObject({ state: 'ringing', callSid: 'CAseen' });
    });
  });

  describe('carrier statuses', () => {
    it('move a call forward only: ringing, in progress, then completed erases the number and ends the callback', async () => {
      const q = queueWith();
      await missed(q);
      const e = await dial(q);
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'bogus' }, 300)).toBe('ignored');
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'initiated' }, 300)).toBe('progress');
      expect(await only(q)).toMatchObject({ state: 'dialing', lastStatus: 'initiated' });
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'initiated' }, 300)).toBe('ignored');
      clock += 1000;
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'ringing', callSid: 'CA1' }, 300)).toBe('progress');
      expect(await only(q)).toMatchObject({ state: 'ringing', lastStatus: 'ringing', nextAttemptAt: new Date(T0 + 301_000) });
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'queued' }, 300)).toBe('ignored');
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'in-progress' }, 600)).toBe('progress');
      expect(await only(q)).toMatchObject({ state: 'in-progress', nextAttemptAt: new Date(T0 + 601_000) });
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'ringing' }, 300)).toBe('ignored');
      expect((await only(q)).state).toBe('in-progress');
      clock += 60_000;
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'completed', callSid: 'CA1', durationSeconds: 42 }, 300)).toBe('completed');
      const done = await only(q);
      expect(done).toMatchObject({
        state: 'completed', outcome: 'answered', lastStatus: 'completed', endedAt: new Date(T0 + 61_000),
        expiresAt: new Date(T0 + 61_000 + ENDED_KEPT_DAYS * DAY),
      });
      expect(done.sealedNumber).toBeUndefined();
      expect(done.nextAttemptAt).toBeUndefined();
      expect(q.numberOf(done)).toBeNull();
      expect(done.history).toEqual([{ attemptId: e.attemptId, at: new Date(T0 + 61_000), status: 'completed', callSid: 'CA1', detail: '42 s' }]);
      // A duplicate of the final status changes nothing.
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'completed' }, 300)).toBe('ignored');
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'busy' }, 300)).toBe('ignored');
      expect((await only(q)).history).toHaveLength(1);
      expect(await missed(q)).toBe('queued');
    });

    it('two callbacks completed one after the other both end (each ended record is its own)', async () => {
      const q = queueWith();
      await missed(q, 'a');
      await missed(q, 'b', { number: OTHER });
      const first = await q.claimForCall(120);
      const second = await q.claimForCall(120);
      expect(await q.applyStatus(first!._id, first!.attemptId!, { status: 'completed' }, 300)).toBe('completed');
      expect(await q.applyStatus(second!._id, second!.attemptId!, { status: 'completed' }, 300)).toBe('completed');
      expect(await q.collection.countDocuments({ state: 'completed' })).toBe(2);
      // A completed callback cannot be ended again.
      expect(await q.end(first!, 'abandoned', 'failed', { status: 'failed' })).toBe(false);
      expect((await q.find(first!._id))!.state).toBe('completed');
    });

    it('a status straight to completed (its earlier ones lost) still ends the callback', async () => {
      const q = queueWith();
      await missed(q);
      const e = await dial(q);
      expect(await q.applyStatus(e._id, e.attemptId!, { status: 'completed' }, 300)).toBe('completed');
      expect((await only(q)).history).toEqual([{ attemptId: e.attemptId, at: new Date(T0), status: 'completed' }]);
    });

    it('a status of an older attempt changes nothing', async () => {
      const q = queueWith();
      await missed(q);
      const first = await dial(q);
      await q.applyStatus(first._id, first.attemptId!, { status: 'no-answer' }, 300);
      clock += 60_000;
      const second = await dial(q, 'CA2');
      expect(await q.applyStatus(first._id, first.attemptId!, { status: 'completed' }, 300)).toBe('ignored');
      expect(await q.applyStatus(first._id, first.attemptId!, { status: 'ringing' }, 300)).toBe('ignored');
      expect(await q.applyStatus(first._id, first.attemptId!, { status: 'busy' }, 300)).toBe('ignored');
      expect(await only(q)).toMatchObject({ state: 'dialing', attemptId: second.attemptId, attempts: 2 });
    });

    it('busy, no answer and failed each wait a doubling backoff, then give up after OUTBOUND_MAX_ATTEMPTS with the number erased', async () => {
      const q = queueWith({ maxAttempts: 3, retryBaseSeconds: 60 });
      await missed(q);
      const a1 = await dial(q);
      expect(await q.applyStatus(a1._id, a1.attemptId!, { status: 'busy', callSid: 'CA1' }, 300)).toBe('retry');
      let e = await only(q);
      expect(e).toMatchObject({ state: 'retry', outcome: 'busy', lastStatus: 'busy', callSid: 'CA1', nextAttemptAt: new Date(T0 + 60_000) });
      expect(e.history).toEqual([{ attemptId: a1.attemptId, at: new Date(T0), status: 'busy', callSid: 'CA1' }]);
      expect(q.numberOf(e)).toBe(NUMBER);
      expect(await q.claimForCall(120)).toBeNull(); // not due yet
      clock += 60_000;
      const claimed = await q.claimForCall(120);
      // A new attempt carries nothing of the last call: its CallSid and status are the new call's.
      expect(claimed!.callSid).toBeUndefined();
      expect(claimed!.lastStatus).toBeUndefined();
      await q.placed(claimed!, 'CA2', 300);
      const a2 = claimed!;
      expect(await q.applyStatus(a2._id, a2.attemptId!, { status: 'no-answer' }, 300)).toBe('retry');
      e = await only(q);
      expect(e).toMatchObject({ outcome: 'no-answer', nextAttemptAt: new Date(T0 + 60_000 + 120_000) });
      clock += 120_000;
      const a3 = await dial(q);
      expect(await q.applyStatus(a3._id, a3.attemptId!, { status: 'failed' }, 300)).toBe('abandoned');
      e = await only(q);
      expect(e).toMatchObject({ state: 'abandoned', outcome: 'failed', activeKey: `ended:${e._id}` });
      expect(e.sealedNumber).toBeUndefined();
      expect(e.history.map((h) => h.status)).toEqual(['busy', 'no-answer', 'failed']);
      expect(e.history.map((h) => h.attemptId)).toEqual([a1.attemptId, a2.attemptId, a3.attemptId]);
      expect(await q.claimForCall(120)).toBeNull();
    });

    it('a canceled call counts as failed', async () => {
      const q = queueWith();
      await missed(q);
      const a = await dial(q);
      expect(await q.applyStatus(a._id, a.attemptId!, { status: 'canceled' }, 300)).toBe('retry');
      expect(await only(q)).toMatchObject({ outcome: 'failed' });
    });

    it('the backoff doubles from OUTBOUND_RETRY_BASE_SECONDS and stops at 6 hours', () => {
      const p = { maxAttempts: 20, retryBaseSeconds: 60 };
      expect([0, 1, 2, 3, 4].map((n) => backoffSeconds(p, n))).toEqual([60, 60, 120, 240, 480]);
      expect(backoffSeconds(p, 10)).toBe(6 * 3600);
      expect(backoffSeconds(p, 20)).toBe(6 * 3600);
      expect(backoffSeconds({ maxAttempts: 3, retryBaseSeconds: 6 * 3600 }, 1)).toBe(6 * 3600);
    });

    it('a call the carrier cannot say it placed counts as a failed attempt: retry later, or give up at the last attempt', async () => {
      const q = queueWith({ maxAttempts: 2, retryBaseSeconds: 60 });
      await missed(q);
      const a1 = await dial(q);
      expect(await q.possiblyPlaced(a1, 'z'.repeat(400))).toBe('retry');
      const e = await only(q);
      expect(e).toMatchObject({ state: 'retry', outcome: 'failed', lastError: 'z'.repeat(300), nextAttemptAt: new Date(T0 + 60_000), attempts: 1 });
      expect(e.callSid).toBeUndefined();
      expect(e.history).toEqual([{ attemptId: a1.attemptId, at: new Date(T0), status: 'unknown', detail: 'z'.repeat(200) }]);
      expect(await q.possiblyPlaced(a1, 'again')).toBe('ignored'); // no longer live
      clock += 60_000;
      const a2 = await dial(q);
      expect(await q.possiblyPlaced(a2, 'lost')).toBe('abandoned');
      expect(await only(q)).toMatchObject({ state: 'abandoned', outcome: 'failed' });
      expect(await q.possiblyPlaced(a2, 'lost')).toBe('ignored');
    });

    it('a call the carrier cannot say it placed gives up when the week\'s calls are spent', async () => {
      const q = queueWith({ maxAttempts: 5, weeklyCallsPerNumber: 1 });
      await missed(q);
      const a1 = await dial(q);
      expect(await q.possiblyPlaced(a1, 'lost')).toBe('abandoned');
    });
  });

  describe('ending', () => {
    it('ends once, erasing the number, keeping the record 90 days, and frees the caller for a later callback', async () => {
      const q = queueWith();
      await missed(q);
      const e = await only(q);
      clock += 1000;
      expect(await q.end(e, 'abandoned', 'refused', { status: 'refused', detail: 'staff' })).toBe(true);
      const ended = await only(q);
      expect(ended).toMatchObject({ state: 'abandoned', outcome: 'refused', statusRank: 4, lastStatus: 'refused', endedAt: new Date(T0 + 1000), expiresAt: new Date(T0 + 1000 + 90 * DAY) });
      expect(ended.history).toEqual([{ attemptId: '', at: new Date(T0 + 1000), status: 'refused', detail: 'staff' }]);
      expect(ended.sealedNumber).toBeUndefined();
      expect(await q.end(e, 'completed', 'answered', { status: 'completed' })).toBe(false);
      expect(await q.hasDue()).toBe(false);
    });

    it('ends only from the states asked, and only the attempt named', async () => {
      const q = queueWith();
      await missed(q);
      const e = await dial(q);
      expect(await q.end(e, 'abandoned', 'expired', { status: 'expired' }, ['queued', 'retry'])).toBe(false);
      expect(await q.end({ _id: e._id, attemptId: 'other' }, 'abandoned', 'failed', { status: 'x' })).toBe(false);
      expect((await only(q)).state).toBe('dialing');
      expect(await q.end(e, 'abandoned', 'failed', { status: 'x' }, ['dialing'])).toBe(true);
    });
  });

  describe('expiry (OUTBOUND_MAX_WAIT_HOURS of calling time)', () => {
    it('a callback not placed within its wait is dropped, number erased; time outside calling hours does not count', async () => {
      const q = queueWith({ maxWaitHours: 2, callingHours: HOURS });
      clock = Date.parse('2030-11-30T09:00:00.000Z'); // 16:00 in Phnom Penh: one calling hour left today
      await missed(q);
      const deadline = Date.parse('2030-12-01T02:00:00.000Z'); // 09:00 the next morning
      expect((await only(q)).waitUntil).toEqual(new Date(deadline));
      clock = deadline - 1;
      expect(await q.expireWaiting()).toBe(0);
      expect(await q.hasDue()).toBe(true);
      clock = deadline;
      expect(await q.hasDue()).toBe(false);
      expect(await q.claimForCall(120)).toBeNull();
      expect(await q.expireWaiting()).toBe(1);
      const e = await only(q);
      expect(e).toMatchObject({ state: 'abandoned', outcome: 'expired' });
      expect(e.sealedNumber).toBeUndefined();
      expect(e.history.at(-1)).toMatchObject({ status: 'expired', detail: 'not placed within 2 calling hours' });
      expect(await q.expireWaiting()).toBe(0);
    });

    it('does not drop a callback being dialled, or an answer still awaiting staff', async () => {
      const q = queueWith({ maxWaitHours: 1, callingHours: HOURS });
      await missed(q, 'a');
      await q.requestAnswer({ messageId: 'RE1', callerId: 'b', number: OTHER, language: 'km' });
      await dial(q);
      clock += 3 * 3_600_000;
      expect(await q.expireWaiting()).toBe(0);
      expect((await entryOf(q, 'a')).state).toBe('dialing');
      expect((await entryOf(q, 'b')).state).toBe('awaiting-answer');
    });

    it('callbacks queued before expiry was configured get their wait from now', async () => {
      await missed(queueWith(), 'a');
      clock += 3_600_000; // 11:00 in Phnom Penh
      const q = queueWith({ maxWaitHours: 1, callingHours: HOURS });
      expect(await q.expireWaiting()).toBe(0);
      expect((await only(q)).waitUntil).toEqual(new Date(clock + 3_600_000));
      clock += 3_600_000;
      expect(await q.expireWaiting()).toBe(1);
    });

    it('without OUTBOUND_MAX_WAIT_HOURS nothing expires', async () => {
      const q = queueWith({ callingHours: HOURS });
      await missed(q);
      clock += 30 * DAY;
      expect(await q.expireWaiting()).toBe(0);
      expect((await only(q)).waitUntil).toBeUndefined();
      expect(await q.hasDue()).toBe(true);
    });

    it('a callback waiting to retry expires too', async () => {
      const q = queueWith({ maxWaitHours: 1, callingHours: HOURS, retryBaseSeconds: 60 });
      await missed(q);
      const e = await dial(q);
      await q.applyStatus(e._id, e.attemptId!, { status: 'no-answer' }, 300);
      clock += 3_600_000;
      expect(await q.expireWaiting()).toBe(1);
      expect(await only(q)).toMatchObject({ state: 'abandoned', outcome: 'expired' });
    });

    it('ends at most `limit` a pass, counting only what it ended', async () => {
      const q = queueWith({ maxWaitHours: 1, callingHours: HOURS });
      await missed(q, 'dialled');
      await dial(q); // its wait runs out too, but it is under way
      for (const c of ['a', 'b', 'c']) await missed(q, c);
      clock += 2 * 3_600_000;
      expect(await q.expireWaiting(2)).toBe(2);
      expect(await q.expireWaiting(2)).toBe(1);
    });
  });

  describe('answers to voice messages', () => {
    it('waits for staff to choose the answer, then is due at once with the answer and who chose it', async () => {
      const q = queueWith({ maxWaitHours: 2, callingHours: HOURS });
      expect(await q.requestAnswer({ messageId: 'RE1', callerId: 'a', number: NUMBER, language: 'km' })).toBe('awaiting');
      expect(await q.requestAnswer({ messageId: 'RE1', callerId: 'a', number: NUMBER, language: 'km' })).toBe('already');
      let e = await only(q);
      expect(e).toMatchObject({ kind: 'message-answer', state: 'awaiting-answer', messageId: 'RE1', language: 'km', attempts: 0, history: [] });
      expect(e.waitUntil).toBeUndefined(); // no wait runs while staff choose
      expect(q.numberOf(e)).toBe(NUMBER);
      expect(await q.hasDue()).toBe(false);
      expect(await q.claimForCall(120)).toBeNull();
      expect(await q.awaitingAnswerFor('RE1')).toMatchObject({ _id: e._id });
      expect(await q.awaitingAnswerFor('RE2')).toBeNull();
      clock += 1000;
      expect(await q.queueAnswer('RE2', { promptId: 'answer.fees' }, 'dara')).toBe(false);
      expect(await q.queueAnswer('RE1', { promptId: 'answer.fees' }, 'dara')).toBe(true);
      e = await only(q);
      expect(e).toMatchObject({ state: 'queued', answerPromptId: 'answer.fees', answeredBy: 'dara', nextAttemptAt: new Date(T0 + 1000), waitUntil: new Date(T0 + 1000 + 2 * 3_600_000) });
      expect(e.answerFileId).toBeUndefined();
      expect(await q.queueAnswer('RE1', { promptId: 'answer.other' }, 'sok')).toBe(false);
      expect(await q.awaitingAnswerFor('RE1')).toBeNull();
      expect(await q.hasDue()).toBe(true);
    });

    it('an answer recorded by staff is kept as a file; without expiry the queued answer has no deadline', async () => {
      const q = queueWith();
      await q.requestAnswer({ messageId: 'RE1', callerId: 'a', number: NUMBER, language: 'km' });
      expect(await q.queueAnswer('RE1', { fileId: 'file-9' }, 'dara')).toBe(true);
      const e = await only(q);
      expect(e).toMatchObject({ answerFileId: 'file-9', state: 'queued' });
      expect(e.answerPromptId).toBeUndefined();
      expect(e.waitUntil).toBeUndefined();
    });

    it('staff see the answers awaiting, oldest first, without the numbers', async () => {
      const q = queueWith();
      // Written in the other order (two instances, one a little behind).
      clock += 1000;
      await q.requestAnswer({ messageId: 'RE2', callerId: 'b', number: OTHER, language: 'en' });
      clock -= 1000;
      await q.requestAnswer({ messageId: 'RE1', callerId: 'a', number: NUMBER, language: 'km' });
      await missed(q, 'c');
      const list = await q.awaitingAnswers();
      expect(list.map((e) => e.messageId)).toEqual(['RE1', 'RE2']);
      for (const e of list) expect(e.sealedNumber).toBeUndefined();
    });
  });

  describe('staff', () => {
    it('a purge ends every waiting missed-call callback, not answers or calls under way', async () => {
      const q = queueWith();
      await missed(q, 'a');
      await dial(q);
      await missed(q, 'b');
      await missed(q, 'c');
      await q.requestAnswer({ messageId: 'RE1', callerId: 'd', number: NUMBER, language: 'km' });
      await q.request({ kind: 'message-answer', callerId: 'e', number: NUMBER, dailyLimit: 5 });
      expect(await q.waitingMissedCalls()).toBe(2);
      expect(await q.purgeWaiting('dara')).toBe(2);
      expect(await q.waitingMissedCalls()).toBe(0);
      for (const c of ['b', 'c']) {
        const e = await entryOf(q, c);
        expect(e).toMatchObject({ state: 'abandoned', outcome: 'purged' });
        expect(e.sealedNumber).toBeUndefined();
        expect(e.history.at(-1)).toMatchObject({ status: 'purged', detail: 'purged by dara' });
      }
      expect((await entryOf(q, 'a')).state).toBe('dialing');
      expect((await entryOf(q, 'd')).state).toBe('awaiting-answer');
      expect((await entryOf(q, 'e')).state).toBe('queued');
      expect(await q.purgeWaiting('dara')).toBe(0);
    });

    it('a purge ends callbacks waiting to retry too', async () => {
      const q = queueWith();
      await missed(q);
      const e = await dial(q);
      await q.applyStatus(e._id, e.attemptId!, { status: 'busy' }, 300);
      expect(await q.purgeWaiting('dara')).toBe(1);
      expect(await only(q)).toMatchObject({ state: 'abandoned', outcome: 'purged' });
    });

    it('the queue page: recent entries newest first without numbers, and counts by state', async () => {
      const q = queueWith();
      for (const c of ['a', 'b', 'c']) {
        await missed(q, c);
        clock += 1000;
      }
      await dial(q);
      const recent = await q.recent(2);
      expect(recent.map((e) => e.callerId)).toEqual(['c', 'b']);
      for (const e of recent) expect(e.sealedNumber).toBeUndefined();
      const counts = await q.countsByState();
      expect(counts).toEqual({ 'awaiting-answer': 0, queued: 2, retry: 0, dialing: 1, unsure: 0, ringing: 0, 'in-progress': 0, completed: 0, abandoned: 0 });
    });
  });

  describe('reconciling a call whose lease ran out', () => {
    it('takes the call whose lease ran out first', async () => {
      const q = queueWith();
      await missed(q, 'a');
      await missed(q, 'b', { number: OTHER });
      const a = await q.claimForCall(300);
      const b = await q.claimForCall(60);
      clock += 300_000;
      expect((await q.claimForReconcile(60))!._id).toBe(b!._id);
      expect((await q.claimForReconcile(60))!._id).toBe(a!._id);
    });

    it('takes a live entry once its lease ran out, for one instance at a time, and adopts the call found', async () => {
      const q = queueWith();
      await missed(q);
      const e = await q.claimForCall(120);
      expect(await q.claimForReconcile(60)).toBeNull();
      clock += 119_999;
      expect(await q.claimForReconcile(60)).toBeNull();
      clock += 1; // the lease's end
      const [r1, r2] = await Promise.all([q.claimForReconcile(60), queueWith().claimForReconcile(60)]);
      const got = r1 ?? r2;
      expect([r1, r2].filter((r) => r !== null)).toHaveLength(1);
      expect(got).toMatchObject({ _id: e!._id, attemptId: e!.attemptId, nextAttemptAt: new Date(T0 + 180_000) });
      expect(await q.claimForReconcile(60)).toBeNull();
      await q.adopt(got!, 'CAfound');
      expect(await only(q)).toMatchObject({ callSid: 'CAfound', state: 'dialing' });
      await q.adopt({ ...got!, attemptId: 'stale' }, 'CAother');
      expect((await only(q)).callSid).toBe('CAfound');
      // Waiting entries are not reconciled.
      await missed(q, 'b');
      clock += 10 * 60_000;
      const again = await q.claimForReconcile(60);
      expect(again!._id).toBe(e!._id);
    });
  });
});
