import { Writable } from 'node:stream';
import { CallStatusJournal } from '../../src/calls/call-status-journal';
import { createLogger } from '../../src/logging/logger';
import { parseScript } from '../../src/simulator/call-simulator';
import { CallsRepository } from '../../src/store/calls';
import { TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { closeTestStore, openTestStore, tempDir } from '../support/engine';
import { ids, simulatorFor, startHotline, startHotlinePair, TestHotline } from '../support/hotline';

jest.setTimeout(120_000);

/** A full rating of the health centre (as test/faults/database-outage.test.ts gives it), then the caller hangs up. */
const FULL_RATING = '1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,0,hangup';
const FROM = '+85512345678';

type Line = Record<string, unknown>;
const callEndLines = (h: TestHotline, callSid: string): Line[] =>
  h.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.callSid === callSid && String(l.msg).startsWith('call ended'));

/** The final status as the carrier posts it (the simulator posts it once itself at the end of a call). */
const finalStatus = (callSid: string) => ({
  CallSid: callSid, AccountSid: 'ACtest', From: FROM, To: '+855000000', CallStatus: 'completed', CallDuration: '60', Direction: 'inbound', ApiVersion: '2010-04-01',
});

/** Lets the line written after the 204 reach the log. */
async function logged(h: TestHotline, callSid: string, n = 1): Promise<Line[]> {
  for (let i = 0; i < 100 && callEndLines(h, callSid).length < n; i += 1) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100)); // and nothing more comes
  return callEndLines(h, callSid);
}

