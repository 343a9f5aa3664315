import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { FigureGrid } from '../../src/reports/disclosure-control';
import { parsePeriod } from '../../src/reports/period';
import { RatingScope } from '../../src/reports/rating-counts';
import { reportCsv, runReport } from '../../src/reports/scorecard-report';
import { buildSummary, Summary } from '../../src/reports/scorecard-summary';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { storeRatings } from './rating-fixture';
import { auditSummary } from './disclosure-audit';

/**
 * Can anything a report prints or shows be traced to fewer than 5 people? The case from
 * issue 11: callers of commune 160201 (Kachanh, Ratanakiri; nobody else rated in the period)
 * each rate all six health indicators, the first a woman aged 60 or more with a disability
 * who answers 1,1,1,1,1,2. One caller, four callers, five callers.
 * The audit (disclosure-audit.ts) works from the raw ratings, not from the report's code.
 */
const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const Q1 = parsePeriod('2026-01-01', '2026-04-01');
const HEALTH = scorecard.services.find((s) => s.id === 'health')!;

function callersRating(n: number): Rating[] {
  const out: Rating[] = [];
  for (let c = 0; c < n; c++) {
    const first = c === 0;
    HEALTH.indicators.forEach((ind, k) => {
      out.push({
        _id: `CAk${c}:160201:health:${ind.id}`, callSid: `CAk${c}`, callerId: `caller-${c}`,
        communeCode: '160201', districtCode: '1602', provinceCode: '16', service: 'health', indicatorId: ind.id,
        score: first ? (k === 5 ? 2 : 1) : 1 + ((c + k) % 5), language: 'km', languageGroup: 'khmer',
        demographics: first ? { gender: 'woman', ageGroup: '60-plus', disability: 'yes' } : { gender: 'man', ageGroup: '25-59', disability: 'no' },
        ratedAt: new Date(`2026-02-0${1 + c}T03:00:00Z`),
      } as Rating);
    });
  }
  return out;
}

describe(`one, four and five callers with six answers each (${ENGINE} store)`, () => {
  const deps = { scorecard, gazetteer };
  for (const n of [1, 4, 5]) {
    describe(`${n} caller${n > 1 ? 's' : ''}`, () => {
      let store: Store;
      const raw = callersRating(n);
      beforeAll(async () => {
        store = await openTestStore();
        await storeRatings(store, raw);
      });
      afterAll(async () => closeTestStore(store));

      it('prints nothing in JSON that rests on fewer than 5 callers (summary with breakdowns, every level)', async () => {
        const summary = await runReport({ store, ...deps }, { period: Q1, area: {}, breakdowns: true }) as Summary;
        expect(auditSummary(summary, raw)).toEqual([]);
        const health = summary.communes[0].services.find((s) => s.service === 'health')!;
        if (n < 5) {
          expect(health).toMatchObject({ status: 'too-few', callers: null, answers: null, counts: null, median: null });
          expect(JSON.stringify(summary)).not.toMatch(/"(callers|answers)":[1-9]/);
        } else {
          expect(health).toMatchObject({ status: 'shown', callers: 5, answers: 30 });
          expect(health.groups!.women.status).toBe('too-few');
          expect(health.groups!['age-60-plus'].status).toBe('too-few');
          expect(health.groups!.disability.status).toBe('too-few');
          // Men (4) withheld as well: all minus men would be the one woman.
          expect(health.groups!.men.status).toBe('too-few');
          expect(health.indicators.every((i) => i.status === 'shown' && i.callers === 5 && i.answers === 5)).toBe(true);
        }
      });

      it('prints nothing in CSV that rests on fewer than 5 callers (summary and table)', async () => {
        const summary = reportCsv(await runReport({ store, ...deps }, { period: Q1, area: { communes: ['160201'] }, breakdowns: true }), { bom: false });
        const [header, ...lines] = summary.trim().split('\r\n');
        const col = header.split(',');
        for (const line of lines) {
          const cells = line.split(',');
          const who = cells[col.indexOf('callers')];
          expect(who === '' || who === '0' || Number(who) >= 5).toBe(true);
          if (who === '') expect(cells.slice(col.indexOf('answers'), col.indexOf('status')).every((c) => c === '')).toBe(true);
        }
        const table = reportCsv(await runReport({ store, ...deps }, { period: Q1, area: { provinces: ['16'] }, table: true }), { bom: false });
        const [tHeader, ...tLines] = table.trim().split('\r\n');
        const tCol = tHeader.split(',');
        for (const line of tLines) {
          const cells = line.split(',');
          tCol.forEach((name, i) => {
            if (/_(callers|answers)$/.test(name)) expect(cells[i] === '' || cells[i] === '0' || Number(cells[i]) >= 5).toBe(true);
          });
        }
        const health = tLines.find((l) => l.includes(',health,'))!.split(',');
        if (n < 5) expect(health[tCol.indexOf('all_status')]).toBe('too few');
        else expect([health[tCol.indexOf('all_callers')], health[tCol.indexOf('all_answers')], health[tCol.indexOf('women_status')]]).toEqual(['5', '30', 'too few']);
      });

      it('has an audit that would catch a figure on too few callers (threshold lowered to 1 for the check)', async () => {
        const rows = await RatingScope.of(store, Q1).callerRows(['communeCode', 'service', 'indicatorId', 'gender', 'ageGroup', 'disability', 'idPoor', 'languageGroup']);
        const unsafe = buildSummary(new FigureGrid(rows, Q1.label, scorecard, gazetteer, 1), {}, deps, { breakdowns: true });
        const problems = auditSummary(unsafe, raw);
        expect(problems).toContain('commune 160201 health * women: shown on 1 callers');
        expect(problems.length).toBeGreaterThan(10);
      });

      it('keeps the figures the same whichever area is asked for', async () => {
        const grid = await FigureGrid.count(store, Q1, deps);
        const country = buildSummary(grid, {}, deps, { breakdowns: true });
        const commune = buildSummary(grid, { communes: ['160201'] }, deps, { breakdowns: true });
        expect(commune.communes[0]).toEqual(country.communes.find((c) => c.code === '160201'));
      });
    });
  }
});

