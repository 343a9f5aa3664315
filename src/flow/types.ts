/**
 * The flow definition (data, see flows/default.json) and the engine's inputs, outputs and
 * state. No Express, TwiML or database types here.
 */

/** A prompt id, possibly with {service}, {topic}, {indicator} or {score} filled from the call. */
export type PromptTemplate = string;

export type SettableVar = 'service' | 'topic' | 'purpose';
export type ActionName = 'useLastCommune' | 'confirmCommune' | 'sendMessage' | 'recordAgain' | 'optInAnswerCall';
export type ConditionName = 'callerHasLastCommune' | 'hasCommuneAndService' | 'demographicsAsked' | 'purposeIsMessage' | 'callerLanguageKnown' | 'purposeIsResults';
export type ReadBack = 'lastCommune' | 'pendingCommune' | 'referenceNumber' | 'facility';
export type DemographicField = 'gender' | 'ageGroup' | 'disability' | 'idPoor';

export interface MenuOption {
  next: string;
  set?: Partial<Record<SettableVar, string>>;
  action?: ActionName;
}

export type FlowNode =
  | {
    type: 'start'; knownCaller: { prompts: PromptTemplate[]; next: string }; newCaller: { prompts: PromptTemplate[]; next: string };
    /** A call the hotline placed (a callback): its own opening ("calling you back, free"), whoever the caller is. */
    callback?: { prompts: PromptTemplate[]; next: string };
    /** A promise news call the hotline placed (src/outbound/promise-alerts.ts): its own opening, then a promise-news node. */
    promiseNews?: { prompts: PromptTemplate[]; next: string };
  }
  | { type: 'say'; prompts: PromptTemplate[]; readBack?: ReadBack; next: string }
  | { type: 'branch'; condition: ConditionName; then: string; else: string }
  | { type: 'hangup'; prompts: PromptTemplate[] }
  | {
    type: 'menu'; prompt: PromptTemplate; readBack?: ReadBack;
    /** Played after the read-back, which is then read once more (a number to write down). */
    readBackAgain?: PromptTemplate;
    closingPrompt?: PromptTemplate; options: Record<string, MenuOption>;
    /** Silence here ends the call politely (goodbye) instead of replaying the prompt: after content the caller has heard. */
    silenceEnds?: boolean;
  }
  | {
    type: 'language-menu'; prompt: PromptTemplate; optionPrompt: PromptTemplate; next: string;
    /** Silence chooses the default language ("for Khmer, stay on the line") instead of counting as a silence. */
    silenceChoosesDefault?: boolean;
    /** Languages read per page (at most 4 options a menu); 9 then reads the next page, announced by `morePrompt`. */
    pageSize?: number;
    morePrompt?: PromptTemplate;
  }
  | {
    type: 'commune-code'; prompt: PromptTemplate; unknownPrompt: PromptTemplate; next: string; browse: string;
    /** Where `*` ("I don't know the code") goes, instead of `browse`: a place-record node. */
    dontKnow?: string;
    /** Asked instead of `prompt` (which offers * to browse) while no province can be browsed by name. */
    codeOnlyPrompt?: PromptTemplate;
  }
  | {
    type: 'place-list'; level: 'province' | 'district' | 'commune'; prompt: PromptTemplate; morePrompt: PromptTemplate; next: string;
    /** Played after each page while some places are left out of the list (their names are not all recorded): # goes to `byCode`. */
    unlistedPrompt?: PromptTemplate;
    byCode?: string;
  }
  | {
    type: 'rate-indicators'; introPrompt: PromptTemplate; indicatorPrompt: PromptTemplate; scalePrompt: PromptTemplate; next: string;
    /** Played after each indicator: the short "press 1 to 5" (and * replays both). */
    scaleHintPrompt?: PromptTemplate;
    /** Played instead of the flow's invalid prompt after a wrong key here: names the scale. */
    invalidPrompt?: PromptTemplate;
    /** The key for "don't know / did not use": stored as an answer without a score, confirmed by `dontKnowPrompt`. */
    dontKnowKey?: string;
    dontKnowPrompt?: PromptTemplate;
    /** 0 here asks this first ("press 0 again to stop, 1 to go on") instead of leaving at once. */
    leavePrompt?: PromptTemplate;
    /**
     * A service provider scoring their own service (signed in at a provider-pin node): each answer
     * is a save-self-assessment, not a rating; the intro is always played.
     */
    selfAssessment?: boolean;
  }
  | {
    type: 'question'; prompt: PromptTemplate; field: DemographicField; answers: Record<string, string>; next: string;
    /** Where 0 goes: past the questions about the caller (they are not asked again that year). */
    skipTo?: string;
  }
  | { type: 'record'; prompt: PromptTemplate; maxLengthSeconds: number; next: string }
  /**
   * An I4C topic in pieces of about 20 s (`piecePrompt` with {piece} from 1; how many: the
   * context's infoPieces). Each piece but the last ends with `morePrompt` and 1 plays the next;
   * the last ends with `closingPrompt`. `*` repeats the piece, `options` are the other keys, and
   * silence ends the call politely: the caller has heard the content.
   */
  | { type: 'info-pieces'; piecePrompt: PromptTemplate; morePrompt: PromptTemplate; closingPrompt: PromptTemplate; options: Record<string, MenuOption> }
  /**
   * "I don't know the code": the caller says the name of their village and commune after the
   * beep; `savedPrompt` thanks them and the call goes on at `next` with a place to confirm (staff
   * pick the commune from the recording later; src/store/places-to-confirm.ts).
   */
  | { type: 'place-record'; prompt: PromptTemplate; savedPrompt: PromptTemplate; maxLengthSeconds: number; next: string }
  /**
   * The programme's communes by name (src/site/programme-areas.ts), at most 4 to a menu, the
   * caller's last place first: 1-4 picks (then `next`, a confirmation), 9 hears more,
   * `notListedKey` goes to `byCode` (code entry). With no programme commune named, straight to `byCode`.
   */
  | { type: 'area-list'; prompt: PromptTemplate; morePrompt: PromptTemplate; notListedPrompt: PromptTemplate; notListedKey: string; next: string; byCode: string }
  /**
   * The facility of the chosen service in the chosen commune (two primary schools): by name, at
   * most 4 to a menu, 9 for more. One facility (or none named) asks nothing and goes on to `next`.
   */
  | { type: 'facility-choice'; prompt: PromptTemplate; morePrompt: PromptTemplate; next: string }
  /**
   * Offers a caller whose last rating broke off (within a day) to go on where they stopped:
   * `prompt` (with {service}), the commune, then `pressPrompt`; 1 goes on at `rateNode`, 2 and
   * callers with nothing to resume go to `next`.
   */
  | { type: 'resume-offer'; prompt: PromptTemplate; pressPrompt: PromptTemplate; rateNode: string; next: string }
  /**
   * A service provider signs in: `numberPrompt` asks the provider number (`numberDigits`), then
   * `pinPrompt` the PIN (`pinDigits`), each ending early on #. The app checks them (the context's
   * providerSignIn): accepted goes on to `next` with the service, facility and rounds set; a wrong
   * pair hears `wrongPrompt` (never which part) and the number again; a locked phone or number
   * hears `lockedPrompt`, and a right PIN with no open round `noRoundPrompt`, then `exit`.
   */
  /**
   * A commune's published results and its council's promises (the context's communeResults): per
   * service the number satisfied out of 10 in number words (`numberPrompt` per fragment, composed
   * in the caller's language), then each JAAP item with its month and status; after an item marked
   * done that the caller has not checked, `checkPrompt` (1 yes, 2 partly, 3 no, 9 don't know; the
   * answer is a check-jaap-item effect). At the end `afterPrompt`: 1 hears it all again.
   */
  | {
    type: 'results'; introPrompt: PromptTemplate; noResultsPrompt: PromptTemplate; servicePrompt: PromptTemplate; numberPrompt: PromptTemplate;
    satisfiedPrompt: PromptTemplate; underOnePrompt: PromptTemplate; overNinePrompt: PromptTemplate; tooFewPrompt: PromptTemplate; noRatingsPrompt: PromptTemplate;
    promisesPrompt: PromptTemplate; noPromisesPrompt: PromptTemplate; promisedPrompt: PromptTemplate; itemPrompt: PromptTemplate; aboutPrompt: PromptTemplate;
    indicatorPrompt: PromptTemplate; byPrompt: PromptTemplate; monthPrompt: PromptTemplate; statusPrompt: PromptTemplate; statusValuePrompt: PromptTemplate;
    checkPrompt: PromptTemplate; checkThanksPrompt: PromptTemplate; afterPrompt: PromptTemplate;
    /** Before the district's figure where the commune's is withheld ("In the whole district,"); without it, the district is not spoken. */
    districtPrompt?: PromptTemplate;
  }
  /**
   * "Press 1 to be called when your commune's promises change": 1 signs the caller up for the
   * call's commune (a subscribe-promise-alerts effect, then `yesPrompt`); silence or any other key
   * is no. Asks nothing (straight to `next`) without a commune code, from a withheld number, or
   * when the caller is signed up for that commune already.
   */
  | { type: 'alert-offer'; prompt: PromptTemplate; yesPrompt: PromptTemplate; next: string }
  /**
   * The news of a promise news call: each changed item's `servicePrompt` ({service}) and
   * `statusPrompt` ({status}), then `stopPrompt`. 9 stops the news (a stop-promise-alerts effect,
   * `stoppedPrompt`, the call ends); * repeats; silence or another key ends the call (goodbye).
   */
  | { type: 'promise-news'; servicePrompt: PromptTemplate; statusPrompt: PromptTemplate; stopPrompt: PromptTemplate; stoppedPrompt: PromptTemplate }
  | {
    type: 'provider-pin'; introPrompt: PromptTemplate; numberPrompt: PromptTemplate; pinPrompt: PromptTemplate; acceptedPrompt: PromptTemplate;
    wrongPrompt: PromptTemplate; lockedPrompt: PromptTemplate; noRoundPrompt: PromptTemplate; numberDigits: number; pinDigits: number; next: string; exit: string;
  };

