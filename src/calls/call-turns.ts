import { DefinitionError } from '../errors';
import { providerPinEntry, step } from '../flow/engine';
import { CommuneResults, FlowContext, FlowDefinition, FlowInput, FlowState, PromiseNews, ProviderSignIn, StepResult, UnfinishedRating } from '../flow/types';
import { Logger } from '../logging/logger';
import type { HotlineMetrics } from '../ops/metrics';
import { cambodianDay } from '../outbound/cambodia-time';
import type { ResultsLine } from '../public/phone-results';
import type { ProviderLine } from '../rounds/phone-self-assessment';
import { Caller, CallersRepository } from '../store/callers';
import { CallRecord, CallsRepository, LastTurn, pathWith } from '../store/calls';
import { PlacesToConfirmRepository } from '../store/places-to-confirm';
import { isTestCall, RatingsRepository } from '../store/ratings';

/** Where voice messages go once the caller presses "send" (see src/messages). */
export interface MessageSink {
  /** A short reference number for a new recording, read back to the caller. */
  newReferenceNumber(): Promise<string>;
  /** `at`: when the caller pressed "send" (the turn's time, so applying it again changes nothing). */
  saveFromCall(msg: { callSid: string; communeCode: string; service: string; language: string; recording: NonNullable<FlowState['vars']['recording']>; at: Date; spokenPlaceId?: string; facilityId?: string }): Promise<void>;
  discardFromCall(callSid: string, recordingSid: string, at: Date): Promise<void>;
  /** The caller said their place (no code): its audio is fetched like a message's, for staff to confirm. */
  keepPlaceRecording(callSid: string, recordingSid: string, language: string, at: Date): Promise<void>;
}

/** The reporting year of an instant: the Cambodian (UTC+7) calendar year. Answers about a caller are asked once in it. */
export function reportingYear(at: Date): number {
  return Number(cambodianDay(at).slice(0, 4));
}

/** How long a broken-off rating is offered to be continued. */
export const RESUME_WITHIN_MS = 24 * 3600 * 1000;

/** Where a caller's "call me back with the answer" goes (src/outbound); `party` is their number as the carrier posted it. */
export interface AnswerCallSink {
  optIn(o: { messageId: string; callerId: string; party: string | undefined; language: string }): Promise<string>;
}

/** Promise news (src/outbound/promise-alerts.ts): sign-ups, and what a news call tells; `party` is the number as the carrier posted it. */
export interface PromiseAlertSink {
  subscribe(o: { callerId: string; party: string | undefined; communeCode: string; language: string }): Promise<string>;
  stop(o: { newsCallId: string }): Promise<void>;
  communesOf(callerId: string): Promise<string[]>;
  /** What the news call tells, and the language to tell it in. */
  newsFor(newsCallId: string): Promise<(PromiseNews & { language?: string }) | null>;
}

export interface CallTurnsDeps {
  flow: FlowDefinition;
  context: Omit<FlowContext, 'caller'>;
  languageGroup(code: string): 'khmer' | 'indigenous' | 'other';
  callers: CallersRepository;
  calls: CallsRepository;
  ratings: RatingsRepository;
  messages: MessageSink;
  /** Places callers said instead of a code, for staff to confirm. */
  places: PlacesToConfirmRepository;
  answerCalls?: AnswerCallSink;
  /** Promise news sign-ups and calls; without it nobody is offered them. */
  promiseAlerts?: PromiseAlertSink;
  /** Service providers' self-assessment (PIN check, answers); without it a PIN is always refused. */
  providers?: ProviderLine;
  /** Published results and JAAP promises (main-menu key 4) and citizens' checks; without it a commune has none. */
  results?: ResultsLine;
  logger: Logger;
  /** Counts each call once, where it is created (src/ops/metrics.ts). */
  metrics?: Pick<HotlineMetrics, 'callStarted'>;
  now?: () => Date;
}

/**
 * The story of a call, one turn at a time: load the call, run the engine, save the turn together
 * with what the caller gave (a compare-and-set on the turn number), keep what they gave, and say
 * what to play. A retried or duplicated webhook gets the answer the winning copy gave.
 */
