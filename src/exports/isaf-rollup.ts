/**
 * The national ISAF roll-up (`npm run export -- --isaf`): what the seed asks implementers to pool
 * for national policy reflection, as typed records: scorecard rounds with their stored meeting
 * and self-assessment results, JAAP plans, JAAP items with their status history, and the JAAP
 * result indicator's rows (the same rows as `npm run report -- --jaap --format csv`). Every record
 * carries `type` and `schemaVersion`; docs/isaf-rollup.schema.json describes them.
 *
 * No caller data at all: rounds, meeting counts and JAAPs are about groups and public
 * commitments. Left out on purpose: staff usernames (who entered or changed what) and the notes
 * staff write on a status change (free text, which could name or number a citizen). Phone-channel
 * figures are not exported here: they are published figures of `npm run report`, under its
 * disclosure control.
 */
import * as fs from 'node:fs';
import { once } from 'node:events';
import { Gazetteer } from '../gazetteer/gazetteer';
import { JaapRegister } from '../jaap/jaap-register';
import { jaapReportRows, JAAP_CSV_FIGURES } from '../jaap/jaap-results';
import { countJaapResults } from '../jaap/jaap-results-count';
import { RoundRegister } from '../rounds/round-register';
import { Store } from '../store/store';

export const ISAF_ROLLUP_SCHEMA_VERSION = 1;
/** The widest period: every record in the store. */
const ALL = { from: '1900-01-01', to: '9999-01-01' };
/** More rounds than any country holds in its store; the register's list needs a limit. */
const EVERY_ROUND = 10_000_000;

export type IsafRecordType = 'export' | 'scorecard-round' | 'jaap-plan' | 'jaap-item' | 'jaap-result';
export type IsafRecord = { type: IsafRecordType; schemaVersion: number } & Record<string, unknown>;

export interface IsafRollupOptions {
  /** Cambodian calendar days, `to` excluded; without them, everything. */
  period?: { from: string; to: string };
  /** The day unfinished JAAP items are counted on (Cambodian calendar day). */
  asOfDay: string;
  exportedAt: Date;
}

const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * The records, in order: one `export` record (what was exported, for when), then rounds, plans,
 * items and result rows. A round belongs to the period by the day it was held, else the day it
 * was planned, else the first day of its year; a JAAP by the day it was agreed.
 */
