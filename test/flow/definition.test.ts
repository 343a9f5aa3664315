import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadLanguages } from '../../src/config/languages';
import { DefinitionError } from '../../src/errors';
import { FlowCheckContext, loadFlow, parseFlow } from '../../src/flow/definition';
import { loadCatalog } from '../../src/prompts/catalog';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';
import { tempDir } from '../support/engine';
import { PROVIDER_NUMBER_DIGITS, PROVIDER_PIN_DIGITS } from '../../src/rounds/provider-pins';

const root = path.resolve(__dirname, '../..');
const catalog = loadCatalog(path.join(root, 'prompts/catalog.json'));
const check: FlowCheckContext = {
  services: indicatorIds(loadScorecard(path.join(root, 'config/scorecard.json'))),
  languages: loadLanguages(path.join(root, 'config/languages.json')).languages.map((l) => l.code),
  hasPrompt: (id) => id in catalog.prompts,
};
const shipped = () => JSON.parse(fs.readFileSync(path.join(root, 'flows/default.json'), 'utf8'));
type Node = { id: string; type: string; [k: string]: unknown };
const nodeOf = (flow: { nodes: Node[] }, id: string) => flow.nodes.find((n) => n.id === id)!;

/** The message of the DefinitionError parseFlow throws, or fails the test when it does not throw. */
function refusal(raw: unknown): string {
  try {
    parseFlow(raw, check, 'test-flow.json');
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as Error).message;
  }
  throw new Error('the flow was accepted');
}

