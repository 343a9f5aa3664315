import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { parsePeriod } from '../../src/reports/period';
import { reportCsv, runReport } from '../../src/reports/scorecard-report';
import { ComparedSummary, Summary } from '../../src/reports/scorecard-summary';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { ProgrammeAreas } from '../../src/site/programme-areas';
import { LANGUAGE_COOKIE } from '../../src/staff/i18n/i18n';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { auditSummary } from './disclosure-audit';
import { rating, storeRatings } from './rating-fixture';

/**
 * Facility figures from stored ratings: the summary (with breakdowns and compared with a
 * baseline), the summary CSV and the staff commune page. Commune 080101 (Ampov Prey) has two
 * primary schools of the programme and one school the programme file does not name:
 *   ps-ampov-prey 6 callers (shown), ps-prey-toteung 5 (withheld: the commune's school total
 *   minus the two would be the unnamed school's 2 callers), ps-unlisted 2 (too few);
 * and the health centre hc-ampov-prey, rated by 5 callers from 080101 and 5 from 080102: one
 * figure under each commune, none of its own. Commune 010201 has ratings that name no facility.
 */
const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const Q1 = parsePeriod('2026-01-01', '2026-04-01');
const Q4 = parsePeriod('2025-10-01', '2026-01-01');
const PROGRAMME: ProgrammeAreas = {
  communes: ['080101', '080102'],
  facilities: [
    { id: 'ps-ampov-prey', service: 'school', name: { en: 'Ampov Prey primary school', km: 'សាលាបឋមសិក្សាអំពៅព្រៃ' }, communes: ['080101'] },
    { id: 'ps-prey-toteung', service: 'school', name: { en: 'Prey Toteung primary school', km: 'សាលាបឋមសិក្សាព្រៃទទឹង' }, communes: ['080101'] },
    { id: 'hc-ampov-prey', service: 'health', name: { en: 'Ampov Prey health centre', km: 'មណ្ឌលសុខភាពអំពៅព្រៃ' }, communes: ['080101', '080102'] },
  ],
};

const rated = (caller: string, commune: string, service: string, indicatorId: string, score: number, facilityId: string | undefined, at = '2026-02-01T03:00:00Z'): Rating =>
  rating(caller, commune, indicatorId, score, at, { gender: 'woman' }, { service, ...(facilityId ? { facilityId } : {}) });
const many = (prefix: string, n: number, make: (caller: string) => Rating) => Array.from({ length: n }, (_, k) => make(`${prefix}${k}`));
const RATINGS: Rating[] = [
  ...many('a', 6, (c) => rated(c, '080101', 'school', 'teacher-attendance', 5, 'ps-ampov-prey')),
  ...many('b', 5, (c) => rated(c, '080101', 'school', 'teacher-attendance', 2, 'ps-prey-toteung')),
  ...many('u', 2, (c) => rated(c, '080101', 'school', 'teacher-attendance', 1, 'ps-unlisted')),
  ...many('h', 5, (c) => rated(c, '080101', 'health', 'staff-attitude', 4, 'hc-ampov-prey')),
  ...many('k', 5, (c) => rated(c, '080102', 'health', 'staff-attitude', 3, 'hc-ampov-prey')),
  ...many('n', 5, (c) => rated(c, '010201', 'health', 'staff-attitude', 3, undefined)),
  // The baseline quarter: ps-ampov-prey by 5 callers.
  ...many('q', 5, (c) => rated(c, '080101', 'school', 'teacher-attendance', 3, 'ps-ampov-prey', '2025-11-01T03:00:00Z')),
];

