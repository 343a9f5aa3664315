import * as fs from 'node:fs';
import { lazyAjv } from '../schema-validation';
import { DefinitionError } from '../errors';
import { ITEM_STATUSES } from '../jaap/jaap';
import { fragmentsNeeded, NUMBER_COMPOSITIONS } from '../prompts/number-words';
import { FlowDefinition, FlowNode } from './types';

/**
 * Reads and validates a flow definition: ajv for its shape, then a graph check (unique ids,
 * every `next` names a node, every prompt it can play is in the catalog).
 */

const str = { type: 'string', minLength: 1 };
const prompts = { type: 'array', items: str };
const target = { type: 'string', minLength: 1 };
/** The prompts a results node names (all required: each has its place in what is spoken). */
const RESULTS_PROMPTS = [
  'introPrompt', 'noResultsPrompt', 'servicePrompt', 'numberPrompt', 'satisfiedPrompt', 'underOnePrompt', 'overNinePrompt', 'tooFewPrompt', 'noRatingsPrompt',
  'promisesPrompt', 'noPromisesPrompt', 'promisedPrompt', 'itemPrompt', 'aboutPrompt', 'indicatorPrompt', 'byPrompt', 'monthPrompt', 'statusPrompt',
  'statusValuePrompt', 'checkPrompt', 'checkThanksPrompt', 'afterPrompt',
] as const satisfies readonly (keyof Extract<FlowNode, { type: 'results' }>)[];

