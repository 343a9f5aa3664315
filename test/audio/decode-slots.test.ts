import { DecodeSlots, DecodesBusyError } from '../../src/audio/decode-slots';

/**
 * Issue 21, section 4: one reviewer sent four uploads at once, each several ffmpeg passes on a
 * two-core machine. At most AUDIO_DECODES_AT_ONCE conversions run at once; the next waits its
 * turn, briefly, then is refused with a message saying to try again. The work here is held by the
 * test (a promise it settles), so nothing depends on how fast the machine is.
 */
describe('decode slots', () => {
  const held = () => {
    let release!: () => void;
    const done = new Promise<void>((resolve) => { release = resolve; });
    return { done, release };
  };

  it('runs at most `max` at once; the next starts as soon as one ends, first come first served', async () => {
    const slots = new DecodeSlots(2, 60_000);
    const started: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((name) => ({ name, work: held() }));
    const results = jobs.map((j) => slots.run(async () => { started.push(j.name); await j.work.done; return j.name; }));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    jobs[1].work.release();
    expect(await results[1]).toBe('b');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    jobs[0].work.release();
    jobs[2].work.release();
    jobs[3].work.release();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a job that fails frees its slot too', async () => {
    const slots = new DecodeSlots(1, 60_000);
    await expect(slots.run(async () => { throw new Error('ffmpeg failed'); })).rejects.toThrow('ffmpeg failed');
    expect(await slots.run(async () => 'next')).toBe('next');
  });

  it('a job that waits longer than the wait is refused with a message to try again, and leaves the queue', async () => {
    const slots = new DecodeSlots(1, 50);
    const first = held();
    const running = slots.run(() => first.done);
    const refused = slots.run(async () => 'never');
    await expect(refused).rejects.toBeInstanceOf(DecodesBusyError);
    await expect(refused).rejects.toMatchObject({ code: 'AUDIO_DECODES_BUSY', status: 503, messageKey: 'audio.decodes-busy', message: expect.stringMatching(/try again/) });
    first.release();
    await running;
    // The refused job is not run later, and the slot is free again.
    expect(await slots.run(async () => 'after')).toBe('after');
  });
});
