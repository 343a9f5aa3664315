import { CallTurns } from '../../src/calls/call-turns';
import { FlowState } from '../../src/flow/types';
import { CallSimulator, parseTwiml, promptOf } from '../../src/simulator/call-simulator';
import { CallsRepository, LastTurn } from '../../src/store/calls';
import { RatingsRepository } from '../../src/store/ratings';
import { ENGINE } from '../support/engine';
import { simulatorFor, startHotlinePair, TestHotline } from '../support/hotline';

jest.setTimeout(60_000);

/**
 * Issue 15, item 3: two copies of one webhook (a carrier retry racing the original, or a load
 * balancer sending one to each instance) may carry different keys. Only the copy that wins the
 * compare-and-set on the turn may leave anything behind, and both copies must answer with what
 * was kept: the stored answer is the one the caller hears.
 */

/** Keys from dialling in to the first indicator of the health service: Khmer, rate, the commune, confirm it, health, used it. */
const TO_FIRST_RATING = ['1', '2', '120101', '1', '2', '1'];
/** Keys from dialling in to recording a message about the health service. */
const TO_RECORDING = ['1', '3', '120101', '1', '2'];
/** The citizen's number as the carrier posts it (an answer-call opt-in keeps it). */
const PARTY = '+85512345678';

const heardIds = (last: LastTurn) => last.output.prompts.map((p) => p.id);
const scaleHeard = (ids: string[]) => ids.find((id) => id.startsWith('scale.'));

/** A CallsRepository whose advance() waits until `copies` calls have reached it, then lets them go in arrival order. */
class RacingCalls extends CallsRepository {
  private waiting: (() => void)[] = [];
  arrivals: string[] = [];
  copies = 0;
  override async advance(callSid: string, fromTurn: number, flow: FlowState, last: LastTurn, effects: Parameters<CallsRepository['advance']>[4], at: Date) {
    if (this.copies > 1) {
      this.arrivals.push(last.output.prompts.map((p) => p.id).join(' '));
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        if (this.waiting.length === this.copies) {
          const go = this.waiting;
          this.waiting = [];
          this.copies = 0;
          // One at a time, first arrival first: the first copy wins and the second finds the turn taken.
          void go.reduce((p, release) => p.then(() => { release(); return new Promise((r) => setTimeout(r, 20)); }), Promise.resolve());
        }
      });
    }
    return super.advance(callSid, fromTurn, flow, last, effects, at);
  }
}

