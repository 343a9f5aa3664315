import { firstInOrder } from '../../src/store/embedded-store';

/** The embedded store's sorted page without a full sort must equal a stable sort's first rows. */
describe('firstInOrder: the first rows of a stable sort, without sorting the rest', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) % 2 ** 32;
    return seed / 2 ** 32;
  };

  it.each([1, 7, 50, 333])('the first %i of 1,000 rows with many ties, newest first then by position, as Array.sort gives them', (count) => {
    // Few distinct values, so most comparisons are ties: their order must be kept as a stable sort keeps it.
    const rows = Array.from({ length: 1000 }, (_, i) => ({ i, at: Math.floor(random() * 20) }));
    const newestFirst = (a: { at: number }, b: { at: number }) => b.at - a.at;
    const expected = [...rows].sort(newestFirst).slice(0, count);
    expect(firstInOrder(rows, count, newestFirst)).toEqual(expected);
  });

  it('fewer rows than asked for: all of them, in order', () => {
    const rows = [{ n: 3 }, { n: 1 }, { n: 2 }];
    expect(firstInOrder(rows, 10, (a, b) => a.n - b.n)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});
