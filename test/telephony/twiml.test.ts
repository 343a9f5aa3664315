import { TurnOutput } from '../../src/flow/types';
import { parseTwiml } from '../../src/simulator/call-simulator';
import { PromptUrl, renderSystemError, renderTwiml } from '../../src/telephony/twiml';

/** Renderer tables: a turn's neutral output -> the exact TwiML document the carrier gets. */

const BASE = 'https://hotline.example.org';
const promptUrl: PromptUrl = (id, language) => (id === 'not.recorded' ? null : `${BASE}/audio/${language ?? 'km'}/${id}.wav`);
const urls = {
  action: `${BASE}/voice/turn?t=2&l=km`,
  silence: `${BASE}/voice/turn?t=2&l=km&in=silence`,
  recordingStatus: `${BASE}/voice/recording-status`,
};
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const ACTION = 'https://hotline.example.org/voice/turn?t=2&amp;l=km';
const SILENCE = 'https://hotline.example.org/voice/turn?t=2&amp;l=km&amp;in=silence';
const play = (lang: string, id: string) => `<Play>${BASE}/audio/${lang}/${id}.wav</Play>`;

const table: [string, TurnOutput, string][] = [
  [
    'the last silence: goodbye.silence (how to get a free callback), then Hangup, no Gather',
    { prompts: [{ id: 'goodbye.silence' }], end: { type: 'hangup' } },
    `${HEAD}<Response>${play('km', 'goodbye.silence')}<Hangup/></Response>`,
  ],
  [
    'a rating question: the statement and its short scale inside one Gather (one key, 7 s)',
    { prompts: [{ id: 'indicator.health.staff-attitude' }, { id: 'rate.scale.short' }], end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 } },
    `${HEAD}<Response><Gather action="${ACTION}" method="POST" numDigits="1" timeout="7" finishOnKey="">`
      + `${play('km', 'indicator.health.staff-attitude')}${play('km', 'rate.scale.short')}</Gather><Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
  [
    'a menu: Gather (one key, 7 s, no finish key) with the prompts inside, then a Redirect for silence',
    { prompts: [{ id: 'main.menu' }], end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 } },
    `${HEAD}<Response><Gather action="${ACTION}" method="POST" numDigits="1" timeout="7" finishOnKey="">${play('km', 'main.menu')}</Gather>`
      + `<Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
  [
    'code entry: six digits, 10 s, ends on #',
    { prompts: [{ id: 'error.noinput' }, { id: 'rate.commune.enter' }], end: { type: 'gather', numDigits: 6, finishOnKey: '#', timeoutSeconds: 10 } },
    `${HEAD}<Response><Gather action="${ACTION}" method="POST" numDigits="6" timeout="10" finishOnKey="#">`
      + `${play('km', 'error.noinput')}${play('km', 'rate.commune.enter')}</Gather><Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
  [
    'the language menu: each option in its own language',
    {
      prompts: [{ id: 'language.menu' }, { id: 'language.option.km', language: 'km' }, { id: 'language.option.cmo', language: 'cmo' }],
      end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 },
    },
    `${HEAD}<Response><Gather action="${ACTION}" method="POST" numDigits="1" timeout="7" finishOnKey="">`
      + `${play('km', 'language.menu')}${play('km', 'language.option.km')}${play('cmo', 'language.option.cmo')}</Gather>`
      + `<Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
  [
    'a recording: the prompt, Record with action and recording status callback, then a Redirect for a silent recording',
    { prompts: [{ id: 'message.intro' }], end: { type: 'record', maxLengthSeconds: 120 } },
    `${HEAD}<Response>${play('km', 'message.intro')}<Record action="${ACTION}" method="POST" maxLength="120" finishOnKey="#" playBeep="true" timeout="10"`
      + ` recordingStatusCallback="${BASE}/voice/recording-status" recordingStatusCallbackMethod="POST"/>`
      + `<Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
  [
    'the end of a call: the prompts, then Hangup',
    { prompts: [{ id: 'goodbye' }], end: { type: 'hangup' } },
    `${HEAD}<Response>${play('km', 'goodbye')}<Hangup/></Response>`,
  ],
  [
    'a hang-up with nothing to say',
    { prompts: [], end: { type: 'hangup' } },
    `${HEAD}<Response><Hangup/></Response>`,
  ],
  [
    'a prompt with no recording in any language is skipped, the rest still plays',
    { prompts: [{ id: 'not.recorded' }, { id: 'main.menu' }], end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 } },
    `${HEAD}<Response><Gather action="${ACTION}" method="POST" numDigits="1" timeout="7" finishOnKey="">${play('km', 'main.menu')}</Gather>`
      + `<Redirect method="POST">${SILENCE}</Redirect></Response>`,
  ],
];

const ALLOWED = new Set(['Play', 'Say', 'Gather', 'Record', 'Redirect', 'Hangup', 'Reject']);

describe('TwiML renderer', () => {
  it.each(table)('%s', (_name, output, expected) => {
    expect(renderTwiml(output, promptUrl, urls)).toBe(expected);
  });

  it.each(table)('only portable verbs, and Gather and Record always carry an action: %s', (_name, output) => {
    const verbs = parseTwiml(renderTwiml(output, promptUrl, urls));
    const all = verbs.flatMap((v) => [v, ...v.children]);
    for (const v of all) expect(ALLOWED.has(v.name)).toBe(true);
    for (const v of all.filter((x) => x.name === 'Gather' || x.name === 'Record')) expect(v.attrs.action).toBe(urls.action);
    for (const v of all.filter((x) => x.name === 'Redirect')) expect(v.text).toBe(urls.silence);
  });

  it('a system error plays error.system in the caller language, then hangs up', () => {
    expect(renderSystemError(promptUrl, 'cmo')).toBe(`${HEAD}<Response>${play('cmo', 'error.system')}<Hangup/></Response>`);
  });

  it('a system error with no recording at all still hangs up rather than leaving silence', () => {
    expect(renderSystemError(() => null, 'km')).toBe(`${HEAD}<Response><Hangup/></Response>`);
  });

  it('URLs with XML-special characters are escaped', () => {
    const xml = renderTwiml({ prompts: [], end: { type: 'hangup' } }, promptUrl, urls);
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
    const odd = renderTwiml(
      { prompts: [{ id: 'a<b' }], end: { type: 'gather', numDigits: 1, finishOnKey: '', timeoutSeconds: 7 } },
      (id) => `${BASE}/audio/km/${id}.wav?x="1"&y=2`, urls,
    );
    expect(odd).toContain('a&lt;b.wav?x="1"&amp;y=2');
  });
});
