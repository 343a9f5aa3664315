import * as fs from 'node:fs';
import * as path from 'node:path';
import { RoundResult, ScorecardRound } from '../../src/rounds/scorecard-round';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { rating, storeRatings } from '../reports/rating-fixture';
import { addAccount, seedMessage, StaffClient } from './staff-support';

/**
 * Scorecard rounds at the desk, through the real app: a reviewer adds a round (Khmer digits
 * accepted), enters the meeting's and the providers' results, moves the round on; a move made
 * from a stale page is refused with a message and changes nothing; the round page and the
 * meeting pack show the phone figures as the reports do, a withheld one withheld; viewers read
 * only; every change audited.
 */
describe(`the scorecard round pages (${ENGINE} store)`, () => {
  let h: TestHotline;
  const ROUND = '080101-health-2026';
  const rounds = () => h.store.collection<ScorecardRound>('scorecard_rounds');
  const results = () => h.store.collection<RoundResult>('round_results').find({}, { sort: { _id: 1 } });

  beforeEach(async () => {
    // The shipped sample programme, as a site's own (a sample offers no facility).
    const sample = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'programme-areas.json'), 'utf8'));
    const file = path.join(tempDir('programme-'), 'programme-areas.json');
    fs.writeFileSync(file, JSON.stringify({ ...sample, sample: false }));
    h = await startHotline({ PROGRAMME_AREAS_FILE: file });
    await addAccount(h.store, 'rev1', 'reviewer');
    await addAccount(h.store, 'view1', 'viewer');
    // Ten callers rate waiting time (median 4); three rate medicines (withheld: too few); six rate
    // staff attitude, withheld with medicines so that medicines cannot be worked out from the service's total.
    const at = '2026-02-03T03:00:00Z';
    await storeRatings(h.store, [
      ...[5, 5, 4, 4, 4, 3, 3, 2, 1, 5].map((score, k) => rating(`k${k}`, '080101', 'waiting-time', score, at)),
      ...[1, 2, 3].map((k) => rating(`m${k}`, '080101', 'medicines', 1, at)),
      ...[1, 2, 3, 4, 5, 6].map((k) => rating(`s${k}`, '080101', 'staff-attitude', 3, at)),
    ]);
    await seedMessage(h.store, { communeCode: '080101', service: 'health', audio: null, createdAt: new Date(at), state: 'forwarded' });
  });
  afterEach(async () => h.stop());

  it('a reviewer adds a round, enters both stored channels, moves it on, and the pack shows all three side by side', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    // The rounds page leads to the DCS report import (src/staff/round-import-pages.ts).
    expect((await rev.page('/staff/rounds')).text).toContain('<a href="/staff/rounds/import">Import a Digital Community Scorecard report</a>');
    const made = await rev.post('/staff/rounds', { commune: '០៨០១០១', service: 'health', facility: '', year: '២០២៦', plannedOn: '2026-04-01' });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe(`/staff/rounds/${ROUND}`);
    expect(await rounds().findOne({ _id: ROUND })).toMatchObject({ state: 'planned', phoneFrom: '2025-04-01', phoneTo: '2026-04-01', districtCode: '0801', provinceCode: '08', createdBy: 'rev1' });
    expect((await rev.post('/staff/rounds', { commune: '080101', service: 'health', year: '2026' })).status).toBe(409);
    // A facility of another service and commune is refused.
    expect((await rev.post('/staff/rounds', { commune: '080101', service: 'health', facility: 'ps-anlong-romiet', year: '2026' })).status).toBe(400);
    const facilityRound = await rev.post('/staff/rounds', { commune: '080101', service: 'health', facility: 'hc-ampov-prey', year: '2026' });
    expect(facilityRound.headers.get('location')).toBe('/staff/rounds/080101-hc-ampov-prey-2026');

    const page = await rev.page(`/staff/rounds/${ROUND}`);
    expect(page.res.status).toBe(200);
    expect(page.text).toContain('4 (10 callers)');
    expect(page.text).toContain('Not shown: fewer than 5 callers');

    const meeting = await rev.post(`/staff/rounds/${ROUND}/results`, {
      channel: 'meeting', indicator: 'waiting-time', c1: '០', c2: '២', c3: '3', c4: '4', c5: '1',
      strengths: 'Nurses explain the treatment\n', weaknesses: '', suggested: 'A duty roster on the door\n  A bench in the shade ', priorities: 'A duty roster on the door',
    });
    expect(meeting.status).toBe(303);
    await rev.post(`/staff/rounds/${ROUND}/results`, { channel: 'self-assessment', indicator: 'waiting-time', c4: '1', c5: '2' });
    await rev.post(`/staff/rounds/${ROUND}/results`, { channel: 'meeting', indicator: 'proposed', proposedWords: 'Clean toilets for women', c1: '3', c2: '1' });
    expect((await rev.post(`/staff/rounds/${ROUND}/results`, { channel: 'meeting', indicator: 'waiting-time', c1: '0' })).status).toBe(400);
    expect((await rev.post(`/staff/rounds/${ROUND}/results`, { channel: 'meeting', indicator: 'proposed', c1: '1' })).status).toBe(400);
    expect((await results()).map((r) => `${r.channel} ${r.indicatorKey} ${r.counts.join('')}`)).toEqual([
      'meeting proposed:clean-toilets-for-women 31000', 'meeting waiting-time 02341', 'self-assessment waiting-time 00012',
    ]);
    expect((await results())[1]).toMatchObject({ strengths: ['Nurses explain the treatment'], weaknesses: [], suggestedActions: ['A duty roster on the door', 'A bench in the shade'], priorityActions: ['A duty roster on the door'], source: 'desk', enteredBy: 'rev1' });

    // The "change" link fills the form in with what is stored.
    const edit = await rev.page(`/staff/rounds/${ROUND}?channel=meeting&indicator=waiting-time`);
    expect(edit.text).toContain('>Nurses explain the treatment</textarea>');
    const round = await rev.page(`/staff/rounds/${ROUND}`);
    expect(round.text).toContain('3.5 (10 people)');
    expect(round.text).toContain('−1.5');

    expect((await rev.post(`/staff/rounds/${ROUND}/state`, { from: 'planned', state: 'open' })).status).toBe(303);
    // The same form sent again from the stale page: refused with a message, nothing changes.
    const stale = await rev.post(`/staff/rounds/${ROUND}/state`, { from: 'planned', state: 'open' });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('Someone moved this round to “Open” while you had it open');
    expect((await rev.post(`/staff/rounds/${ROUND}/state`, { from: 'open', state: 'completed' })).status).toBe(400);
    expect(await rounds().findOne({ _id: ROUND })).toMatchObject({ state: 'open', history: [expect.objectContaining({ state: 'open', by: 'rev1' })] });

    expect((await rev.post(`/staff/rounds/${ROUND}/dates`, { plannedOn: '2026-04-01', heldOn: '២០២៦-០៤-០២', phoneFrom: '2026-01-01', phoneTo: '2026-03-31' })).status).toBe(303);
    expect(await rounds().findOne({ _id: ROUND })).toMatchObject({ heldOn: '2026-04-02', phoneFrom: '2026-01-01', phoneTo: '2026-04-01' });
    expect((await rev.post(`/staff/rounds/${ROUND}/dates`, { phoneFrom: '2026-03-01', phoneTo: '2026-02-30' })).status).toBe(400);

    const pack = await rev.page(`/staff/rounds/${ROUND}/meeting-pack`);
    expect(pack.res.status).toBe(200);
    expect(pack.text).toContain('Interface meeting pack');
    expect(pack.text).toMatch(/A duty roster on the door<\/span> <strong class="priority-mark">Priority/);
    expect(pack.text).toContain('A bench in the shade');
    expect(pack.text).toContain('Clean toilets for women');
    expect(pack.text).toContain('Gap to the providers&#39; own score: meeting −1.5, phone −1.');
    // One voice message: the printed pack (for a public meeting) does not say how many, the desk's round page does.
    expect(pack.text).toContain('Voice messages about this service in the phone period: fewer than 5 (the number is not printed');
    expect(pack.text).not.toMatch(/in the phone period: 1\./);
    expect((await rev.page(`/staff/rounds/${ROUND}`)).text).toMatch(/Voice messages about this service in the phone period: 1\.[^<]*Forwarded: 1/);
    // Medicines: three callers, withheld on the pack as on the reports.
    expect(pack.text).toMatch(/Medicines are available[\s\S]*?Not shown: fewer than 5 callers/);

    const listed = await rev.page('/staff/rounds?year=២០២៦&province=08&state=open');
    expect(listed.text).toContain(`/staff/rounds/${ROUND}"`);
    expect(listed.text).not.toContain('080101-hc-ampov-prey-2026');
    expect((await rev.page('/staff/rounds?year=20x6')).res.status).toBe(400);

    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'rev1' });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['add-round', 'round-result', 'round-state', 'round-dates', 'view-meeting-pack']));
    expect(audit.filter((e) => e.action === 'round-result')).toHaveLength(3);
  });

  it('lets a viewer read rounds and the meeting pack but change nothing', async () => {
    const rev = await new StaffClient(h).signedIn('rev1');
    await rev.page('/staff/rounds');
    await rev.post('/staff/rounds', { commune: '080101', service: 'health', year: '2026' });
    const viewer = await new StaffClient(h).signedIn('view1');
    const list = await viewer.page('/staff/rounds');
    expect(list.text).toContain(`/staff/rounds/${ROUND}"`);
    expect(list.text).not.toContain('method="post" action="/staff/rounds"');
    const page = await viewer.page(`/staff/rounds/${ROUND}`);
    expect(page.res.status).toBe(200);
    expect(page.text).not.toContain('/results"');
    expect(page.text).not.toContain('/state"');
    expect((await viewer.page(`/staff/rounds/${ROUND}/meeting-pack`)).res.status).toBe(200);
    expect((await viewer.post(`/staff/rounds/${ROUND}/results`, { channel: 'meeting', indicator: 'waiting-time', c1: '1' })).status).toBe(403);
    expect((await viewer.post(`/staff/rounds/${ROUND}/state`, { from: 'planned', state: 'open' })).status).toBe(403);
    expect(await results()).toEqual([]);
    expect((await viewer.page('/staff/rounds/080101-health-1999')).res.status).toBe(404);
  });
});