describe(`effects only from the copy that wins (${ENGINE} store)`, () => {
  let a: TestHotline;
  let b: TestHotline;

  beforeEach(async () => {
    [a, b] = await startHotlinePair();
  });
  afterEach(async () => {
    await a.stop();
    if (b !== a) await b.stop();
  });

  /** The app's own CallTurns with a RacingCalls in place of its calls repository. */
  function racingTurns(h: TestHotline): { turns: CallTurns; calls: RacingCalls } {
    const calls = new RacingCalls(h.store);
    const deps = (h.rt.turns as unknown as { deps: ConstructorParameters<typeof CallTurns>[0] }).deps;
    return { turns: new CallTurns({ ...deps, calls }), calls };
  }

  async function toFirstRating(turns: CallTurns, callSid: string, callerId: string): Promise<number> {
    await turns.start(callSid, callerId);
    let t = 1;
    for (const digits of TO_FIRST_RATING) await turns.resume(callSid, t++, { type: 'digits', digits });
    return t;
  }

  it.each([
    ['5', '1'],
    ['1', '5'],
  ])('two copies of a rating turn at once (Digits %s and %s): both answer with the winner\'s, and its score is the one stored', async (first, second) => {
    const { turns, calls } = racingTurns(a);
    const callSid = `CA-race-rating-${first}${second}`;
    const t = await toFirstRating(turns, callSid, `caller-race-${first}`);
    calls.copies = 2;
    const one = turns.resume(callSid, t, { type: 'digits', digits: first });
    const two = turns.resume(callSid, t, { type: 'digits', digits: second });
    const [heardOne, heardTwo] = (await Promise.all([one, two])).map((l) => heardIds(l!));
    // Both copies stepped the flow from the same turn and raced to the compare-and-set; the first there won.
    expect(calls.arrivals).toHaveLength(2);
    expect(calls.arrivals[0]).not.toEqual(calls.arrivals[1]);
    const winner = scaleHeard(calls.arrivals[0].split(' '))!;
    expect(heardOne).toEqual(heardTwo);
    expect(scaleHeard(heardOne)).toBe(winner);
    const ratings = await a.rt.ratings.forCall(callSid);
    expect(ratings.map((r) => [r.indicatorId, `scale.${r.score}`])).toEqual([['staff-attitude', winner]]);
  });

  /**
   * Every effect a turn can have (issue 21, item 6: with the effects applied before the
   * compare-and-set, a winning copy pressed 2, a losing copy pressed 1, and an answer call was still
   * queued). Each case races two copies of one turn with different keys, both ways round, and
   * compares everything the call left behind (the caller's record, ratings, messages, callbacks)
   * with a call where the winner's copy came alone.
   */
  describe('whatever the turn keeps, only the winner\'s copy keeps it', () => {
    type Input = Parameters<CallTurns['resume']>[2];
    const keys = (list: string[]): Input[] => list.map((digits) => ({ type: 'digits', digits }));
    const recording = (n: number): Input => ({ type: 'recording', recordingSid: `RE${String(n).padStart(32, '0')}`, recordingUrl: 'https://carrier.example/r', durationSeconds: 9, referenceNumber: '' });
    let serial = 0;

    /** What a call left behind, without its identifiers, times or reference numbers. */
    async function leftBehind(h: TestHotline, callSid: string, callerId: string) {
      const caller = await h.rt.callers.find(callerId);
      const ratings = await h.rt.ratings.forCall(callSid);
      const messages = await h.rt.messages.forCall(callSid);
      const callbacks = await h.rt.outbound.queue.collection.find({ callerId });
      return {
        caller: {
          language: caller?.language, lastCommune: caller?.lastCommune, demographics: caller?.demographics,
          unfinished: caller?.unfinishedRating && { service: caller.unfinishedRating.service, indicatorIndex: caller.unfinishedRating.indicatorIndex },
        },
        // By indicator: two ratings given in one millisecond have no order of their own.
        ratings: ratings.map((r) => ({ indicator: r.indicatorId, score: r.score, demographics: r.demographics, language: r.language }))
          .sort((x, y) => x.indicator.localeCompare(y.indicator)),
        messages: messages.map((m) => ({ choice: m.callerChoice, service: m.service, communeCode: m.communeCode })),
        callbacks: callbacks.map((c) => ({ kind: c.kind, state: c.state })),
      };
    }

    /** One call through `before` one input at a time, then `copies` of the next turn; returns what it left behind. */
    async function play(before: Input[], copies: Input[]) {
      const { turns, calls } = racingTurns(a);
      const n = ++serial;
      const callSid = `CA-effects-${n}`;
      const callerId = `caller-effects-${n}`;
      await turns.start(callSid, callerId);
      let t = 1;
      for (const input of before) await turns.resume(callSid, t++, input.type === 'recording' ? { ...input, recordingSid: `${input.recordingSid.slice(0, -3)}${String(n).padStart(3, '0')}` } : input, PARTY);
      calls.copies = copies.length;
      const answers = await Promise.all(copies.map((input) => turns.resume(callSid, t, input, PARTY)));
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      if (copies.length > 1) expect(calls.arrivals).toHaveLength(copies.length);
      return leftBehind(a, callSid, callerId);
    }

    const afterRating = [...TO_FIRST_RATING, '4', '4', '4', '4', '4', '4'];
    it.each<[string, Input[], string, string]>([
      ['the language (remember-language)', [], '1', '2'],
      ['confirming the commune or entering another (remember-commune)', keys(['1', '2', '120101']), '2', '1'],
      ['the first answer of a rating (save-rating, remember-unfinished-rating)', keys(TO_FIRST_RATING), '5', '1'],
      ['the last answer of a rating (save-rating, forget-unfinished-rating)', keys([...TO_FIRST_RATING, '4', '4', '4', '4', '4']), '2', '3'],
      ['a question about the caller (set-demographics)', keys(afterRating), '1', '2'],
      ['skipping the questions or answering one (set-demographics)', keys(afterRating), '0', '3'],
      ['sending the message or recording it again (save-message, discard-recording)', [...keys(TO_RECORDING), recording(1)], '2', '1'],
      ['an answer call or none (request-answer-call)', [...keys(TO_RECORDING), recording(2), ...keys(['1'])], '2', '1'],
    ])('%s', async (_what, before, x, y) => {
      for (const [winner, loser] of [[x, y], [y, x]]) {
        const raced = await play(before, keys([winner, loser]));
        const alone = await play(before, keys([winner]));
        expect(raced).toEqual(alone);
        // The two keys leave different things behind, or this case could not tell a loser's effect from a winner's.
        expect(await play(before, keys([loser]))).not.toEqual(alone);
      }
    });
  });

  it('two copies of a recording turn at once: the reference number kept is the one read back, and the message carries it', async () => {
    const { turns, calls } = racingTurns(a);
    const callSid = 'CA-race-recording-0001';
    await turns.start(callSid, 'caller-race-rec');
    let t = 1;
    for (const digits of TO_RECORDING) await turns.resume(callSid, t++, { type: 'digits', digits });
    const recording = { type: 'recording' as const, recordingSid: 'RE00000000000000000000000000000042', recordingUrl: 'https://carrier.example/r', durationSeconds: 9, referenceNumber: '' };
    calls.copies = 2;
    const answers = await Promise.all([turns.resume(callSid, t, recording), turns.resume(callSid, t, recording)]);
    expect(answers[0]).toEqual(answers[1]);
    const sent = await turns.resume(callSid, t + 1, { type: 'digits', digits: '1' });
    // The number is read twice (issue 14): both readings are the same number.
    const digitsHeard = heardIds(sent!).filter((id) => id.startsWith('digit.')).map((id) => id.slice('digit.'.length)).join('');
    const readBack = digitsHeard.slice(0, digitsHeard.length / 2);
    expect(digitsHeard).toBe(readBack + readBack);
    expect(readBack).toMatch(/^[0-9]{6,}$/);
    const [message] = await a.rt.messages.forCall(callSid);
    expect(message.referenceNumber).toBe(readBack);
    expect(message.callerChoice).toBe('sent');
  });

  it('the instance that won dies before keeping the rating: the carrier\'s retry of that turn keeps it', async () => {
    const deps = (a.rt.turns as unknown as { deps: ConstructorParameters<typeof CallTurns>[0] }).deps;
    // The winner's instance saves the turn, then fails before its rating reaches the database.
    class DyingRatings extends RatingsRepository {
      override async save(): Promise<void> {
        throw new Error('instance killed');
      }
    }
    const dying = new CallTurns({ ...deps, ratings: new DyingRatings(a.store) });
    const callSid = 'CA-winner-dies-0001';
    const t = await toFirstRating(dying, callSid, 'caller-winner-dies');
    await expect(dying.resume(callSid, t, { type: 'digits', digits: '4' })).rejects.toThrow('instance killed');
    expect(await a.rt.ratings.forCall(callSid)).toEqual([]);
    // The carrier retries the same request (to any instance): the same answer, and the rating is now kept.
    const healthy = (b.rt.turns as unknown as { deps: ConstructorParameters<typeof CallTurns>[0] }).deps;
    const retry = await new CallTurns(healthy).resume(callSid, t, { type: 'digits', digits: '4' });
    expect(scaleHeard(heardIds(retry!))).toBe('scale.4');
    const ratings = await b.rt.ratings.forCall(callSid);
    expect(ratings.map((r) => [r.indicatorId, r.score])).toEqual([['staff-attitude', 4]]);
  });

  /** Posts one key press to an instance and returns the prompt ids played. */
  async function press(sim: CallSimulator, from: string, action: string, digits: string): Promise<{ ids: string[]; next: string }> {
    const res = await sim.post(action, { CallSid: sim.callSid, AccountSid: 'ACsimulator', From: from, To: '+855000000', CallStatus: 'in-progress', Digits: digits });
    expect(res.status).toBe(200);
    const verbs = parseTwiml(res.body);
    const ids: string[] = [];
    for (const v of verbs) {
      if (v.name === 'Play') ids.push(promptOf(v.text).id);
      for (const c of v.children) if (c.name === 'Play') ids.push(promptOf(c.text).id);
    }
    return { ids, next: verbs.find((v) => v.name === 'Gather')?.attrs.action ?? '' };
  }

  it('copies of each rating with different Digits, sent at once over HTTP to two instances: every stored score is the one heard', async () => {
    const runs = 6;
    for (let run = 0; run < runs; run++) {
      const callSid = `CA${String(run).padStart(2, '0')}${'e'.repeat(30)}`;
      const from = `+8551200055${run}`; // a new caller each run, so every run takes the same keys
      const [simA, simB] = [simulatorFor(a, callSid, from), simulatorFor(b, callSid, from)];
      const dial = await simA.post('/voice/incoming', { CallSid: callSid, AccountSid: 'ACsimulator', From: from, To: '+855000000', CallStatus: 'ringing' });
      let next = parseTwiml(dial.body).find((v) => v.name === 'Gather')!.attrs.action;
      // Turns alternate between the instances.
      for (const [i, digits] of TO_FIRST_RATING.entries()) next = (await press(i % 2 ? simB : simA, from, next, digits)).next;
      const heardScores: number[] = [];
      for (let indicator = 0; indicator < 2; indicator++) {
        const [x, y] = run % 2 ? ['2', '4'] : ['5', '1'];
        const [one, two] = await Promise.all([press(simA, from, next, x), press(simB, from, next, y)]);
        expect(one.ids).toEqual(two.ids);
        heardScores.push(Number(scaleHeard(one.ids)!.slice('scale.'.length)));
        next = one.next;
      }
      const stored = (await a.rt.ratings.forCall(callSid)).map((r) => r.score);
      expect(stored).toEqual(heardScores);
    }
  });
});