export type FlowNodeType = FlowNode['type'];

export interface FlowDefinition {
  version: string;
  start: string;
  mainMenu: string;
  settings: {
    menuTimeoutSeconds: number;
    codeTimeoutSeconds: number;
    codeLength: number;
    maxSilences: number;
    maxInvalid: number;
    pageSize: number;
  };
  prompts: {
    noInput: string;
    invalid: string;
    goodbye: string;
    /** The last words after silences: how to get a free callback (goodbye when absent). */
    silenceGoodbye?: string;
    /** Played before the caller is moved to the main menu after wrong keys ("your answers are saved"). */
    toMainMenu?: string;
    digit: PromptTemplate;
    place: PromptTemplate;
  };
  nodes: Record<string, FlowNode>;
}

/** What the caller did, as the telephony adapter reports it. */
export type FlowInput =
  | { type: 'start' }
  | { type: 'digits'; digits: string }
  | { type: 'silence' }
  /** silent: the carrier reported 0 s, or the audio holds no speech; the engine treats it as silence. */
  | { type: 'recording'; recordingSid: string; recordingUrl: string; durationSeconds: number; referenceNumber: string; silent?: boolean };

export interface PromptRef {
  id: string;
  /** Plays in this language instead of the caller's (each language announces itself). */
  language?: string;
}