const nodeSchemas: Record<FlowNode['type'], object> = {
  start: {
    required: ['knownCaller', 'newCaller'],
    properties: {
      knownCaller: { type: 'object', required: ['prompts', 'next'], additionalProperties: false, properties: { prompts, next: target } },
      newCaller: { type: 'object', required: ['prompts', 'next'], additionalProperties: false, properties: { prompts, next: target } },
      callback: { type: 'object', required: ['prompts', 'next'], additionalProperties: false, properties: { prompts, next: target } },
      promiseNews: { type: 'object', required: ['prompts', 'next'], additionalProperties: false, properties: { prompts, next: target } },
    },
  },
  say: { required: ['prompts', 'next'], properties: { prompts, readBack: { enum: ['lastCommune', 'pendingCommune', 'referenceNumber', 'facility'] }, next: target } },
  branch: {
    required: ['condition', 'then', 'else'],
    properties: {
      condition: { enum: ['callerHasLastCommune', 'hasCommuneAndService', 'demographicsAsked', 'purposeIsMessage', 'callerLanguageKnown', 'purposeIsResults'] },
      then: target,
      else: target,
    },
  },
  hangup: { required: ['prompts'], properties: { prompts } },
  menu: {
    required: ['prompt', 'options'],
    properties: {
      prompt: str,
      readBack: { enum: ['lastCommune', 'pendingCommune', 'referenceNumber', 'facility'] },
      readBackAgain: str,
      closingPrompt: str,
      silenceEnds: { type: 'boolean' },
      options: {
        type: 'object',
        minProperties: 1,
        propertyNames: { pattern: '^[1-9#]$' },
        additionalProperties: {
          type: 'object',
          required: ['next'],
          additionalProperties: false,
          properties: {
            next: target,
            set: {
              type: 'object',
              additionalProperties: false,
              properties: { service: str, topic: str, purpose: str },
            },
            action: { enum: ['useLastCommune', 'confirmCommune', 'sendMessage', 'recordAgain', 'optInAnswerCall'] },
          },
        },
      },
    },
  },
  'info-pieces': {
    required: ['piecePrompt', 'morePrompt', 'closingPrompt', 'options'],
    properties: {
      piecePrompt: { type: 'string', pattern: '\\{piece\\}' }, morePrompt: str, closingPrompt: str,
      // 1 is "for more" on every piece but the last, * repeats, 0 is the main menu.
      options: { type: 'object', propertyNames: { pattern: '^[2-9#]$' }, additionalProperties: { type: 'object', required: ['next'], additionalProperties: false, properties: { next: target } } },
    },
  },
  'resume-offer': { required: ['prompt', 'pressPrompt', 'rateNode', 'next'], properties: { prompt: str, pressPrompt: str, rateNode: target, next: target } },
  'language-menu': { required: ['prompt', 'optionPrompt', 'next'], dependencies: { pageSize: ['morePrompt'] }, properties: { prompt: str, optionPrompt: str, next: target, silenceChoosesDefault: { type: 'boolean' }, pageSize: { type: 'integer', minimum: 1, maximum: 8 }, morePrompt: str } },
  'commune-code': { required: ['prompt', 'unknownPrompt', 'next', 'browse'], properties: { prompt: str, unknownPrompt: str, next: target, browse: target, codeOnlyPrompt: str, dontKnow: target } },
  'place-list': {
    required: ['level', 'prompt', 'morePrompt', 'next'],
    dependencies: { unlistedPrompt: ['byCode'], byCode: ['unlistedPrompt'] },
    properties: { level: { enum: ['province', 'district', 'commune'] }, prompt: str, morePrompt: str, next: target, unlistedPrompt: str, byCode: target },
  },
  'rate-indicators': {
    required: ['introPrompt', 'indicatorPrompt', 'scalePrompt', 'next'],
    dependencies: { dontKnowKey: ['dontKnowPrompt'] },
    properties: {
      introPrompt: str, indicatorPrompt: str, scalePrompt: str, next: target,
      scaleHintPrompt: str, invalidPrompt: str, dontKnowKey: { enum: ['6', '7', '8', '9', '#'] }, dontKnowPrompt: str, leavePrompt: str,
      selfAssessment: { type: 'boolean' },
    },
  },
  question: {
    required: ['prompt', 'field', 'answers', 'next'],
    properties: {
      prompt: str,
      field: { enum: ['gender', 'ageGroup', 'disability', 'idPoor'] },
      answers: { type: 'object', minProperties: 1, propertyNames: { pattern: '^[1-9]$' }, additionalProperties: str },
      next: target,
      skipTo: target,
    },
  },
  record: {
    required: ['prompt', 'maxLengthSeconds', 'next'],
    properties: { prompt: str, maxLengthSeconds: { type: 'integer', minimum: 5, maximum: 600 }, next: target },
  },
  'area-list': {
    required: ['prompt', 'morePrompt', 'notListedPrompt', 'notListedKey', 'next', 'byCode'],
    properties: { prompt: str, morePrompt: str, notListedPrompt: str, notListedKey: { enum: ['5', '6', '7', '8'] }, next: target, byCode: target },
  },
  'provider-pin': {
    required: ['introPrompt', 'numberPrompt', 'pinPrompt', 'acceptedPrompt', 'wrongPrompt', 'lockedPrompt', 'noRoundPrompt', 'numberDigits', 'pinDigits', 'next', 'exit'],
    properties: {
      introPrompt: str, numberPrompt: str, pinPrompt: str, acceptedPrompt: str, wrongPrompt: str, lockedPrompt: str, noRoundPrompt: str,
      numberDigits: { type: 'integer', minimum: 1, maximum: 12 }, pinDigits: { type: 'integer', minimum: 6, maximum: 12 }, next: target, exit: target,
    },
  },
  results: {
    required: [...RESULTS_PROMPTS],
    properties: { ...Object.fromEntries(RESULTS_PROMPTS.map((f) => [f, str])), districtPrompt: str },
  },
  'alert-offer': { required: ['prompt', 'yesPrompt', 'next'], properties: { prompt: str, yesPrompt: str, next: target } },
  'promise-news': {
    required: ['servicePrompt', 'statusPrompt', 'stopPrompt', 'stoppedPrompt'],
    properties: { servicePrompt: str, statusPrompt: str, stopPrompt: str, stoppedPrompt: str },
  },
  'facility-choice': { required: ['prompt', 'morePrompt', 'next'], properties: { prompt: str, morePrompt: str, next: target } },
  'place-record': {
    required: ['prompt', 'savedPrompt', 'maxLengthSeconds', 'next'],
    properties: { prompt: str, savedPrompt: str, maxLengthSeconds: { type: 'integer', minimum: 5, maximum: 120 }, next: target },
  },
};

