import * as path from 'node:path';
import { loadLanguages } from '../../src/config/languages';
import { loadFlow } from '../../src/flow/definition';
import { initialState, step } from '../../src/flow/engine';
import { Effect, FlowContext, FlowInput, FlowState, StepResult, TurnEnd } from '../../src/flow/types';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { loadI4cContent } from '../../src/i4c/content';
import { loadCatalog } from '../../src/prompts/catalog';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';

/**
 * Flow fixtures: the shipped flow, a caller, a list of inputs -> what the caller hears, what the
 * call waits for, and what the app is asked to keep. Real gazetteer, scorecard and languages.
 */

const root = path.resolve(__dirname, '../..');
const languages = loadLanguages(path.join(root, 'config/languages.json'));
const services = indicatorIds(loadScorecard(path.join(root, 'config/scorecard.json')));
const catalog = loadCatalog(path.join(root, 'prompts/catalog.json'));
const gazetteer = loadGazetteer(path.join(root, 'data/gazetteer'));
const i4c = loadI4cContent(path.join(root, 'content/i4c'), { services: ['commune', 'health', 'school'], topics: ['hours', 'fees', 'documents', 'rights'], requiredLanguages: ['en', 'km'] });
const flow = loadFlow(path.join(root, 'flows/default.json'), {
  services,
  languages: languages.languages.map((l) => l.code),
  hasPrompt: (id) => id in catalog.prompts,
});

interface CallOptions {
  caller?: FlowContext['caller'];
  recorded?: string[];
  /** Provinces offered for browsing, and how many are left out (default: all, none). */
  places?: { province: string[]; unlisted?: number };
  /** The carrier's pause between keys that ends a Gather (Somleng: 2 s). */
  keyGapSeconds?: number;
}

function context(opts: CallOptions = {}): FlowContext {
  const recorded = new Set(opts.recorded ?? []);
  const base: FlowContext = {
    keyGapSeconds: opts.keyGapSeconds,
    defaultLanguage: 'km',
    languages: languages.languages.map((l) => ({ code: l.code, key: l.key })),
    caller: opts.caller ?? {},
    isCommune: (code) => gazetteer.isCommune(code),
    places: (level, parent) =>
      level === 'province' ? gazetteer.provinces.map((p) => p.code) : gazetteer.childrenOf(parent ?? '').map((p) => p.code),
    indicators: (service) => services[service] ?? [],
    hasRecording: (id) => recorded.has(id),
    infoPieces: (service, topic, language) => i4c.pieceCount(service, topic, language) || i4c.pieceCount(service, topic, 'km'),
  };
  if (!opts.places) return base;
  const { province, unlisted = 0 } = opts.places;
  return {
    ...base,
    places: (level, parent) => (level === 'province' ? province : base.places(level, parent)),
    unlistedPlaces: (level) => (level === 'province' ? unlisted : 0),
  };
}

type Step = string | FlowInput;
const toInput = (s: Step): FlowInput => {
  if (typeof s !== 'string') return s;
  if (s === 'silence') return { type: 'silence' };
  return { type: 'digits', digits: s };
};
const recording = (sid: string, ref = '4821'): FlowInput => ({
  type: 'recording', recordingSid: sid, recordingUrl: `https://carrier.example/${sid}`, durationSeconds: 12, referenceNumber: ref,
});

interface Turn {
  heard: string[];
  end: TurnEnd;
  effects: Effect[];
  state: FlowState;
}

/** Plays a call: the start, then each input in turn, threading the state as the app does. */
function call(inputs: Step[], opts: CallOptions = {}): Turn[] {
  const ctx = context(opts);
  const turns: Turn[] = [];
  let result: StepResult = step(flow, null, { type: 'start' }, ctx);
  const push = (r: StepResult) =>
    turns.push({ heard: r.output.prompts.map((p) => (p.language ? `${p.id}@${p.language}` : p.id)), end: r.output.end, effects: r.effects, state: r.state });
  push(result);
  // Later turns see no caller facts, as in src/calls/call-turns.ts: everything is in the state.
  const later = { ...ctx, caller: {} };
  for (const s of inputs) {
    const before = structuredClone(result.state);
    result = step(flow, result.state, toInput(s), later);
    expect(before).toEqual(turns[turns.length - 1].state); // the engine never edits the state it was given
    push(result);
  }
  return turns;
}
const last = <T>(list: T[]) => list[list.length - 1];
const digitsOf = (code: string) => [...code].map((d) => `digit.${d}`);

const MENU: TurnEnd = { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 };
const CODE: TurnEnd = { type: 'gather', numDigits: 6, finishOnKey: '#', timeoutSeconds: 10 };
const KM = { language: 'km' };
/** A Khmer caller who has called before, at the main menu after the start. */
const KNOWN = { caller: KM };

describe('start of a call', () => {
  it('a new caller hears welcome and the language menu, three languages at a time, each announcing itself in its own voice', () => {
    const [t] = call([]);
    expect(t.heard).toEqual([
      'welcome', 'keys.intro', 'language.menu',
      'language.option.km@km', 'language.option.cmo@cmo', 'language.option.tpu@tpu', 'language.more',
    ]);
    expect(t.end).toEqual(MENU);
    expect(t.state).toMatchObject({ node: 'language', language: 'km', ended: false });
  });

  it('a caller whose language is known hears welcome.back, the key map and the main menu, in their language', () => {
    const [t] = call([], { caller: { language: 'jra' } });
    expect(t.heard).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    expect(t.state).toMatchObject({ node: 'main', language: 'jra' });
    expect(t.effects).toEqual([]);
  });

  it('initialState carries the caller language and last commune', () => {
    expect(initialState(context({ caller: { language: 'cmo', lastCommune: '120101' } }))).toMatchObject({
      language: 'cmo', vars: { lastCommune: '120101' }, silences: 0, invalids: 0, ended: false,
    });
  });
});

