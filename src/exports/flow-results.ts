import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rating } from '../store/ratings';
import { Store } from '../store/store';
import { Scorecard } from '../scorecard/scorecard';
import { TEST_CALL_FIELD } from '../reports/rating-counts';
import { PLACE_TO_CONFIRM_FIELD } from '../store/places-to-confirm';
import { BadRequestError } from '../errors';

/**
 * Export of every rating as a Flow Results package (Flow Interoperability Project, FLOIP,
 * specification 1.0.0-rc1, github:FLOIP/flow-results specification.md): a Data Package
 * descriptor `datapackage.json` with one resource, `flow-results-data`, whose inline schema
 * lists the questions, and the responses in `flow-results-data.json` as rows of
 *   [timestamp, row_id, contact_id, session_id, question_id, response, response_metadata].
 *
 * - One question per service indicator (`<service>.<indicator>`, select_one "1".."5"), and per
 *   call: the commune (text: a six-digit NCDD code), the service (select_one), gender, age
 *   group, disability and language group (select_one), so tools can cross-tabulate.
 * - A question is answered only when it was asked: a caller who hung up before the demographic
 *   questions has no gender, age or disability rows ("unstated" is the answer "rather not say").
 * - contact_id is the caller's HMAC id, never a phone number; session_id is the CallSid.
 * - Raw responses, not figures: nothing is withheld. A rating the same caller later replaced
 *   (same commune, service and indicator) is kept and marked `superseded_at` in its metadata;
 *   the report's rule is: a rating counts in a period [from, to) when it was given in it and
 *   has no superseded_at or one at or after `to`. "Try the line" test calls are left out.
 * - Versioning (the specification's "Results Versioning", option 2): exporting again with the
 *   same --id over the previous package keeps its `created`, keeps every question it listed
 *   (a retired indicator stays), may add questions (then `modified` is the new export's time)
 *   and refuses to change an existing question's metadata: that needs a new id.
 * - Rows are streamed to the file in _id order (a call's ratings share the CallSid prefix, so
 *   its per-call rows are written once), so memory stays flat at a million ratings.
 */

export const FLOW_RESULTS_VERSION = '1.0.0-rc1';
export const DATA_RESOURCE = 'flow-results-data';
export const DATA_FILE = 'flow-results-data.json';
export const DESCRIPTOR_FILE = 'datapackage.json';

export const DEMOGRAPHIC_QUESTIONS = {
  gender: { field: 'gender', label: 'Gender (asked after the ratings; optional)', choices: ['woman', 'man', 'unstated'] },
  age_group: { field: 'ageGroup', label: 'Age group (optional)', choices: ['under-25', '25-59', '60-plus', 'unstated'] },
  disability: { field: 'disability', label: 'Has a disability (optional)', choices: ['yes', 'no', 'unstated'] },
  id_poor: { field: 'idPoor', label: 'Family holds an ID-Poor card (optional)', choices: ['yes', 'no', 'unstated'] },
} as const;
export const LANGUAGE_GROUP_QUESTION = { label: 'Language group of the language chosen for the call', choices: ['khmer', 'indigenous', 'other'] };
const SCORES = ['1', '2', '3', '4', '5'];

export interface Question {
  type: 'select_one' | 'text';
  label: string;
  type_options: { choices?: string[] };
}

export type Questions = Record<string, Question>;

/** Thrown when a package cannot be written as a version of the package it would replace. */
export class FlowResultsVersionError extends BadRequestError {}

export function flowResultsTimestamp(d: Date): string {
  // RFC 3339 with an explicit +00:00 offset, which the specification asks for instead of Z.
  return d.toISOString().replace('Z', '+00:00');
}

/** What the data holds beyond the scorecard: services and indicators that have ratings. */
export interface SeenKeys {
  services: Set<string>;
  indicators: Set<string>;
}

const indicatorQuestion = (label: string): Question => ({ type: 'select_one', label: `${label} (1 very bad ... 5 very good)`, type_options: { choices: [...SCORES] } });

/**
 * The questions of this export: the scorecard's, the previous version's (kept unchanged, so a
 * retired indicator stays) and any indicator or service the ratings hold that neither lists.
 */