describe(`staff pages and charts for one, four and five callers (${ENGINE} store)`, () => {
  let h: TestHotline;
  let viewer: StaffClient;
  beforeAll(async () => {
    // Each case adds callers and opens the same pages again at once: count them every time.
    h = await startHotline({ REPORT_FRESH_SECONDS: '0' });
    await addAccount(h.store, 'view1', 'viewer');
    viewer = await new StaffClient(h).signedIn('view1');
  });
  afterAll(async () => h.stop());

  /** Every count of callers a page shows: in a table cell ("70% · 12 callers") and in the exact figures and scorecard. */
  const shownCallers = (text: string) => [...text.matchAll(/% · (\d+) callers|<td class="callers">(\d+)</g)].map((m) => Number(m[1] ?? m[2]));
  /** The scorecard, the commune page's other view of the same figures. */
  const scorecard = '/staff/reports/commune/160201/scorecard';

  for (const n of [1, 4, 5]) {
    it(`${n} caller${n > 1 ? 's' : ''}: no page, table or chart shows a figure on fewer than 5 callers`, async () => {
      await h.store.collection('ratings').deleteMany({});
      await storeRatings(h.store, callersRating(n));
      for (const url of ['/staff/reports/commune/160201', scorecard, '/staff/reports?code=16', '/staff/reports?code=1602', '/staff/reports']) {
        const { res, text } = await viewer.page(`${url}${url.includes('?') ? '&' : '?'}from=2026-01-01&to=2026-04-01`);
        expect(res.status).toBe(200);
        expect(shownCallers(text).every((c) => c >= 5)).toBe(true);
        if (n < 5) {
          expect(text).not.toMatch(/class="(scale-chart|stacked)"/);
          expect(text).toContain('Not shown: fewer than 5 callers');
          // (The note on what "7 of 10" means is not a figure.)
          expect(text.replace(/<p class="meaning">.*?<\/p>/gs, '')).not.toMatch(/\d+%|\d+ of 10/);
        }
      }
      const { text } = await viewer.page('/staff/reports/commune/160201?from=2026-01-01&to=2026-04-01');
      if (n === 5) {
        // Each question: 5 callers, 5 ratings; all together: 5 callers, 30 ratings; a chart for each.
        expect(text.match(/<td class="callers">5<\/td><td>5<\/td>/g)).toHaveLength(6);
        expect(text).toContain('<td class="callers">5</td><td>30</td>');
        expect(text.match(/<figure class="scale-chart">/g)).toHaveLength(7);
        expect(shownCallers(text).length).toBeGreaterThan(7);
      }
      expect(text).toContain('No ratings'); // the school and commune-office services
      const csv = await viewer.request('/staff/reports/download.csv?from=2026-01-01&to=2026-04-01&code=160201&kind=summary');
      const [header, ...lines] = Buffer.from(await csv.arrayBuffer()).toString('utf8').slice(1).trim().split('\r\n');
      const at = header.split(',').indexOf('callers');
      for (const line of lines) expect(['', '0'].includes(line.split(',')[at]) || Number(line.split(',')[at]) >= 5).toBe(true);
      const body = lines.join('\r\n') + '\r\n';
      if (n < 5) expect(body).toContain(',health,all,,,,,,,,,,,too few\r\n');
    }, 120_000); // seven reports, each counted afresh in a child process
  }
});

describe('comparing two periods', () => {
  it('refuses periods that overlap, since their difference could single out a caller', async () => {
    const store = await openTestStore();
    try {
      await expect(runReport({ store, scorecard, gazetteer }, { period: Q1, baseline: parsePeriod('2026-03-01', '2026-05-01'), area: {} })).rejects.toThrow(/overlap/);
      await expect(runReport({ store, scorecard, gazetteer }, { period: Q1, baseline: parsePeriod('2025-10-01', '2026-01-01'), area: {} })).resolves.toBeDefined();
    } finally {
      await closeTestStore(store);
    }
  });
});