describe('language menu', () => {
  it.each(languages.languages.map((l) => [l.key, l.code]))('key %s chooses %s, which is remembered and used from the next prompt', (key, code) => {
    const [, t] = call([key]);
    expect(t.effects).toEqual([{ type: 'remember-language', language: code }]);
    expect(t.state.language).toBe(code);
    expect(t.heard).toEqual(['main.menu']);
  });

  it('a key that is no language: error.invalid and the language menu again, nothing remembered', () => {
    const [, t] = call(['#']);
    expect(t.heard.slice(0, 2)).toEqual(['error.invalid', 'language.menu']);
    expect(t.heard).toContain('language.option.km@km');
    expect(t.effects).toEqual([]);
  });

  it('9 reads the next languages (at most 4 options a menu), then the first again; every key works on every page', () => {
    const t = call(['9', '9', '9', '7']);
    expect(t[1].heard).toEqual(['language.menu', 'language.option.jra@jra', 'language.option.krr@krr', 'language.option.krv@krv', 'language.more']);
    expect(t[2].heard).toEqual(['language.menu', 'language.option.brb@brb', 'language.more']);
    expect(t[3].heard).toEqual(['language.menu', 'language.option.km@km', 'language.option.cmo@cmo', 'language.option.tpu@tpu', 'language.more']);
    expect(t[4].effects).toEqual([{ type: 'remember-language', language: 'brb' }]);
  });

  it('8 on the main menu goes back to the language menu', () => {
    const t = call(['8', '3'], KNOWN);
    expect(t[1].heard[0]).toBe('language.menu');
    expect(t[2].effects).toEqual([{ type: 'remember-language', language: 'tpu' }]);
  });
});

describe('keys that mean the same everywhere', () => {
  it('* repeats the current menu without counting as a mistake', () => {
    const t = call(['2', '*'], { caller: { language: 'km', lastCommune: '120101' } });
    expect(t[2].heard).toEqual(t[1].heard);
    expect(t[2].heard[0]).toBe('rate.commune.last');
    expect(t[2].state.invalids).toBe(0);
  });

  it('0 goes back to the main menu from any menu', () => {
    const t = call(['2', '120101', '1', '0'], KNOWN);
    expect(t[3].heard).toEqual(['rate.service.menu']);
    expect(t[4].heard).toEqual(['main.menu']);
    expect(t[4].state.node).toBe('main');
  });

  it('0 on the main menu itself is not an option', () => {
    const [, t] = call(['0'], KNOWN);
    expect(t.heard).toEqual(['error.invalid', 'main.menu']);
  });

  it('in code entry 0 is a digit: a code starting with 0 is accepted', () => {
    const t = call(['2', '010201'], KNOWN);
    expect(t[2].heard).toEqual(['rate.commune.confirm', ...digitsOf('010201'), 'rate.commune.confirm.press']);
    expect(t[2].state.vars.pendingCommune).toBe('010201');
  });

  it('in code entry a lone 0 is a (wrong) code, not the main menu', () => {
    const t = call(['2', '0'], KNOWN);
    expect(t[2].heard).toEqual(['rate.commune.unknown', 'digit.0', 'rate.commune.enter']);
    expect(t[2].state.node).toBe('rate.enter');
  });
});

describe('silence', () => {
  it('no key: error.noinput then the same question', () => {
    const t = call(['2', 'silence'], KNOWN);
    expect(t[2].heard).toEqual(['error.noinput', 'rate.commune.enter']);
    expect(t[2].end).toEqual(CODE);
  });

  it('the third silence in a row: goodbye and hang up; the call is over', () => {
    const t = call(['silence', 'silence', 'silence'], KNOWN);
    expect(t[1].heard).toEqual(['error.noinput', 'main.menu']);
    expect(t[2].heard).toEqual(['error.noinput', 'main.menu']);
    // The last words say how to get a free callback.
    expect(t[3].heard).toEqual(['goodbye.silence']);
    expect(t[3].end).toEqual({ type: 'hangup' });
    expect(t[3].state.ended).toBe(true);
  });

  it('a key between silences starts the count again', () => {
    const t = call(['silence', 'silence', '*', 'silence', 'silence'], KNOWN);
    expect(last(t).heard).toEqual(['error.noinput', 'main.menu']);
    expect(last(t).state.ended).toBe(false);
  });

  it('a turn after the call ended only hangs up again, with nothing played or kept', () => {
    const t = call(['silence', 'silence', 'silence', '1', 'silence'], KNOWN);
    for (const after of t.slice(4)) {
      expect(after.heard).toEqual([]);
      expect(after.end).toEqual({ type: 'hangup' });
      expect(after.effects).toEqual([]);
      expect(after.state.ended).toBe(true);
    }
  });
});

