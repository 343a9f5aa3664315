import * as fs from 'node:fs';
import * as path from 'node:path';
import { JourneyFigures, optionsRead, verdicts, wavSeconds } from '../../bench/journeys';
import { tempDir } from '../support/engine';

/** The arithmetic of npm run bench:journeys (the journeys themselves drive the real webhooks). */
describe('bench:journeys measures', () => {
  it('reads a WAV file\'s length from its data chunk and byte rate, past any other chunk', () => {
    const data = Buffer.alloc(12000); // 1.5 s of 8 kHz mu-law
    const fmt = Buffer.alloc(18);
    fmt.writeUInt16LE(7, 0); fmt.writeUInt16LE(1, 2); fmt.writeUInt32LE(8000, 4); fmt.writeUInt32LE(8000, 8); fmt.writeUInt16LE(1, 12); fmt.writeUInt16LE(8, 14);
    const chunk = (id: string, body: Buffer) => Buffer.concat([Buffer.from(id, 'ascii'), Buffer.from(Uint32Array.of(body.length).buffer), body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
    const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('fact', Buffer.alloc(4)), chunk('data', data)]);
    const file = path.join(tempDir(), 'x.wav');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('RIFF'), Buffer.from(Uint32Array.of(body.length).buffer), body]));
    expect(wavSeconds(file)).toBe(1.5);
  });

  it('counts the options a turn reads: distinct keys 1-9, one per language, one per listed name', () => {
    const text: Record<string, string> = {
      'main.menu': 'To hear, press 1. To rate, press 2. To leave a message, press 3. For another language, press 8.',
      'keys.intro': 'To hear again, press star. To go back, press 0.',
      'rate.area.menu': 'Choose your commune.',
    };
    expect(optionsRead(['main.menu', 'keys.intro'], (id) => text[id])).toBe(4);
    expect(optionsRead(['language.menu', 'language.option.km', 'language.option.cmo', 'language.option.tpu'], (id) => text[id])).toBe(3);
    expect(optionsRead(['rate.area.menu', 'place.120101', 'digit.1', 'place.120102', 'digit.2'], (id) => text[id])).toBe(2);
  });

  it('misses a target when a rating takes longer than it, or a menu reads more than 4 options', () => {
    const row = (name: string, heard: number, options = 3): JourneyFigures => ({
      name, heardSeconds: heard, timeoutSeconds: 0, spokeSeconds: 0, keyPresses: 10, menusBeforeContent: 3,
      longestPrompt: { id: 'main.menu', seconds: 10 }, mostOptions: { turn: 'main.menu', options }, endedBy: 'caller', lastHeard: 'rate.thanks',
    });
    expect(verdicts([row('rate a health centre, new caller', 149)]).ok).toBe(true);
    const over = verdicts([row('rate a health centre, new caller', 151)]);
    expect(over.ok).toBe(false);
    expect(over.lines[0]).toMatch(/^MISS rate a health centre, new caller: 151.0 s of 150 s/);
    expect(verdicts([row('leave a message', 100, 5)]).ok).toBe(false);
  });
});
