import * as path from 'node:path';
import { StaffAccountsRepository } from '../src/auth/staff-accounts';
import { loadGazetteer } from '../src/gazetteer/gazetteer';
import { loadScorecard } from '../src/scorecard/scorecard';
import { AuditEntry } from '../src/staff/audit-log';
import { Rating } from '../src/store/ratings';
import { Store } from '../src/store/store';

const ROOT = path.resolve(__dirname, '..');

/**
 * `count` ratings spread over this year to date across every commune, a call's ratings from one
 * caller, and one audit entry per 5 ratings.
 */
export async function seedStaffBusyData(store: Store, count: number): Promise<void> {
  const gazetteer = loadGazetteer(path.join(ROOT, 'data/gazetteer'));
  const scorecard = loadScorecard(path.join(ROOT, 'config/scorecard.json'));
  const communes = gazetteer.communes();
  let seed = 20261130;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) % 2 ** 32;
    return seed / 2 ** 32;
  };
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const yearStart = Date.UTC(new Date().getUTCFullYear(), 0, 1) - 7 * 3600_000;
  const span = Date.now() - yearStart - 3600_000;
  let batch: Rating[] = [];
  for (let made = 0, call = 0; made < count; call++) {
    const commune = pick(communes);
    const service = pick(scorecard.services);
    const lineage = gazetteer.lineage(commune.code);
    const at = yearStart + Math.floor(random() * span);
    // One caller per call, as on the line, some calling more than once; a call's answers about
    // the caller (asked once, at its end) on each of its ratings.
    const callerId = `seed-caller-${Math.floor(random() * count / 10)}`;
    const demographics = { gender: pick(['woman', 'man', 'unstated']), ageGroup: pick(['under-25', '25-59', '60-plus']), disability: pick(['yes', 'no', 'no', 'no']) };
    for (const ind of service.indicators) {
      if (made >= count) break;
      batch.push({
        _id: `CAseed${call.toString(36)}:${commune.code}:${service.id}:${ind.id}`,
        callSid: `CAseed${call.toString(36)}`, callerId,
        communeCode: commune.code, districtCode: lineage.districtCode, provinceCode: lineage.provinceCode,
        service: service.id, indicatorId: ind.id, score: 1 + Math.floor(random() * 5), language: 'km', languageGroup: 'khmer',
        demographics,
        ratedAt: new Date(at),
      } as Rating);
      made++;
    }
    if (batch.length >= 5000 || made >= count) {
      await store.collection<Rating>('ratings').insertMany(batch);
      batch = [];
    }
  }
  const audit: AuditEntry[] = [];
  for (let i = 0; i < count / 5; i++) {
    const at = new Date(yearStart + Math.floor(random() * span));
    audit.push({ _id: `${at.getTime().toString(36).padStart(9, '0')}-seed${i}`, at, username: 'seed-viewer', action: pick(['list-messages', 'view-message', 'play-message', 'view-report']) });
    if (audit.length >= 5000) await store.collection<AuditEntry>('staff_audit').insertMany(audit.splice(0));
  }
  if (audit.length) await store.collection<AuditEntry>('staff_audit').insertMany(audit);
}

export async function addStaffAccount(store: Store, username: string, password: string): Promise<void> {
  await new StaffAccountsRepository(store).create(username, 'admin', password);
}