describe('invalid keys', () => {
  it('a key that is not an option: error.invalid then the same question', () => {
    const t = call(['2', '120101', '1', '7'], KNOWN);
    expect(t[4].heard).toEqual(['error.invalid', 'rate.service.menu']);
    expect(t[4].state.node).toBe('rate.service');
  });

  it('three invalid keys in a row on one question: back to the main menu', () => {
    const t = call(['2', '120101', '1', '7', '#', '9'], KNOWN);
    expect(t[5].heard).toEqual(['error.invalid', 'rate.service.menu']);
    // Never a move without a word: error.to.main says where the caller goes and that nothing is lost.
    expect(t[6].heard).toEqual(['error.to.main', 'main.menu']);
    expect(t[6].state).toMatchObject({ node: 'main', invalids: 0 });
  });

  it('three wrong keys at the main menu itself: error.invalid and the menu each time, never "start again from the main menu"', () => {
    const t = call(['7', '7', '7', '7'], KNOWN);
    for (const turn of t.slice(1)) {
      expect(turn.heard).toEqual(['error.invalid', 'main.menu']);
      expect(turn.state.node).toBe('main');
    }
  });

  it('invalid keys on two different questions do not add up', () => {
    const t = call(['2', '120101', '7', '7', '1', '7', '7'], KNOWN);
    expect(last(t).heard).toEqual(['error.invalid', 'rate.service.menu']);
    expect(last(t).state.node).toBe('rate.service');
  });

  it('a recording posted while a menu waits for a key is an invalid key', () => {
    const [, t] = call([recording('RE0000000001')], KNOWN);
    expect(t.heard).toEqual(['error.invalid', 'main.menu']);
    expect(t.effects).toEqual([]);
  });
});

describe('where: the commune', () => {
  it('an unknown code: rate.commune.unknown, its digits read back, then enter again', () => {
    const t = call(['2', '999999'], KNOWN);
    expect(t[1].heard).toEqual(['rate.commune.enter']);
    expect(t[1].end).toEqual(CODE);
    expect(t[2].heard).toEqual(['rate.commune.unknown', ...digitsOf('999999'), 'rate.commune.enter']);
    expect(t[2].end).toEqual(CODE);
  });

  it('a short code ended with # is unknown and read back without the #', () => {
    const t = call(['2', '12#'], KNOWN);
    expect(t[2].heard).toEqual(['rate.commune.unknown', 'digit.1', 'digit.2', 'rate.commune.enter']);
  });

  it('a known code followed by # is accepted', () => {
    const t = call(['2', '120101#'], KNOWN);
    expect(t[2].heard).toEqual(['rate.commune.confirm', ...digitsOf('120101'), 'rate.commune.confirm.press']);
  });

  it('three unknown codes in a row: the third is read back, then the main menu', () => {
    const t = call(['2', '999999', '888888', '777777'], KNOWN);
    expect(last(t).heard).toEqual(['rate.commune.unknown', ...digitsOf('777777'), 'error.to.main', 'main.menu']);
    expect(last(t).state.node).toBe('main');
  });

  it('a known code is confirmed by its name where recorded (content first), else by its digits; 1 keeps it, 2 enters again', () => {
    const named = call(['2', '120101'], { ...KNOWN, recorded: ['place.120101'] });
    // A place name is played from its one (Khmer) recording, whatever the caller's language.
    expect(named[2].heard).toEqual(['rate.commune.confirm', 'place.120101@km', 'rate.commune.confirm.press']);
    const t = call(['2', '120101', '1'], KNOWN);
    expect(t[3].effects).toEqual([{ type: 'remember-commune', communeCode: '120101' }]);
    expect(t[3].state.vars.communeCode).toBe('120101');
    expect(t[3].heard).toEqual(['rate.service.menu']);
    const again = call(['2', '120101', '2'], KNOWN);
    expect(again[3].heard).toEqual(['rate.commune.enter']);
    expect(again[3].effects).toEqual([]);
  });

  it('a caller with a last commune hears rate.commune.last with it read back; 1 rates there, 2 enters another', () => {
    const caller = { language: 'km', lastCommune: '120101' };
    const t = call(['2', '1'], { caller });
    expect(t[1].heard).toEqual(['rate.commune.last', ...digitsOf('120101')]);
    expect(t[2].heard).toEqual(['rate.service.menu']);
    expect(t[2].state.vars.communeCode).toBe('120101');
    expect(call(['2', '2'], { caller })[2].heard).toEqual(['rate.commune.enter']);
  });

  it('* instead of a code lists the provinces, eight to a page, each by its digits then its key, then rate.page.more', () => {
    const t = call(['2', '*'], KNOWN);
    const provinces = gazetteer.provinces.map((p) => p.code);
    expect(provinces.length).toBeGreaterThan(8);
    expect(t[2].heard).toEqual([
      'rate.province.menu',
      ...provinces.slice(0, 8).flatMap((code, i) => [...digitsOf(code), `digit.${i + 1}`]),
      'rate.page.more',
    ]);
    expect(t[2].end).toEqual(MENU);
  });

  it('a place whose name is recorded is named, the others read as digits', () => {
    const t = call(['2', '*'], { ...KNOWN, recorded: ['place.08'] });
    expect(t[2].heard).toContain('place.08@km');
    expect(t[2].heard.join()).not.toContain('place.01');
    expect(t[2].heard.slice(1, 4)).toEqual(['digit.0', 'digit.1', 'digit.1']);
  });

  it('province, district and commune from spoken lists: 9 turns the page, a key picks, the pick is confirmed', () => {
    const communes = gazetteer.childrenOf('0801').map((c) => c.code);
    expect(communes.length).toBeGreaterThan(16); // three pages: 8, 8 and the rest
    const provinceKey = String(gazetteer.provinces.findIndex((p) => p.code === '08') + 1);
    const districtKey = String(gazetteer.childrenOf('08').findIndex((d) => d.code === '0801') + 1);
    const t = call(['2', '*', provinceKey, districtKey, '9', '9', '9', '9', '3'], KNOWN);
    expect(t[3].heard[0]).toBe('rate.district.menu');
    expect(t[4].heard).toEqual([
      'rate.commune.menu', ...communes.slice(0, 8).flatMap((c, i) => [...digitsOf(c), `digit.${i + 1}`]), 'rate.page.more',
    ]);
    expect(t[5].heard).toEqual([
      'rate.commune.menu', ...communes.slice(8, 16).flatMap((c, i) => [...digitsOf(c), `digit.${i + 1}`]), 'rate.page.more',
    ]);
    expect(t[6].heard).toEqual([
      'rate.commune.menu', ...communes.slice(16).flatMap((c, i) => [...digitsOf(c), `digit.${i + 1}`]), 'rate.page.more',
    ]);
    expect(t[7].heard).toEqual(t[4].heard); // after the last page, the first again
    expect(t[8].heard).toEqual(t[5].heard);
    expect(t[9].heard).toEqual(['rate.commune.confirm', ...digitsOf(communes[10]), 'rate.commune.confirm.press']);
    expect(t[9].state.vars.pendingCommune).toBe(communes[10]);
  });

  it('while no province can be browsed by name, * has the caller say the place (a Record), never reading lists', () => {
    const t = call(['2', '*'], { ...KNOWN, places: { province: [] } });
    expect(t[1].heard).toEqual(['rate.commune.enter']);
    expect(t[2].heard).toEqual(['rate.place.say']);
    expect(t[2].end).toEqual({ type: 'record', maxLengthSeconds: 30 });
    expect(t[2].state.invalids).toBe(0);
  });

  it('provinces left out of the list (names missing) are announced after each page; # goes to code entry', () => {
    const t = call(['2', '*', '#'], { ...KNOWN, places: { province: ['08'], unlisted: 24 }, recorded: ['place.08'] });
    expect(t[1].heard).toEqual(['rate.commune.enter']);
    expect(t[2].heard).toEqual(['rate.province.menu', 'place.08@km', 'digit.1', 'rate.province.unlisted']);
    expect(t[3].heard).toEqual(['rate.commune.enter']);
    expect(t[3].state.node).toBe('rate.enter');
    // With every province listed, # is no option.
    const all = call(['2', '*', '#'], KNOWN);
    expect(all[2].heard).not.toContain('rate.province.unlisted');
    expect(last(all).heard[0]).toBe('error.invalid');
  });

  it('a key beyond the places on the last page is invalid', () => {
    const provinceKey = String(gazetteer.provinces.findIndex((p) => p.code === '08') + 1);
    const t = call(['2', '*', provinceKey, '1', '9', '9', '5'], KNOWN);
    expect(last(t).heard[0]).toBe('error.invalid');
    expect(last(t).heard[1]).toBe('rate.commune.menu');
  });
});