describe('the call-end log line (issue 23)', () => {
  let h: TestHotline;
  afterEach(() => h?.stop());

  it('is written once per call, with its outcome, path and duration, even when the final status comes twice', async () => {
    h = await startHotline();
    const sim = h.simulator({ from: FROM });
    await sim.run(parseScript(FULL_RATING)); // posts the final status once
    expect((await sim.post('/voice/status', finalStatus(sim.callSid))).status).toBe(204);
    const lines = await logged(h, sim.callSid);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 30, msg: 'call ended: rated', callSid: sim.callSid, status: 'completed', durationSeconds: 60, outcome: 'rated', ratings: 6 });
    expect(String(line.path)).toMatch(/^[a-z0-9.>_-]+ \(6 ratings\)$/i);
    // For example language>main>rate.enter>…>rate.indicators>ask.gender>…>rate.thanks>main (6 ratings).
    expect(String(line.path).split('>')[0]).toBe('language');
    expect(String(line.path).split('>')).toContain('rate.indicators');
    // Neither the number nor the caller's hash, in any form.
    const text = JSON.stringify(line);
    const callerId = (await h.rt.calls.find(sim.callSid))!.callerId;
    expect(text).not.toContain(callerId);
    expect(text).not.toMatch(/12345678/);
  });

  it('says when the caller hung up early, and when they heard error.system', async () => {
    h = await startHotline();
    const early = h.simulator({ from: FROM });
    await early.run(parseScript('hangup'));
    expect(await logged(h, early.callSid)).toEqual([expect.objectContaining({ outcome: 'hung up early', ratings: 0 })]);

    const failing = h.simulator({ from: FROM });
    const resume = jest.spyOn(h.rt.turns, 'resume').mockRejectedValueOnce(new Error('a turn that fails'));
    try {
      const t = await failing.run(parseScript('1,hangup'));
      expect(ids(t)).toContain('error.system');
    } finally {
      resume.mockRestore();
    }
    expect(await logged(h, failing.callSid)).toEqual([expect.objectContaining({ msg: 'call ended: error.system heard', outcome: 'error.system heard' })]);
  });

  it('says "message left" when the caller sent a voice message, and not when they hung up on the message path before recording', async () => {
    h = await startHotline();
    const sent = h.simulator({ from: FROM });
    expect((await sent.run(parseScript('1,3,120101,1,2,record:12,1,hangup'))).errors).toEqual([]);
    expect(await logged(h, sent.callSid)).toEqual([expect.objectContaining({
      msg: 'call ended: message left', outcome: 'message left', outcomes: ['message left'], ratings: 0,
      path: expect.stringMatching(/>message\.record>.*message\.saved/),
    })]);

    // Commune and service given for a message, then gone before the recording: nothing was left.
    const unsent = h.simulator({ from: '+85512345679' }); // a new caller too: the same keys mean the same
    expect(ids(await unsent.run(parseScript('1,3,120101,1,2,hangup')))).toContain('message.intro');
    expect(await logged(h, unsent.callSid)).toEqual([expect.objectContaining({ outcome: 'hung up early', outcomes: ['hung up early'] })]);
  });

  it('says "information heard" when the caller heard an information topic, and not when they only went through its menus', async () => {
    h = await startHotline();
    const heard = h.simulator({ from: FROM });
    const t = await heard.run(parseScript('1,1,2,2,hangup')); // Khmer, information, health centre, official fees
    expect(ids(t)).toContain('info.health.fees.1');
    expect(await logged(h, heard.callSid)).toEqual([expect.objectContaining({
      msg: 'call ended: information heard', outcome: 'information heard', outcomes: ['information heard'], ratings: 0,
      path: expect.stringMatching(/>info\.topics>info\.topic$/),
    })]);

    // The service and topic menus, then gone before any topic played.
    const menusOnly = h.simulator({ from: '+85512345679' }); // a new caller too: the same keys mean the same
    const m = await menusOnly.run(parseScript('1,1,2,hangup'));
    expect(ids(m)).not.toContain('info.health.fees.1');
    expect(await logged(h, menusOnly.callSid)).toEqual([expect.objectContaining({ outcome: 'hung up early', outcomes: ['hung up early'] })]);
  });

  it('names a test call (the start-up warm-up, staff "try the line") as one, never as a caller who hung up', async () => {
    h = await startHotline();
    const test = h.simulator({ from: FROM, callSid: `${TEST_CALL_SID_PREFIX}0123456789abcdef0123` });
    await test.run(parseScript('hangup'));
    for (let i = 0; i < 100 && !h.logs.some((l) => l.includes(test.callSid) && l.includes('call ended')); i += 1) await new Promise((r) => setTimeout(r, 20));
    const lines = h.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.callSid === test.callSid && String(l.msg).includes('call ended'));
    expect(lines).toEqual([expect.objectContaining({ msg: 'test call ended: hung up early', testCall: true })]);
  });

  it('is written by one instance only when each of two instances gets a copy of the final status', async () => {
    const [a, b] = await startHotlinePair();
    h = a;
    try {
      const sim = simulatorFor(a, 'CA' + 'b'.repeat(32), FROM);
      const t = await sim.run(parseScript('hangup'));
      expect(t.errors).toEqual([]);
      // The copies the carrier might send again, to both instances at once.
      await Promise.all([
        simulatorFor(a, sim.callSid, FROM).post('/voice/status', finalStatus(sim.callSid)),
        simulatorFor(b, sim.callSid, FROM).post('/voice/status', finalStatus(sim.callSid)),
      ]);
      await logged(a, sim.callSid);
      expect(callEndLines(a, sim.callSid).length + callEndLines(b, sim.callSid).length).toBe(1);
    } finally {
      await b.stop();
    }
  });
});

describe('a final status kept during a database outage', () => {
  it('writes its call-end line when the journal saves it, once, as a webhook would', async () => {
    const store = await openTestStore();
    const quiet = createLogger('silent', new Writable({ write(_c, _e, cb) { cb(); } }));
    const ended: string[] = [];
    const journal = new CallStatusJournal(tempDir(), new CallsRepository(store), quiet, (e) => ended.push(`${e.callSid} ${e.status}`));
    try {
      journal.append({ callSid: 'CAkept1', status: 'in-progress', at: '2026-01-02T03:04:00.000Z' });
      journal.append({ callSid: 'CAkept1', status: 'completed', durationSeconds: 30, at: '2026-01-02T03:04:05.000Z' });
      journal.append({ callSid: 'CAkept1', status: 'completed', durationSeconds: 30, at: '2026-01-02T03:04:05.000Z' }); // the carrier's copy
      expect(await journal.replay()).toBe(3);
      expect(ended).toEqual(['CAkept1 completed']);
    } finally {
      journal.stop();
      await closeTestStore(store);
    }
  });
});
