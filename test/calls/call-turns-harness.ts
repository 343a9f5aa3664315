import * as path from 'node:path';
import { Writable } from 'node:stream';
import { AnswerCallSink, CallTurns, CallTurnsDeps, MessageSink } from '../../src/calls/call-turns';
import { loadLanguages } from '../../src/config/languages';
import { loadFlow } from '../../src/flow/definition';
import { FlowContext } from '../../src/flow/types';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { createLogger } from '../../src/logging/logger';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';
import { CallersRepository } from '../../src/store/callers';
import { CallsRepository, LastTurn } from '../../src/store/calls';
import { PlacesToConfirmRepository } from '../../src/store/places-to-confirm';
import { RatingsRepository } from '../../src/store/ratings';
import { Store } from '../../src/store/store';

/**
 * CallTurns as src/runtime.ts builds it, without a hotline: the shipped flow, languages,
 * scorecard and gazetteer, real repositories on a test store, and the test's clock. Only the sinks
 * outside the call (voice messages, answer calls) and the log are fakes that write down what
 * they are given. Loading the definitions takes a fraction of a second; no server, no audio.
 */
const root = path.join(__dirname, '..', '..');
const languages = loadLanguages(path.join(root, 'config/languages.json'));
const scorecard = loadScorecard(path.join(root, 'config/scorecard.json'));
export const SERVICES = indicatorIds(scorecard);
const gazetteer = loadGazetteer(path.join(root, 'data/gazetteer'));
export const FLOW = loadFlow(path.join(root, 'flows/default.json'), {
  services: SERVICES,
  languages: languages.languages.map((l) => l.code),
  hasPrompt: () => true,
  infoPieces: () => 1,
});

export type SinkCall = { method: string; args: unknown[] };

/** Voice messages and answer calls as the rest of the app would take them, written down. */
export class RecordingSinks implements MessageSink, AnswerCallSink {
  calls: SinkCall[] = [];
  private refs = 0;
  optInAnswer = 'queued';
  async newReferenceNumber(): Promise<string> {
    this.refs += 1;
    this.calls.push({ method: 'newReferenceNumber', args: [] });
    return String(1000 + this.refs);
  }
  async saveFromCall(msg: Parameters<MessageSink['saveFromCall']>[0]): Promise<void> {
    this.calls.push({ method: 'saveFromCall', args: [msg] });
  }
  async discardFromCall(callSid: string, recordingSid: string, at: Date): Promise<void> {
    this.calls.push({ method: 'discardFromCall', args: [callSid, recordingSid, at] });
  }
  async keepPlaceRecording(callSid: string, recordingSid: string, language: string, at: Date): Promise<void> {
    this.calls.push({ method: 'keepPlaceRecording', args: [callSid, recordingSid, language, at] });
  }
  async optIn(o: Parameters<AnswerCallSink['optIn']>[0]): Promise<string> {
    this.calls.push({ method: 'optIn', args: [o] });
    return this.optInAnswer;
  }
  of(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }
}

export interface Harness {
  turns: CallTurns;
  deps: CallTurnsDeps;
  sinks: RecordingSinks;
  logs: string[];
  callers: CallersRepository;
  calls: CallsRepository;
  ratings: RatingsRepository;
  places: PlacesToConfirmRepository;
}

export function harness(store: Store, now: () => Date, o: { context?: Partial<Omit<FlowContext, 'caller'>>; answerCalls?: boolean; calls?: CallsRepository } = {}): Harness {
  const context: Omit<FlowContext, 'caller'> = {
    defaultLanguage: languages.default,
    languages: languages.languages.map((l) => ({ code: l.code, key: l.key })),
    isCommune: (code) => gazetteer.isCommune(code),
    places: (level, parent) => (level === 'province' ? gazetteer.provinces.map((p) => p.code) : gazetteer.childrenOf(parent ?? '').map((p) => p.code)),
    indicators: (service) => SERVICES[service] ?? [],
    hasRecording: () => true,
    ...o.context,
  };
  const logs: string[] = [];
  const logger = createLogger('info', new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
  const sinks = new RecordingSinks();
  const groups = new Map(languages.languages.map((l) => [l.code, l.group]));
  const deps: CallTurnsDeps = {
    flow: FLOW, context,
    callers: new CallersRepository(store), calls: o.calls ?? new CallsRepository(store), ratings: new RatingsRepository(store),
    messages: sinks, places: new PlacesToConfirmRepository(store), logger,
    ...(o.answerCalls === false ? {} : { answerCalls: sinks }),
    languageGroup: (code) => groups.get(code) ?? 'other',
    now,
  };
  return { turns: new CallTurns(deps), deps, sinks, logs, callers: deps.callers, calls: deps.calls, ratings: deps.ratings, places: deps.places };
}

export const heard = (last: LastTurn | null) => (last ? last.output.prompts.map((p) => p.id) : null);
