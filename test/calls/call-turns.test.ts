import { Writable } from 'node:stream';
import { CallTurns } from '../../src/calls/call-turns';
import { FlowContext } from '../../src/flow/types';
import { createLogger } from '../../src/logging/logger';
import { indicatorIds } from '../../src/scorecard/scorecard';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';

/** The use case that runs one turn, on the test engine, below the HTTP layer. */
describe(`call turns (${ENGINE} store)`, () => {
  let h: TestHotline;
  let logs: string[];
  const turnsWith = (indicators: (service: string) => readonly string[]) => {
    const { rt } = h;
    const services = indicatorIds(rt.scorecard);
    const context: Omit<FlowContext, 'caller'> = {
      defaultLanguage: rt.languages.default,
      languages: rt.languages.languages.map((l) => ({ code: l.code, key: l.key })),
      isCommune: (code) => rt.gazetteer.isCommune(code),
      places: (level, parent) => (level === 'province' ? rt.gazetteer.provinces.map((p) => p.code) : rt.gazetteer.childrenOf(parent ?? '').map((p) => p.code)),
      indicators: (service) => indicators(service) ?? services[service] ?? [],
      hasRecording: () => false,
    };
    logs = [];
    const logger = createLogger('info', new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
    return new CallTurns({
      flow: rt.flow, context, callers: rt.callers, calls: rt.calls, ratings: rt.ratings, messages: rt.messages, places: rt.places, logger,
      languageGroup: () => 'khmer',
    });
  };
  const heard = (last: { output: { prompts: { id: string }[] } }) => last.output.prompts.map((p) => p.id);

  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a flow mistake mid-call (a service with no indicators) takes the caller to the main menu and is logged', async () => {
    const turns = turnsWith((service) => (service === 'school' ? [] : indicatorIds(h.rt.scorecard)[service]));
    await turns.start('CA-flow-mistake-0001', 'caller-1');
    let t = 1;
    // Khmer, rate, the commune, confirm it, the school; then "used it" (1) reaches its indicators, and there are none.
    for (const digits of ['1', '2', '120101', '1', '3']) await turns.resume('CA-flow-mistake-0001', t++, { type: 'digits', digits });
    const last = await turns.resume('CA-flow-mistake-0001', t, { type: 'digits', digits: '1' });
    expect(heard(last!)).toEqual(['main.menu']);
    expect(last!.output.end.type).toBe('gather');
    expect(logs.join('')).toMatch(/flow error; caller returned to the main menu/);
    const next = await turns.resume('CA-flow-mistake-0001', t + 1, { type: 'digits', digits: '2' });
    expect(heard(next!)[0]).toBe('rate.commune.last');
  });

  it('start twice for one call gives the same answer and one call record', async () => {
    const turns = turnsWith(() => undefined as never);
    const a = await turns.start('CA-start-twice-0001', 'caller-2');
    const b = await turns.start('CA-start-twice-0001', 'caller-2');
    expect(b).toEqual(a);
    expect(await h.store.collection('calls').countDocuments({})).toBe(1);
  });

  it('resume of a call this app never saw returns null (the route then starts it)', async () => {
    const turns = turnsWith(() => undefined as never);
    expect(await turns.resume('CA-never-seen-0001', 1, { type: 'digits', digits: '1' })).toBeNull();
  });

  it('a recording gets one reference number; a retry of that turn draws no other', async () => {
    const turns = turnsWith(() => undefined as never);
    const sid = 'CA-recording-ref-0001';
    await turns.start(sid, 'caller-3');
    let t = 1;
    for (const digits of ['1', '3', '120101', '1', '2']) await turns.resume(sid, t++, { type: 'digits', digits });
    const recording = { type: 'recording' as const, recordingSid: 'RE00000000000000000001', recordingUrl: 'https://carrier.example/r', durationSeconds: 9, referenceNumber: '' };
    const first = await turns.resume(sid, t, recording);
    const retry = await turns.resume(sid, t, recording);
    expect(retry).toEqual(first);
    const call = await h.rt.calls.find(sid);
    const ref = call!.flow.vars.recording!.referenceNumber;
    expect(ref).toMatch(/^[0-9]+$/);
    const sent = await turns.resume(sid, t + 1, { type: 'digits', digits: '1' });
    const digits = [...ref].map((d) => `digit.${d}`);
    expect(heard(sent!)).toEqual(['message.saved', ...digits, 'message.reference.again', ...digits, 'message.answer.ask']);
    expect(await h.rt.messages.newReferenceNumber()).toBe(String(Number(ref) + 1));
  });
});