export type TurnEnd =
  | { type: 'gather'; numDigits: number; finishOnKey: string; timeoutSeconds: number }
  | { type: 'record'; maxLengthSeconds: number }
  | { type: 'hangup' };

export interface TurnOutput {
  prompts: PromptRef[];
  end: TurnEnd;
}

export interface Demographics {
  gender?: string;
  ageGroup?: string;
  disability?: string;
  /** A family ID-Poor (equity) card: yes, no, unstated. */
  idPoor?: string;
}

export interface PendingRecording {
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number;
  referenceNumber: string;
}

/** Things the engine asks the app to keep; each is applied (idempotently) before the reply. */
export type Effect =
  | { type: 'remember-language'; language: string }
  | { type: 'remember-commune'; communeCode: string }
  /** communeCode is '' while the place waits to be confirmed (spokenPlaceId: the caller's recording of it). */
  /** score null with noScore: the caller pressed "don't know / did not use": kept, counted apart, never a score. */
  | { type: 'save-rating'; communeCode: string; service: string; indicatorId: string; score: number | null; noScore?: 'dont-know'; spokenPlaceId?: string; facilityId?: string }
  /** done: the questions are over (answered or skipped with 0): not asked again this reporting year. */
  | { type: 'set-demographics'; demographics: Demographics; done?: boolean }
  | { type: 'save-message'; communeCode: string; service: string; recording: PendingRecording; spokenPlaceId?: string; facilityId?: string }
  /** The caller said where they are instead of a code: keep the recording as a place for staff to confirm. */
  | { type: 'keep-spoken-place'; recording: PendingRecording; purpose: string }
  | { type: 'discard-recording'; recording: PendingRecording }
  /**
   * The caller has begun rating a service in this call (its first answer): where to go on if the
   * call breaks off. Made once per service rated, not per answer: the next call finds how far the
   * caller got from this call's ratings (src/calls/call-turns.ts), which saves a write per answer.
   */
  | { type: 'remember-unfinished-rating'; rating: UnfinishedRating }
  | { type: 'forget-unfinished-rating' }
  /** A signed-in provider's score of their own service, for each current round of it (never a rating). */
  | { type: 'save-self-assessment'; roundIds: string[]; indicatorId: string; score: number }
  /** A citizen's answer to "was it done?" for a JAAP item marked done (once per caller per item). */
  | { type: 'check-jaap-item'; itemId: string; communeCode: string; answer: 'yes' | 'partly' | 'no' }
  /** The caller wants to be called back with the answer to the message they just sent. */
  | { type: 'request-answer-call'; messageId: string }
  /** The caller wants to be called when this commune's JAAP promises change. */
  | { type: 'subscribe-promise-alerts'; communeCode: string }
  /** The caller pressed "stop these calls" in a promise news call: the sign-up and its number go. */
  | { type: 'stop-promise-alerts'; newsCallId: string; communeCode: string };

