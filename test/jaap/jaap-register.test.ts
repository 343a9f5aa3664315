import { ConflictError, NotFoundError } from '../../src/errors';
import { jaapId } from '../../src/jaap/jaap';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { ENGINE } from '../support/engine';
import { planItem } from '../support/jaap-items';
import { sharedTestStore } from '../support/shared-store';

const day = (d: string) => new Date(`${d}T12:00:00+07:00`);

describe(`the JAAP register (${ENGINE} store)`, () => {
  const sharedStore = sharedTestStore(['jaaps', 'jaap_items']);
  let register: JaapRegister;
  beforeEach(() => { register = new JaapRegister(sharedStore()); });

  const plan = (communeCode: string, year: number, agreedOn: string) => register.addPlan({ _id: jaapId(communeCode, year), communeCode, year, agreedOn, createdAt: new Date(), createdBy: 'dara' });

  it('keeps one JAAP per commune and year, and one item per section and number', async () => {
    await plan('120101', 2025, '2025-03-10');
    await expect(plan('120101', 2025, '2025-04-01')).rejects.toThrow(ConflictError);
    await register.addItems([planItem('120101', 2025, '2025-03-10', 'A', 1), planItem('120101', 2025, '2025-03-10', 'B', 1)]);
    await expect(register.addItems([planItem('120101', 2025, '2025-03-10', 'A', 1)])).rejects.toThrow(ConflictError);
    expect((await register.itemsOf('120101-2025')).map((i) => i._id)).toEqual(['120101-2025-A1', '120101-2025-B1']);
  });

  it('changes a status only from the status it was read with, and keeps every change in the history', async () => {
    await register.addItems([planItem('120101', 2025, '2025-03-10', 'B', 1)]);
    const id = '120101-2025-B1';
    const ongoing = await register.setStatus(id, 'not-started', { status: 'ongoing', at: day('2025-04-01'), by: 'dara' });
    expect(ongoing).toMatchObject({ status: 'ongoing', doneAt: null });
    // A second staff member still looking at "not started" does not overwrite it.
    await expect(register.setStatus(id, 'not-started', { status: 'dropped', at: day('2025-04-02'), by: 'sok' })).rejects.toThrow(ConflictError);
    const done = await register.setStatus(id, 'ongoing', { status: 'done', at: day('2025-09-01'), by: 'sok', note: 'ramp built' });
    expect(done.doneAt).toEqual(day('2025-09-01'));
    expect(done.history).toEqual([
      { status: 'ongoing', at: day('2025-04-01'), by: 'dara' },
      { status: 'done', at: day('2025-09-01'), by: 'sok', note: 'ramp built' },
    ]);
    await expect(register.setStatus('120101-2025-B9', 'ongoing', { status: 'done', at: new Date(), by: 'x' })).rejects.toThrow(NotFoundError);
  });

  it("finds a period's items by agreement day and area, with only the fields the indicator needs", async () => {
    await register.addItems([
      planItem('120101', 2024, '2024-12-31', 'A', 1),
      planItem('120101', 2025, '2025-01-01', 'A', 1),
      planItem('120205', 2025, '2025-06-30', 'B', 1),
      planItem('010201', 2025, '2025-02-01', 'B', 1),
      planItem('010201', 2026, '2026-01-01', 'B', 1),
    ]);
    const all = await register.itemsAgreedIn('2025-01-01', '2026-01-01');
    expect(all.map((i) => i.communeCode).sort()).toEqual(['010201', '120101', '120205']);
    expect(Object.keys(all[0]).sort()).toEqual(['_id', 'communeCode', 'deadline', 'districtCode', 'doneAt', 'provinceCode', 'section', 'service', 'status'].sort());
    expect((await register.itemsAgreedIn('2025-01-01', '2026-01-01', { provinces: ['12'] })).map((i) => i.communeCode).sort()).toEqual(['120101', '120205']);
    expect((await register.itemsAgreedIn('2025-01-01', '2026-01-01', { districts: ['1202'], communes: ['010201'] })).map((i) => i.communeCode).sort()).toEqual(['010201', '120205']);
  });

  it('lists overdue items (past their 12 months, neither done nor dropped), the longest overdue first', async () => {
    await register.addItems([
      planItem('120101', 2024, '2024-03-01', 'A', 1),
      planItem('120101', 2024, '2024-03-01', 'A', 2, { status: 'done', doneAt: day('2024-05-01') }),
      planItem('120101', 2024, '2024-03-01', 'A', 3, { status: 'dropped' }),
      planItem('120205', 2024, '2024-01-15', 'B', 1, { status: 'ongoing' }),
      planItem('120205', 2025, '2025-02-01', 'B', 1),
    ]);
    expect((await register.overdue(day('2025-03-02'))).map((i) => i._id)).toEqual(['120205-2024-B1', '120101-2024-A1']);
    expect((await register.overdue(day('2025-03-01'))).map((i) => i._id)).toEqual(['120205-2024-B1']);
  });
});
