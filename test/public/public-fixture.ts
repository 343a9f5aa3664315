import { JaapRegister } from '../../src/jaap/jaap-register';
import { PublicAreaSnapshot, PublicFigure, PublicLevel, PublicResults, PublicServiceFigure, snapshotId } from '../../src/public/public-results';
import { planItem } from '../support/jaap-items';

/**
 * Published snapshots as the builder saves them, for the public pages' tests: two quarters; in
 * 2026-Q1 the health centre's figure is shown (7 of 10, up 2 since 2025-Q4, 23 callers), the
 * school's is withheld with the district as the wider view, nobody rated the commune office.
 * A 2025 JAAP of 120101 (Khmer), one item done and checked by 6 callers, one done and checked by 2.
 */
const shown = (share: number, callers: number, change: number | null = null): PublicFigure => ({
  status: 'shown', callers, satisfiedShare: share, outOfTen: { tenths: Math.round(share * 10), underOne: false, overNine: false }, changeOutOfTen: change, widerView: null,
});
const withheld = (status: 'too-few' | 'protects-another' | 'no-ratings', wider: PublicFigure['widerView'] = null): PublicFigure => ({
  status, callers: null, satisfiedShare: null, outOfTen: null, changeOutOfTen: null, widerView: wider,
});

function area(periodId: string, level: PublicLevel, code: string, name: { km: string; latin: string }, services: PublicServiceFigure[], children: string[]): PublicAreaSnapshot {
  const parents = level === 'facility' ? [{ level: 'province' as const, code: code.slice(0, 2) }, { level: 'district' as const, code: code.slice(0, 4) }, { level: 'commune' as const, code: code.slice(0, 6) }] : [];
  return { _id: snapshotId(periodId, level, code), periodId, level, code, name, parents, services, children, builtAt: new Date('2026-04-01T00:00:00Z') };
}

export async function publishFixture(results: PublicResults): Promise<void> {
  await results.savePeriod({ id: '2026-Q1', kind: 'quarter', from: '2026-01-01', to: '2026-04-01', final: true, builtAt: new Date('2026-04-01T01:00:00Z') });
  await results.savePeriod({ id: '2025-Q4', kind: 'quarter', from: '2025-10-01', to: '2026-01-01', final: true, builtAt: new Date('2026-01-01T01:00:00Z') });
  const health = (share: number, callers: number, change: number | null): PublicServiceFigure => ({
    service: 'health', ...shown(share, callers, change), indicators: [{ id: 'waiting-time', ...shown(0.6, 20) }, { id: 'medicines', ...withheld('too-few') }],
  });
  const school = (wider: PublicFigure['widerView']): PublicServiceFigure => ({ service: 'school', ...withheld('too-few', wider), indicators: [] });
  const office: PublicServiceFigure = { service: 'commune', ...withheld('no-ratings'), indicators: [] };
  const names = {
    KH: { km: 'កម្ពុជា', latin: 'Cambodia' }, '12': { km: 'រាជធានីភ្នំពេញ', latin: 'Phnom Penh' }, '1201': { km: 'ចំការមន', latin: 'Chamkar Mon' },
    '120101': { km: 'ទន្លេបាសាក់', latin: 'Tonle Basak' }, '120101/hc-1': { km: 'មណ្ឌលសុខភាពទន្លេបាសាក់', latin: 'Tonle Basak health centre' },
  } as Record<string, { km: string; latin: string }>;
  for (const [periodId, share, callers, change] of [['2026-Q1', 0.7, 23, 2], ['2025-Q4', 0.5, 12, null]] as const) {
    const wide = { level: 'district' as const, code: '1201', periodId };
    await results.saveAreas(periodId, [
      area(periodId, 'country', 'KH', names.KH, [health(share, callers * 10, change), { service: 'school', ...shown(0.4, 80), indicators: [] }], ['12']),
      area(periodId, 'province', '12', names['12'], [health(share, callers * 3, change)], ['1201']),
      area(periodId, 'district', '1201', names['1201'], [health(share, callers * 2, change), { service: 'school', ...shown(0.3, 11), indicators: [] }], ['120101']),
      area(periodId, 'commune', '120101', names['120101'], [health(share, callers, change), school(wide), office], ['120101/hc-1']),
      area(periodId, 'facility', '120101/hc-1', names['120101/hc-1'], [health(share, callers, change)], []),
    ]);
  }
}

export async function jaapFixture(register: JaapRegister, results: PublicResults): Promise<void> {
  await register.addPlan({ _id: '120101-2025', communeCode: '120101', year: 2025, agreedOn: '2025-03-10', createdAt: new Date(), createdBy: 'admin1' });
  const done = { status: 'done' as const, doneAt: new Date('2025-06-01T03:00:00Z'), history: [] };
  await register.addItems([
    planItem('120101', 2025, '2025-03-10', 'A', 1, { activity: 'សាងសង់ផ្លូវជម្រាលនៅមណ្ឌលសុខភាព', proposer: 'Mr Secret Proposer', costRiel: 2_000_000 }),
    planItem('120101', 2025, '2025-03-10', 'B', 1, { activity: 'បិទផ្សាយតម្លៃសេវាផ្លូវការ', ...done, startMonth: '2025-04', endMonth: '2025-06' }),
    planItem('120101', 2025, '2025-03-10', 'B', 2, { activity: 'សម្អាតបង្គន់ជារៀងរាល់សប្តាហ៍', service: 'school', ...done }),
  ]);
  const answers = ['yes', 'yes', 'yes', 'partly', 'no', 'no'] as const;
  for (const [k, answer] of answers.entries()) {
    await results.recordCheck({ itemId: '120101-2025-B1', communeCode: '120101', callerKey: `caller-${k}`, answer, at: new Date(Date.UTC(2025, 6, 1, 3, k)), callSid: `CA${k}` });
  }
  for (const k of [0, 1]) await results.recordCheck({ itemId: '120101-2025-B2', communeCode: '120101', callerKey: `caller-${k}`, answer: 'yes', at: new Date(), callSid: `CB${k}` });
}
