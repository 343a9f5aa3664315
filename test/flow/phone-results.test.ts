import * as path from 'node:path';
import { loadLanguages } from '../../src/config/languages';
import { loadFlow } from '../../src/flow/definition';
import { step } from '../../src/flow/engine';
import { CommuneResults, Effect, FlowContext, FlowInput, StepResult, TurnEnd } from '../../src/flow/types';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { loadCatalog } from '../../src/prompts/catalog';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';

/**
 * Flow fixtures for results and promises by phone (main-menu key 4): the shipped flow, a commune's
 * published results as the app reads them before a turn, a list of keys -> what the caller hears
 * and what the app is asked to keep.
 */

const root = path.resolve(__dirname, '../..');
const languages = loadLanguages(path.join(root, 'config/languages.json'));
const services = indicatorIds(loadScorecard(path.join(root, 'config/scorecard.json')));
const catalog = loadCatalog(path.join(root, 'prompts/catalog.json'));
const gazetteer = loadGazetteer(path.join(root, 'data/gazetteer'));
const flow = loadFlow(path.join(root, 'flows/default.json'), { services, languages: languages.languages.map((l) => l.code), hasPrompt: (id) => id in catalog.prompts });

const COMMUNE = '010201';
const RESULTS: CommuneResults = {
  communeCode: COMMUNE,
  services: [
    { service: 'commune', status: 'shown', tenths: 7, underOne: false, overNine: false },
    { service: 'health', status: 'too-few' },
    { service: 'school', status: 'shown', tenths: 10, underOne: false, overNine: true },
  ],
  promises: [
    { itemId: '010201-2026-A1', service: 'health', indicatorId: 'waiting-time', month: 3, status: 'done', askCheck: true },
    { itemId: '010201-2026-B1', service: 'school', month: 11, status: 'ongoing', askCheck: false },
  ],
};

interface Options { lastCommune?: string; language?: string; results?: CommuneResults | null; recorded?: string[] }

function context(o: Options, caller: FlowContext['caller']): FlowContext {
  const recorded = new Set(o.recorded ?? []);
  return {
    defaultLanguage: 'km',
    languages: languages.languages.map((l) => ({ code: l.code, key: l.key })),
    caller,
    isCommune: (code) => gazetteer.isCommune(code),
    places: () => [],
    indicators: (service) => services[service] ?? [],
    hasRecording: (id) => recorded.has(id),
    communeResults: (code) => (o.results === null ? undefined : code === (o.results ?? RESULTS).communeCode ? o.results ?? RESULTS : { communeCode: code, services: null, promises: null }),
  };
}

/** A known caller at the main menu, then each key in turn. */
function call(keys: (string | FlowInput)[], o: Options = {}): { heard: string[]; end: TurnEnd; effects: Effect[]; node: string }[] {
  const first = context(o, { language: o.language ?? 'km', ...(o.lastCommune ? { lastCommune: o.lastCommune } : {}) });
  let r: StepResult = step(flow, null, { type: 'start' }, first);
  const turns = [];
  for (const k of keys) {
    r = step(flow, r.state, typeof k === 'string' ? (k === 'silence' ? { type: 'silence' } : { type: 'digits', digits: k }) : k, context(o, {}));
    turns.push({ heard: r.output.prompts.map((p) => (p.language ? `${p.id}@${p.language}` : p.id)), end: r.output.end, effects: r.effects, node: r.state.node });
  }
  return turns;
}

const PROMISES_UNTIL_CHECK = [
  'jaap.intro',
  'jaap.promised', 'jaap.about.health', 'indicator.health.waiting-time', 'jaap.by', 'month.3', 'jaap.status', 'jaap.status.done', 'jaap.check.ask',
];
const KHMER_RESULTS = [
  'results.intro', 'digit.0', 'digit.1', 'digit.0', 'digit.2', 'digit.0', 'digit.1',
  'results.service.commune', 'number.5', 'number.2', 'results.satisfied',
  'results.service.health', 'results.too.few',
  'results.service.school', 'results.satisfied.over.nine',
];