describe('flow definition', () => {
  it('the shipped flows/default.json validates, with every node and the start and main menu', () => {
    const def = loadFlow(path.join(root, 'flows/default.json'), check);
    expect(def.start).toBe('start');
    expect(def.nodes[def.mainMenu].type).toBe('menu');
    expect(Object.keys(def.nodes)).toHaveLength(shipped().nodes.length);
  });

  it('a file that is not JSON is refused naming the file', () => {
    const file = path.join(tempDir(), 'broken.json');
    fs.writeFileSync(file, '{ "nodes": [');
    expect(() => loadFlow(file, check)).toThrow(DefinitionError);
    expect(() => loadFlow(file, check)).toThrow(/broken\.json/);
  });

  it('a missing top-level field is refused naming it', () => {
    const flow = shipped();
    delete flow.mainMenu;
    expect(refusal(flow)).toMatch(/test-flow\.json.*\n.*mainMenu/);
  });

  it('an unknown node type is refused naming the allowed types', () => {
    const flow = shipped();
    flow.nodes.push({ id: 'x', type: 'javascript', code: 'alert(1)' });
    expect(refusal(flow)).toMatch(/\/nodes\/\d+\/type must be equal to one of the allowed values \(start, say/);
  });

  it('a menu node with an unexpected field is refused naming the field', () => {
    const flow = shipped();
    nodeOf(flow, 'main').colour = 'red';
    expect(refusal(flow)).toMatch(/must NOT have additional properties \(colour\)/);
  });

  it('a menu option key other than 1-9 or # is refused', () => {
    const flow = shipped();
    (nodeOf(flow, 'main').options as Record<string, unknown>).x = { next: 'main' };
    expect(refusal(flow)).toMatch(/options must match pattern .*\(key "x"\)/);
  });

  it('a record node with a maximum length over ten minutes is refused', () => {
    const flow = shipped();
    nodeOf(flow, 'message.record').maxLengthSeconds = 3600;
    expect(refusal(flow)).toMatch(/maxLengthSeconds must be <= 600/);
  });

  it('a page size over 8 is refused (9 turns the page)', () => {
    const flow = shipped();
    flow.settings.pageSize = 9;
    expect(refusal(flow)).toMatch(/pageSize must be <= 8/);
  });

  it('a next that names a missing node is refused naming both nodes', () => {
    const flow = shipped();
    nodeOf(flow, 'rate.indicators').next = 'rate.nowhere';
    expect(refusal(flow)).toMatch(/node rate\.indicators leads to rate\.nowhere, which does not exist/);
  });

  it('a start or main menu that is not a node is refused', () => {
    const flow = shipped();
    flow.mainMenu = 'menu.main';
    expect(refusal(flow)).toMatch(/menu\.main \(start or mainMenu\) is not a node/);
  });

  it('two nodes with the same id are refused naming the id', () => {
    const flow = shipped();
    flow.nodes.push({ ...nodeOf(flow, 'ask.age') });
    expect(refusal(flow)).toMatch(/node id ask\.age is used twice/);
  });

  it('key 0 on a menu is refused: it is reserved for the main menu', () => {
    const flow = shipped();
    (nodeOf(flow, 'rate.after').options as Record<string, unknown>)['0'] = { next: 'main' };
    expect(refusal(flow)).toMatch(/\/nodes\/\d+\/options must match pattern.*\(key "0"\)/);
  });

  it('a service the scorecard does not define is refused naming it', () => {
    const flow = shipped();
    (nodeOf(flow, 'rate.service').options as Record<string, { set: Record<string, string> }>)['3'].set.service = 'police';
    expect(refusal(flow)).toMatch(/sets service police, which the scorecard does not define/);
  });

  it('a prompt missing from the catalog is refused naming the prompt', () => {
    const flow = shipped();
    nodeOf(flow, 'rate.after').prompt = 'rate.after.loudly';
    expect(refusal(flow)).toMatch(/prompt rate\.after\.loudly is not in the prompt catalog/);
  });

  it('a second read-back needs a read-back; a list\'s code-entry way out needs both its prompt and its target', () => {
    const flow = shipped();
    delete nodeOf(flow, 'message.saved').readBack;
    expect(refusal(flow)).toMatch(/node message\.saved: readBackAgain needs a readBack/);
    const noTarget = shipped();
    delete nodeOf(noTarget, 'rate.province').byCode;
    expect(refusal(noTarget)).toMatch(/must have property byCode when property unlistedPrompt is present/);
    const badTarget = shipped();
    nodeOf(badTarget, 'rate.province').byCode = 'nowhere';
    expect(refusal(badTarget)).toMatch(/node rate\.province leads to nowhere, which does not exist/);
    const missingPrompt = shipped();
    nodeOf(missingPrompt, 'rate.enter').codeOnlyPrompt = 'rate.commune.code.only';
    expect(refusal(missingPrompt)).toMatch(/prompt rate\.commune\.code\.only is not in the prompt catalog/);
  });

  it('a template prompt missing for one of its values is refused naming the expanded id', () => {
    const thin: FlowCheckContext = { ...check, hasPrompt: (id) => id !== 'indicator.school.facilities' && check.hasPrompt(id) };
    expect(() => parseFlow(shipped(), thin, 'x')).toThrow(/prompt indicator\.school\.facilities is not in the prompt catalog/);
    const noKreung: FlowCheckContext = { ...check, hasPrompt: (id) => id !== 'language.option.krr' && check.hasPrompt(id) };
    expect(() => parseFlow(shipped(), noKreung, 'x')).toThrow(/language\.option\.krr/);
  });

  it('every problem is listed, not only the first', () => {
    const flow = shipped();
    nodeOf(flow, 'rate.indicators').next = 'a.missing';
    nodeOf(flow, 'ask.gender').next = 'b.missing';
    const message = refusal(flow);
    expect(message).toMatch(/a\.missing/);
    expect(message).toMatch(/b\.missing/);
  });
});

describe('the providers\' self-assessment nodes', () => {
  it('a provider sign-in that leads to a citizen\'s rating is refused: a provider\'s scores must never become ratings', () => {
    const flow = shipped();
    nodeOf(flow, 'provider.sign-in').next = 'rate.indicators';
    expect(refusal(flow)).toContain('node provider.sign-in: next rate.indicators does not lead to a rate-indicators node with selfAssessment');
  });

  it('a self-assessment with a "don\'t know" key is refused, and a PIN shorter than 6 digits too', () => {
    const flow = shipped();
    Object.assign(nodeOf(flow, 'provider.indicators'), { dontKnowKey: '9', dontKnowPrompt: 'rate.dontknow' });
    expect(refusal(flow)).toContain('node provider.indicators: a self-assessment has no "don\'t know" key');
    const short = shipped();
    nodeOf(short, 'provider.sign-in').pinDigits = 4;
    expect(refusal(short)).toContain('pinDigits');
  });

  it('the shipped flow asks the PIN with as many digits as staff are given', () => {
    expect(nodeOf(shipped(), 'provider.sign-in')).toMatchObject({ numberDigits: PROVIDER_NUMBER_DIGITS, pinDigits: PROVIDER_PIN_DIGITS });
  });
});
