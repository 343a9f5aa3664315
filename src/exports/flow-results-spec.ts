import { lazyAjv } from '../schema-validation';

/**
 * The rules of the Flow Results specification 1.0.0-rc1 (github:FLOIP/flow-results,
 * specification.md) as JSON Schemas for ajv, plus the rules a schema cannot say (row ids unique
 * in the package, each row's question listed, a select_one answer among its choices, an open
 * answer's row-level type). The specification publishes no schema file; each rule cites its
 * section. Used by the tests on the exported package; a Data Package check (frictionless) is in
 * the README.
 */

/** "Question Types" headings, plus the names the "Question object" table lists. */
export const QUESTION_TYPES = [
  'message', 'select_one', 'select_many', 'multiple_choice_one', 'multiple_choice_many', 'numeric', 'open', 'text',
  'image', 'video', 'audio', 'geo_point', 'date', 'time', 'datetime',
] as const;

/** RFC 3339 section 5.6 date-time with a numeric offset ("+00:00 shall be used, instead of the Z"). */
const TIMESTAMP = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?[+-]\\d{2}:\\d{2}$';

const FIELDS = [
  ['timestamp', 'Timestamp', 'datetime'],
  ['row_id', 'Row ID', 'string'],
  ['contact_id', 'Contact ID', 'string'],
  ['session_id', 'Session ID', 'string'],
  ['question_id', 'Question ID', 'string'],
  ['response', 'Response', 'any'],
  ['response_metadata', 'Response Metadata', 'object'],
].map(([name, title, type]) => ({ type: 'object', required: ['name', 'type'], properties: { name: { const: name }, title: { const: title }, type: { const: type } } }));

const QUESTION = {
  type: 'object',
  required: ['type', 'label', 'type_options'],
  properties: {
    type: { enum: QUESTION_TYPES },
    label: { type: 'string', minLength: 1 },
    type_options: { type: 'object' },
    semantic_labels: { type: 'array', items: { type: 'string' } },
    is_personal_information: { type: 'boolean' },
    set_contact_property: { type: 'string' },
    set_group_membership: { type: 'string' },
  },
  allOf: [
    // select_one / select_many: "choices | Yes | Array of choices presented to the Contact".
    {
      if: { properties: { type: { enum: ['select_one', 'select_many', 'multiple_choice_one', 'multiple_choice_many'] } } },
      then: { properties: { type_options: { type: 'object', required: ['choices'], properties: { choices: { type: 'array', minItems: 1, items: { type: 'string' }, uniqueItems: true } } } } },
    },
    // numeric: range optional, [min, max].
    { if: { properties: { type: { const: 'numeric' } } }, then: { properties: { type_options: { type: 'object', properties: { range: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } } } } } },
  ],
};

/** "Descriptor" and "Resource" sections. */
export const DESCRIPTOR_SCHEMA = {
  type: 'object',
  required: ['profile', 'flow_results_specification_version', 'created', 'modified', 'id', 'resources'],
  properties: {
    profile: { const: 'flow-results-package' },
    flow_results_specification_version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' },
    created: { type: 'string', pattern: TIMESTAMP },
    modified: { type: 'string', pattern: TIMESTAMP },
    // "id's are Version 4 UUIDs (RFC 4122)".
    id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' },
    // Data Package: lower-case alphanumerics and . _ -.
    name: { type: 'string', pattern: '^[a-z0-9._-]+$' },
    title: { type: 'string' },
    // "exactly one Resource describing the interaction results".
    resources: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: {
        type: 'object',
        required: ['name', 'schema'],
        // "Inline data ... must not be used": a path or an api_data_url.
        not: { required: ['data'] },
        anyOf: [{ required: ['path'] }, { required: ['api_data_url'] }],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9._-]+$' },
          path: { type: 'string', minLength: 1 },
          access_method: { enum: ['file', 'api'] },
          // "The schema property of the resource must be provided inline".
          schema: {
            type: 'object',
            required: ['fields', 'questions'],
            properties: {
              language: { type: 'string', pattern: '^[a-z]{3}$' },
              fields: { type: 'array', minItems: 7, items: FIELDS, additionalItems: false },
              questions: { type: 'object', minProperties: 1, additionalProperties: QUESTION },
            },
          },
        },
      },
    },
  },
};

/** "Resource Data": exactly 7 columns per row. */
export const ROW_SCHEMA = {
  type: 'array',
  minItems: 7,
  additionalItems: false,
  items: [
    { type: 'string', pattern: TIMESTAMP },
    { type: ['string', 'integer'] },
    { type: ['string', 'integer'] },
    { type: ['string', 'integer'] },
    { type: 'string' },
    {},
    { type: ['object', 'null'] },
  ],
};

// strict: the draft-07 tuple form (items: [...], additionalItems) is meant here.
const ajv = lazyAjv({ allErrors: true, strictTuples: false, allowUnionTypes: true, withFormats: true });
const validateDescriptor = ajv.compile(DESCRIPTOR_SCHEMA);
const validateRow = ajv.compile(ROW_SCHEMA);

interface Descriptor {
  created: string;
  modified: string;
  resources: { schema: { questions: Record<string, { type: string; type_options: { choices?: string[] } }> } }[];
}

/** Every way the package breaks the specification, described (at most `limit`); [] when none. */
export function flowResultsProblems(descriptor: unknown, rows: unknown, limit = 20): string[] {
  const problems: string[] = [];
  if (!validateDescriptor(descriptor)) {
    for (const e of validateDescriptor.errors ?? []) problems.push(`datapackage.json${e.instancePath}: ${e.message}`);
    return problems;
  }
  const d = descriptor as unknown as Descriptor;
  if (Date.parse(d.modified.replace(' ', 'T')) < Date.parse(d.created.replace(' ', 'T'))) problems.push('modified is before created');
  const questions = d.resources[0].schema.questions;
  if (!Array.isArray(rows)) return [...problems, 'the resource data is not a JSON array of rows'];
  const ids = new Set<string>();
  for (const [i, row] of rows.entries()) {
    if (problems.length >= limit) break;
    if (!validateRow(row)) {
      problems.push(`row ${i}: ${(validateRow.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join(', ')}`);
      continue;
    }
    const [, rowId, , , questionId, response, meta] = row as [string, string | number, unknown, unknown, string, unknown, Record<string, unknown> | null];
    // "Row IDs are compared for uniqueness as strings" across the whole package.
    if (ids.has(String(rowId))) problems.push(`row ${i}: row id ${rowId} is not unique`);
    ids.add(String(rowId));
    const q = questions[questionId];
    if (!q) {
      problems.push(`row ${i}: question ${questionId} is not in the schema`);
      continue;
    }
    if (q.type === 'select_one' || q.type === 'multiple_choice_one') {
      if (typeof response !== 'string' || !q.type_options.choices!.includes(response)) problems.push(`row ${i}: ${JSON.stringify(response)} is not a choice of ${questionId}`);
    } else if (q.type === 'text' && typeof response !== 'string') {
      problems.push(`row ${i}: a text response must be a string`);
    } else if (q.type === 'open' && (!meta || typeof meta.type !== 'string' || typeof meta.type_options !== 'object' || meta.type_options === null)) {
      // "open": the row's metadata must give its type and type_options.
      problems.push(`row ${i}: an open response needs response_metadata.type and type_options`);
    }
  }
  return problems;
}