/** What a promise news call tells: the commune and each changed item's service and latest status. */
export interface PromiseNews {
  /** The queued call this is (the outbound entry): a stop ends the sign-up it was placed for. */
  newsCallId: string;
  communeCode: string;
  items: { service: string; status: string }[];
}

/** A rating the caller had not finished: the next indicator to ask. */
export interface UnfinishedRating {
  communeCode: string;
  service: string;
  indicatorIndex: number;
  /** The facility rated, where the commune has several of its kind (a resumed rating goes on rating it). */
  facilityId?: string;
}

export interface FlowVars {
  service?: string;
  topic?: string;
  purpose?: string;
  communeCode?: string;
  /** The RecordingSid of the place the caller said (no code): used instead of communeCode until staff confirm it. */
  spokenPlace?: string;
  pendingCommune?: string;
  lastCommune?: string;
  provinceCode?: string;
  districtCode?: string;
  page?: number;
  indicatorIndex?: number;
  /** The piece of an I4C topic being heard (from 1). */
  piece?: number;
  introPlayed?: boolean;
  /** The facility rated (src/site/programme-areas.ts id), where the commune has one or the caller chose one. */
  facility?: string;
  /** 0 was pressed on a rating question: the next key confirms leaving (0) or goes on (1). */
  leaving?: boolean;
  demographics?: Demographics;
  demographicsAsked?: boolean;
  /** commune:service:indicator of each rating given in this call, so demographics can be stamped on them by key. */
  rated?: string[];
  recording?: PendingRecording;
  referenceNumber?: string;
  /** The RecordingSid of the message sent in this call (for the answer-call opt-in). */
  sentMessageId?: string;
  /** A rating of an earlier call this call may go on with (offered by a resume-offer node). */
  resumable?: UnfinishedRating;
  /** commune:service of the rating begun in this call and noted as unfinished (once per service). */
  unfinishedNoted?: string;
  /** The provider number keyed at a provider-pin node, while its PIN is asked (not secret: printed on the provider's letter). */
  providerNumber?: string;
  /** A provider signed in with their PIN: the rounds their self-assessment goes to. */
  selfAssessment?: { roundIds: string[] };
  /** At a results node: the JAAP item whose check is asked (its index), or -1 once everything was heard. */
  resultsItem?: number;
  /** JAAP items the caller checked in this call (not asked again when the results are heard again). */
  checkedItems?: string[];
  /** Communes the caller is signed up for promise news of, or was offered it for in this call (not offered again). */
  alertCommunes?: string[];
  /** The caller's number is withheld: nothing that needs it (promise news) is offered. */
  numberWithheld?: boolean;
  /** A promise news call: what it tells. */
  promiseNews?: PromiseNews;
}