export class CallTurns {
  private readonly now: () => Date;
  constructor(private readonly deps: CallTurnsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The carrier's first request for a call; `callback`: a call the hotline placed (it opens with its
   * own words); `newsCallId`: a promise news call (its queue entry); `withheld`: the caller's number is withheld.
   */
  async start(callSid: string, callerId: string, opts: { callback?: boolean; withheld?: boolean; newsCallId?: string } = {}): Promise<LastTurn> {
    // No read of the call first: nearly every incoming webhook is a new call, and a retried one
    // finds the call already created below (and only moves the caller's lastCallAt).
    const at = this.now();
    const alerts = this.deps.promiseAlerts;
    // Read alongside the caller: the communes they get promise news of (not offered again), and a news call's news.
    const [caller, alertCommunes, news] = await Promise.all([
      this.deps.callers.recordCall(callerId, at),
      alerts && !opts.withheld ? alerts.communesOf(callerId) : Promise.resolve([]),
      alerts && opts.newsCallId ? alerts.newsFor(opts.newsCallId) : Promise.resolve(null),
    ]);
    // A news call speaks the language of the call that signed up (the number may reach us in another form, under another hash).
    const chosen = news?.language ?? caller.language;
    const known = chosen && this.deps.context.languages.some((l) => l.code === chosen) ? chosen : undefined;
    // A rating that broke off in the last day is offered to be continued (a resume-offer node).
    const unfinished = await this.unfinishedRating(caller, at);
    // Answers about the caller hold for the reporting year they were given in.
    const demographics = caller.demographicsYear === reportingYear(at) ? caller.demographics ?? {} : undefined;
    const ctx: FlowContext = {
      ...this.deps.context,
      caller: {
        language: known, lastCommune: caller.lastCommune, ...(unfinished ? { unfinishedRating: unfinished } : {}),
        ...(demographics ? { demographics } : {}), ...(opts.callback ? { callback: true } : {}),
        // Without promise news in this app, nothing is offered, as to a number that cannot be called.
        ...(opts.withheld || !alerts ? { withheld: true } : {}), ...(alertCommunes.length ? { alertCommunes } : {}),
        // A news call whose entry is gone (stopped, blocked) still opens as one, with nothing to tell.
        ...(opts.newsCallId ? { promiseNews: news ? { newsCallId: news.newsCallId, communeCode: news.communeCode, items: news.items.map(({ service, status }) => ({ service, status })) } : { newsCallId: opts.newsCallId, communeCode: '', items: [] } } : {}),
      },
    };
    const result = step(this.deps.flow, null, { type: 'start' }, ctx);
    const returningRater = Boolean(caller.lastCommune);
    const last: LastTurn = { output: result.output, language: result.state.language, turn: 1 };
    const record: CallRecord = {
      _id: callSid, callerId, flowVersion: this.deps.flow.version, turn: 1, flow: result.state, last, lastEffects: result.effects,
      startedAt: at, updatedAt: at, returningRater, path: [result.state.node],
    };
    const { created, record: saved } = await this.deps.calls.create(record);
    if (!created) return this.answerAgain(saved, 1); // the carrier retried the incoming webhook, or another copy created the call first
    if (!isTestCall(callSid)) this.deps.metrics?.callStarted(opts.callback ? 'callback' : 'incoming');
    await this.apply(saved);
    return saved.last;
  }

  /**
   * The caller's rating begun within the last day and not finished, at its next indicator: past
   * the last one answered in the call that began it (that call's ratings say which), since only
   * its beginning is written to the caller. One indexed read, only when there is such a rating.
   */
  private async unfinishedRating(caller: Caller, at: Date): Promise<UnfinishedRating | undefined> {
    const noted = caller.unfinishedRating;
    if (!noted || at.getTime() - new Date(noted.at).getTime() >= RESUME_WITHIN_MS) return undefined;
    let next = noted.indicatorIndex;
    if (noted.callSid) {
      const order = this.deps.context.indicators(noted.service);
      for (const r of await this.deps.ratings.forCall(noted.callSid)) {
        if (r.communeCode === noted.communeCode && r.service === noted.service && r.facilityId === noted.facilityId) next = Math.max(next, order.indexOf(r.indicatorId) + 1);
      }
      // Every indicator answered: the write that forgets it was lost (an instance died after saving the turn).
      if (next >= order.length) return undefined;
    }
    return { communeCode: noted.communeCode, service: noted.service, indicatorIndex: next, ...(noted.facilityId ? { facilityId: noted.facilityId } : {}) };
  }

