import * as path from 'node:path';
import { loadLanguages } from '../../src/config/languages';
import { loadFlow } from '../../src/flow/definition';
import { step } from '../../src/flow/engine';
import { Effect, FlowContext, FlowInput, StepResult } from '../../src/flow/types';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { loadCatalog } from '../../src/prompts/catalog';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';
import { loadProgrammeAreas, parseProgrammeAreas, ProgrammePlaces } from '../../src/site/programme-areas';

/**
 * Flow fixtures for programme areas (the shipped flow and the shipped sample
 * config/programme-areas.json): communes chosen by name 4 to a menu, the caller's last place
 * first, 9 for more, 5 for code entry; confirmation by name, content first; the facility chosen
 * by name where a commune has several of the service, and read back with the service.
 */

const root = path.resolve(__dirname, '../..');
const languages = loadLanguages(path.join(root, 'config/languages.json'));
const services = indicatorIds(loadScorecard(path.join(root, 'config/scorecard.json')));
const catalog = loadCatalog(path.join(root, 'prompts/catalog.json'));
const gazetteer = loadGazetteer(path.join(root, 'data/gazetteer'));
const flow = loadFlow(path.join(root, 'flows/default.json'), { services, languages: languages.languages.map((l) => l.code), hasPrompt: (id) => id in catalog.prompts });
const areas = loadProgrammeAreas(path.join(root, 'config/programme-areas.json'), { gazetteer, services: Object.keys(services) });

const ALL_NAMES = new ProgrammePlaces(areas, () => true).promptIds();

function context(recorded: readonly string[], caller: FlowContext['caller'] = { language: 'km' }): FlowContext {
  const has = new Set(recorded);
  const programme = new ProgrammePlaces(areas, (id) => has.has(id));
  return {
    defaultLanguage: 'km',
    languages: [{ code: 'km', key: '1' }],
    caller,
    isCommune: (code) => gazetteer.isCommune(code),
    places: () => [],
    indicators: (service) => services[service] ?? [],
    hasRecording: (id) => has.has(id),
    programmeCommunes: () => programme.communes(),
    facilities: (commune, service) => programme.choosable(commune, service),
  };
}

interface Heard { heard: string[]; effects: Effect[]; result: StepResult }
function call(inputs: string[], opts: { recorded?: readonly string[]; caller?: FlowContext['caller'] } = {}): Heard[] {
  const recorded = opts.recorded ?? ALL_NAMES;
  let result = step(flow, null, { type: 'start' }, context(recorded, opts.caller));
  const out: Heard[] = [{ heard: result.output.prompts.map((p) => (p.language ? `${p.id}@${p.language}` : p.id)), effects: result.effects, result }];
  for (const digits of inputs) {
    const input: FlowInput = { type: 'digits', digits };
    result = step(flow, result.state, input, context(recorded, {}));
    out.push({ heard: result.output.prompts.map((p) => (p.language ? `${p.id}@${p.language}` : p.id)), effects: result.effects, result });
  }
  return out;
}
const named = (code: string, key: number) => [`place.${code}@km`, `digit.${key}`];

describe('programme communes by name', () => {
  it('a caller without a last place hears the programme communes, 4 to a menu, with "more" and "not in the list"', () => {
    const t = call(['2']);
    expect(t[1].heard).toEqual([
      'rate.area.menu', ...named('080101', 1), ...named('080102', 2), ...named('080103', 3), ...named('080104', 4), 'rate.area.more', 'rate.area.not.listed',
    ]);
    expect(t[1].result.output.end).toEqual({ type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 });
  });

  it('9 hears the next names; a key picks one, which is read back by name, content first, with its district', () => {
    const t = call(['2', '9', '1', '1']);
    expect(t[2].heard).toEqual(['rate.area.menu', ...named('080105', 1), 'rate.area.more', 'rate.area.not.listed']);
    expect(t[3].heard).toEqual(['rate.commune.confirm', 'place.080105@km', 'place.0801@km', 'rate.commune.confirm.press']);
    expect(t[4].effects).toEqual([{ type: 'remember-commune', communeCode: '080105' }]);
    expect(t[4].heard).toEqual(['rate.service.menu']);
  });

  it('5 ("not in the list") goes to code entry, and a code still works', () => {
    const t = call(['2', '5', '120101']);
    expect(t[2].heard).toEqual(['rate.commune.enter']);
    expect(t[3].heard[0]).toBe('rate.commune.confirm');
  });

  it('2 ("not right") at the confirmation goes back to the names', () => {
    const t = call(['2', '3', '2']);
    expect(t[3].heard[0]).toBe('rate.area.menu');
  });

  it('a key beyond the names of this menu is refused and the menu read again', () => {
    const t = call(['2', '9', '3']);
    expect(t[3].heard).toEqual(['error.invalid', 'rate.area.menu', ...named('080105', 1), 'rate.area.more', 'rate.area.not.listed']);
    expect(t[3].result.state.vars.pendingCommune).toBeUndefined();
  });

  it('the caller\'s last place comes first', () => {
    const t = call(['2', '2'], { caller: { language: 'km', lastCommune: '080103' } });
    expect(t[2].heard.slice(0, 3)).toEqual(['rate.area.menu', ...named('080103', 1)]);
    expect(t[2].heard.slice(3, 5)).toEqual(named('080101', 2));
  });

  it('with no programme name recorded, code entry is asked at once, as before', () => {
    const t = call(['2'], { recorded: [] });
    expect(t[1].heard).toEqual(['rate.commune.enter']);
  });

  it('an unnamed programme commune is left out of the list', () => {
    const t = call(['2'], { recorded: ALL_NAMES.filter((id) => id !== 'place.080102') });
    expect(t[1].heard).toEqual([
      'rate.area.menu', ...named('080101', 1), ...named('080103', 2), ...named('080104', 3), ...named('080105', 4), 'rate.area.not.listed',
    ]);
  });
});