describe('results and promises by phone (key 4)', () => {
  it('a withheld figure is followed by the whole district\'s, where the district has one (the wider view), and by nothing more where it has none', () => {
    const withDistrict: CommuneResults = { ...RESULTS, services: [{ service: 'health', status: 'too-few', district: { tenths: 6, underOne: false, overNine: false } }], promises: [] };
    const [heard] = call(['4', '1'], { lastCommune: COMMUNE, results: withDistrict }).slice(1);
    expect(heard.heard.slice(heard.heard.indexOf('results.service.health'), heard.heard.indexOf('jaap.none'))).toEqual([
      'results.service.health', 'results.too.few', 'results.district', 'number.5', 'number.1', 'results.satisfied',
    ]);
    const underOne: CommuneResults = { ...withDistrict, services: [{ service: 'health', status: 'too-few', district: { tenths: 0, underOne: true, overNine: false } }] };
    expect(call(['4', '1'], { lastCommune: COMMUNE, results: underOne })[1].heard).toContain('results.satisfied.under.one');
    const noDistrict: CommuneResults = { ...withDistrict, services: [{ service: 'health', status: 'too-few' }] };
    const plain = call(['4', '1'], { lastCommune: COMMUNE, results: noDistrict })[1].heard;
    expect(plain.slice(plain.indexOf('results.service.health'), plain.indexOf('jaap.none'))).toEqual(['results.service.health', 'results.too.few']);
  });

  it('a caller with a last commune is offered it by name first; 1 hears each service out of 10 in Khmer number words, then the promises up to "was it done?"', () => {
    const [offer, heard] = call(['4', '1'], { lastCommune: COMMUNE });
    expect(offer.heard).toEqual(['results.commune.last', 'digit.0', 'digit.1', 'digit.0', 'digit.2', 'digit.0', 'digit.1']);
    expect(offer.node).toBe('results.last');
    // Seven is five and two in Khmer (ប្រាំពីរ); a withheld figure is a plain sentence, never a number.
    expect(heard.heard).toEqual([...KHMER_RESULTS, ...PROMISES_UNTIL_CHECK]);
    expect(heard.node).toBe('results.hear');
    expect(heard.end).toEqual({ type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 });
    expect(heard.effects).toEqual([]);
  });

  it('an English caller hears seven as one word: the composition follows the caller\'s language', () => {
    const [, heard] = call(['4', '1'], { lastCommune: COMMUNE, language: 'en' });
    expect(heard.heard.slice(7, 11)).toEqual(['results.service.commune', 'number.7', 'results.satisfied', 'results.service.health']);
  });

  it('answering "no" (3) keeps a check of that item, thanks the caller, and goes on to the next item and the end', () => {
    const [, , answered] = call(['4', '1', '3'], { lastCommune: COMMUNE });
    expect(answered.effects).toEqual([{ type: 'check-jaap-item', itemId: '010201-2026-A1', communeCode: COMMUNE, answer: 'no' }]);
    expect(answered.heard).toEqual(['jaap.check.thanks', 'jaap.promised', 'jaap.about.school', 'jaap.by', 'month.11', 'jaap.status', 'jaap.status.ongoing', 'results.after']);
  });

  it.each([['1', 'yes'], ['2', 'partly']])('key %s is kept as %s', (key, answer) => {
    const [, , answered] = call(['4', '1', key], { lastCommune: COMMUNE });
    expect(answered.effects).toEqual([expect.objectContaining({ type: 'check-jaap-item', answer })]);
  });

  it('9 ("I do not know") keeps nothing; hearing it all again (1) does not ask about that item again in the call', () => {
    const [, , skipped, again] = call(['4', '1', '9', '1'], { lastCommune: COMMUNE });
    expect(skipped.effects).toEqual([]);
    expect(skipped.heard[0]).toBe('jaap.promised');
    expect(again.heard).toEqual([...KHMER_RESULTS, ...PROMISES_UNTIL_CHECK.slice(0, -1), 'jaap.promised', 'jaap.about.school', 'jaap.by', 'month.11', 'jaap.status', 'jaap.status.ongoing', 'results.after']);
  });

  it('a wrong key at "was it done?" keeps nothing and asks again; * repeats the question; 0 is the main menu', () => {
    const [, , wrong, star, zero] = call(['4', '1', '7', '*', '0'], { lastCommune: COMMUNE });
    expect(wrong.effects).toEqual([]);
    expect(wrong.heard).toEqual(['error.invalid', 'jaap.check.ask']);
    expect(star.heard).toEqual(['jaap.check.ask']);
    expect(zero.node).toBe('main');
  });

  it('an item the caller has checked in an earlier call (askCheck false) is not asked about', () => {
    const results = { ...RESULTS, promises: RESULTS.promises!.map((p) => ({ ...p, askCheck: false })) };
    const [, heard] = call(['4', '1'], { lastCommune: COMMUNE, results });
    expect(heard.heard).not.toContain('jaap.check.ask');
    expect(heard.heard.at(-1)).toBe('results.after');
  });

  it('silence after everything was heard ends the call politely', () => {
    const results = { ...RESULTS, promises: [] };
    const [, heard, silence] = call(['4', '1', 'silence'], { lastCommune: COMMUNE, results });
    expect(heard.heard.slice(-2)).toEqual(['jaap.none', 'results.after']);
    expect(silence.heard).toEqual(['goodbye']);
    expect(silence.end).toEqual({ type: 'hangup' });
  });

  it('an item with a recording of its own is played by it (in Khmer) instead of what it is about', () => {
    const [, heard] = call(['4', '1'], { lastCommune: COMMUNE, recorded: ['jaap.item.010201-2026-a1'] });
    expect(heard.heard).toContain('jaap.item.010201-2026-a1@km');
    expect(heard.heard).not.toContain('jaap.about.health');
  });

  it('a commune with nothing published and no JAAP hears so in two plain sentences', () => {
    const [, heard] = call(['4', '1'], { lastCommune: COMMUNE, results: { communeCode: COMMUNE, services: null, promises: null } });
    expect(heard.heard).toEqual(['results.none', 'jaap.none', 'results.after']);
  });

  it('a new caller chooses the commune by code as on the rating path, and confirming it goes to its results (and remembers it)', () => {
    const [where, confirm, heard] = call(['4', COMMUNE, '1']);
    expect(where.node).toBe('results.enter');
    expect(confirm.heard[0]).toBe('rate.commune.confirm');
    expect(heard.effects).toEqual([{ type: 'remember-commune', communeCode: COMMUNE }]);
    expect(heard.heard.slice(0, 7)).toEqual(KHMER_RESULTS.slice(0, 7));
  });

  it('at the results path\'s code entry * never offers to say the place (a place still to confirm has no results): it asks for the code again', () => {
    const [where, star] = call(['4', '*']);
    expect(where.heard).toEqual(['rate.commune.enter.code']);
    expect(star.node).toBe('results.enter');
    expect(star.heard).toEqual(['rate.commune.enter.code']);
  });

  it('results the app did not read before the turn are a flow error (the app returns the caller to the main menu), never a wrong answer', () => {
    expect(() => call(['4', '1'], { lastCommune: COMMUNE, results: null })).toThrow(/results of commune 010201 were not read/);
  });
});