  /**
   * A later request: what the caller pressed (or did not) in answer to turn `turn`. Returns
   * null when the call is unknown here (the caller is then started afresh by the route).
   *
   * Only the copy of a webhook that wins the compare-and-set on the turn (CallsRepository.advance)
   * decides what is kept: its effects are saved in the same write as its answer and applied after
   * it, so a losing copy with other keys (Digits 1 while the winner had 5) changes nothing, and
   * the stored rating is the one the caller hears read back.
   */
  async resume(callSid: string, turn: number, input: FlowInput, party?: string): Promise<LastTurn | null> {
    const call = await this.deps.calls.findAtTurn(callSid, turn);
    if (!call) return null;
    // A retry of a turn already answered gets the answer already given; a turn the call has not
    // reached (a forged or confused URL) changes nothing either.
    if (turn !== call.turn) return this.answerAgain(call, turn + 1, party);
    // Only a voice message gets a reference number (a place the caller said does not).
    if (input.type === 'recording' && !input.silent && !input.referenceNumber && this.deps.flow.nodes[call.flow.node]?.type === 'record') {
      // A copy that loses the race below leaves its number unused (a gap in the sequence): only the
      // winner's is saved, and both copies answer with it.
      input = { ...input, referenceNumber: await this.deps.messages.newReferenceNumber() };
    }
    const ctx: FlowContext = { ...this.deps.context, caller: {} };
    // A provider's PIN is checked against the store before the turn (the pure engine reads the
    // outcome), and only when this turn answers the PIN question: a pause mid-PIN checks nothing.
    const pinKeys = providerPinEntry(this.deps.flow, call.flow, input, ctx);
    if (pinKeys !== null) {
      const found: ProviderSignIn = this.deps.providers && call.flow.vars.providerNumber !== undefined
        ? await this.deps.providers.signIn({ callerId: call.callerId, providerNumber: call.flow.vars.providerNumber, pin: pinKeys.replace(/#/g, ''), at: this.now(), callSid })
        : { result: 'refused' };
      ctx.providerSignIn = (keys) => (keys === pinKeys ? found : undefined);
    }
    const results = await this.resultsBefore(call.flow, call.callerId);
    if (results) ctx.communeResults = (code) => results.get(code);
    let result: StepResult;
    try {
      result = step(this.deps.flow, call.flow, input, ctx);
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      // A flow mistake must not end the call: log it and take the caller to the main menu.
      this.deps.logger.error({ callSid, node: call.flow.node, err: err.message }, 'flow error; caller returned to the main menu');
      result = step(this.deps.flow, { ...call.flow, node: this.deps.flow.mainMenu, invalids: 0 }, { type: 'digits', digits: '*' }, ctx);
    }
    const at = this.now();
    const last: LastTurn = { output: result.output, language: result.state.language, turn: call.turn + 1 };
    if (await this.deps.calls.advance(callSid, call.turn, result.state, last, result.effects, at, pathWith(call.path, result.state.node))) {
      await this.apply({ ...call, flow: result.state, lastEffects: result.effects, updatedAt: at }, party);
      return last;
    }
    // Another copy of this webhook answered first: the caller gets that answer, and its effects.
    const winner = await this.deps.calls.find(callSid);
    return winner ? this.answerAgain(winner, call.turn + 1, party) : last;
  }

  /**
   * The published results a results node of this turn may speak, read before the turn (the engine
   * is pure): only on the results path, for the communes it may reach (the chosen one, or the one
   * being confirmed or offered from the last call). A few indexed reads per turn on that path only.
   */
  private async resultsBefore(state: FlowState, callerId: string): Promise<Map<string, CommuneResults> | null> {
    if (state.vars.purpose !== 'results' || state.ended) return null;
    const atResults = this.deps.flow.nodes[state.node]?.type === 'results';
    const codes = new Set([state.vars.communeCode, ...(atResults ? [] : [state.vars.pendingCommune, state.vars.lastCommune])].filter((c): c is string => Boolean(c)));
    const found = new Map<string, CommuneResults>();
    for (const code of codes) {
      found.set(code, this.deps.results ? await this.deps.results.communeResults(code, callerId) : { communeCode: code, services: null, promises: null });
    }
    return found;
  }

  /**
   * The answer already given, for a retry or a losing copy. When it is the call's latest, its
   * effects are applied again first (they are idempotent): the instance that saved it may have
   * died before applying them, and this copy's reply may be the one the carrier acts on.
   */
  private async answerAgain(call: CallRecord, answeredTurn: number, party?: string): Promise<LastTurn> {
    if (call.turn === answeredTurn) await this.apply(call, party);
    return call.last;
  }

  /**
   * Keeps what the caller gave in the call's latest turn, as of that turn (`updatedAt`). Every
   * effect is an upsert keyed by the call, so applying one twice changes nothing. `party` is the
   * citizen's number as this request's carrier posted it (only an answer-call opt-in uses it).
   */
  private async apply(call: Pick<CallRecord, '_id' | 'callerId' | 'flow' | 'lastEffects' | 'updatedAt' | 'returningRater'>, party?: string) {
    const at = new Date(call.updatedAt);
    const state = call.flow;
    const callSid = call._id;
    for (const e of call.lastEffects ?? []) {
      switch (e.type) {
        case 'remember-language':
          await this.deps.callers.rememberLanguage(call.callerId, e.language);
          break;
        case 'remember-commune':
          await this.deps.callers.rememberCommune(call.callerId, e.communeCode);
          break;
        case 'save-rating': {
          // A place said by the caller waits for staff, unless they confirmed it already (a late retry).
          const communeCode = e.spokenPlaceId ? (await this.deps.places.communeFor(e.spokenPlaceId)) ?? '' : e.communeCode;
          await this.deps.ratings.save({
            callSid,
            callerId: call.callerId,
            communeCode,
            districtCode: communeCode.slice(0, 4),
            provinceCode: communeCode.slice(0, 2),
            ...(e.spokenPlaceId ? { spokenPlaceId: e.spokenPlaceId, ...(communeCode ? {} : { placeToConfirm: true as const }) } : {}),
            ...(e.facilityId ? { facilityId: e.facilityId } : {}),
            service: e.service,
            indicatorId: e.indicatorId,
            score: e.score,
            ...(e.noScore ? { noScore: e.noScore } : {}),
            language: state.language,
            languageGroup: this.deps.languageGroup(state.language),
            demographics: state.vars.demographics ?? {},
            ratedAt: at,
          }, { mayReplace: call.returningRater !== false });
          break;
        }
        case 'keep-spoken-place':
          await this.deps.places.keepFromCall({
            recordingSid: e.recording.recordingSid, callSid, purpose: e.purpose, language: state.language, at, testCall: isTestCall(callSid),
          });
          await this.deps.messages.keepPlaceRecording(callSid, e.recording.recordingSid, state.language, at);
          break;
        case 'set-demographics':
          await this.deps.ratings.setDemographicsForCall(callSid, e.demographics, state.vars.rated ?? []);
          await this.deps.callers.rememberDemographics(call.callerId, e.demographics, e.done ? reportingYear(at) : undefined);
          break;
        case 'save-message':
          await this.deps.messages.saveFromCall({
            callSid, communeCode: e.spokenPlaceId ? (await this.deps.places.communeFor(e.spokenPlaceId)) ?? '' : e.communeCode,
            service: e.service, language: state.language, recording: e.recording, at,
            ...(e.spokenPlaceId ? { spokenPlaceId: e.spokenPlaceId } : {}),
            ...(e.facilityId ? { facilityId: e.facilityId } : {}),
          });
          break;
        case 'remember-unfinished-rating':
          await this.deps.callers.rememberUnfinishedRating(call.callerId, e.rating, at, callSid);
          break;
        case 'request-answer-call': {
          const outcome = this.deps.answerCalls
            ? await this.deps.answerCalls.optIn({ messageId: e.messageId, callerId: call.callerId, party, language: state.language })
            : 'off';
          this.deps.logger.info({ callSid, messageId: e.messageId, outcome }, 'answer call requested');
          break;
        }
        case 'subscribe-promise-alerts': {
          const outcome = this.deps.promiseAlerts
            ? await this.deps.promiseAlerts.subscribe({ callerId: call.callerId, party, communeCode: e.communeCode, language: state.language })
            : 'off';
          this.deps.logger.info({ callSid, communeCode: e.communeCode, outcome }, 'promise news sign-up');
          break;
        }
        case 'stop-promise-alerts':
          await this.deps.promiseAlerts?.stop({ newsCallId: e.newsCallId });
          this.deps.logger.info({ callSid, communeCode: e.communeCode }, 'promise news stopped by the caller; sign-up and number erased');
          break;
        case 'save-self-assessment':
          if (this.deps.providers) await this.deps.providers.answer({ roundIds: e.roundIds, callerId: call.callerId, callSid, indicatorId: e.indicatorId, score: e.score, at });
          break;
        case 'check-jaap-item':
          // Keyed by item and caller: a retried turn sets the same answer again.
          if (this.deps.results) await this.deps.results.recordCheck({ itemId: e.itemId, communeCode: e.communeCode, callerId: call.callerId, answer: e.answer, callSid, at });
          break;
        case 'forget-unfinished-rating':
          await this.deps.callers.forgetUnfinishedRating(call.callerId);
          break;
        case 'discard-recording':
          await this.deps.messages.discardFromCall(callSid, e.recording.recordingSid, at);
          break;
      }
    }
  }
}
