import { FlowDefinition } from '../flow/types';
import { errorFields } from '../logging/error-cause';
import { Logger } from '../logging/logger';
import type { HotlineMetrics } from '../ops/metrics';
import { CallRecord, CallsRepository } from '../store/calls';
import { isTestCall } from '../store/ratings';

/**
 * The operator's one line per call, written when the call's final status is saved: what the
 * caller got out of the call, in words an operator searches for. Never the number or the
 * caller's hash: the call id is what joins the line to the staff pages and the carrier's logs.
 */
export type CallOutcome =
  | 'error.system heard'
  | 'rated'
  | 'message left'
  | 'information heard'
  | 'said goodbye with nothing given'
  | 'hung up early'
  | 'no turn answered';

export interface CallEndFields {
  callSid: string;
  /** The carrier's final status (completed, busy, no-answer, failed, canceled). */
  status: string;
  durationSeconds?: number;
  /** Every outcome that applies, most telling first; `outcome` is the first. */
  outcome: CallOutcome;
  outcomes: CallOutcome[];
  ratings: number;
  /** The flow nodes in order ("welcome>main>commune.code>rate"), repeats in a row kept once. */
  path: string;
}

export function callEndFields(
  callSid: string, status: string, durationSeconds: number | undefined, call: CallRecord | null, flow?: Pick<FlowDefinition, 'nodes'>,
): CallEndFields {
  const base: Pick<CallEndFields, 'callSid' | 'status' | 'durationSeconds'> = { callSid, status, ...(durationSeconds !== undefined ? { durationSeconds } : {}) };
  if (!call) return { ...base, outcome: 'no turn answered', outcomes: ['no turn answered'], ratings: 0, path: '' };
  const vars = call.flow.vars;
  const path = call.path ?? [call.flow.node];
  const ratings = vars.rated?.length ?? 0;
  const outcomes: CallOutcome[] = [];
  if (call.systemErrorAt) outcomes.push('error.system heard');
  if (ratings > 0) outcomes.push('rated');
  if (vars.sentMessageId) outcomes.push('message left');
  const heardInformation = flow ? path.some((id) => flow.nodes[id]?.type === 'info-pieces') : vars.piece !== undefined;
  if (heardInformation) outcomes.push('information heard');
  if (!outcomes.length) outcomes.push(call.flow.ended ? 'said goodbye with nothing given' : 'hung up early');
  // The carrier gives CallDuration on the final status; without it, the time between the first and the last turn.
  if (durationSeconds === undefined && call.updatedAt && call.startedAt) {
    base.durationSeconds = Math.round((new Date(call.updatedAt).getTime() - new Date(call.startedAt).getTime()) / 1000);
  }
  return {
    ...base,
    outcome: outcomes[0],
    outcomes,
    ratings,
    path: path.join('>') + (ratings ? ` (${ratings} rating${ratings > 1 ? 's' : ''})` : ''),
  };
}

/** Writes the call-end line (read from the database, as any instance may have served the call). Never throws. */
export async function logCallEnd(
  deps: { calls: Pick<CallsRepository, 'find'>; logger: Logger; flow?: Pick<FlowDefinition, 'nodes'>; metrics?: Pick<HotlineMetrics, 'callEnded'> },
  callSid: string, status: string, durationSeconds: number | undefined,
): Promise<void> {
  try {
    const fields = callEndFields(callSid, status, durationSeconds, await deps.calls.find(callSid), deps.flow);
    // The start-up warm-up and staff "try the line" calls are no caller's: said so, not counted as one.
    if (isTestCall(callSid)) deps.logger.info({ ...fields, testCall: true }, `test call ended: ${fields.outcome}`);
    else {
      deps.logger.info(fields, `call ended: ${fields.outcome}`);
      deps.metrics?.callEnded(fields.outcome);
    }
  } catch (err) {
    if (!isTestCall(callSid)) deps.metrics?.callEnded('unknown');
    deps.logger.warn({ callSid, status, ...errorFields(err) }, 'call ended; its summary could not be read from the database');
  }
}
