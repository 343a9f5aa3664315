import { DefinitionError } from '../errors';
import { step } from '../flow/engine';
import { Effect, FlowContext, FlowDefinition, FlowInput, FlowState, StepResult } from '../flow/types';
import { Logger } from '../logging/logger';
import { CallersRepository } from '../store/callers';
import { CallRecord, CallsRepository, LastTurn } from '../store/calls';
import { RatingsRepository } from '../store/ratings';

/** Where voice messages go once the caller presses "send" (see src/messages). */
export interface MessageSink {
  /** A short reference number for a new recording, read back to the caller. */
  newReferenceNumber(): Promise<string>;
  saveFromCall(msg: { callSid: string; communeCode: string; service: string; language: string; recording: NonNullable<FlowState['vars']['recording']> }): Promise<void>;
  discardFromCall(callSid: string, recordingSid: string): Promise<void>;
}

export interface CallTurnsDeps {
  flow: FlowDefinition;
  context: Omit<FlowContext, 'caller'>;
  languageGroup(code: string): 'khmer' | 'indigenous' | 'other';
  callers: CallersRepository;
  calls: CallsRepository;
  ratings: RatingsRepository;
  messages: MessageSink;
  logger: Logger;
  now?: () => Date;
}

/**
 * The story of a call, one turn at a time: load the call, run the engine, keep what the caller
 * gave, save the call, and say what to play. A retried webhook gets the answer it got before.
 */
export class CallTurns {
  private readonly now: () => Date;
  constructor(private readonly deps: CallTurnsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The carrier's first request for a call. */
  async start(callSid: string, callerId: string): Promise<LastTurn> {
    const existing = await this.deps.calls.find(callSid);
    if (existing) return existing.last; // the carrier retried the incoming webhook
    const at = this.now();
    const caller = await this.deps.callers.recordCall(callerId, at);
    const known = caller.language && this.deps.context.languages.some((l) => l.code === caller.language) ? caller.language : undefined;
    const ctx: FlowContext = { ...this.deps.context, caller: { language: known, lastCommune: caller.lastCommune } };
    const result = step(this.deps.flow, null, { type: 'start' }, ctx);
    const returningRater = Boolean(caller.lastCommune);
    await this.apply(result.effects, { callSid, callerId, state: result.state, returningRater });
    const last: LastTurn = { output: result.output, language: result.state.language, turn: 1 };
    const record: CallRecord = {
      _id: callSid, callerId, flowVersion: this.deps.flow.version, turn: 1, flow: result.state, last, startedAt: at, updatedAt: at, returningRater,
    };
    const { record: saved } = await this.deps.calls.create(record);
    return saved.last;
  }

  /**
   * A later request: what the caller pressed (or did not) in answer to turn `turn`. Returns
   * null when the call is unknown here (the caller is then started afresh by the route).
   */
  async resume(callSid: string, turn: number, input: FlowInput): Promise<LastTurn | null> {
    const call = await this.deps.calls.find(callSid);
    if (!call) return null;
    // A retry of a turn already answered gets the answer already given; a turn the call has not
    // reached (a forged or confused URL) changes nothing either.
    if (turn !== call.turn) return call.last;
    if (input.type === 'recording' && !input.silent && !input.referenceNumber) {
      input = { ...input, referenceNumber: await this.deps.messages.newReferenceNumber() };
    }
    const ctx: FlowContext = { ...this.deps.context, caller: {} };
    let result: StepResult;
    try {
      result = step(this.deps.flow, call.flow, input, ctx);
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      // A flow mistake must not end the call: log it and take the caller to the main menu.
      this.deps.logger.error({ callSid, node: call.flow.node, err: err.message }, 'flow error; caller returned to the main menu');
      result = step(this.deps.flow, { ...call.flow, node: this.deps.flow.mainMenu, invalids: 0 }, { type: 'digits', digits: '*' }, ctx);
    }
    await this.apply(result.effects, { callSid, callerId: call.callerId, state: result.state, returningRater: call.returningRater !== false });
    const last: LastTurn = { output: result.output, language: result.state.language, turn: call.turn + 1 };
    if (await this.deps.calls.advance(callSid, call.turn, result.state, last, this.now())) return last;
    // Another copy of this webhook answered first; give the caller that answer.
    return (await this.deps.calls.find(callSid))?.last ?? last;
  }

  /** Keeps what the caller gave. Every effect is an upsert, so applying one twice changes nothing. */
  private async apply(effects: Effect[], call: { callSid: string; callerId: string; state: FlowState; returningRater: boolean }) {
    const at = this.now();
    for (const e of effects) {
      switch (e.type) {
        case 'remember-language':
          await this.deps.callers.rememberLanguage(call.callerId, e.language);
          break;
        case 'remember-commune':
          await this.deps.callers.rememberCommune(call.callerId, e.communeCode);
          break;
        case 'save-rating':
          await this.deps.ratings.save({
            callSid: call.callSid,
            callerId: call.callerId,
            communeCode: e.communeCode,
            districtCode: e.communeCode.slice(0, 4),
            provinceCode: e.communeCode.slice(0, 2),
            service: e.service,
            indicatorId: e.indicatorId,
            score: e.score,
            language: call.state.language,
            languageGroup: this.deps.languageGroup(call.state.language),
            demographics: call.state.vars.demographics ?? {},
            ratedAt: at,
          }, { mayReplace: call.returningRater });
          break;
        case 'set-demographics':
          await this.deps.ratings.setDemographicsForCall(call.callSid, e.demographics, call.state.vars.rated ?? []);
          break;
        case 'save-message':
          await this.deps.messages.saveFromCall({
            callSid: call.callSid, communeCode: e.communeCode, service: e.service, language: call.state.language, recording: e.recording,
          });
          break;
        case 'discard-recording':
          await this.deps.messages.discardFromCall(call.callSid, e.recording.recordingSid);
          break;
      }
    }
  }
}
