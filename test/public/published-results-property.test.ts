import * as path from 'node:path';
import fc from 'fast-check';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { ALL_INDICATORS, facilityAreaCode } from '../../src/reports/disclosure-control';
import { PublicAreaSnapshot, PublicFigure } from '../../src/public/public-results';
import { asReportPeriod, FixedPeriod, quartersOf, yearPeriod } from '../../src/public/public-periods';
import { SnapshotBuilder, YearRatings } from '../../src/public/snapshot-builder';
import { loadScorecard } from '../../src/scorecard/scorecard';
import { Rating } from '../../src/store/ratings';
import { Store } from '../../src/store/store';

/**
 * Property: over ratings spread across the quarters of two years, with callers who rate again
 * (a later rating replaces the earlier one of the same key), everything published for every
 * period (years and quarters) lets no group of 1 to 4 distinct callers be worked out.
 *
 * The audit rebuilds every published total from its published parts, written from the raw
 * ratings and the rules of the house, not from the builder's code:
 * - a cell is (period, area, service, indicator or all), all callers (citizens see no groups); it
 *   is known when its snapshot shows it (or shows "no ratings", or the area has no snapshot: 0);
 * - within a period, counts add up exactly over an area's child areas (and the deeper levels:
 *   a province's communes, the country's districts and communes), a commune's facilities with
 *   its ratings of no facility (never published; known when there are none), a service's indicators;
 * - across periods, a year's four quarters are its ratings plus R, the ratings counted in their
 *   quarter but replaced later in the year (never published; taken as known when there are none,
 *   the reader's best guess). Year = Q1 + Q2 + Q3 + Q4 - R;
 * - when a total is known and all its parts but one, that part is known; when all parts are
 *   known, the total is (for a year only when R is empty: otherwise it is not exact); repeated
 *   until nothing new is known;
 * - then no known cell may rest on 1 to 4 distinct callers, and for every known total, the
 *   unknown parts together (with R for a year) must rest on 0 or at least 5 distinct callers.
 */
const root = path.join(__dirname, '..', '..');
const gazetteer = loadGazetteer(path.join(root, 'data', 'gazetteer'));
const scorecard = loadScorecard(path.join(root, 'config', 'scorecard.json'));
const MIN = 5;
const YEARS = [2025, 2026];
const COMMUNES = ['010101', '010102', '010201', '020101'];
const INDICATORS: Record<string, string[]> = { health: ['staff-attitude', 'waiting-time'], school: ['teacher-attendance'] };
const PAIRS = Object.entries(INDICATORS).flatMap(([service, ids]) => ids.map((indicator) => ({ service, indicator })));
const QUARTERS = YEARS.flatMap((y) => quartersOf(y));

interface Generated { caller: number; commune: string; pair: { service: string; indicator: string }; facility: string; quarter: number; day: number; score: number }

const ratingArb: fc.Arbitrary<Generated> = fc.record({
  caller: fc.nat(9),
  // Often the same commune and indicator, so that cells of 5 or more callers, and callers rating
  // them again in a later quarter, are common.
  commune: fc.oneof(fc.constantFrom(...COMMUNES), fc.constant(COMMUNES[0])),
  pair: fc.oneof(fc.constantFrom(...PAIRS), fc.constant(PAIRS[0])),
  facility: fc.constantFrom('', '', '', 'f1'),
  // Mostly the first quarters, so some quarters have a few callers and others none.
  quarter: fc.oneof(fc.nat(QUARTERS.length - 1), fc.constantFrom(0, 1)),
  day: fc.nat(80),
  score: fc.integer({ min: 1, max: 5 }),
});

/** A crowd on one commune's indicator in two quarters of a year, some callers in both (so R is often 1 to 4 callers). */
const crowdArb: fc.Arbitrary<Generated[]> = fc
  .tuple(fc.uniqueArray(fc.nat(9), { minLength: 4, maxLength: 8 }), fc.uniqueArray(fc.nat(9), { minLength: 4, maxLength: 8 }), fc.constantFrom(0, 4), fc.integer({ min: 1, max: 5 }))
  .map(([first, second, quarter, score]) => [
    ...first.map((caller) => ({ caller, commune: COMMUNES[0], pair: PAIRS[0], facility: '', quarter, day: 10, score })),
    ...second.map((caller) => ({ caller, commune: COMMUNES[0], pair: PAIRS[0], facility: '', quarter: quarter + 1, day: 10, score: 6 - score })),
  ]);

