import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeAudio } from '../../src/audio/probe';
import { AudioSources } from '../../src/prompts/audio-sources';
import { createGoogleSpeechClient, findKhmerVoice, SpeechClient, SynthesisError, synthesizePrompts } from '../../src/prompts/prompt-synthesis';
import { fixturePath, makeRecording } from '../audio/encoded-fixtures';
import { tempDir } from '../support/engine';
import { runPromptsCli } from './prompts-cli';

const ROOT = path.resolve(__dirname, '../..');

/** What Google returns for LINEAR16: a WAV with a header, here a 0.8 s tone at 16 kHz. */
async function linear16Speech(): Promise<Buffer> {
  return fs.readFileSync(fixturePath('linear16-300.wav'));
}

/** A stand-in for the Google client that records what it was asked. */
function fakeClient(opts: { voices?: { name: string; languageCodes: string[] }[]; listError?: Error; audio?: Buffer; failFor?: string } = {}) {
  const requests: { text: string; voice: string; encoding: string }[] = [];
  const client: SpeechClient = {
    async listVoices() {
      if (opts.listError) throw opts.listError;
      return [{ voices: opts.voices ?? [{ name: 'en-US-Standard-A', languageCodes: ['en-US'] }, { name: 'km-KH-Standard-A', languageCodes: ['km-KH'] }] }];
    },
    async synthesizeSpeech(req) {
      requests.push({ text: req.input.text, voice: req.voice.name, encoding: req.audioConfig.audioEncoding });
      if (opts.failFor && req.input.text === opts.failFor) throw new Error('quota exceeded');
      return [{ audioContent: opts.audio ?? Buffer.alloc(0) }];
    },
  };
  return { client, requests };
}

function audioDirWithPlaceholders(): string {
  const dir = tempDir('audio-');
  fs.cpSync(path.join(ROOT, 'audio'), dir, { recursive: true });
  return dir;
}

describe('drafting Khmer prompts with text-to-speech', () => {
  let speech: Buffer;
  beforeAll(async () => {
    speech = await linear16Speech();
  });

  it('finds a Khmer voice among those listed, and refuses clearly when there is none', async () => {
    expect(await findKhmerVoice(fakeClient().client)).toBe('km-KH-Standard-A');
    const none = fakeClient({ voices: [{ name: 'en-US-Standard-A', languageCodes: ['en-US'] }] });
    await expect(findKhmerVoice(none.client)).rejects.toMatchObject({ code: 'TTS_NO_VOICE', message: expect.stringMatching(/no Khmer \(km-KH\) voice/) });
    await expect(findKhmerVoice(fakeClient().client, 'km-KH-Wavenet-Z')).rejects.toMatchObject({ code: 'TTS_NO_VOICE' });
  });

  it('reports refused credentials as a credential problem', async () => {
    const denied = fakeClient({ listError: new Error('16 UNAUTHENTICATED: Request had invalid authentication credentials') });
    await expect(findKhmerVoice(denied.client)).rejects.toMatchObject({ code: 'TTS_NO_CREDENTIALS' });
  });

  it('writes telephony-format drafts over placeholders and marks them as machine voice', async () => {
    const audioDir = audioDirWithPlaceholders();
    const { client, requests } = fakeClient({ audio: speech });
    const outcomes = await synthesizePrompts(
      [{ promptId: 'welcome', text: 'សូមស្វាគមន៍' }, { promptId: 'place.120101', text: 'ទន្លេបាសាក់' }],
      { client, voice: 'km-KH-Standard-A', audioDir },
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ promptId: 'welcome', status: 'synthesized', replaced: 'placeholder' }),
      expect.objectContaining({ promptId: 'place.120101', status: 'synthesized', replaced: null }),
    ]);
    expect(requests).toEqual([
      { text: 'សូមស្វាគមន៍', voice: 'km-KH-Standard-A', encoding: 'LINEAR16' },
      { text: 'ទន្លេបាសាក់', voice: 'km-KH-Standard-A', encoding: 'LINEAR16' },
    ]);
    const probe = await probeAudio(path.join(audioDir, 'km', 'welcome.wav'));
    expect(probe).toMatchObject({ codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    expect(probe.durationSeconds).toBeGreaterThan(0.6);
    const sources = AudioSources.load(audioDir);
    expect(sources.sourceOf('km', 'welcome')).toBe('machine');
    expect(sources.sourceOf('km', 'place.120101')).toBe('machine');
    expect(sources.machineVoiceOf('km', 'welcome')).toMatchObject({ voice: 'km-KH-Standard-A' });
  });

  it('never overwrites a person\'s recording, and skips machine voice unless asked to redo it', async () => {
    const audioDir = tempDir('audio-');
    const recording = await makeRecording('wav-stereo-44k', tempDir(), 'x');
    fs.mkdirSync(path.join(audioDir, 'km'));
    fs.copyFileSync(recording, path.join(audioDir, 'km', 'goodbye.wav'));
    const { client, requests } = fakeClient({ audio: speech });
    const first = await synthesizePrompts([{ promptId: 'goodbye', text: 'លាហើយ' }, { promptId: 'scale.4', text: 'ល្អ' }], { client, voice: 'v', audioDir });
    expect(first.map((o) => o.status)).toEqual(['skipped', 'synthesized']);
    expect(fs.readFileSync(path.join(audioDir, 'km', 'goodbye.wav')).equals(fs.readFileSync(recording))).toBe(true);
    const again = await synthesizePrompts([{ promptId: 'scale.4', text: 'ល្អ' }], { client, voice: 'v', audioDir });
    expect(again[0]).toMatchObject({ status: 'skipped' });
    const redo = await synthesizePrompts([{ promptId: 'scale.4', text: 'ល្អ' }], { client, voice: 'v', audioDir, redoMachine: true });
    expect(redo[0]).toMatchObject({ status: 'synthesized', replaced: 'machine' });
    expect(requests.map((r) => r.text)).toEqual(['ល្អ', 'ល្អ']);
  });

  it('reports a failed or empty synthesis per prompt and carries on', async () => {
    const audioDir = tempDir('audio-');
    const { client } = fakeClient({ audio: speech, failFor: 'មួយ' });
    const outcomes = await synthesizePrompts([{ promptId: 'digit.1', text: 'មួយ' }, { promptId: 'digit.2', text: 'ពីរ' }], { client, voice: 'v', audioDir });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'synthesized']);
    expect(fs.existsSync(path.join(audioDir, 'km', 'digit.1.wav'))).toBe(false);
    const empty = fakeClient({ audio: Buffer.alloc(0) });
    const [o] = await synthesizePrompts([{ promptId: 'digit.3', text: 'បី' }], { client: empty.client, voice: 'v', audioDir });
    expect(o).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no audio/) });
  });
});

