import { MAX_CHUNK_BYTES, parseRange } from '../../src/staff/recording-stream';

describe('Range header parsing for recordings', () => {
  const size = 10_000;
  test.each([
    [undefined, { kind: 'whole' }],
    ['bytes=0-99', { kind: 'range', start: 0, end: 99 }],
    ['bytes=9990-20000', { kind: 'range', start: 9990, end: 9999 }],
    ['bytes=-100', { kind: 'range', start: 9900, end: 9999 }],
    ['bytes=-20000', { kind: 'range', start: 0, end: 9999 }],
    ['bytes=500-', { kind: 'range', start: 500, end: 9999 }],
    ['bytes=10000-', { kind: 'unsatisfiable' }],
    ['bytes=50-10', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-9', { kind: 'whole' }],
    ['items=0-5', { kind: 'whole' }],
  ])('%s on 10000 bytes gives %j', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  test('an open-ended range on a large file is served in chunks the player asks for again', () => {
    expect(parseRange('bytes=0-', 5 * MAX_CHUNK_BYTES)).toEqual({ kind: 'range', start: 0, end: MAX_CHUNK_BYTES - 1 });
  });
});
