import { parseScript } from '../../src/simulator/call-simulator';
import { dontKnowAnswers } from '../../src/reports/dont-know';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';

/** From the keypad to the staff report: 9 on a rating question is kept, never a score, and counted apart. */
describe(`"don't know" from the phone to the report (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'rev1', 'reviewer');
  });
  afterEach(async () => {
    await h.stop();
  });

  const period = () => {
    const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 31 * 3600 * 1000).toISOString().slice(0, 10);
    return parsePeriod('2026-01-01', tomorrow > today ? tomorrow : today);
  };

  it('five callers press 9 on the first statement and 4 on the second: the first has no figure, the report names 5 answers apart', async () => {
    for (let i = 0; i < 5; i++) await h.call(parseScript('1,2,120101,1,2,1,9,4,hangup'), { from: `+8551288800${i}` });
    const rows = await RatingScope.of(h.store, period(), { communes: ['120101'] }).countBy(['indicatorId']);
    expect(rows.map((r) => [r.key.indicatorId, r.counts])).toEqual([['waiting-time', [0, 0, 0, 5, 0]]]);
    expect(await dontKnowAnswers(h.store, period(), { communes: ['120101'] })).toEqual({ answers: 5, callers: 5, status: 'shown' });
    const rev = await new StaffClient(h).signedIn('rev1');
    const { text } = await rev.page(`/staff/reports?from=2026-01-01&to=${period().label.to}`);
    expect(text).toContain('5 answers of this period were');
  });
});