const flowFileSchema = {
  type: 'object',
  required: ['version', 'start', 'mainMenu', 'settings', 'prompts', 'nodes'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    version: str,
    start: target,
    mainMenu: target,
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['menuTimeoutSeconds', 'codeTimeoutSeconds', 'codeLength', 'maxSilences', 'maxInvalid', 'pageSize'],
      properties: {
        menuTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 60 },
        codeTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 60 },
        codeLength: { type: 'integer', minimum: 1, maximum: 12 },
        maxSilences: { type: 'integer', minimum: 1, maximum: 10 },
        maxInvalid: { type: 'integer', minimum: 1, maximum: 10 },
        pageSize: { type: 'integer', minimum: 1, maximum: 8 },
      },
    },
    prompts: {
      type: 'object',
      additionalProperties: false,
      required: ['noInput', 'invalid', 'goodbye', 'digit', 'place'],
      properties: { noInput: str, invalid: str, goodbye: str, silenceGoodbye: str, toMainMenu: str, digit: str, place: str },
    },
    nodes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'type'],
        properties: { id: { type: 'string', pattern: '^[a-z][a-z0-9._-]*$' }, type: { enum: Object.keys(nodeSchemas) } },
        allOf: Object.entries(nodeSchemas).map(([type, schema]) => ({
          if: { properties: { type: { const: type } } },
          then: {
            type: 'object',
            ...schema,
            additionalProperties: false,
            properties: { id: {}, type: {}, $comment: {}, ...(schema as { properties: object }).properties },
          },
        })),
      },
    },
  },
};

const ajv = lazyAjv({ allErrors: true });
const validateShape = ajv.compile(flowFileSchema);

/** What the graph check needs to know about the rest of the app. */
export interface FlowCheckContext {
  services: Record<string, readonly string[]>;
  languages: readonly string[];
  hasPrompt(id: string): boolean;
  /** How many pieces an I4C topic has at most over the languages (src/i4c/content.ts); when absent, those in the catalog. */
  infoPieces?(service: string, topic: string): number;
}

/** Every node a node can lead to. */
export function successors(n: FlowNode): string[] {
  switch (n.type) {
    case 'start': return [n.knownCaller.next, n.newCaller.next, ...(n.callback ? [n.callback.next] : []), ...(n.promiseNews ? [n.promiseNews.next] : [])];
    case 'branch': return [n.then, n.else];
    case 'question': return n.skipTo ? [n.next, n.skipTo] : [n.next];
    case 'hangup': case 'promise-news': return [];
    case 'menu': case 'info-pieces': return Object.values(n.options).map((o) => o.next);
    case 'commune-code': return n.dontKnow ? [n.next, n.browse, n.dontKnow] : [n.next, n.browse];
    case 'resume-offer': return [n.next, n.rateNode];
    case 'area-list': return [n.next, n.byCode];
    case 'provider-pin': return [n.next, n.exit];
    // Heard to the end, 1 hears it again and 0 is the main menu: no other way on.
    case 'results': return [];
    case 'place-list': return n.byCode ? [n.next, n.byCode] : [n.next];
    default: return [n.next];
  }
}

/** Expands a prompt template to every id it can produce, given the values the flow can set. */
export function expandPrompt(template: string, values: Record<string, readonly string[]>, services: Record<string, readonly string[]>): string[] {
  // An indicator prompt names its own service: pair them, not every service with every indicator.
  let ids = template.includes('{indicator}')
    ? Object.entries(services).flatMap(([s, list]) => list.map((i) => template.replace('{service}', s).replace('{indicator}', i)))
    : [template];
  for (const name of template.match(/\{(\w+)\}/g) ?? []) {
    const choices = values[name.slice(1, -1)];
    if (!choices || name === '{indicator}') continue;
    ids = ids.flatMap((id) => (id.includes(name) ? choices.map((c) => id.replace(name, c)) : [id]));
  }
  return ids;
}

/** Without a count from the content: the pieces the catalog holds, 1, 2, … in a row (at least the first, which must exist). */
function piecesInCatalog(template: string, service: string, topic: string, check: FlowCheckContext): number {
  const id = (piece: number) => template.replace('{service}', service).replace('{topic}', topic).replace('{piece}', String(piece));
  let count = 1;
  while (count < 100 && check.hasPrompt(id(count + 1))) count++;
  return count;
}

