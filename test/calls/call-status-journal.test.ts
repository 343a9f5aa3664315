import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { CallStatusJournal, CallStatusWriter } from '../../src/calls/call-status-journal';
import { StoreError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';

const quiet = createLogger('silent', new Writable({ write(_c, _e, cb) { cb(); } }));

/** A calls repository standing in for a database that refuses while `down` (the real one is used in the route tests below). */
function writer() {
  const saved: { callSid: string; status: string; durationSeconds?: number; at: Date }[] = [];
  const w = {
    down: false,
    saved,
    async recordStatus(callSid: string, status: string, durationSeconds: number | undefined, at: Date) {
      if (w.down) throw new StoreError('the database did not answer');
      saved.push({ callSid, status, durationSeconds, at });
    },
  };
  return w satisfies CallStatusWriter & { down: boolean };
}

describe('the call-status journal', () => {
  it('keeps statuses across failed replays, in order, with what was appended meanwhile, and empties itself once saved', async () => {
    const dir = tempDir();
    const w = writer();
    const journal = new CallStatusJournal(dir, w, quiet);
    try {
      w.down = true;
      journal.append({ callSid: 'CA1', status: 'completed', durationSeconds: 30, at: '2026-01-02T03:04:05.000Z' });
      journal.append({ callSid: 'CA2', status: 'no-answer', at: '2026-01-02T03:05:00.000Z' });
      expect(await journal.replay()).toBe(0);
      journal.append({ callSid: 'CA3', status: 'completed', durationSeconds: 5, at: '2026-01-02T03:06:00.000Z' });
      expect(journal.hasPending()).toBe(true);
      w.down = false;
      expect(await journal.replay()).toBe(3);
      expect(w.saved.map((s) => [s.callSid, s.status, s.durationSeconds, s.at.toISOString()])).toEqual([
        ['CA1', 'completed', 30, '2026-01-02T03:04:05.000Z'], ['CA2', 'no-answer', undefined, '2026-01-02T03:05:00.000Z'], ['CA3', 'completed', 5, '2026-01-02T03:06:00.000Z'],
      ]);
      expect(journal.hasPending()).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      journal.stop();
    }
  });

  it('a replay a crash cut short is finished by the next process, before what came after it; an unreadable line is dropped', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'pending-call-statuses.jsonl.replaying'), '{"callSid":"CA1","status":"completed","at":"2026-01-02T03:04:05.000Z"}\nnot json\n');
    fs.writeFileSync(path.join(dir, 'pending-call-statuses.jsonl'), '{"callSid":"CA2","status":"busy","at":"2026-01-02T03:05:05.000Z"}\n');
    const w = writer();
    const journal = new CallStatusJournal(dir, w, quiet);
    try {
      expect(journal.hasPending()).toBe(true);
      expect(await journal.replay()).toBe(1);
      expect(await journal.replay()).toBe(1);
      expect(w.saved.map((s) => s.callSid)).toEqual(['CA1', 'CA2']);
      expect(journal.hasPending()).toBe(false);
    } finally {
      journal.stop();
    }
  });
});

/**
 * The route on the real store: the database refuses call-status writes for a while (its
 * repository throws the store's own StoreError, as a dropped connection does).
 */
describe(`POST /voice/status while the database refuses (${ENGINE} store)`, () => {
  let h: TestHotline;
  let refusals = 0;
  beforeEach(async () => {
    h = await startHotline();
    const real = h.rt.calls.recordStatus.bind(h.rt.calls);
    h.rt.calls.recordStatus = async (...args) => {
      if (refusals > 0) {
        refusals -= 1;
        throw new StoreError('the database did not answer');
      }
      return real(...args);
    };
  });
  afterEach(async () => {
    refusals = 0;
    await h.stop();
  });
  const post = (callSid: string, duration: string) => h.simulator({ callSid }).post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: duration });

  it('a short refusal is ridden out inside the request: 204 and the status saved', async () => {
    refusals = 3;
    const r = await post('CA00000000000000000000000000000001', '61');
    expect(r.status).toBe(204);
    expect(await h.rt.calls.findStatus('CA00000000000000000000000000000001')).toMatchObject({ status: 'completed', durationSeconds: 61 });
    expect(h.rt.callStatusJournal.hasPending()).toBe(false);
  });

  it('a longer one: 202, the status kept on disk, and saved by the next status the database takes', async () => {
    refusals = 1_000_000;
    const r = await post('CA00000000000000000000000000000002', '33');
    expect(r.status).toBe(202);
    expect(await h.rt.calls.findStatus('CA00000000000000000000000000000002')).toBeNull();
    expect(h.rt.callStatusJournal.hasPending()).toBe(true);
    refusals = 0;
    expect((await post('CA00000000000000000000000000000003', '12')).status).toBe(204);
    for (let i = 0; i < 50 && h.rt.callStatusJournal.hasPending(); i++) await new Promise((res) => setTimeout(res, 100));
    expect(await h.rt.calls.findStatus('CA00000000000000000000000000000002')).toMatchObject({ status: 'completed', durationSeconds: 33 });
    expect(h.rt.callStatusJournal.hasPending()).toBe(false);
  });
});