describe('the real Google client, up to the credential check', () => {
  it('without a key file, refuses with what to set', () => {
    expect(() => createGoogleSpeechClient('')).toThrow(SynthesisError);
    expect(() => createGoogleSpeechClient('')).toThrow(/set GOOGLE_APPLICATION_CREDENTIALS/);
  });

  it('with a key file that is missing or not a service-account key, names the file', () => {
    expect(() => createGoogleSpeechClient('/nonexistent/key.json')).toThrow(/cannot read the Google Cloud key file \/nonexistent\/key.json/);
    const notKey = path.join(tempDir(), 'key.json');
    fs.writeFileSync(notKey, JSON.stringify({ type: 'authorized_user' }));
    expect(() => createGoogleSpeechClient(notKey)).toThrow(/is not a service-account key/);
  });

  it('with a well-formed key file, builds the real client (nothing is sent until it is used)', () => {
    const key = path.join(tempDir(), 'key.json');
    fs.writeFileSync(key, JSON.stringify({ type: 'service_account', client_email: 'tts@example.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n' }));
    const client = createGoogleSpeechClient(key);
    expect(client.constructor.name).toBe('TextToSpeechClient');
    expect(typeof client.listVoices).toBe('function');
  });

  it('npm run prompts -- synthesize without credentials exits 3 with a clear message and writes nothing', () => {
    const audioDir = tempDir('audio-');
    const r = runPromptsCli(['synthesize', '--only', 'welcome'], { AUDIO_DIR: audioDir });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/not ready: no Google Cloud credentials: set GOOGLE_APPLICATION_CREDENTIALS/);
    expect(fs.readdirSync(audioDir)).toEqual([]);
  });
});

describe('the synthesize command with an injected client', () => {
  const saved = { AUDIO_DIR: process.env.AUDIO_DIR, DATA_DIR: process.env.DATA_DIR };
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('reads Khmer reference texts (I4C from the content files) and gazetteer names, and drafts each', async () => {
    const audioDir = tempDir('audio-');
    process.env.AUDIO_DIR = audioDir;
    process.env.DATA_DIR = tempDir('data-');
    const { runSynthesize } = await import('../../scripts/prompts');
    const { client, requests } = fakeClient({ audio: await linear16Speech() });
    const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const quietErr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    let status: number;
    try {
      status = await runSynthesize(['--only', 'welcome,info.health.fees.1', '--places', '080101'], () => client);
    } finally {
      quiet.mockRestore();
      quietErr.mockRestore();
    }
    expect(status).toBe(0);
    const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'prompts/catalog.json'), 'utf8'));
    const fees = JSON.parse(fs.readFileSync(path.join(ROOT, 'content/i4c/health.km.json'), 'utf8'));
    expect(requests.map((r) => r.text)).toEqual([
      catalog.prompts.welcome.text.km,
      catalog.prompts['info.health.fees.1'].text.km,
      'អំពៅព្រៃ',
    ]);
    // The first piece of the topic opens with the sample notice and goes on with the topic's first sentences.
    expect(catalog.prompts['info.health.fees.1'].text.km.startsWith(`${fees.sampleNotice} ${fees.topics.fees[0]}`)).toBe(true);
    expect(fs.readdirSync(path.join(audioDir, 'km')).sort()).toEqual(['info.health.fees.1.wav', 'place.080101.wav', 'welcome.wav']);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(audioDir, 'machine-voice.json'), 'utf8')).files).sort()).toEqual(['km/info.health.fees.1', 'km/place.080101', 'km/welcome']);
  });
});