/** All prompt ids a flow can play. */
export function promptsOf(def: FlowDefinition, check: FlowCheckContext): Set<string> {
  const setValues = (field: 'service' | 'topic') => {
    const out = new Set<string>();
    for (const n of Object.values(def.nodes)) {
      if (n.type === 'menu') for (const o of Object.values(n.options)) if (o.set?.[field]) out.add(o.set[field]!);
    }
    return [...out];
  };
  const values: Record<string, readonly string[]> = {
    service: setValues('service'),
    topic: setValues('topic'),
    score: ['1', '2', '3', '4', '5'],
    digit: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    language: check.languages,
    status: ITEM_STATUSES,
    month: Array.from({ length: 12 }, (_, i) => String(i + 1)),
    // The fragments of every number a results node speaks (0 to 10 out of 10), in every composition.
    number: [...new Set(NUMBER_COMPOSITIONS.flatMap((c) => fragmentsNeeded(c, 10)))].map(String),
  };
  const templates: string[] = [def.prompts.noInput, def.prompts.invalid, def.prompts.goodbye, def.prompts.digit];
  for (const optional of [def.prompts.silenceGoodbye, def.prompts.toMainMenu]) if (optional) templates.push(optional);
  for (const n of Object.values(def.nodes)) {
    switch (n.type) {
      case 'start': templates.push(...n.knownCaller.prompts, ...n.newCaller.prompts, ...(n.callback?.prompts ?? []), ...(n.promiseNews?.prompts ?? [])); break;
      case 'say': case 'hangup': templates.push(...n.prompts); break;
      case 'menu': templates.push(n.prompt, ...(n.readBackAgain ? [n.readBackAgain] : []), ...(n.closingPrompt ? [n.closingPrompt] : [])); break;
      case 'language-menu': templates.push(n.prompt, n.optionPrompt, ...(n.morePrompt ? [n.morePrompt] : [])); break;
      case 'commune-code': templates.push(n.prompt, n.unknownPrompt, ...(n.codeOnlyPrompt ? [n.codeOnlyPrompt] : [])); break;
      case 'place-list': templates.push(n.prompt, n.morePrompt, ...(n.unlistedPrompt ? [n.unlistedPrompt] : [])); break;
      case 'rate-indicators':
        templates.push(n.introPrompt, n.indicatorPrompt, n.scalePrompt);
        for (const optional of [n.scaleHintPrompt, n.invalidPrompt, n.dontKnowPrompt, n.leavePrompt]) if (optional) templates.push(optional);
        break;
      case 'question': case 'record': templates.push(n.prompt); break;
      case 'place-record': templates.push(n.prompt, n.savedPrompt); break;
      case 'area-list': templates.push(n.prompt, n.morePrompt, n.notListedPrompt); break;
      case 'facility-choice': templates.push(n.prompt, n.morePrompt); break;
      case 'resume-offer': templates.push(n.prompt, n.pressPrompt); break;
      case 'alert-offer': templates.push(n.prompt, n.yesPrompt); break;
      case 'promise-news': templates.push(n.servicePrompt, n.statusPrompt, n.stopPrompt, n.stoppedPrompt); break;
      case 'provider-pin': templates.push(n.introPrompt, n.numberPrompt, n.pinPrompt, n.acceptedPrompt, n.wrongPrompt, n.lockedPrompt, n.noRoundPrompt); break;
      case 'info-pieces': {
        templates.push(n.morePrompt, n.closingPrompt);
        // Each topic has its own number of pieces: expanded here, not as a free {piece}.
        for (const service of values.service) {
          for (const topic of values.topic) {
            const count = check.infoPieces?.(service, topic) ?? piecesInCatalog(n.piecePrompt, service, topic, check);
            for (let piece = 1; piece <= count; piece++) {
              templates.push(n.piecePrompt.replace('{service}', service).replace('{topic}', topic).replace('{piece}', String(piece)));
            }
          }
        }
        break;
      }
      case 'results':
        // The item's own recording (jaap.item.<id>) is played only where it exists, like a place name.
        templates.push(...RESULTS_PROMPTS.filter((f) => f !== 'itemPrompt').map((f) => n[f]), ...(n.districtPrompt ? [n.districtPrompt] : []));
        break;
      case 'branch': break;
    }
  }
  const out = new Set<string>();
  for (const t of templates) for (const id of expandPrompt(t, values, check.services)) out.add(id);
  return out;
}