describe('how good: indicators 1 to 5', () => {
  const health = services.health;

  it('rate.intro once, then each indicator of the service, each answer confirmed by its scale label and saved at once', () => {
    const scores = ['4', '5', '3', '4', '2', '5'];
    const t = call(['2', '120101', '1', '2', '1', ...scores], KNOWN);
    expect(t[4].heard).toEqual(['rate.service.chosen.health', 'rate.used']);
    expect(t[5].heard).toEqual(['rate.intro', `indicator.health.${health[0]}`, 'rate.scale.short']);
    scores.forEach((score, i) => {
      const turn = t[6 + i];
      // The first save also notes the rating as begun, in case the call breaks off; the last one
      // forgets it. Saves in between note nothing: how far it got is in the call's ratings.
      const note = i === 0 ? [{ type: 'remember-unfinished-rating', rating: { communeCode: '120101', service: 'health', indicatorIndex: 1 } }]
        : i === health.length - 1 ? [{ type: 'forget-unfinished-rating' }] : [];
      expect(turn.effects).toEqual([{ type: 'save-rating', communeCode: '120101', service: 'health', indicatorId: health[i], score: Number(score) }, ...note]);
      expect(turn.heard[0]).toBe(`scale.${score}`);
      if (i < health.length - 1) expect(turn.heard.slice(1)).toEqual([`indicator.health.${health[i + 1]}`, 'rate.scale.short']);
    });
    expect(last(t).heard).toEqual(['scale.5', 'ask.gender']);
  });

  it.each(['0', '6', '8', '#'])('key %s on an indicator is not a score: nothing saved', (key) => {
    const t = call(['2', '120101', '1', '2', '1', key], KNOWN);
    expect(last(t).effects).toEqual([]);
    // 0 asks before leaving; a wrong key hears the rating's own invalid prompt, which names the scale.
    if (key === '0') expect(last(t).heard).toEqual(['rate.leave.ask']);
    else expect(last(t).heard).toEqual(['rate.invalid', `indicator.health.${health[0]}`, 'rate.scale.short']);
  });

  it('a caller who has rated before (a last commune) is not told the scale again: the statement and its short scale', () => {
    const t = call(['2', '1', '2', '1'], { caller: { language: 'km', lastCommune: '120101' } });
    expect(last(t).heard).toEqual([`indicator.health.${health[0]}`, 'rate.scale.short']);
  });

  it('* repeats the current indicator and the scale, not the first', () => {
    const t = call(['2', '120101', '1', '3', '1', '4', '*'], KNOWN);
    expect(last(t).heard).toEqual([`indicator.school.${services.school[1]}`, 'rate.scale.short']);
  });
});

