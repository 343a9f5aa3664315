import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Jaap, JaapItem, twelveMonthsAfter } from '../../src/jaap/jaap';
import { importJaapFile, jaapCsv, JAAP_FILE_MAX_BYTES, jaapWorkbook, readJaapFile, readJaapWorkbook } from '../../src/jaap/jaap-file';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { ENGINE, tempDir } from '../support/engine';
import { sharedTestStore } from '../support/shared-store';
import { storeForCommand } from '../support/report-command';
import { nodeEntry } from '../support/node-entry';

const root = path.join(__dirname, '..', '..');
const card = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const plan: Jaap = { _id: '120101-2025', communeCode: '120101', year: 2025, agreedOn: '2025-03-10', createdAt: new Date(), createdBy: 'dara' };
const deadline = twelveMonthsAfter(plan.agreedOn);
const now = new Date('2025-04-01T03:00:00Z');

const GOOD = [
  'section,no,agreed activity,proposer,target response,location,quantity,unit,start month,end month,beneficiaries total,beneficiaries female,estimated cost riel,implementer,fund source,indicator,status',
  'A,1,A ramp at the health centre,Disabled people\'s group,Wheelchair users enter alone,Health centre: Tonle Basak health centre,1,ramp,2025-04,2025-09,"1,200",640,"2,000,000",Commune council,Commune Investment Plan,cleanliness,not-started',
  'B,1,Post the official fees,Citizens,Fees known,Health centre,1,board,2025-04,2025-04,,,,Health centre chief,,fee-transparency,done',
  'ខ,២,Weekly cleaning of the latrines,Parents,,Primary school: Wat Phnom school,52,week,2025-05,2026-04,300,150,0,School director,,,កំពុងអនុវត្ត',
].join('\r\n');