/** Rating documents with the repeat marks the store keeps: each replaced by the next of its key. */
function documentsOf(generated: Generated[], now: Date): Rating[] {
  const docs = generated.map((g, k) => {
    const q = asReportPeriod(QUARTERS[g.quarter]);
    return {
      _id: `r${k}`, callSid: `CA${k}`, callerId: `caller-${g.caller}`,
      communeCode: g.commune, districtCode: g.commune.slice(0, 4), provinceCode: g.commune.slice(0, 2),
      service: g.pair.service, indicatorId: g.pair.indicator, ...(g.facility ? { facilityId: g.facility } : {}),
      score: g.score, language: 'km', languageGroup: 'khmer', demographics: { gender: 'unstated', ageGroup: 'unstated', disability: 'unstated' },
      ratedAt: new Date(q.from.getTime() + g.day * 86_400_000 + k * 1000),
    } as Rating;
  }).filter((d) => d.ratedAt < now);
  const byKey = new Map<string, Rating[]>();
  for (const d of docs) {
    const key = [d.callerId, d.communeCode, d.service, d.indicatorId, d.facilityId ?? ''].join('\t');
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  for (const list of byKey.values()) {
    list.sort((a, b) => a.ratedAt.getTime() - b.ratedAt.getTime());
    for (let i = 0; i + 1 < list.length; i++) list[i].supersededAt = list[i + 1].ratedAt;
  }
  return docs;
}

const counted = (p: FixedPeriod) => {
  const { from, to } = asReportPeriod(p);
  return (d: Rating) => d.ratedAt >= from && d.ratedAt < to && (!d.supersededAt || d.supersededAt >= to);
};

interface Area { key: string; inArea: (d: Rating) => boolean; published: boolean; partitions: string[][] }

function areasOf(docs: Rating[]): Area[] {
  const communes = [...new Set(docs.map((d) => d.communeCode))];
  const districts = [...new Set(communes.map((c) => c.slice(0, 4)))];
  const provinces = [...new Set(communes.map((c) => c.slice(0, 2)))];
  const facilitiesOf = (c: string) => [...new Set(docs.filter((d) => d.communeCode === c && d.facilityId).map((d) => d.facilityId!))];
  const areas: Area[] = [];
  for (const c of communes) {
    const fs = facilitiesOf(c);
    for (const f of fs) areas.push({ key: `facility\t${facilityAreaCode(c, f)}`, inArea: (d) => d.communeCode === c && d.facilityId === f, published: true, partitions: [] });
    if (fs.length) areas.push({ key: `facility-rest\t${c}`, inArea: (d) => d.communeCode === c && !d.facilityId, published: false, partitions: [] });
    areas.push({ key: `commune\t${c}`, inArea: (d) => d.communeCode === c, published: true, partitions: fs.length ? [[...fs.map((f) => `facility\t${facilityAreaCode(c, f)}`), `facility-rest\t${c}`]] : [] });
  }
  for (const d of districts) areas.push({ key: `district\t${d}`, inArea: (r) => r.communeCode.startsWith(d), published: true, partitions: [communes.filter((c) => c.startsWith(d)).map((c) => `commune\t${c}`)] });
  for (const p of provinces) {
    areas.push({
      key: `province\t${p}`, inArea: (r) => r.communeCode.startsWith(p), published: true,
      partitions: [districts.filter((d) => d.startsWith(p)).map((d) => `district\t${d}`), communes.filter((c) => c.startsWith(p)).map((c) => `commune\t${c}`)],
    });
  }
  areas.push({ key: 'country\tKH', inArea: () => true, published: true, partitions: [provinces.map((p) => `province\t${p}`), districts.map((d) => `district\t${d}`), communes.map((c) => `commune\t${c}`)] });
  return areas;
}

/** The published figure of a cell, from the snapshots; undefined when its area has none in the period. */
function publishedFigure(snapshots: Map<string, PublicAreaSnapshot[]>, periodId: string, area: string, service: string, indicator: string): PublicFigure | undefined {
  const [level, code] = area.split('\t');
  const snap = snapshots.get(periodId)?.find((s) => s.level === level && s.code === code);
  const s = snap?.services.find((x) => x.service === service);
  if (!s) return undefined;
  return indicator === ALL_INDICATORS ? s : s.indicators.find((i) => i.id === indicator);
}

/** What the audit finds, described; [] when nothing of 1 to 4 callers can be worked out. */
export function auditPublished(docs: Rating[], snapshots: Map<string, PublicAreaSnapshot[]>): string[] {
  const areas = areasOf(docs);
  const periods = YEARS.flatMap((y) => [yearPeriod(y), ...quartersOf(y)]).filter((p) => snapshots.has(p.id));
  const ratingsOf = new Map<string, Rating[]>();
  const known = new Set<string>();
  const published = new Set<string>();
  const keyOf = (period: string, area: string, service: string, indicator: string) => `${period}|${area}|${service}|${indicator}`;
  for (const p of periods) {
    const inPeriod = docs.filter(counted(p));
    for (const a of areas) {
      for (const [service, indicators] of Object.entries(INDICATORS)) {
        for (const indicator of [ALL_INDICATORS, ...indicators]) {
          const key = keyOf(p.id, a.key, service, indicator);
          const rs = inPeriod.filter((d) => a.inArea(d) && d.service === service && (indicator === ALL_INDICATORS || d.indicatorId === indicator));
          ratingsOf.set(key, rs);
          if (!a.published) {
            if (!rs.length) known.add(key);
            continue;
          }
          published.add(key);
          const f = publishedFigure(snapshots, p.id, a.key, service, indicator);
          if (!f || f.status === 'shown' || f.status === 'no-ratings') known.add(key);
        }
      }
    }
  }
  // R per year and cell: counted in its quarter, replaced later in the year.
  for (const y of YEARS) {
    const year = yearPeriod(y);
    if (!snapshots.has(year.id)) continue;
    const inYear = counted(year);
    const replaced = docs.filter((d) => quartersOf(y).some((q) => counted(q)(d)) && !inYear(d));
    for (const a of areas) {
      for (const [service, indicators] of Object.entries(INDICATORS)) {
        for (const indicator of [ALL_INDICATORS, ...indicators]) {
          const key = keyOf(`R${y}`, a.key, service, indicator);
          const rs = replaced.filter((d) => a.inArea(d) && d.service === service && (indicator === ALL_INDICATORS || d.indicatorId === indicator));
          ratingsOf.set(key, rs);
          if (!rs.length) known.add(key);
        }
      }
    }
  }

  const sets: { total: string; parts: string[]; exactSum: () => boolean }[] = [];
  const always = () => true;
  for (const p of periods) {
    for (const a of areas) {
      for (const [service, indicators] of Object.entries(INDICATORS)) {
        for (const indicator of [ALL_INDICATORS, ...indicators]) {
          for (const partition of a.partitions) sets.push({ total: keyOf(p.id, a.key, service, indicator), parts: partition.map((child) => keyOf(p.id, child, service, indicator)), exactSum: always });
          if (p.kind === 'year') {
            const y = p.id;
            const r = keyOf(`R${y}`, a.key, service, indicator);
            sets.push({ total: keyOf(y, a.key, service, indicator), parts: [...quartersOf(Number(y)).filter((q) => snapshots.has(q.id)).map((q) => keyOf(q.id, a.key, service, indicator)), r], exactSum: () => ratingsOf.get(r)!.length === 0 });
          }
        }
        sets.push({ total: keyOf(p.id, a.key, service, ALL_INDICATORS), parts: indicators.map((i) => keyOf(p.id, a.key, service, i)), exactSum: always });
      }
    }
  }
  const derivedFrom = new Map<string, string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const s of sets) {
      const unknown = s.parts.filter((x) => !known.has(x));
      if (known.has(s.total) && unknown.length === 1 && published.has(unknown[0])) {
        known.add(unknown[0]);
        derivedFrom.set(unknown[0], `${s.total} minus its other parts`);
        changed = true;
      } else if (!known.has(s.total) && unknown.length === 0 && published.has(s.total) && s.exactSum()) {
        known.add(s.total);
        derivedFrom.set(s.total, `the sum of ${s.parts.join(' + ')}`);
        changed = true;
      }
    }
  }
  const callersIn = (rs: Rating[]) => new Set(rs.map((r) => r.callerId)).size;
  const problems: string[] = [];
  for (const key of known) {
    if (!published.has(key)) continue;
    const n = callersIn(ratingsOf.get(key)!);
    if (n > 0 && n < MIN) problems.push(`${key} (${n} callers) is ${derivedFrom.get(key) ?? 'shown'}`);
  }
  for (const s of sets) {
    if (!known.has(s.total)) continue;
    const unknown = s.parts.filter((x) => !known.has(x));
    const n = callersIn(unknown.flatMap((x) => ratingsOf.get(x)!));
    if (n > 0 && n < MIN) problems.push(`${s.total} minus its known parts leaves ${unknown.join(' + ')}: ${n} callers`);
  }
  return problems;
}