describe('facilities', () => {
  it('a commune with two primary schools asks which, by name; the choice is read back with the service and carried by each rating', () => {
    const t = call(['2', '1', '1', '3', '2', '1', '4']);
    expect(t[4].heard).toEqual(['rate.facility.menu', 'facility.ps-ampov-prey@km', 'digit.1', 'facility.ps-prey-toteung@km', 'digit.2']);
    expect(t[5].heard).toEqual(['rate.service.chosen.school', 'facility.ps-prey-toteung@km', 'rate.used']);
    const ratings = t.flatMap((x) => x.effects).filter((e) => e.type === 'save-rating');
    expect(ratings).toEqual([expect.objectContaining({ communeCode: '080101', service: 'school', facilityId: 'ps-prey-toteung', score: 4 })]);
  });

  it('a commune with one facility of the service asks nothing more, and still names it', () => {
    const t = call(['2', '2', '1', '2']);
    expect(t[4].heard).toEqual(['rate.service.chosen.health', 'facility.hc-ampov-prey@km', 'rate.used']);
    expect(t[4].result.state.vars.facility).toBe('hc-ampov-prey');
  });

  it('several facilities not all named: no question and no facility (a list that leaves one out would rate the wrong one)', () => {
    const t = call(['2', '1', '1', '3'], { recorded: ALL_NAMES.filter((id) => id !== 'facility.ps-prey-toteung') });
    expect(t[4].heard).toEqual(['rate.service.chosen.school', 'rate.used']);
    expect(t[4].result.state.vars.facility).toBeUndefined();
  });

  it('a commune outside the programme: the service is read back, nothing else asked', () => {
    const t = call(['2', '5', '120101', '1', '2']);
    expect(t[5].heard).toEqual(['rate.service.chosen.health', 'rate.used']);
  });

  it('a voice message about a school names the school too', () => {
    const t = call(['3', '1', '1', '3', '1']);
    expect(t[4].heard).toEqual(['rate.facility.menu', 'facility.ps-ampov-prey@km', 'digit.1', 'facility.ps-prey-toteung@km', 'digit.2']);
    expect(t[5].heard).toEqual(['message.intro']);
    expect(t[5].result.state.vars.facility).toBe('ps-ampov-prey');
  });
});

describe('the programme-areas file', () => {
  const check = { gazetteer, services: Object.keys(services) };
  it('the shipped sample is valid and marked as a sample', () => {
    expect(areas.sample).toBe(true);
    expect(areas.communes).toHaveLength(5);
  });

  it('refuses communes not in the gazetteer, unknown services and repeated ids, naming each', () => {
    expect(() => parseProgrammeAreas({
      communes: ['999999'],
      facilities: [
        { id: 'a', service: 'market', name: { en: 'x', km: 'x' }, communes: ['080101'] },
        { id: 'a', service: 'school', name: { en: 'x', km: 'x' }, communes: ['123456'] },
      ],
    }, check)).toThrow(/commune 999999 is not in the gazetteer[\s\S]*facility a: service market is not in the scorecard[\s\S]*facility id a is used twice[\s\S]*facility a: commune 123456 is not in the gazetteer/);
    expect(() => parseProgrammeAreas({ communes: ['8010'], facilities: [] }, check)).toThrow(/programme areas is invalid/);
  });

  it('lists every name to record: the communes, their district (heard when a caller confirms the commune), then the facilities', () => {
    const ids = new ProgrammePlaces(areas, () => false).promptIds();
    expect(ids.slice(0, 6)).toEqual(['place.080101', 'place.080102', 'place.080103', 'place.080104', 'place.080105', 'place.0801']);
    expect(ids).toContain('facility.hc-ampov-prey');
    expect(ids).toHaveLength(5 + 1 + areas.facilities.length);
  });
});
