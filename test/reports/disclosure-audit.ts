import { GROUP_NAMES } from '../../src/reports/disclosure-control';
import { Figures } from '../../src/reports/figures';
import { Summary } from '../../src/reports/scorecard-summary';
import { Rating } from '../../src/store/ratings';

/**
 * An audit of a report summary against the raw ratings it counts, independent of the report's
 * code: for every figure shown it counts the distinct callers behind it, and for every total
 * shown beside its parts (groups of one question, indicators of a service, the communes of a
 * district, the districts and the communes of a province, the provinces, districts and communes
 * of the country, the facilities of a commune) it counts
 * the callers behind "total minus the parts shown", which anyone can work out from the report.
 * A facility's figures are its ratings from that commune (the ratings' facilityId).
 */
const GROUP_OF: Record<string, (r: Rating) => boolean> = {
  all: () => true,
  women: (r) => r.demographics.gender === 'woman',
  men: (r) => r.demographics.gender === 'man',
  'age-under-25': (r) => r.demographics.ageGroup === 'under-25',
  'age-25-59': (r) => r.demographics.ageGroup === '25-59',
  'age-60-plus': (r) => r.demographics.ageGroup === '60-plus',
  disability: (r) => r.demographics.disability === 'yes',
  'id-poor': (r) => r.demographics.idPoor === 'yes',
  khmer: (r) => r.languageGroup === 'khmer',
  indigenous: (r) => r.languageGroup === 'indigenous',
};
const QUESTIONS = [['women', 'men'], ['age-under-25', 'age-25-59', 'age-60-plus'], ['disability'], ['id-poor'], ['khmer', 'indigenous']];
const callers = (rs: Rating[]) => new Set(rs.map((r) => r.callerId)).size;

/** Every way the summary lets fewer than `min` callers be singled out, described; [] when none. */
export function auditSummary(summary: Summary, raw: Rating[], min = 5): string[] {
  const problems: string[] = [];
  const areas = [...summary.communes, ...summary.districts, ...summary.provinces, ...(summary.country ? [summary.country] : [])];
  const inArea = (level: string, code: string) => (r: Rating) => level === 'country' || r.communeCode.startsWith(code);
  const check = (where: string, f: Figures, rs: Rating[]) => {
    if (f.status === 'shown') {
      if (callers(rs) < min) problems.push(`${where}: shown on ${callers(rs)} callers`);
      if (f.callers !== callers(rs) || f.answers !== rs.length) problems.push(`${where}: says ${f.callers} callers/${f.answers} answers, raw ${callers(rs)}/${rs.length}`);
    } else if (f.status === 'no-ratings' && rs.length) problems.push(`${where}: "no ratings" but ${rs.length} ratings`);
    else if (f.status === 'too-few' && (callers(rs) === 0 || callers(rs) >= min)) problems.push(`${where}: "too few" on ${callers(rs)} callers`);
    if (f.withheld && (f.callers !== null || f.answers !== null || f.counts !== null || f.median !== null)) problems.push(`${where}: withheld but has numbers`);
  };
  /** Total shown beside parts: the ratings of total minus the shown parts must be 0 or >= min callers. */
  const difference = (where: string, total: Figures, totalRs: Rating[], parts: { f: Figures; rs: Rating[] }[]) => {
    if (total.status !== 'shown') return;
    const shown = new Set(parts.filter((p) => p.f.status === 'shown' || p.f.status === 'no-ratings').flatMap((p) => p.rs.map((r) => r._id)));
    const rest = totalRs.filter((r) => !shown.has(r._id));
    if (rest.length && callers(rest) < min) problems.push(`${where}: total minus shown parts leaves ${callers(rest)} callers`);
  };
  for (const a of areas) {
    const here = raw.filter(inArea(a.level, a.code));
    for (const s of a.services) {
      const svc = here.filter((r) => r.service === s.service);
      const levels: { id: string; f: Figures & { groups?: Record<string, Figures> }; rs: Rating[] }[] = [
        { id: '*', f: s, rs: svc },
        ...s.indicators.map((i) => ({ id: i.id, f: i as Figures & { groups?: Record<string, Figures> }, rs: svc.filter((r) => r.indicatorId === i.id) })),
      ];
      for (const { id, f, rs } of levels) {
        const where = `${a.level} ${a.code} ${s.service} ${id}`;
        check(where, f, rs);
        if (f.groups) {
          for (const g of GROUP_NAMES) check(`${where} ${g}`, f.groups[g], rs.filter(GROUP_OF[g]));
          for (const q of QUESTIONS) difference(`${where} [${q}]`, f, rs, q.map((g) => ({ f: f.groups![g], rs: rs.filter(GROUP_OF[g]) })));
        }
      }
      difference(`${a.level} ${a.code} ${s.service} [indicators]`, s, svc, levels.slice(1));
      // A commune's facilities: each checked against its raw ratings, and the commune total minus those shown.
      const facilities = (a.facilities ?? []).map((f) => ({ f, fs: f.services.find((x) => x.service === s.service), rs: svc.filter((r) => r.facilityId === f.id) }));
      for (const { f, fs, rs } of facilities) {
        if (!fs) {
          if (rs.length) problems.push(`facility ${a.code}/${f.id} ${s.service}: not listed but ${rs.length} ratings`);
          continue;
        }
        check(`facility ${a.code}/${f.id} ${s.service} *`, fs, rs);
        for (const i of fs.indicators) check(`facility ${a.code}/${f.id} ${s.service} ${i.id}`, i, rs.filter((r) => r.indicatorId === i.id));
        if (fs.groups) for (const g of GROUP_NAMES) check(`facility ${a.code}/${f.id} ${s.service} * ${g}`, fs.groups[g], rs.filter(GROUP_OF[g]));
      }
      const listed = facilities.filter((x) => x.fs);
      if (listed.length) difference(`${a.level} ${a.code} ${s.service} [facilities]`, s, svc, listed.map((x) => ({ f: x.fs!, rs: x.rs })));
      // Every level listed below an area beside it: communes beside their district; districts
      // and communes beside their province; provinces, districts and communes beside the country.
      const below = { district: ['communes'], province: ['districts', 'communes'], country: ['provinces', 'districts', 'communes'] }[a.level as string] as ('communes' | 'districts' | 'provinces')[] | undefined;
      for (const level of below ?? []) {
        const kids = summary[level].filter((k) => a.level === 'country' || k.code.startsWith(a.code));
        if (kids.length) {
          difference(`${a.level} ${a.code} ${s.service} [${level}]`, s, svc, kids.map((k) => ({ f: k.services.find((x) => x.service === s.service)!, rs: svc.filter(inArea(k.level, k.code)) })));
        }
      }
    }
  }
  return problems;
}