export function flowResultsQuestions(scorecard: Scorecard, seen: SeenKeys = { services: new Set(), indicators: new Set() }, previous: Questions = {}): Questions {
  const services = [...(previous.service?.type_options.choices ?? [])];
  for (const id of [...scorecard.services.map((s) => s.id), ...[...seen.services].sort()]) if (!services.includes(id)) services.push(id);
  const q: Questions = {
    commune: { type: 'text', label: 'Commune rated: six-digit NCDD commune code', type_options: {} },
    service: { type: 'select_one', label: 'Service rated', type_options: { choices: services } },
  };
  for (const s of scorecard.services) {
    for (const i of s.indicators) q[`${s.id}.${i.id}`] = indicatorQuestion(`${s.name.en}: ${i.en}`);
  }
  for (const id of [...seen.indicators].sort()) {
    if (!q[id]) q[id] = previous[id] ?? indicatorQuestion(`${id} (an indicator no longer in the scorecard)`);
  }
  for (const [id, d] of Object.entries(DEMOGRAPHIC_QUESTIONS)) q[id] = { type: 'select_one', label: d.label, type_options: { choices: [...d.choices] } };
  q.language_group = { type: 'select_one', label: LANGUAGE_GROUP_QUESTION.label, type_options: { choices: [...LANGUAGE_GROUP_QUESTION.choices] } };
  // The previous version's questions first and unchanged; a retired one keeps its metadata.
  const merged: Questions = {};
  for (const [id, old] of Object.entries(previous)) merged[id] = q[id] ?? old;
  for (const [id, question] of Object.entries(q)) if (!merged[id]) merged[id] = question;
  return merged;
}

/** The questions whose metadata differs from the previous version's, described. */
export function changedQuestions(previous: Questions, next: Questions): string[] {
  const changes: string[] = [];
  for (const [id, old] of Object.entries(previous)) {
    const now = next[id];
    if (JSON.stringify(now) !== JSON.stringify(old)) changes.push(`${id}: ${JSON.stringify(old)} -> ${JSON.stringify(now)}`);
  }
  return changes;
}

export interface Versioning {
  id: string;
  created: Date;
  modified: Date;
}

export function flowResultsDescriptor(questions: Questions, v: Versioning) {
  return {
    profile: 'flow-results-package',
    flow_results_specification_version: FLOW_RESULTS_VERSION,
    created: flowResultsTimestamp(v.created),
    modified: flowResultsTimestamp(v.modified),
    id: v.id,
    name: 'i4c-hotline-scorecard-ratings',
    title: 'Citizens rate public services by phone (ISAF community scorecard)',
    description: 'Every rating, including ones the same caller later replaced: those carry response_metadata.superseded_at. '
      + 'Reports count a rating in a period [from, to) when it was given in it and has no superseded_at or one at or after to.',
    resources: [
      {
        name: DATA_RESOURCE,
        path: DATA_FILE,
        // For Data Package tools (frictionless): a table whose JSON rows have no header row.
        profile: 'tabular-data-resource',
        dialect: { header: false },
        mediatype: 'application/json',
        encoding: 'utf-8',
        schema: {
          language: 'eng',
          fields: [
            { name: 'timestamp', title: 'Timestamp', type: 'datetime' },
            { name: 'row_id', title: 'Row ID', type: 'string' },
            { name: 'contact_id', title: 'Contact ID', type: 'string' },
            { name: 'session_id', title: 'Session ID', type: 'string' },
            { name: 'question_id', title: 'Question ID', type: 'string' },
            { name: 'response', title: 'Response', type: 'any' },
            { name: 'response_metadata', title: 'Response Metadata', type: 'object' },
          ],
          questions,
        },
      },
    ],
  };
}

export type FlowResultsDescriptor = ReturnType<typeof flowResultsDescriptor>;

/**
 * The id, created and modified of this export. Reusing the id of `previous` (the package in the
 * output folder) makes a new version of it: created kept; modified moves on only when questions
 * were added; a changed question is refused, since the specification forbids it under one id.
 */
export function nextVersion(previous: FlowResultsDescriptor | null, requestedId: string | undefined, questions: Questions, now: Date): Versioning {
  const id = requestedId ?? crypto.randomUUID();
  if (!previous || previous.id !== id) return { id, created: now, modified: now };
  const before = previous.resources?.[0]?.schema?.questions ?? {};
  const changes = changedQuestions(before, questions);
  if (changes.length) {
    throw new FlowResultsVersionError(`package ${id} cannot keep its id: a version may add questions but not change them (Flow Results "Results Versioning"); changed: ${changes.join('; ')}. Export with a new --id, or without --id`);
  }
  const added = Object.keys(questions).some((q) => !(q in before));
  return { id, created: new Date(previous.created), modified: added ? now : new Date(previous.modified) };
}

/** The previous package's descriptor in `dir`, or null when there is none (or it cannot be read). */
export function readPreviousDescriptor(dir: string): FlowResultsDescriptor | null {
  try {
    const d = JSON.parse(fs.readFileSync(path.join(dir, DESCRIPTOR_FILE), 'utf8'));
    return d && d.profile === 'flow-results-package' ? d : null;
  } catch {
    return null;
  }
}

export type FlowResultsRow = [string, string, string, string, string, string, Record<string, unknown> | null];

