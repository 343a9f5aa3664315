import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';

export interface Place {
  code: string;
  parentCode: string | null;
  type: string;
  nameKm: string;
  nameLatin: string;
}

/** Provinces, districts and communes of Cambodia (NCDD codes via the pumi project, MIT). */
export class Gazetteer {
  private readonly byCode = new Map<string, Place>();
  private readonly children = new Map<string, Place[]>();
  readonly provinces: Place[];

  constructor(provinces: Place[], districts: Place[], communes: Place[]) {
    this.provinces = provinces;
    for (const p of [...provinces, ...districts, ...communes]) {
      this.byCode.set(p.code, p);
      if (p.parentCode) {
        const list = this.children.get(p.parentCode) ?? [];
        list.push(p);
        this.children.set(p.parentCode, list);
      }
    }
  }

  find(code: string): Place | undefined {
    return this.byCode.get(code);
  }

  isCommune(code: string): boolean {
    return /^[0-9]{6}$/.test(code) && this.byCode.has(code);
  }

  /** Districts of a province or communes of a district, in code order. */
  childrenOf(code: string): Place[] {
    return this.children.get(code) ?? [];
  }

  communes(): Place[] {
    return [...this.byCode.values()].filter((p) => p.code.length === 6);
  }

  /** The province and district a commune belongs to (a code is its parent's code plus two digits). */
  lineage(communeCode: string): { provinceCode: string; districtCode: string } {
    return { provinceCode: communeCode.slice(0, 2), districtCode: communeCode.slice(0, 4) };
  }
}

function parseCsv(file: string, parentColumn: string | null): Place[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the gazetteer file ${file} (GAZETTEER_DIR)`, { cause: err });
  }
  const [header, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const cols = header.split(',');
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new ConfigError(`${file} has no column ${name}`);
    return i;
  };
  const [code, type, km, latin] = [at('code'), at('type'), at('name_km'), at('name_latin')];
  const parent = parentColumn ? at(parentColumn) : -1;
  return rows.map((line) => {
    // The gazetteer has no quoted fields: names never contain commas.
    const f = line.split(',');
    return { code: f[code], parentCode: parent >= 0 ? f[parent] : null, type: f[type], nameKm: f[km], nameLatin: f[latin] };
  });
}

export function loadGazetteer(dir: string): Gazetteer {
  return new Gazetteer(
    parseCsv(path.join(dir, 'provinces.csv'), null),
    parseCsv(path.join(dir, 'districts.csv'), 'province_code'),
    parseCsv(path.join(dir, 'communes.csv'), 'district_code'),
  );
}
