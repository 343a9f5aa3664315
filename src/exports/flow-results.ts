import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rating } from '../store/ratings';
import { Store } from '../store/store';
import { Scorecard } from '../scorecard/scorecard';
import { TEST_CALL_FIELD } from '../reports/rating-counts';

/**
 * Export of every rating as a Flow Results package (Flow Interoperability Project, FLOIP,
 * specification 1.0.0-rc1): a Data Package descriptor `datapackage.json` with one resource,
 * `flow-results-data`, whose inline schema lists the questions, and the responses in
 * `flow-results-data.json` as rows of
 *   [timestamp, row_id, contact_id, session_id, question_id, response, response_metadata].
 *
 * - One question per service indicator (`<service>.<indicator>`, select_one "1".."5"), and per
 *   call: the commune (open), the service (select_one), gender, age group, disability and
 *   language group (select_one), so tools can cross-tabulate.
 * - contact_id is the caller's HMAC id, never a phone number; session_id is the CallSid.
 * - Raw responses, not figures: nothing is withheld or deduplicated here (that is the
 *   report's job); "try the line" test calls are left out. Staff only, like the recordings.
 * - Rows are streamed to the file in _id order (a call's ratings share the CallSid prefix, so
 *   its per-call rows are written once), so memory stays flat at a million ratings.
 */

export const FLOW_RESULTS_VERSION = '1.0.0-rc1';
export const DATA_RESOURCE = 'flow-results-data';
export const DATA_FILE = 'flow-results-data.json';

export const DEMOGRAPHIC_QUESTIONS = {
  gender: { label: 'Gender (asked after the ratings; optional)', choices: ['woman', 'man', 'unstated'] },
  age_group: { label: 'Age group (optional)', choices: ['under-25', '25-59', '60-plus', 'unstated'] },
  disability: { label: 'Has a disability (optional)', choices: ['yes', 'no', 'unstated'] },
  language_group: { label: 'Language group of the language chosen for the call', choices: ['khmer', 'indigenous', 'other'] },
} as const;

interface Question {
  type: 'select_one' | 'open';
  label: string;
  type_options: { choices?: string[] };
}

export function flowResultsTimestamp(d: Date): string {
  // RFC 3339 with an explicit +00:00 offset, which the specification asks for instead of Z.
  return d.toISOString().replace('Z', '+00:00');
}

export function flowResultsQuestions(scorecard: Scorecard): Record<string, Question> {
  const q: Record<string, Question> = {
    commune: { type: 'open', label: 'Commune rated: six-digit NCDD commune code', type_options: {} },
    service: { type: 'select_one', label: 'Service rated', type_options: { choices: scorecard.services.map((s) => s.id) } },
  };
  for (const s of scorecard.services) {
    for (const i of s.indicators) {
      q[`${s.id}.${i.id}`] = {
        type: 'select_one',
        label: `${s.name.en}: ${i.en} (1 very bad ... 5 very good)`,
        type_options: { choices: ['1', '2', '3', '4', '5'] },
      };
    }
  }
  for (const [id, d] of Object.entries(DEMOGRAPHIC_QUESTIONS)) {
    q[id] = { type: 'select_one', label: d.label, type_options: { choices: [...d.choices] } };
  }
  return q;
}

export function flowResultsDescriptor(scorecard: Scorecard, opts: { id: string; created: Date; modified?: Date }) {
  return {
    profile: 'flow-results-package',
    flow_results_specification_version: FLOW_RESULTS_VERSION,
    created: flowResultsTimestamp(opts.created),
    modified: flowResultsTimestamp(opts.modified ?? opts.created),
    id: opts.id,
    name: 'i4c-hotline-scorecard-ratings',
    title: 'Citizens rate public services by phone (ISAF community scorecard)',
    resources: [
      {
        name: DATA_RESOURCE,
        path: DATA_FILE,
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
          questions: flowResultsQuestions(scorecard),
        },
      },
    ],
  };
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
    rows.push(row(`${r.communeCode}:${r.service}:service`, 'service', r.service, { commune_code: r.communeCode }));
  }
  rows.push([at, r._id, r.callerId, r.callSid, `${r.service}.${r.indicatorId}`, String(r.score), { commune_code: r.communeCode, language: r.language }]);
  if (firstOfCall) {
    const d = r.demographics ?? {};
    rows.push(row('gender', 'gender', d.gender || 'unstated', null));
    rows.push(row('age_group', 'age_group', d.ageGroup || 'unstated', null));
    rows.push(row('disability', 'disability', d.disability || 'unstated', null));
    rows.push(row('language_group', 'language_group', r.languageGroup || 'other', { language: r.language }));
  }
  return rows;
}

const PAGE = 5000;

/**
 * Writes datapackage.json and flow-results-data.json into `dir`. Returns the number of
 * ratings and rows written.
 */
export async function writeFlowResultsPackage(
  store: Store,
  scorecard: Scorecard,
  dir: string,
  opts: { id?: string; now?: Date; onProgress?: (ratings: number, total: number) => void } = {},
): Promise<{ ratings: number; rows: number; id: string }> {
  const ratings = store.collection<Rating>('ratings');
  const counted = { [TEST_CALL_FIELD]: { $ne: true } };
  const total = await ratings.countDocuments(counted);
  const id = opts.id ?? crypto.randomUUID();
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
  fs.renameSync(tmp, dataFile);
  const descriptor = flowResultsDescriptor(scorecard, { id, created: opts.now ?? new Date() });
  fs.writeFileSync(path.join(dir, 'datapackage.json'), `${JSON.stringify(descriptor, null, 2)}\n`);
  return { ratings: written, rows: rowCount, id };
}