/** Validates a parsed flow file and returns the definition, or throws DefinitionError listing every problem. */
export function parseFlow(raw: unknown, check: FlowCheckContext, source = 'flow'): FlowDefinition {
  if (!validateShape(raw)) {
    const problems = (validateShape.errors ?? [])
      .filter((e) => e.keyword !== 'if')
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as string[]).join(', ')})` : ''}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}${e.propertyName ? ` (key ${JSON.stringify(e.propertyName)})` : ''}`);
    throw new DefinitionError(`${source} is not a valid flow definition:\n  - ${problems.join('\n  - ')}`);
  }
  const file = raw as Omit<FlowDefinition, 'nodes'> & { nodes: (FlowNode & { id: string })[] };
  const problems: string[] = [];
  const nodes: Record<string, FlowNode> = {};
  for (const n of file.nodes) {
    if (nodes[n.id]) problems.push(`node id ${n.id} is used twice`);
    const { id, ...node } = n;
    nodes[id] = node as FlowNode;
  }
  const def: FlowDefinition = { ...file, nodes };
  for (const [id, n] of Object.entries(nodes)) {
    for (const next of successors(n)) if (!nodes[next]) problems.push(`node ${id} leads to ${next}, which does not exist`);
    if (n.type === 'menu' && n.options['0']) problems.push(`node ${id}: key 0 is reserved for the main menu`);
    if (n.type === 'resume-offer' && nodes[n.rateNode] && nodes[n.rateNode].type !== 'rate-indicators') problems.push(`node ${id}: rateNode ${n.rateNode} is not a rate-indicators node`);
    if (n.type === 'menu' && n.readBackAgain && !n.readBack) problems.push(`node ${id}: readBackAgain needs a readBack`);
    if (n.type === 'question' && n.skipTo && nodes[n.skipTo]?.type === 'question') problems.push(`node ${id}: skipTo ${n.skipTo} is another question: 0 must skip past them`);
    if (n.type === 'provider-pin' && nodes[n.next] && !isSelfAssessmentPath(nodes, n.next)) problems.push(`node ${id}: next ${n.next} does not lead to a rate-indicators node with selfAssessment`);
    if (n.type === 'rate-indicators' && n.selfAssessment && n.dontKnowKey) problems.push(`node ${id}: a self-assessment has no "don't know" key`);
    if (n.type === 'commune-code' && n.dontKnow && nodes[n.dontKnow] && nodes[n.dontKnow].type !== 'place-record') problems.push(`node ${id}: dontKnow ${n.dontKnow} is not a place-record node`);
  }
  for (const ref of [def.start, def.mainMenu]) if (!nodes[ref]) problems.push(`${ref} (start or mainMenu) is not a node`);
  for (const service of Object.values(nodes).flatMap((n) => (n.type === 'menu' ? Object.values(n.options).map((o) => o.set?.service) : []))) {
    if (service && !check.services[service]) problems.push(`the flow sets service ${service}, which the scorecard does not define`);
  }
  if (problems.length === 0) {
    for (const id of promptsOf(def, check)) if (!check.hasPrompt(id)) problems.push(`prompt ${id} is not in the prompt catalog`);
  }
  if (problems.length) throw new DefinitionError(`${source} is not a valid flow definition:\n  - ${problems.join('\n  - ')}`);
  return def;
}

/** A provider's sign-in goes (through say nodes) to their self-assessment, never to a citizen's rating. */
function isSelfAssessmentPath(nodes: Record<string, FlowNode>, id: string): boolean {
  for (let hops = 0; hops < 8 && nodes[id]; hops++) {
    const n = nodes[id];
    if (n.type === 'rate-indicators') return Boolean(n.selfAssessment);
    if (n.type !== 'say') return false;
    id = n.next;
  }
  return false;
}

export function loadFlow(file: string, check: FlowCheckContext): FlowDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DefinitionError(`cannot read the flow definition ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseFlow(raw, check, file);
}
