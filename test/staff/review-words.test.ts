import { translator } from '../../src/staff/i18n/i18n';
import { waitingWords } from '../../src/staff/review-words';

describe('how long a message has waited, in words', () => {
  const now = new Date('2026-06-10T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const MIN = 60_000;

  test('the largest unit that fits, singular and plural, in English and Khmer', () => {
    const en = translator('en');
    const km = translator('km');
    const cases: [number, string, string][] = [
      [20_000, 'waiting under a minute', 'រង់ចាំតិចជាងមួយនាទី'],
      [MIN, 'waiting 1 minute', 'រង់ចាំ 1 នាទី'],
      [59 * MIN, 'waiting 59 minutes', 'រង់ចាំ 59 នាទី'],
      [60 * MIN, 'waiting 1 hour', 'រង់ចាំ 1 ម៉ោង'],
      [23 * 60 * MIN + 59 * MIN, 'waiting 23 hours', 'រង់ចាំ 23 ម៉ោង'],
      [24 * 60 * MIN, 'waiting 1 day', 'រង់ចាំ 1 ថ្ងៃ'],
      [13 * 24 * 60 * MIN, 'waiting 13 days', 'រង់ចាំ 13 ថ្ងៃ'],
      [15 * 24 * 60 * MIN, 'waiting 2 weeks', 'រង់ចាំ 2 សប្ដាហ៍'],
    ];
    for (const [ms, english, khmer] of cases) {
      expect(waitingWords(ago(ms), now, en)).toBe(english);
      expect(waitingWords(ago(ms), now, km)).toBe(khmer);
    }
    // A clock a little ahead of the message's time is not a negative wait.
    expect(waitingWords(new Date(now.getTime() + 5000), now, en)).toBe('waiting under a minute');
  });
});