describe('who: demographics once per call', () => {
  const rateHealth = ['2', '120101', '1', '2', '1', '4', '5', '3', '4', '2', '5'];

  it('gender, age and disability are asked after the ratings and kept as they are answered', () => {
    const t = call([...rateHealth, '1', '2', '2', '1'], KNOWN);
    const n = rateHealth.length;
    expect(t[n].heard).toEqual(['scale.5', 'ask.gender']);
    expect(t[n + 1].effects).toEqual([{ type: 'set-demographics', demographics: { gender: 'woman' } }]);
    expect(t[n + 1].heard).toEqual(['ask.age']);
    expect(t[n + 2].effects).toEqual([{ type: 'set-demographics', demographics: { gender: 'woman', ageGroup: '25-59' } }]);
    expect(t[n + 3].effects).toEqual([{ type: 'set-demographics', demographics: { gender: 'woman', ageGroup: '25-59', disability: 'no' } }]);
    expect(t[n + 3].heard).toEqual(['ask.idpoor']);
    // The last answer ends the questions: done, so the caller is not asked again this reporting year.
    expect(t[n + 4].effects).toEqual([{ type: 'set-demographics', demographics: { gender: 'woman', ageGroup: '25-59', disability: 'no', idPoor: 'yes' }, done: true }]);
    // Then the thanks (the rating is saved), and the promise-news offer (the call has a commune).
    expect(t[n + 4].heard).toEqual(['rate.thanks', 'jaap.alerts.offer']);
  });

  it('a second service rated in the same call skips the questions and the intro', () => {
    const t = call([...rateHealth, '3', '4', '3', '3', '0', '2', '1', '3', '1', '5', '5', '5', '5', '5'], KNOWN);
    expect(t[t.length - 9].heard).toEqual(['rate.commune.last', ...digitsOf('120101')]);
    expect(t[t.length - 6].heard).toEqual([`indicator.school.${services.school[0]}`, 'rate.scale.short']);
    expect(last(t).heard).toEqual(['scale.5', 'rate.thanks', 'rate.after']);
    expect(last(t).state.vars.demographics).toEqual({ gender: 'unstated', ageGroup: 'unstated', disability: 'unstated', idPoor: 'unstated' });
  });

  it('a caller who skips the questions with 0 hears rate.thanks and is not asked them again in that call', () => {
    const t = call([...rateHealth, '0', '0', '2', '1', '1', '1', '5', '5', '5', '5', '5'], KNOWN);
    expect(t[rateHealth.length + 1].heard).toEqual(['rate.thanks', 'jaap.alerts.offer']);
    expect(t[rateHealth.length + 1].effects).toEqual([{ type: 'set-demographics', demographics: {}, done: true }]);
    expect(last(t).heard).toEqual(['scale.5', 'rate.thanks', 'rate.after']);
    expect(t.flatMap((x) => x.heard).filter((p) => p === 'ask.gender')).toHaveLength(1);
  });
});

describe('voice message', () => {
  // ... the questions about the caller, 2: no promise news, 1: leave a message.
  const toMessage = ['2', '120101', '1', '1', '1', '5', '5', '5', '5', '5', '3', '4', '3', '3', '2', '1'];

  it('after rating, 1 records a message about this service: record, confirm, send, reference number twice, then the answer-call offer; * repeats them', () => {
    const t = call([...toMessage, recording('RE0000000001', '4821'), '1'], KNOWN);
    const [intro, recorded, sent] = t.slice(-3);
    expect(intro.heard).toEqual(['message.intro']);
    expect(intro.end).toEqual({ type: 'record', maxLengthSeconds: 120 });
    expect(recorded.heard).toEqual(['message.confirm']);
    expect(recorded.effects).toEqual([]);
    expect(sent.effects).toEqual([{
      type: 'save-message', communeCode: '120101', service: 'commune',
      recording: { recordingSid: 'RE0000000001', recordingUrl: 'https://carrier.example/RE0000000001', durationSeconds: 12, referenceNumber: '4821' },
    }]);
    const readBack = ['message.saved', ...digitsOf('4821'), 'message.reference.again', ...digitsOf('4821'), 'message.answer.ask'];
    expect(sent.heard).toEqual(readBack);
    expect(sent.end).toEqual(MENU);
    const again = call([...toMessage, recording('RE0000000001', '4821'), '1', '*'], KNOWN);
    expect(last(again).heard).toEqual(readBack);
    expect(last(again).effects).toEqual([]);
  });

  it('after sending, 1 asks for the answer call (the message named), 2 declines; both hear the number once more, then * repeats it and 1 goes to the main menu', () => {
    const after = ['message.reference.again', ...digitsOf('4821'), 'message.saved.after'];
    const yes = call([...toMessage, recording('RE0000000001', '4821'), '1', '1'], KNOWN);
    expect(last(yes).effects).toEqual([{ type: 'request-answer-call', messageId: 'RE0000000001' }]);
    expect(last(yes).heard).toEqual(['message.answer.yes', ...after]);
    expect(last(yes).end).toEqual(MENU);
    const no = call([...toMessage, recording('RE0000000001', '4821'), '1', '2'], KNOWN);
    expect(last(no).effects).toEqual([]);
    expect(last(no).heard).toEqual(after);
    const then = call([...toMessage, recording('RE0000000001', '4821'), '1', '2', '*', '1'], KNOWN);
    expect(then[then.length - 2].heard).toEqual(after);
    expect(then[then.length - 2].effects).toEqual([]);
    expect(last(then).heard).toEqual(['main.menu']);
  });

  it('2 records again: the first recording is discarded and only the second is sent', () => {
    const t = call([...toMessage, recording('RE0000000001', '1111'), '2', recording('RE0000000002', '2222'), '1'], KNOWN);
    const [, again, , sent] = t.slice(-4);
    expect(again.effects).toEqual([{ type: 'discard-recording', recording: expect.objectContaining({ recordingSid: 'RE0000000001' }) }]);
    expect(again.heard).toEqual(['message.intro']);
    expect(sent.effects).toEqual([expect.objectContaining({ type: 'save-message', recording: expect.objectContaining({ recordingSid: 'RE0000000002' }) })]);
  });

  it('from the main menu without a commune, the caller is asked where and what first, in the message path\'s own words', () => {
    const t = call(['3', '120101', '1', '2'], KNOWN);
    expect(t[1].heard).toEqual(['rate.commune.enter']);
    expect(t[2].heard).toEqual(['rate.commune.confirm', ...digitsOf('120101'), 'rate.commune.confirm.press']);
    expect(t[3].heard).toEqual(['message.service.menu']);
    expect(last(t).heard).toEqual(['message.intro']);
    expect(last(t).end.type).toBe('record');
    expect(last(t).state.vars).toMatchObject({ communeCode: '120101', service: 'health', purpose: 'message' });
  });

  it('a caller with a last commune who wants to leave a message hears message.commune.last, never a rating prompt', () => {
    const t = call(['3', '1', '3'], { caller: { language: 'km', lastCommune: '120101' } });
    expect(t[1].heard).toEqual(['message.commune.last', ...digitsOf('120101')]);
    expect(t[2].heard).toEqual(['message.service.menu']);
    expect(last(t).heard).toEqual(['message.intro']);
    expect(last(t).state.vars).toMatchObject({ communeCode: '120101', service: 'school' });
    const other = call(['3', '2', '120109', '1', '1'], { caller: { language: 'km', lastCommune: '120101' } });
    expect(other[2].heard).toEqual(['rate.commune.enter']);
    expect(other[4].heard).toEqual(['message.service.menu']);
    expect(last(other).heard).toEqual(['message.intro']);
    const heard = [...t, ...other].flatMap((x) => x.heard);
    expect(heard.filter((id) => /^rate\.(commune\.last|service\.menu|intro|thanks)$/.test(id))).toEqual([]);
  });

  it('browsing by name on the message path also ends at the message service menu', () => {
    const t = call(['3', '*', '1', '1', '1', '1'], KNOWN);
    expect(last(t).heard).toEqual(['message.service.menu']);
  });

  it('a recording that ends in silence (the Redirect after Record) hears error.noinput and the recording prompt again', () => {
    const t = call(['3', '120101', '1', '2', 'silence'], KNOWN);
    expect(last(t).heard).toEqual(['error.noinput', 'message.intro']);
    expect(last(t).end).toEqual({ type: 'record', maxLengthSeconds: 120 });
    expect(last(t).effects).toEqual([]);
  });

  it('keys pressed instead of recording are invalid; nothing is sent', () => {
    const t = call(['3', '120101', '1', '2', '5'], KNOWN);
    expect(last(t).heard).toEqual(['error.invalid', 'message.intro']);
    expect(last(t).effects).toEqual([]);
  });
});