/** Builds every period of both years as the builder would store them (no store: composeYear). */
export function publishAll(docs: Rating[], now: Date): Map<string, PublicAreaSnapshot[]> {
  const builder = new SnapshotBuilder({ store: {} as Store, publicResults: {} as never, scorecard, gazetteer, minCallers: MIN, setting: { publish: 'all' }, now: () => now });
  const out = new Map<string, PublicAreaSnapshot[]>();
  for (const y of YEARS) {
    const ratings = new YearRatings(y, gazetteer);
    for (const d of docs) ratings.add(d);
    for (const [id, snaps] of builder.composeYear(y, ratings).periods) out.set(id, snaps);
  }
  return out;
}

describe('published results across periods, on random ratings over two years', () => {
  it('let no group of 1 to 4 distinct callers be worked out from any published total and its published parts', () => {
    fc.assert(
      fc.property(fc.array(ratingArb, { minLength: 1, maxLength: 40 }), fc.option(crowdArb), fc.constantFrom(new Date('2027-02-01T00:00:00Z'), new Date('2026-05-20T00:00:00Z')), (generated, crowd, now) => {
        const docs = documentsOf([...generated, ...(crowd ?? [])], now);
        expect(auditPublished(docs, publishAll(docs, now))).toEqual([]);
      }),
      // Without the rule across periods, or with R left out of it, a counterexample comes within 100 runs (each checked once).
      { numRuns: Number(process.env.PROPERTY_RUNS) || 100 },
    );
  });
});
