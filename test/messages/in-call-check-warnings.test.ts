import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger';
import { CarrierRecordings } from '../../src/messages/carrier-recordings';
import { inCallSilenceCheck, SKIPPED_CHECK } from '../../src/messages/recording-silence';

/**
 * A silence check that does not happen during the call means a silent caller hears "message
 * saved" and a reference number: the operator must see it as a warning, whatever the cause.
 * (The redirect to a bucket not in CARRIER_MEDIA_HOSTS is played end to end with Somleng's two
 * buckets in test/carriers/somleng-buckets.test.ts.)
 */
describe('a skipped in-call silence check is a warning', () => {
  const capture = () => {
    const lines: { level: number; msg: string; budgetMs?: number; err?: string }[] = [];
    const logger = createLogger('info', new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
    return { lines, logger };
  };

  it('when the download outlasts the budget: one warning, then nothing more when it finally fails', async () => {
    const { lines, logger } = capture();
    let fail!: (err: Error) => void;
    const carrier = { download: () => new Promise((_, reject) => { fail = reject; }) } as unknown as CarrierRecordings;
    expect(await inCallSilenceCheck(carrier, logger, 30)('https://api.example/rec')).toBeUndefined();
    fail(new Error('too late'));
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.filter((l) => l.msg === SKIPPED_CHECK).map((l) => [l.level, l.budgetMs])).toEqual([[40, 30]]);
  });

  it('when the download fails: a warning with the reason', async () => {
    const { lines, logger } = capture();
    const carrier = { download: async () => { throw new Error('download answered HTTP 500'); } } as unknown as CarrierRecordings;
    expect(await inCallSilenceCheck(carrier, logger, 2000)('https://api.example/rec')).toBeUndefined();
    expect(lines.filter((l) => l.msg === SKIPPED_CHECK).map((l) => [l.level, l.err])).toEqual([[40, 'download answered HTTP 500']]);
  });
});