describe(`facility figures in reports (${ENGINE} store)`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    await storeRatings(store, RATINGS);
  });
  afterAll(async () => closeTestStore(store));
  const deps = () => ({ store, scorecard, gazetteer, facilities: PROGRAMME.facilities });

  it("lists each commune's facilities with their figures, named from the programme areas or by id", async () => {
    const summary = (await runReport(deps(), { period: Q1, area: {}, breakdowns: true })) as Summary;
    // Audited against the raw ratings: each facility's callers and answers, nothing shown on fewer than 5,
    // and no commune total minus its shown facilities leaving 1 to 4 callers.
    const raw = (await store.collection<Rating>('ratings').find({})).filter((r) => r.ratedAt >= Q1.from && r.ratedAt < Q1.to);
    expect(auditSummary(summary, raw)).toEqual([]);
    const commune = summary.communes.find((c) => c.code === '080101')!;
    expect(commune.facilities!.map((f) => [f.id, f.name.latin, f.services.map((s) => `${s.service}:${s.status}`)])).toEqual([
      ['hc-ampov-prey', 'Ampov Prey health centre', ['health:shown']],
      ['ps-ampov-prey', 'Ampov Prey primary school', ['school:shown']],
      ['ps-prey-toteung', 'Prey Toteung primary school', ['school:protects-another']],
      ['ps-unlisted', 'ps-unlisted', ['school:too-few']],
    ]);
    const school = commune.facilities![1].services[0];
    expect(school).toMatchObject({ callers: 6, answers: 6, median: 5, satisfiedShare: 1 });
    expect(school.indicators.find((i) => i.id === 'teacher-attendance')).toMatchObject({ status: 'shown', callers: 6 });
    expect(school.groups!.women).toMatchObject({ status: 'shown', callers: 6 });
    expect(commune.services.find((s) => s.service === 'school')).toMatchObject({ status: 'shown', callers: 13 });
    // The health centre from each commune it serves, that commune's callers only.
    const other = summary.communes.find((c) => c.code === '080102')!;
    expect(other.facilities!.map((f) => [f.id, f.services[0].callers])).toEqual([['hc-ampov-prey', 5]]);
    expect(commune.facilities![0].services[0]).toMatchObject({ callers: 5, median: 4 });
    // A commune whose ratings name no facility lists none; districts and provinces never do.
    expect(summary.communes.find((c) => c.code === '010201')!.facilities).toBeUndefined();
    expect([...summary.districts, ...summary.provinces].some((a) => a.facilities)).toBe(false);
  });

  it('writes facility rows after their commune in the summary CSV, every other column where it was', async () => {
    const lines = reportCsv(await runReport(deps(), { period: Q1, area: { communes: ['080101'] } }), { bom: false }).split('\r\n');
    expect(lines[0]).toBe('period_from,period_to,level,code,name_km,name_latin,service,indicator,callers,answers,median,mean,count_1,count_2,count_3,count_4,count_5,satisfied_share,status');
    expect(lines).toContain('2026-01-01,2026-04-01,facility,080101/ps-ampov-prey,សាលាបឋមសិក្សាអំពៅព្រៃ,Ampov Prey primary school,school,all,6,6,5,5,0,0,0,0,6,1,');
    expect(lines).toContain('2026-01-01,2026-04-01,facility,080101/ps-ampov-prey,សាលាបឋមសិក្សាអំពៅព្រៃ,Ampov Prey primary school,school,teacher-attendance,6,6,5,5,0,0,0,0,6,1,');
    expect(lines).toContain('2026-01-01,2026-04-01,facility,080101/ps-prey-toteung,សាលាបឋមសិក្សាព្រៃទទឹង,Prey Toteung primary school,school,all,,,,,,,,,,,protects another');
    expect(lines).toContain('2026-01-01,2026-04-01,facility,080101/ps-unlisted,ps-unlisted,ps-unlisted,school,all,,,,,,,,,,,too few');
    const firstFacility = lines.findIndex((l) => l.includes(',facility,'));
    expect(lines.slice(1, firstFacility).every((l) => l.includes(',commune,080101,'))).toBe(true);
    // One row per service (all) and indicator of each facility: 4 facilities, one service each.
    expect(lines.filter((l) => l.includes(',facility,')).length).toBe(4 + 6 + 5 + 5 + 5);
  });

  it('sets a facility beside its baseline in a compared summary, and its CSV', async () => {
    const compared = (await runReport(deps(), { period: Q1, baseline: Q4, area: { communes: ['080101'] } })) as ComparedSummary;
    const school = compared.communes[0].facilities!.find((f) => f.id === 'ps-ampov-prey')!.services[0];
    expect(school).toMatchObject({ callers: 6, median: 5, baseline: { callers: 5, median: 3 }, change: { median: 2 } });
    // Rated in Q1 only: its baseline is "no ratings".
    expect(compared.communes[0].facilities!.find((f) => f.id === 'hc-ampov-prey')!.services[0].baseline.status).toBe('no-ratings');
    const csv = reportCsv(compared, { bom: false });
    expect(csv).toContain('facility,080101/ps-ampov-prey,សាលាបឋមសិក្សាអំពៅព្រៃ,Ampov Prey primary school,school,all,6,6,5,5,0,0,0,0,6,1,,5,5,3,3,0,,2,2,1\r\n');
  });
});

describe(`facility figures on the staff commune page (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  beforeAll(async () => {
    const file = path.join(tempDir('programme-'), 'programme-areas.json');
    fs.writeFileSync(file, JSON.stringify(PROGRAMME));
    h = await startHotline({ PROGRAMME_AREAS_FILE: file });
    await storeRatings(h.store, RATINGS);
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  });
  afterAll(async () => h.stop());

  it("shows a table of the commune's facilities, in English and in Khmer", async () => {
    const { res, text } = await viewer.page('/staff/reports/commune/080101?from=2026-01-01&to=2026-04-01');
    expect(res.status).toBe(200);
    const table = text.slice(text.indexOf('<table class="facilities">'), text.indexOf('</table>', text.indexOf('<table class="facilities">')));
    expect(table).toContain('<span class="latin" lang="en">Ampov Prey primary school</span><br><span class="muted facility-service"><span lang="en">Primary school</span>');
    expect(table).toContain('<td><strong class="of-ten">10 of 10</strong> <span class="muted exact">100% · 6 callers</span></td>');
    expect(table).toContain('Prey Toteung primary school');
    expect(table).toContain('Not shown: it would let a smaller group be worked out');
    expect(table).toMatch(/<th scope="row">ps-unlisted<br>.*Not shown: fewer than 5 callers/);
    expect(text).toContain('Facilities rated from this commune');
    viewer.cookies.set(LANGUAGE_COOKIE, 'km');
    const km = await viewer.page('/staff/reports/commune/080101?from=2026-01-01&to=2026-04-01');
    viewer.cookies.delete(LANGUAGE_COOKIE);
    expect(km.text).toContain('មូលដ្ឋានសេវាដែលបានវាយតម្លៃពីឃុំនេះ');
    // A commune whose ratings name no facility has no such table.
    const none = await viewer.page('/staff/reports/commune/010201?from=2026-01-01&to=2026-04-01');
    expect(none.text).not.toContain('class="facilities"');
  });
});