/** The rows one rating contributes; per-call rows only for the first rating of a call and commune. */
export function rowsForRating(r: Rating, firstOfCall: boolean, firstOfCommuneService: boolean): FlowResultsRow[] {
  const at = flowResultsTimestamp(new Date(r.ratedAt));
  const row = (suffix: string, question: string, response: string, meta: Record<string, unknown> | null): FlowResultsRow =>
    [at, `${r.callSid}#${suffix}`, r.callerId, r.callSid, question, response, meta];
  const rows: FlowResultsRow[] = [];
  if (firstOfCommuneService) {
    rows.push(row(`${r.communeCode}:${r.service}:commune`, 'commune', r.communeCode, { district_code: r.districtCode, province_code: r.provinceCode }));
    rows.push(row(`${r.communeCode}:${r.service}:service`, 'service', r.service, { commune_code: r.communeCode, ...(r.facilityId ? { facility_id: r.facilityId } : {}) }));
  }
  const meta: Record<string, unknown> = { commune_code: r.communeCode, language: r.language };
  // The facility rated (a school of several in the commune), as the site's programme areas name it.
  if (r.facilityId) meta.facility_id = r.facilityId;
  if (r.supersededAt) meta.superseded_at = flowResultsTimestamp(new Date(r.supersededAt));
  rows.push([at, r._id, r.callerId, r.callSid, `${r.service}.${r.indicatorId}`, String(r.score), meta]);
  if (firstOfCall) {
    const d = r.demographics ?? {};
    // Only the questions the caller was asked: each answer is stored as it is given.
    for (const [question, q] of Object.entries(DEMOGRAPHIC_QUESTIONS)) {
      const answer = d[q.field];
      if (answer) rows.push(row(question, question, answer, null));
    }
    rows.push(row('language_group', 'language_group', r.languageGroup || 'other', { language: r.language }));
  }
  return rows;
}

const PAGE = 5000;

/**
 * Writes datapackage.json and flow-results-data.json into `dir`, as a new version of the
 * package already there when `id` is that package's id. Returns the number of ratings and rows
 * written and the version.
 */
export async function writeFlowResultsPackage(
  store: Store,
  scorecard: Scorecard,
  dir: string,
  opts: { id?: string; now?: Date; onProgress?: (ratings: number, total: number) => void } = {},
): Promise<{ ratings: number; rows: number; id: string; created: Date; modified: Date }> {
  const now = opts.now ?? new Date();
  const previous = readPreviousDescriptor(dir);
  // A changed question is refused before anything is written (the scorecard's questions are known now).
  nextVersion(previous, opts.id, flowResultsQuestions(scorecard, undefined, previous?.resources?.[0]?.schema?.questions ?? {}), now);
  const ratings = store.collection<Rating>('ratings');
  // A rating whose place staff have not yet confirmed has no commune: exported once it has. A
  // "don't know" (no score) is no answer to a 1-5 question: it is counted apart (reports/dont-know.ts).
  const counted = { [TEST_CALL_FIELD]: { $ne: true }, [PLACE_TO_CONFIRM_FIELD]: { $ne: true }, noScore: { $exists: false } };
  const total = await ratings.countDocuments(counted);
  fs.mkdirSync(dir, { recursive: true });
  const dataFile = path.join(dir, DATA_FILE);
  const tmp = `${dataFile}.tmp`;
  const out = fs.createWriteStream(tmp, { encoding: 'utf8' });
  const write = (s: string) => new Promise<void>((resolve, reject) => {
    if (out.write(s)) resolve();
    else out.once('drain', resolve).once('error', reject);
  });
  let written = 0;
  let rowCount = 0;
  let lastId: string | null = null;
  let lastCall: string | null = null;
  const seenCommuneService = new Set<string>();
  const seen: SeenKeys = { services: new Set(), indicators: new Set() };
  await write('[');
  for (;;) {
    // Keyset pagination on _id: stable and index-backed on both engines.
    const page = await ratings.find(lastId === null ? counted : { ...counted, _id: { $gt: lastId } }, { sort: { _id: 1 }, limit: PAGE });
    if (page.length === 0) break;
    for (const r of page) {
      const firstOfCall = r.callSid !== lastCall;
      if (firstOfCall) seenCommuneService.clear();
      const cs = `${r.communeCode}:${r.service}`;
      const firstOfCs = !seenCommuneService.has(cs);
      seenCommuneService.add(cs);
      lastCall = r.callSid;
      seen.services.add(r.service);
      seen.indicators.add(`${r.service}.${r.indicatorId}`);
      for (const row of rowsForRating(r, firstOfCall, firstOfCs)) {
        await write(`${rowCount === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
        rowCount++;
      }
    }
    written += page.length;
    lastId = page[page.length - 1]._id;
    opts.onProgress?.(written, total);
  }
  await write('\n]\n');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const questions = flowResultsQuestions(scorecard, seen, previous?.resources?.[0]?.schema?.questions ?? {});
  let version: Versioning;
  try {
    version = nextVersion(previous, opts.id, questions, now);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, dataFile);
  fs.writeFileSync(path.join(dir, DESCRIPTOR_FILE), `${JSON.stringify(flowResultsDescriptor(questions, version), null, 2)}\n`);
  return { ratings: written, rows: rowCount, ...version };
}
