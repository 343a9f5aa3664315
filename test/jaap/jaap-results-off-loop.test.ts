import ExcelJS from 'exceljs';
import * as jaapResultsModule from '../../src/jaap/jaap-results';
import { JaapRegister } from '../../src/jaap/jaap-register';
import { AuditEntry } from '../../src/staff/audit-log';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { planItem } from '../support/jaap-items';
import { addAccount, StaffClient } from '../staff/staff-support';

/**
 * Issue 25, item 6: the national JAAP results were counted inside the web request (about 0.27 s
 * of JavaScript per 10,000 items on the embedded store), holding up callers' webhooks. They are
 * now counted in the report process (src/staff/report-runner.ts) like the scorecard reports.
 */
describe(`the JAAP results and the webhooks' event loop (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  const ITEMS = 10_000;
  beforeAll(async () => {
    h = await startHotline();
    const communes = ['120101', '120102', '010201'];
    const items = Array.from({ length: ITEMS }, (_, n) => planItem(communes[n % 3], 2025, '2025-03-01', n % 4 === 0 ? 'A' : 'B', n + 1, n % 2 ? { status: 'done', doneAt: new Date('2025-09-01T05:00:00Z') } : {}));
    // In batches the FerretDB test server takes within the store's socket timeout.
    for (let i = 0; i < items.length; i += 250) await new JaapRegister(h.store).addItems(items.slice(i, i + 250));
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  }, 120_000);
  afterAll(async () => h.stop());
  afterEach(() => jest.restoreAllMocks());

  it('a call is answered promptly while the national results are counted, and no result code runs in the webhooks\' thread', async () => {
    await h.call([]); // the first call loads what every call needs
    const counted = jest.spyOn(jaapResultsModule, 'jaapResults');
    let pageAnswered = false;
    const page = viewer.page('/staff/jaap/results?year=2025').then((p) => { pageAnswered = true; return p; });
    const sim = h.simulator();
    const started = performance.now();
    const answer = await sim.post('/voice/incoming', { CallSid: sim.callSid, AccountSid: 'ACtest', From: '+85512345678', To: '+855000000', CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' });
    const ms = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<Response>');
    expect(pageAnswered).toBe(false);
    expect(ms).toBeLessThan(2000);
    const { res, text } = await page;
    expect(res.status).toBe(200);
    expect(text).toContain(`${ITEMS / 2} of ${ITEMS} items solved within 12 months (50%)`);
    expect(counted).not.toHaveBeenCalled();
  }, 60_000);

  it('the results download as a workbook with Khmer headers, with the page\'s figures, and the download is audited', async () => {
    const res = await viewer.request('/staff/jaap/results.xlsx?year=2025&lang=km');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await res.arrayBuffer());
    const sheet = book.worksheets[0];
    expect(sheet.getRow(1).getCell(1).text).toBe('កម្រិត');
    expect(sheet.getRow(1).getCell(6).text).toBe('បានព្រមព្រៀង');
    const country = sheet.getRow(2);
    expect([country.getCell(1).text, country.getCell(5).text, country.getCell(6).value, country.getCell(7).value, country.getCell(8).value]).toEqual(['country', 'all', ITEMS, ITEMS / 2, 0.5]);
    expect((await viewer.request('/staff/jaap/results.xlsx?year=2025&province=99')).status).toBe(400);
    const audit = await h.store.collection<AuditEntry>('staff_audit').find({ username: 'view1', action: 'export-jaap-results' });
    expect(audit).toEqual([expect.objectContaining({ detail: { year: 2025, lang: 'km' } })]);
  }, 60_000);
});