describe(`a JAAP file (${ENGINE} store)`, () => {
  const sharedStore = sharedTestStore(['jaaps', 'jaap_items', 'staff_audit']);
  let register: JaapRegister;
  beforeEach(() => { register = new JaapRegister(sharedStore()); });

  it('reads the official columns with English or Khmer section letters, digits and statuses, and thousands separators', () => {
    const read = readJaapFile(GOOD, plan, card, deadline);
    expect(read.problems).toEqual([]);
    expect(read.items.map((i) => `${i._id} ${i.service} ${i.status}`)).toEqual(['120101-2025-A1 health not-started', '120101-2025-B1 health done', '120101-2025-B2 school ongoing']);
    expect(read.items[0]).toMatchObject({ facilityName: 'Tonle Basak health centre', beneficiariesTotal: 1200, beneficiariesFemale: 640, costRiel: 2_000_000, startMonth: '2025-04', indicatorId: 'cleanliness', deadline: '2026-03-10', agreedOn: '2025-03-10' });
    expect(read.items[1]).not.toHaveProperty('facilityName');
  });

  it('imports new items with the file status recorded as of the import, and changes nothing when the same file comes again', async () => {
    const first = await importJaapFile(register, plan, GOOD, card, { by: 'dara', now, deadline });
    expect(first).toEqual({ added: ['120101-2025-A1', '120101-2025-B1', '120101-2025-B2'], unchanged: [], problems: [] });
    const b1 = (await register.item('120101-2025-B1'))!;
    expect(b1).toMatchObject({ status: 'done', doneAt: now, history: [{ status: 'done', at: now, by: 'dara', note: 'imported from a file' }] });
    const before = await register.itemsOf(plan._id);
    const again = await importJaapFile(register, plan, GOOD, card, { by: 'sok', now: new Date(), deadline });
    expect(again).toEqual({ added: [], unchanged: ['120101-2025-A1', '120101-2025-B1', '120101-2025-B2'], problems: [] });
    expect(await register.itemsOf(plan._id)).toEqual(before);
  });

  it('round-trips the desk download in English and in Khmer headers', async () => {
    await importJaapFile(register, plan, GOOD, card, { by: 'dara', now, deadline });
    const items = await register.itemsOf(plan._id);
    for (const lang of ['en', 'km'] as const) {
      const csv = jaapCsv(items, card, lang);
      const read = readJaapFile(csv, plan, card, deadline);
      expect(read.problems).toEqual([]);
      expect(read.items.map(({ history, doneAt, ...rest }) => rest)).toEqual(items.map(({ history, doneAt, ...rest }) => rest));
    }
  });

  it('round-trips an Excel workbook in either language, and refuses a file that is not one', async () => {
    await importJaapFile(register, plan, GOOD, card, { by: 'dara', now, deadline });
    const items = await register.itemsOf(plan._id);
    for (const lang of ['en', 'km'] as const) {
      const book = await jaapWorkbook(items, card, lang);
      expect(book.subarray(0, 2).toString()).toBe('PK');
      const read = await readJaapWorkbook(book, plan, card, deadline);
      expect(read.problems).toEqual([]);
      expect(read.items.map(({ history, doneAt, ...rest }) => rest)).toEqual(items.map(({ history, doneAt, ...rest }) => rest));
    }
    expect((await readJaapWorkbook(Buffer.from(GOOD), plan, card, deadline)).problems[0].message).toMatch(/not a readable Excel/);
  });

  it('refuses the whole file, listing every problem by row and column, and writes nothing', async () => {
    const bad = [
      GOOD.split('\r\n')[0],
      'C,1,Something,,,Health centre,,,,,,,,,,,',
      'A,one,Something,,,Hospital: Calmette,,,2025-13,,10,20,12abc,,,,finished',
      'A,2,,,,Commune or sangkat office,,,2025-06,2025-05,,,,,,teaching-quality,',
      'B,1,First,,,Commune or sangkat office,,,,,,,,,,,',
      'B,1,Second,,,Commune or sangkat office,,,,,,,,,,,',
    ].join('\r\n');
    const r = await importJaapFile(register, plan, bad, card, { by: 'dara', now, deadline });
    expect(r.problems.map((p) => `${p.row} ${p.column}`)).toEqual([
      '2 section', '3 no', '3 location', '3 start month', '3 beneficiaries female', '3 estimated cost riel', '3 status',
      '4 agreed activity', '4 end month', '4 indicator', '6 no',
    ]);
    expect(r.problems[0].message).toMatch(/A \(external\) or B \(internal\)/);
    expect(await register.itemsOf(plan._id)).toEqual([]);
  });

  it('refuses a wrong header, a file over the size limit, and an item already there with other words', async () => {
    expect(readJaapFile('section,number,activity,facility\r\nA,1,x,Health centre', plan, card, deadline).problems.map((p) => p.message).join(' ')).toMatch(/unknown column "number".*the column "no" is missing/);
    expect(readJaapFile('x'.repeat(JAAP_FILE_MAX_BYTES + 1), plan, card, deadline).problems[0].message).toMatch(/larger than 1 MB/);
    await importJaapFile(register, plan, GOOD, card, { by: 'dara', now, deadline });
    const changed = GOOD.replace('A ramp at the health centre', 'Two ramps at the health centre').replace('Post the official fees', 'Post the fees') + '\r\nB,9,A new item,,,Commune or sangkat office,,,,,,,,,,,';
    const r = await importJaapFile(register, plan, changed, card, { by: 'dara', now, deadline });
    expect(r.problems.map((p) => `${p.row} ${p.column}`)).toEqual(['2 no', '3 no']);
    expect(await register.item('120101-2025-B9')).toBeNull();
  });
});

describe(`npm run jaap (${ENGINE} store)`, () => {
  let opened: Awaited<ReturnType<typeof storeForCommand>>;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    opened = await storeForCommand(path.join(dir, 'data'), `test_jaap_cmd_${process.pid}_${Date.now()}`, async () => undefined);
  });
  afterAll(async () => opened.close());
  const run = (...args: string[]) => spawnSync(process.execPath, [...nodeEntry('scripts/jaap.ts'), ...args], { cwd: root, env: { ...process.env, ...opened.env, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });

  it('makes the plan and imports a file, refuses a bad one with every problem, and exports it again with Khmer headers', () => {
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, GOOD);
    expect(run('import', good, '--commune', '120101', '--year', '2025').status).toBe(2); // no plan yet, no --agreed-on
    const first = run('import', good, '--commune', '120101', '--year', '2025', '--agreed-on', '2025-03-10', '--by', 'dara');
    expect(first.stderr).not.toMatch(/^jaap: /m);
    expect(first.stdout).toContain('120101-2025: 3 items added, 0 already there unchanged');
    expect(run('import', good, '--commune', '120101', '--year', '2025').stdout).toContain('0 items added, 3 already there unchanged');
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, GOOD.replace('2025-04,2025-09', '2025-4-1,2025-09'));
    const refused = run('import', bad, '--commune', '120101', '--year', '2025');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused, nothing was changed[\s\S]*row 2, start month/);
    const out = run('export', '--commune', '120101', '--year', '2025', '--headers', 'km');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('សកម្មភាពដែលបានព្រមព្រៀង');
    expect(out.stdout).toContain('Weekly cleaning of the latrines');
  });
});