export async function* isafRollupRecords(store: Store, gazetteer: Gazetteer, o: IsafRollupOptions): AsyncGenerator<IsafRecord> {
  const period = o.period ?? ALL;
  const v = { schemaVersion: ISAF_ROLLUP_SCHEMA_VERSION };
  yield { type: 'export', ...v, exportedAt: o.exportedAt.toISOString(), from: o.period?.from ?? null, to: o.period?.to ?? null, asOf: o.asOfDay, phoneFigures: 'not-included' };

  const rounds = new RoundRegister(store);
  for (const r of await rounds.list({}, EVERY_ROUND)) {
    const day = r.heldOn ?? r.plannedOn ?? `${r.year}-01-01`;
    if (day < period.from || day >= period.to) continue;
    const results = await rounds.resultsOf(r._id);
    yield defined({
      type: 'scorecard-round' as const, ...v,
      id: r._id, communeCode: r.communeCode, districtCode: r.districtCode, provinceCode: r.provinceCode, service: r.service, facilityId: r.facilityId,
      year: r.year, plannedOn: r.plannedOn, heldOn: r.heldOn, phoneFrom: r.phoneFrom, phoneTo: r.phoneTo, state: r.state,
      history: r.history.map((h) => ({ state: h.state, at: iso(h.at) })),
      dcsScorecardIds: r.dcsScorecardIds,
      results: results.map((x) => defined({
        channel: x.channel, indicatorKey: x.indicatorKey, indicatorName: x.indicatorName, counts: x.counts,
        strengths: x.strengths, weaknesses: x.weaknesses, suggestedActions: x.suggestedActions, priorityActions: x.priorityActions,
        source: x.source, enteredAt: iso(x.enteredAt),
      })),
    });
  }

  const jaaps = new JaapRegister(store);
  for (const p of await jaaps.plansAgreedIn(period.from, period.to)) {
    yield { type: 'jaap-plan', ...v, id: p._id, communeCode: p.communeCode, districtCode: p.communeCode.slice(0, 4), provinceCode: p.communeCode.slice(0, 2), year: p.year, agreedOn: p.agreedOn };
  }
  for (const i of await jaaps.itemsOfPlansAgreedIn(period.from, period.to)) {
    yield defined({
      type: 'jaap-item' as const, ...v,
      id: i._id, jaapId: i.jaapId, communeCode: i.communeCode, districtCode: i.districtCode, provinceCode: i.provinceCode, year: i.year,
      agreedOn: i.agreedOn, deadline: i.deadline, section: i.section, no: i.no, activity: i.activity, proposer: i.proposer, targetResponse: i.targetResponse,
      service: i.service, facilityName: i.facilityName, quantity: i.quantity, unit: i.unit, startMonth: i.startMonth, endMonth: i.endMonth,
      beneficiariesTotal: i.beneficiariesTotal, beneficiariesFemale: i.beneficiariesFemale, costRiel: i.costRiel, implementer: i.implementer,
      fundSource: i.fundSource, indicatorId: i.indicatorId, status: i.status, doneAt: iso(i.doneAt),
      history: i.history.map((h) => ({ status: h.status, at: iso(h.at) })),
    });
  }

  const report = await countJaapResults(store, gazetteer, { period, asOfDay: o.asOfDay });
  const [header, ...rows] = jaapReportRows(report);
  for (const row of rows) {
    const cell = (name: string) => row[header.indexOf(name)];
    yield {
      type: 'jaap-result', ...v,
      level: cell('level'), code: cell('code') || null, nameKm: cell('name_km') || null, nameLatin: cell('name_latin') || null, breakdown: cell('breakdown'),
      ...Object.fromEntries(JAAP_CSV_FIGURES.map((f) => [f, cell(f)])),
      from: o.period ? report.period.from : null, to: o.period ? report.period.to : null, asOf: report.asOf,
    };
  }
}

export type IsafRollupFormat = 'json' | 'ndjson';

/**
 * Writes the roll-up to `file`: NDJSON, one record a line (the `export` record first), or one JSON
 * document `{ type: "isaf-rollup", schemaVersion, records: [...] }`. Written to `file.part` and
 * renamed when complete, so a failed export leaves no half file under the name asked for.
 */
export async function writeIsafRollup(store: Store, gazetteer: Gazetteer, file: string, format: IsafRollupFormat, o: IsafRollupOptions): Promise<Record<IsafRecordType, number>> {
  const counts: Record<IsafRecordType, number> = { export: 0, 'scorecard-round': 0, 'jaap-plan': 0, 'jaap-item': 0, 'jaap-result': 0 };
  const part = `${file}.part`;
  const out = fs.createWriteStream(part, { encoding: 'utf8' });
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    if (format === 'json') await write(`{"type":"isaf-rollup","schemaVersion":${ISAF_ROLLUP_SCHEMA_VERSION},"records":[\n`);
    let first = true;
    for await (const record of isafRollupRecords(store, gazetteer, o)) {
      counts[record.type] += 1;
      await write(format === 'ndjson' ? `${JSON.stringify(record)}\n` : `${first ? '' : ',\n'}${JSON.stringify(record)}`);
      first = false;
    }
    if (format === 'json') await write('\n]}\n');
    out.end();
    await once(out, 'finish');
    fs.renameSync(part, file);
    return counts;
  } catch (err) {
    out.destroy();
    fs.rmSync(part, { force: true });
    throw err;
  }
}