describe('a multi-key entry that arrives in pieces (a carrier that ends a Gather on a 2 s pause, as Somleng does)', () => {
  const SOMLENG = { ...KNOWN, keyGapSeconds: 2 };

  it('a short code is kept and the rest gathered without a word; once whole it is read back', () => {
    const t = call(['2', '12', '01', '01'], SOMLENG);
    expect(t[2].heard).toEqual([]);
    expect(t[2].end).toEqual({ ...CODE, numDigits: 4 });
    expect(t[2].state.partialKeys).toBe('12');
    expect(t[3].heard).toEqual([]);
    expect(t[3].end).toEqual({ ...CODE, numDigits: 2 });
    expect(t[4].heard).toEqual(['rate.commune.confirm', ...digitsOf('120101'), 'rate.commune.confirm.press']);
    expect(t[4].state.partialKeys).toBeUndefined();
    expect(t[4].state.vars.pendingCommune).toBe('120101');
  });

  it('when the rest never comes within the code wait, what was typed is read back as unknown, not counted as a silence', () => {
    const t = call(['2', '12', 'silence'], SOMLENG);
    expect(t[3].heard).toEqual(['rate.commune.unknown', 'digit.1', 'digit.2', 'rate.commune.enter']);
    expect(t[3].state.silences).toBe(0);
    expect(t[3].state.partialKeys).toBeUndefined();
  });

  it('# ends a short code at once, and * still means "I do not know the code"', () => {
    expect(call(['2', '12#'], SOMLENG)[2].heard).toEqual(['rate.commune.unknown', 'digit.1', 'digit.2', 'rate.commune.enter']);
    expect(call(['2', '12', '*'], SOMLENG)[3].state.node).toBe(call(['2', '*'], KNOWN)[2].state.node);
  });

  it('where the Gather timeout covers the gaps (Twilio), a short code means the caller stopped: it is answered at once', () => {
    expect(call(['2', '12'], KNOWN)[2].heard).toEqual(['rate.commune.unknown', 'digit.1', 'digit.2', 'rate.commune.enter']);
  });

  it('single-key menus are not held back', () => {
    expect(call(['2', '120101', '1'], SOMLENG)[3].heard).toEqual(['rate.service.menu']);
  });
});

describe('a recording with nothing said in it', () => {
  it('is silence: error.noinput and the recording question again, and it is discarded', () => {
    const silent: FlowInput = { type: 'recording', recordingSid: 'RE-silent', recordingUrl: 'https://carrier.example/RE-silent', durationSeconds: 0, referenceNumber: '', silent: true };
    const t = call(['3', '120101', '1', '2', silent], KNOWN);
    expect(last(t).heard).toEqual(['error.noinput', 'message.intro']);
    expect(last(t).end).toEqual({ type: 'record', maxLengthSeconds: 120 });
    expect(last(t).effects).toEqual([{ type: 'discard-recording', recording: expect.objectContaining({ recordingSid: 'RE-silent' }) }]);
    expect(last(t).state.silences).toBe(1);
    expect(last(t).state.vars.recording).toBeUndefined();
  });
});