export interface FlowState {
  node: string;
  language: string;
  /**
   * Keys of a multi-key entry (a commune code) that arrived short: kept while the rest is gathered
   * without replaying the question, until the entry is complete or a wait passes in silence.
   */
  partialKeys?: string;
  silences: number;
  invalids: number;
  vars: FlowVars;
  ended: boolean;
}

/** Read-only facts the engine consults; the app builds it from config and the gazetteer. */
export interface FlowContext {
  defaultLanguage: string;
  languages: readonly { code: string; key: string }[];
  caller: {
    language?: string; lastCommune?: string; unfinishedRating?: UnfinishedRating;
    /** The caller's answers about themselves for this reporting year: the questions are not asked again. */
    demographics?: Demographics;
    /** A call the hotline placed (a callback), not one the caller made. */
    callback?: boolean;
    /** The caller's number is withheld. */
    withheld?: boolean;
    /** Communes the caller is signed up for promise news of. */
    alertCommunes?: string[];
    /** A promise news call the hotline placed, and what it tells. */
    promiseNews?: PromiseNews;
  };
  isCommune(code: string): boolean;
  places(level: 'province' | 'district' | 'commune', parentCode?: string): readonly string[];
  /** How many places at this level `places` leaves out (names not recorded); none when absent. */
  unlistedPlaces?(level: 'province' | 'district' | 'commune', parentCode?: string): number;
  indicators(service: string): readonly string[];
  /** Whether a recording exists for this prompt (place names are only played when recorded). */
  hasRecording(promptId: string, language: string): boolean;
  /**
   * Seconds of pause after which the carrier ends a Gather early whatever its timeout (Somleng: 2);
   * absent when the Gather's timeout also covers the gaps between keys (Twilio). A multi-key entry
   * that arrives short is then only a pause, and the rest is gathered.
   */
  keyGapSeconds?: number;
  /** The programme's communes callers may choose by name (names recorded), in order; none when absent. */
  programmeCommunes?(): readonly string[];
  /** How many pieces an I4C topic is played in, in a language (src/i4c/content.ts); 1 when absent. */
  infoPieces?(service: string, topic: string, language: string): number;
  /** The facilities of a service a commune's callers choose between (ids); one means no question. */
  facilities?(communeCode: string, service: string): readonly string[];
  /**
   * The check of the keys entered as a PIN at a provider-pin node, made by the app before the
   * turn (src/calls/call-turns.ts, with providerPinEntry); undefined for any other keys.
   */
  providerSignIn?(keys: string): ProviderSignIn | undefined;
  /**
   * A commune's published results and promises, read by the app before the turn for the communes
   * a results node may speak about (src/calls/call-turns.ts); undefined when not read.
   */
  communeResults?(communeCode: string): CommuneResults | undefined;
}

/** One service's published figure as spoken: only figures disclosure control let through carry a number. */
/** A share satisfied as spoken: tenths, or "fewer than 1" / "more than 9" in ten. */
export interface SpokenShare { tenths: number; underOne: boolean; overNine: boolean }

export type SpokenServiceResult =
  | ({ service: string; status: 'shown' } & SpokenShare)
  /** `district`: the same service's published figure for the whole district in the same period, the wider view to offer instead. */
  | { service: string; status: 'too-few'; district?: SpokenShare }
  | { service: string; status: 'no-ratings' };

/** One JAAP item as spoken (public commitments: no caller data but `askCheck`). */
export interface SpokenPromise {
  itemId: string;
  service: string;
  indicatorId?: string;
  /** The month (1-12) it is to be done by. */
  month: number;
  status: 'not-started' | 'ongoing' | 'done' | 'dropped';
  /** Marked done and this caller has not said whether it was: "was it done?" follows it. */
  askCheck: boolean;
}

/** What a results node speaks about a commune: null where nothing is published (no period has it, no JAAP). */
export interface CommuneResults {
  communeCode: string;
  services: SpokenServiceResult[] | null;
  promises: SpokenPromise[] | null;
}

/** What the app found for a provider number and PIN keyed at a provider-pin node. */
export type ProviderSignIn =
  | { result: 'accepted'; service: string; facilityId?: string; roundIds: string[] }
  | { result: 'no-round' }
  | { result: 'refused' }
  | { result: 'locked' };

export interface StepResult {
  state: FlowState;
  output: TurnOutput;
  effects: Effect[];
}
