// The one part of twilio used here: the whole package takes a fifth of a second to load.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { TurnOutput } from '../flow/types';

/**
 * Turns one turn's neutral output into one TwiML document, using only verbs both Twilio and
 * Somleng execute: Play, Gather (with Play inside), Record, Redirect, Hangup.
 */
export interface RenderUrls {
  /** Where Gather and Record post what the caller did. */
  action: string;
  /** Where the call goes when the caller pressed nothing (Twilio falls through past Gather). */
  silence: string;
  /** Where the carrier reports a finished recording (voice messages). */
  recordingStatus: string;
}

export type PromptUrl = (promptId: string, language?: string) => string | null;

export function renderTwiml(output: TurnOutput, promptUrl: PromptUrl, urls: RenderUrls): string {
  const response = new VoiceResponse();
  const urlsOf = output.prompts.map((p) => promptUrl(p.id, p.language)).filter((u): u is string => u !== null);
  const end = output.end;
  switch (end.type) {
    case 'gather': {
      // finishOnKey is always explicit: the carrier's default (#) would swallow # pressed on a menu.
      const gather = response.gather({
        action: urls.action,
        method: 'POST',
        numDigits: end.numDigits,
        timeout: end.timeoutSeconds,
        finishOnKey: end.finishOnKey,
      });
      for (const u of urlsOf) gather.play(u);
      response.redirect({ method: 'POST' }, urls.silence);
      break;
    }
    case 'record':
      for (const u of urlsOf) response.play(u);
      response.record({
        action: urls.action,
        method: 'POST',
        maxLength: end.maxLengthSeconds,
        finishOnKey: '#',
        playBeep: true,
        timeout: 10,
        recordingStatusCallback: urls.recordingStatus,
        recordingStatusCallbackMethod: 'POST',
      });
      response.redirect({ method: 'POST' }, urls.silence);
      break;
    case 'hangup':
      for (const u of urlsOf) response.play(u);
      response.hangup();
      break;
  }
  return response.toString();
}

/** The reply when anything fails: error.system in the caller's language, then hang up. */
export function renderSystemError(promptUrl: PromptUrl, language: string, promptId = 'error.system'): string {
  const response = new VoiceResponse();
  const url = promptUrl(promptId, language);
  if (url) response.play(url);
  response.hangup();
  return response.toString();
}

/** Declines a call without answering it, so the caller is not charged (missed-call callbacks). */
export function renderReject(reason: 'busy' | 'rejected'): string {
  const response = new VoiceResponse();
  response.reject({ reason });
  return response.toString();
}