describe('a shorter start (issue 22)', () => {
  it('a callback opens with welcome.callback, whoever calls: a new caller then chooses a language, a known one goes to the main menu', () => {
    const [fresh] = call([], { caller: { callback: true } });
    expect(fresh.heard.slice(0, 3)).toEqual(['welcome.callback', 'keys.intro', 'language.menu']);
    const [known] = call([], { caller: { language: 'km', callback: true } });
    expect(known.heard).toEqual(['welcome.callback', 'keys.intro', 'main.menu']);
  });

  it('with one language offered there is no language menu: the welcome, the key map, the main menu', () => {
    const ctx = { ...context(), languages: [{ code: 'km', key: '1' }] };
    const r = step(flow, null, { type: 'start' }, ctx);
    expect(r.output.prompts.map((p) => p.id)).toEqual(['welcome', 'keys.intro', 'main.menu']);
    expect(r.state).toMatchObject({ node: 'main', language: 'km' });
  });

  it('silence at the language menu chooses the default language (for Khmer, stay on the line), remembered, not counted as a silence', () => {
    const [, t] = call(['silence']);
    expect(t.heard).toEqual(['main.menu']);
    expect(t.effects).toEqual([{ type: 'remember-language', language: 'km' }]);
    expect(t.state).toMatchObject({ node: 'main', language: 'km', silences: 0 });
  });
});

describe('the scale where it is needed (issue 22)', () => {
  const health = services.health;
  const toFirstQuestion = ['2', '120101', '1', '2', '1'];

  it('9 is "don\'t know / did not use": kept without a score, confirmed by rate.dontknow, and the next statement follows', () => {
    const t = call([...toFirstQuestion, '9'], KNOWN);
    expect(last(t).effects[0]).toEqual({ type: 'save-rating', communeCode: '120101', service: 'health', indicatorId: health[0], score: null, noScore: 'dont-know' });
    expect(last(t).heard).toEqual(['rate.dontknow', `indicator.health.${health[1]}`, 'rate.scale.short']);
  });

  it('the first question asks whether the caller used the service; 2 rates nothing and offers a message instead', () => {
    const t = call(['2', '120101', '1', '2', '2', '1'], KNOWN);
    expect(t[5].heard).toEqual(['rate.not.used']);
    expect(t[5].effects).toEqual([]);
    expect(last(t).heard).toEqual(['message.intro']);
    expect(t.flatMap((x) => x.effects).filter((e) => e.type === 'save-rating')).toEqual([]);
  });

  it('0 on a rating question asks first: 1 goes on at the same statement, 0 again leaves for the main menu; nothing is lost', () => {
    const goOn = call([...toFirstQuestion, '4', '0', '1'], KNOWN);
    expect(goOn[goOn.length - 2].heard).toEqual(['rate.leave.ask']);
    expect(last(goOn).heard).toEqual([`indicator.health.${health[1]}`, 'rate.scale.short']);
    expect(last(goOn).state.vars.leaving).toBeUndefined();
    const leave = call([...toFirstQuestion, '4', '0', '0'], KNOWN);
    expect(last(leave).heard).toEqual(['main.menu']);
    expect(last(leave).effects).toEqual([]);
    const repeat = call([...toFirstQuestion, '0', '*'], KNOWN);
    expect(last(repeat).heard).toEqual(['rate.leave.ask']);
  });

  it('three wrong keys on a rating question: the rating prompt twice, then error.to.main and the main menu', () => {
    const t = call([...toFirstQuestion, '7', '7', '7'], KNOWN);
    expect(t[6].heard[0]).toBe('rate.invalid');
    expect(t[7].heard[0]).toBe('rate.invalid');
    expect(last(t).heard).toEqual(['error.to.main', 'main.menu']);
  });
});

describe('ask once (issue 22)', () => {
  it('a caller who answered this reporting year is not asked again, and their answers are on the call', () => {
    const known = { gender: 'woman', ageGroup: '60-plus', disability: 'no', idPoor: 'yes' };
    const t = call(['2', '120101', '1', '2', '1', '4', '5', '3', '4', '2', '5'], { caller: { language: 'km', demographics: known } });
    expect(last(t).heard).toEqual(['scale.5', 'rate.thanks', 'jaap.alerts.offer']);
    expect(last(t).state.vars.demographics).toEqual(known);
  });
});

describe('say what happens (issue 22)', () => {
  it('silence after an information topic ends the call politely instead of replaying it', () => {
    const t = call(['1', '2', '2', 'silence'], KNOWN);
    expect(t[3].heard).toEqual(['info.health.fees.1', 'info.more']);
    expect(last(t).heard).toEqual(['goodbye']);
    expect(last(t).end).toEqual({ type: 'hangup' });
  });

  it('the privacy detail is an information topic of its own (4)', () => {
    const t = call(['1', '4'], KNOWN);
    expect(last(t).heard).toEqual(['info.privacy', 'info.after']);
  });
});

describe('I4C in pieces of about 20 s (issue 22, item 8)', () => {
  const fees = i4c.pieceCount('health', 'fees', 'km');

  it('the shipped fees topic is more than one piece (else this block tests nothing)', () => {
    expect(fees).toBeGreaterThan(1);
  });

  it('each piece but the last says "for more, press 1"; 1 plays the next; the last goes to info.after', () => {
    const more = Array.from({ length: fees - 1 }, () => '1');
    const t = call(['1', '2', '2', ...more], KNOWN);
    for (let piece = 1; piece < fees; piece++) {
      expect(t[2 + piece].heard).toEqual([`info.health.fees.${piece}`, 'info.more']);
      expect(t[2 + piece].end).toEqual(MENU);
    }
    expect(last(t).heard).toEqual([`info.health.fees.${fees}`, 'info.after']);
  });

  it('* repeats the piece being heard, not the topic from the start', () => {
    const t = call(['1', '2', '2', '1', '*'], KNOWN);
    expect(last(t).heard).toEqual(['info.health.fees.2', fees > 2 ? 'info.more' : 'info.after']);
  });

  it('9 goes to the other topics and 0 to the main menu from any piece', () => {
    expect(last(call(['1', '2', '2', '1', '9'], KNOWN)).heard).toEqual(['info.health.menu']);
    expect(last(call(['1', '2', '2', '1', '0'], KNOWN)).heard).toEqual(['main.menu']);
  });

  it('on the last piece 1 is not an option, and a topic heard again starts at its first piece', () => {
    const more = Array.from({ length: fees - 1 }, () => '1');
    const t = call(['1', '2', '2', ...more, '1'], KNOWN);
    expect(last(t).heard).toEqual(['error.invalid', `info.health.fees.${fees}`, 'info.after']);
    const again = call(['1', '2', '2', '1', '9', '2'], KNOWN);
    expect(last(again).heard).toEqual(['info.health.fees.1', 'info.more']);
  });

  it('silence after a middle piece ends the call politely', () => {
    const t = call(['1', '2', '2', '1', 'silence'], KNOWN);
    expect(last(t).heard).toEqual(['goodbye']);
    expect(last(t).end).toEqual({ type: 'hangup' });
  });
});

