import { SCALE_POINTS } from './figures';
import { CallerRow, Dimension, RatingScope } from './rating-counts';

/**
 * A period's counted ratings held as columns of small integers, for the figure grid
 * (disclosure-control.ts): per rating its caller, commune, service, indicator, the five group
 * answers, the facility rated ('' for none), score and weight (ratings it stands for), each name
 * numbered once in a dictionary. About 34 bytes a rating instead of an object per rating: a
 * million ratings take ~34 MB.
 */

/** The dimensions kept, in column order: commune, service, indicator, the group questions, then the facility. */
export const COLUMN_DIMS = ['communeCode', 'service', 'indicatorId', 'gender', 'ageGroup', 'disability', 'idPoor', 'languageGroup', 'facilityId'] as const satisfies readonly Dimension[];
export type ColumnDim = (typeof COLUMN_DIMS)[number];

/** Names numbered in the order they are first seen. */
export class Dictionary {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  id(name: string): number {
    let n = this.ids.get(name);
    if (n === undefined) {
      n = this.names.length;
      this.ids.set(name, n);
      this.names.push(name);
    }
    return n;
  }

  get size(): number {
    return this.names.length;
  }
}

export class RatingColumns {
  length = 0;
  caller = new Int32Array(1024);
  /** values[d][row]: the row's value of COLUMN_DIMS[d], numbered in dictionaries[d]. */
  values: Int32Array[] = COLUMN_DIMS.map(() => new Int32Array(1024));
  score = new Uint8Array(1024);
  weight = new Int32Array(1024);
  readonly callers = new Dictionary();
  readonly dictionaries: Dictionary[] = COLUMN_DIMS.map(() => new Dictionary());

  /** Streams the scope's counted ratings (see RatingScope.forEachRating), never holding them as documents. */
  static async read(scope: RatingScope, read: 'grouped' | 'documents' = 'grouped'): Promise<RatingColumns> {
    const columns = new RatingColumns();
    await scope.forEachRating([...COLUMN_DIMS], (callerId, values, score) => columns.add(callerId, values, score, 1), read);
    return columns;
  }

  /** Rows already grouped per caller (RatingScope.callerRows), e.g. in tests. */
  static fromRows(rows: readonly CallerRow[]): RatingColumns {
    const columns = new RatingColumns();
    for (const r of rows) {
      const values = COLUMN_DIMS.map((d) => r.key[d] ?? '');
      let added = false;
      for (let s = 0; s < SCALE_POINTS; s++) {
        if (r.counts[s]) {
          columns.add(r.callerId, values, s + 1, r.counts[s]);
          added = true;
        }
      }
      // A row with no answers still names its caller in its cells.
      if (!added) columns.add(r.callerId, values, 1, 0);
    }
    return columns;
  }

  /** `values` in COLUMN_DIMS order; `score` 1 to SCALE_POINTS. */
  add(callerId: string, values: readonly string[], score: number, weight: number): void {
    if (this.length === this.caller.length) this.grow();
    const row = this.length++;
    this.caller[row] = this.callers.id(callerId);
    for (let d = 0; d < COLUMN_DIMS.length; d++) this.values[d][row] = this.dictionaries[d].id(values[d]);
    this.score[row] = score;
    this.weight[row] = weight;
  }

  private grow(): void {
    const size = this.caller.length * 2;
    const bigger = <A extends Int32Array | Uint8Array>(a: A): A => {
      const b = new (a.constructor as new (n: number) => A)(size);
      b.set(a);
      return b;
    };
    this.caller = bigger(this.caller);
    this.values = this.values.map(bigger);
    this.score = bigger(this.score);
    this.weight = bigger(this.weight);
  }

  /** Row numbers ordered by caller (a counting sort: linear), so each caller's rows are together. */
  byCaller(): Int32Array {
    const n = this.length;
    const start = new Int32Array(this.callers.size + 1);
    for (let r = 0; r < n; r++) start[this.caller[r] + 1]++;
    for (let c = 0; c < this.callers.size; c++) start[c + 1] += start[c];
    const order = new Int32Array(n);
    for (let r = 0; r < n; r++) order[start[this.caller[r]]++] = r;
    return order;
  }
}
