import { parseScript } from '../../src/simulator/call-simulator';
import { isWithheldCaller, KEYPAD_PLACEHOLDERS } from '../../src/telephony/withheld-caller';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

/**
 * Issue 12, finding 8: carriers' placeholders for a withheld number are not a caller. Sources
 * are cited in src/telephony/withheld-caller.ts: Twilio's withheld caller IDs as words or spelled
 * on a keypad (ANONYMOUS +266696687, RESTRICTED +7378742833, UNAVAILABLE +86282452253, UNKNOWN
 * +8656696, BLOCKED +2562533); Somleng refuses a From that is not a plausible number, and its
 * gateways pass a withheld SIP caller as "anonymous".
 */
describe(`withheld caller IDs (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline();
  });
  afterAll(async () => {
    await h.stop();
  });

  it.each(['+266696687', '+7378742833', '+86282452253', '+8656696', '+2562533', '266696687', 'anonymous', 'Restricted', 'sip:anonymous@anonymous.invalid', ''])(
    'two calls from the placeholder "%s" are two strangers: the second hears neither welcome.back nor the first caller\'s commune',
    async (placeholder) => {
      await h.call(parseScript('1,2,120101,1,3,hangup'), { from: placeholder });
      const second = await h.call(parseScript('1,2,hangup'), { from: placeholder });
      expect(ids(second).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
      expect(ids(second)).not.toContain('welcome.back');
      expect(ids(second)).not.toContain('rate.commune.last');
    },
  );

  it('a real number is still remembered (the placeholders are exact, not a pattern that catches callers)', async () => {
    const from = '+85512266696';
    await h.call(parseScript('1,2,120101,1,3,hangup'), { from });
    const again = await h.call(parseScript('2,1,hangup'), { from });
    expect(ids(again).slice(0, 3)).toEqual(['welcome.back', 'keys.intro', 'main.menu']);
    expect(ids(again)).toContain('rate.commune.last');
  });

  it('classifies each placeholder, word and short id as withheld, and Cambodian numbers in any format as callers', () => {
    for (const p of KEYPAD_PLACEHOLDERS) expect(isWithheldCaller(`+${p}`)).toBe(true);
    for (const w of [undefined, '', 'anonymous', 'Unavailable', 'private', '+1234', 'client:alice']) expect(isWithheldCaller(w)).toBe(true);
    for (const n of ['+85512345678', '85512345678', '012345678', '+855 97 123 4567']) expect(isWithheldCaller(n)).toBe(false);
  });
});