describe('promise news (issue 26)', () => {
  // A rating of 120101's health centre, then the four questions about the caller.
  const rated = ['2', '120101', '1', '2', '1', '4', '5', '3', '4', '2', '5', '1', '2', '2', '1'];
  const news = { newsCallId: 'entry-1', communeCode: '120101', items: [{ service: 'health', status: 'done' }, { service: 'school', status: 'ongoing' }] };
  const toSent = ['3', '120101', '1', '2', recording('RE0000000001', '4821'), '1'];

  it('after a rating, the caller hears it is saved, then 1 at the offer signs her up for that commune and the call goes on to rate.after', () => {
    const t = call([...rated, '1'], KNOWN);
    expect(t[t.length - 2].heard).toEqual(['rate.thanks', 'jaap.alerts.offer']);
    expect(t[t.length - 2].end).toEqual(MENU);
    expect(last(t).effects).toEqual([{ type: 'subscribe-promise-alerts', communeCode: '120101' }]);
    expect(last(t).heard).toEqual(['jaap.alerts.offer.yes', 'rate.after']);
  });

  it('silence or another key at the offer is no: nothing kept, no silence counted, rate.after', () => {
    for (const answer of ['silence', '2']) {
      const t = call([...rated, answer], KNOWN);
      expect(last(t).effects).toEqual([]);
      expect(last(t).heard).toEqual(['rate.after']);
      expect(last(t).state.silences).toBe(0);
    }
  });

  it('a withheld number, or a caller signed up for the commune already is not offered it', () => {
    expect(last(call(rated, { caller: { ...KM, withheld: true } })).heard).toEqual(['rate.thanks', 'rate.after']);
    expect(last(call(rated, { caller: { ...KM, alertCommunes: ['120101'] } })).heard).toEqual(['rate.thanks', 'rate.after']);
    // Signed up for another commune only: offered for this one.
    expect(last(call(rated, { caller: { ...KM, alertCommunes: ['120102'] } })).heard).toEqual(['rate.thanks', 'jaap.alerts.offer']);
  });

  it('after a voice message and the answer-call offer, the message path offers it too, once per call', () => {
    const t = call([...toSent, '2', '1'], KNOWN);
    expect(t[t.length - 2].heard).toEqual(['jaap.alerts.offer']);
    expect(last(t).effects).toEqual([{ type: 'subscribe-promise-alerts', communeCode: '120101' }]);
    expect(last(t).heard).toEqual(['jaap.alerts.offer.yes', 'message.reference.again', ...digitsOf('4821'), 'message.saved.after']);
    // Declined after a rating: not offered again after the message that follows in the same call.
    const declined = call([...rated, '2', '1', recording('RE0000000002', '4821'), '1', '2'], KNOWN);
    expect(last(declined).heard).toEqual(['message.reference.again', ...digitsOf('4821'), 'message.saved.after']);
  });

  it('a news call opens with its own words and tells each changed item by service and status, then how to stop', () => {
    const [t] = call([], { caller: { ...KM, callback: true, promiseNews: news } });
    expect(t.heard).toEqual([
      'jaap.alerts.intro', 'jaap.alerts.service.health', 'jaap.alerts.status.done', 'jaap.alerts.service.school', 'jaap.alerts.status.ongoing', 'jaap.alerts.stop.press',
    ]);
    expect(t.end).toEqual(MENU);
    expect(t.state.node).toBe('jaap.alerts.news');
  });

  it('in a news call 9 stops the news for that commune and ends the call; * repeats; silence or another key ends it with goodbye', () => {
    const caller = { caller: { ...KM, callback: true, promiseNews: news } };
    const stop = call(['9'], caller);
    expect(last(stop).effects).toEqual([{ type: 'stop-promise-alerts', newsCallId: 'entry-1', communeCode: '120101' }]);
    expect(last(stop).heard).toEqual(['jaap.alerts.stopped']);
    expect(last(stop).end).toEqual({ type: 'hangup' });
    expect(last(call(['*'], caller)).heard).toEqual(call([], caller)[0].heard.slice(1));
    for (const other of ['silence', '5']) {
      const t = call([other], caller);
      expect(last(t).effects).toEqual([]);
      expect(last(t).heard).toEqual(['goodbye']);
      expect(last(t).end).toEqual({ type: 'hangup' });
    }
  });

  it('a news call with nothing left to tell (withdrawn meanwhile) says goodbye and ends', () => {
    const [t] = call([], { caller: { ...KM, callback: true, promiseNews: { newsCallId: 'entry-1', communeCode: '120101', items: [] } } });
    expect(t.heard).toEqual(['jaap.alerts.intro', 'goodbye']);
    expect(t.end).toEqual({ type: 'hangup' });
  });
});
