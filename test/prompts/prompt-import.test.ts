import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFfmpeg } from '../../src/audio/ffmpeg';
import { probeAudio } from '../../src/audio/probe';
import { AudioSources } from '../../src/prompts/audio-sources';
import { importRecordings, ImportOutcome, listInputs, targetOf } from '../../src/prompts/prompt-import';
import { FixtureKind, fixturePath, makeRecording, SPEECH_SECONDS, wavHeader } from '../audio/encoded-fixtures';
import { tempDir } from '../support/engine';

const LANGUAGES = ['km', 'cmo', 'tpu'];
const PROMPTS = new Set(['welcome', 'main.menu', 'info.health.fees', 'digit.1', 'digit.2', 'goodbye', 'scale.1', 'scale.2', 'language.option.km']);
const isPromptId = (id: string) => PROMPTS.has(id) || /^place\.[0-9]{2,6}$/.test(id);

/** A copy of the shipped audio folder (placeholders and their manifest), so imports replace real placeholders. */
function audioDirWithPlaceholders(): string {
  const dir = tempDir('audio-');
  fs.cpSync(path.resolve(__dirname, '../../audio'), dir, { recursive: true });
  return dir;
}

describe('importing recordings into the prompt library', () => {
  const inbox = tempDir('inbox-');
  const files: Partial<Record<FixtureKind, string>> = {};
  let audioDir: string;
  let outcomes: ImportOutcome[];

  beforeAll(async () => {
    audioDir = audioDirWithPlaceholders();
    // One recording per phone/messaging format, each for a different prompt and language.
    files['wav-stereo-44k'] = await makeRecording('wav-stereo-44k', path.join(inbox, 'km'), 'welcome');
    files.mp3 = await makeRecording('mp3', inbox, 'main.menu.cmo');
    files.m4a = await makeRecording('m4a', path.join(inbox, 'cmo'), 'info.health.fees');
    files['ogg-opus'] = await makeRecording('ogg-opus', inbox, 'digit.1.tpu');
    files['ogg-vorbis'] = await makeRecording('ogg-vorbis', inbox, 'digit.2.tpu');
    files.amr = await makeRecording('amr', inbox, 'goodbye.cmo');
    files['silent-mp3'] = await makeRecording('silent-mp3', inbox, 'scale.1.cmo');
    files['hiss-m4a'] = await makeRecording('hiss-m4a', inbox, 'scale.2.cmo');
    files['corrupt-m4a'] = await makeRecording('corrupt-m4a', path.join(inbox, 'km'), 'goodbye');
    files['quiet-speech-m4a'] = await makeRecording('quiet-speech-m4a', inbox, 'scale.1.tpu');
    files['clipped-wav'] = await makeRecording('clipped-wav', inbox, 'scale.2.tpu');
    files['truncated-wav'] = await makeRecording('truncated-wav', inbox, 'welcome.tpu');
    files['truncated-m4a'] = await makeRecording('truncated-m4a', inbox, 'main.menu.tpu');
    outcomes = await importRecordings(listInputs([inbox]), { audioDir, languages: LANGUAGES, isPromptId });
  }, 120_000);

  const outcomeOf = (kind: FixtureKind) => outcomes.find((o) => o.file === files[kind])!;

  it.each([
    ['wav-stereo-44k', 'km', 'welcome'],
    ['mp3', 'cmo', 'main.menu'],
    ['m4a', 'cmo', 'info.health.fees'],
    ['ogg-opus', 'tpu', 'digit.1'],
    ['ogg-vorbis', 'tpu', 'digit.2'],
    ['amr', 'cmo', 'goodbye'],
  ] as const)('a %s recording becomes %s/%s.wav: mu-law, 8 kHz, mono, silence trimmed', async (kind, language, promptId) => {
    expect(outcomeOf(kind)).toMatchObject({ status: 'imported', language, promptId });
    const out = path.join(audioDir, language, `${promptId}.wav`);
    const probe = await probeAudio(out);
    expect(probe).toMatchObject({ codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    // 1 s of tone with 1.2 s of silence around it; 0.1 s is kept at each end.
    expect(probe.durationSeconds).toBeGreaterThan(SPEECH_SECONDS - 0.1);
    expect(probe.durationSeconds).toBeLessThan(SPEECH_SECONDS + 0.45);
    const header = wavHeader(out);
    expect(header).toMatchObject({ formatTag: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8 });
    expect(header.dataBytes / 8000).toBeCloseTo(probe.durationSeconds, 1);
  });

  it('normalises loudness: a quiet and a loud recording of the same tone come out at the same level', async () => {
    const dir = tempDir('loud-');
    const quiet = path.join(dir, 'scale.2.km.wav');
    const loud = path.join(dir, 'scale.1.km.wav');
    const { runFfmpeg } = await import('../../src/audio/ffmpeg');
    fs.copyFileSync(fixturePath('quiet-500.wav'), quiet);
    fs.copyFileSync(fixturePath('loud-500.wav'), loud);
    const out = tempDir('loud-out-');
    const result = await importRecordings([quiet, loud], { audioDir: out, languages: LANGUAGES, isPromptId });
    expect(result.map((r) => r.status)).toEqual(['imported', 'imported']);
    const level = async (f: string) => {
      const { stderr } = await runFfmpeg(['-i', f, '-af', 'volumedetect', '-f', 'null', '-']);
      return Number(/mean_volume: (-?[0-9.]+) dB/.exec(stderr)![1]);
    };
    const [q, l] = [await level(path.join(out, 'km/scale.2.wav')), await level(path.join(out, 'km/scale.1.wav'))];
    expect(Math.abs(q - l)).toBeLessThan(1.5);
    expect(q).toBeGreaterThan(-25);
  });

  it('a silent recording is reported by file and writes nothing', () => {
    expect(outcomeOf('silent-mp3')).toMatchObject({ status: 'failed', code: 'AUDIO_SILENT', promptId: 'scale.1', language: 'cmo' });
    expect(fs.existsSync(path.join(audioDir, 'cmo', 'scale.1.wav'))).toBe(false);
  });

  it('a recording of background noise only is reported as silent, not boosted into a prompt', () => {
    expect(outcomeOf('hiss-m4a')).toMatchObject({ status: 'failed', code: 'AUDIO_SILENT', reason: expect.stringMatching(/background noise/) });
    expect(fs.existsSync(path.join(audioDir, 'cmo', 'scale.2.wav'))).toBe(false);
  });

  it('a quiet phone recording of a person (-55 LUFS, as quiet as the hiss) is accepted, raised to the target, with a warning', async () => {
    const o = outcomeOf('quiet-speech-m4a');
    expect(o).toMatchObject({ status: 'imported', language: 'tpu', promptId: 'scale.1', warnings: [expect.stringMatching(/^too quiet \(-5\d LUFS, raised by \d+ dB/)], warningCodes: ['too-quiet'] });
    const { stderr } = await runFfmpeg(['-i', path.join(audioDir, 'tpu/scale.1.wav'), '-af', 'loudnorm=print_format=json', '-f', 'null', '-']);
    expect(Number(/"input_i" : "(-?[\d.]+)"/.exec(stderr)![1])).toBeGreaterThan(-21);
  });

  it('a clipped recording is accepted with a warning saying so', () => {
    expect(outcomeOf('clipped-wav')).toMatchObject({ status: 'imported', warnings: [expect.stringMatching(/^clipped: \d+\.\d% of it is at full scale/)], warningCodes: ['clipped'] });
    expect(outcomeOf('mp3')).toMatchObject({ status: 'imported', warnings: [], warningCodes: [] });
  });

  it.each(['truncated-wav', 'truncated-m4a'] as const)('a %s (a copy cut short) is reported as corrupt, not silent, and writes nothing', (kind) => {
    expect(outcomeOf(kind)).toMatchObject({ status: 'failed', code: 'AUDIO_CORRUPT', reason: expect.stringMatching(/cut short.*send the original recording again/) });
    expect(fs.existsSync(path.join(audioDir, 'tpu', `${outcomeOf(kind).promptId}.wav`))).toBe(false);
  });

  it('a file that is no recording at all is reported as unreadable, not corrupt', async () => {
    const dir = tempDir('text-');
    fs.mkdirSync(path.join(dir, 'km'));
    fs.writeFileSync(path.join(dir, 'km', 'digit.1.mp3'), 'this is a note, not a recording\n'.repeat(50));
    const [o] = await importRecordings([path.join(dir, 'km', 'digit.1.mp3')], { audioDir: tempDir('text-out-'), languages: LANGUAGES, isPromptId });
    expect(o).toMatchObject({ status: 'failed', code: 'AUDIO_UNDECODABLE' });
  });

  it('a corrupt recording is reported by file and leaves the placeholder it would have replaced untouched', () => {
    expect(outcomeOf('corrupt-m4a')).toMatchObject({ status: 'failed', code: 'AUDIO_CORRUPT', promptId: 'goodbye', language: 'km' });
    const shipped = fs.readFileSync(path.resolve(__dirname, '../../audio/km/goodbye.wav'));
    expect(fs.readFileSync(path.join(audioDir, 'km', 'goodbye.wav')).equals(shipped)).toBe(true);
    expect(AudioSources.load(audioDir).sourceOf('km', 'goodbye')).toBe('placeholder');
  });

  it('leaves no temporary files behind in the audio folder', () => {
    for (const lang of fs.readdirSync(audioDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      expect(fs.readdirSync(path.join(audioDir, lang.name)).filter((f) => f.startsWith('.'))).toEqual([]);
    }
  });

  it('importing over a placeholder makes it a recording', () => {
    expect(outcomeOf('wav-stereo-44k')).toMatchObject({ status: 'imported', replaced: 'placeholder' });
    expect(AudioSources.load(audioDir).sourceOf('km', 'welcome')).toBe('recording');
    expect(AudioSources.load(path.resolve(__dirname, '../../audio')).sourceOf('km', 'welcome')).toBe('placeholder');
  });

  it('a dry run checks every file and writes nothing', async () => {
    const out = tempDir('dry-');
    const result = await importRecordings([files.mp3!, files['silent-mp3']!], { audioDir: out, languages: LANGUAGES, isPromptId, dryRun: true });
    expect(result.map((r) => r.status)).toEqual(['imported', 'failed']);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

describe('naming recordings by prompt id and language', () => {
  const t = (f: string) => targetOf(f, LANGUAGES, isPromptId);
  it('reads a language folder and a flat <promptId>.<lang>.<ext> name alike', () => {
    expect(t('/in/cmo/info.health.fees.m4a')).toEqual({ language: 'cmo', promptId: 'info.health.fees' });
    expect(t('/in/info.health.fees.cmo.M4A')).toEqual({ language: 'cmo', promptId: 'info.health.fees' });
    expect(t('/in/km/language.option.km.wav')).toEqual({ language: 'km', promptId: 'language.option.km' });
    expect(t('/in/language.option.km.km.wav')).toEqual({ language: 'km', promptId: 'language.option.km' });
    expect(t('/in/place.120101.km.mp3')).toEqual({ language: 'km', promptId: 'place.120101' });
  });
  it('reads <id>.<lang>.<ext> inside its own <lang>/ folder (the recording script\'s names, returned in folders)', () => {
    expect(t('/in/km/welcome.km.m4a')).toEqual({ language: 'km', promptId: 'welcome' });
    expect(t('/in/cmo/Info.Health.Fees.CMO.mp3')).toEqual({ language: 'cmo', promptId: 'info.health.fees' });
    // The language said twice must agree; an id that ends like a language stays whole.
    expect(t('/in/km/welcome.cmo.m4a')).toMatchObject({ code: 'LANGUAGE_MISMATCH', reason: expect.stringMatching(/cmo\/ folder/) });
    expect(t('/in/km/language.option.km.km.wav')).toEqual({ language: 'km', promptId: 'language.option.km' });
  });
  it('imports a whole km/ folder of recordings named welcome.km.m4a, main.menu.km.m4a, ...', async () => {
    const inbox = tempDir('lang-folder-');
    const names = ['welcome', 'main.menu', 'goodbye'];
    for (const [i, id] of names.entries()) await makeRecording('m4a', path.join(inbox, 'km'), `${id}.km`, [440, 500, 600][i]);
    const out = tempDir('lang-folder-out-');
    const result = await importRecordings(listInputs([inbox]), { audioDir: out, languages: LANGUAGES, isPromptId });
    expect(result.map((r) => [r.status, r.status === 'imported' ? r.promptId : r.reason])).toEqual(
      ['goodbye', 'main.menu', 'welcome'].map((id) => ['imported', id]),
    );
    for (const id of names) expect(fs.existsSync(path.join(out, 'km', `${id}.wav`))).toBe(true);
  }, 60_000);
  it('refuses unknown prompt ids, unknown languages, unnamed files and other formats, saying why', () => {
    expect(t('/in/cmo/info.health.taxes.wav')).toMatchObject({ code: 'UNKNOWN_PROMPT' });
    expect(t('/in/welcome.fr.wav')).toMatchObject({ code: 'UNKNOWN_LANGUAGE' });
    expect(t('/in/xyz/welcome.wav')).toMatchObject({ code: 'UNKNOWN_LANGUAGE' });
    expect(t('/in/recordings/welcome.wav')).toMatchObject({ code: 'UNNAMED' });
    expect(t('/in/km/welcome.txt')).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
  it('accepts names in any case, as phones and chat apps write them', () => {
    expect(t('/in/Welcome.KM.MP3')).toEqual({ language: 'km', promptId: 'welcome' });
    expect(t('/in/CMO/Main.Menu.m4a')).toEqual({ language: 'cmo', promptId: 'main.menu' });
    expect(t('/in/Place.120101.Km.Wav')).toEqual({ language: 'km', promptId: 'place.120101' });
  });
  it('suggests the closest prompt id for a typo', () => {
    const ids = [...PROMPTS];
    expect(targetOf('/in/km/wellcome.wav', LANGUAGES, isPromptId, ids)).toMatchObject({ code: 'UNKNOWN_PROMPT', reason: expect.stringMatching(/did you mean welcome\?$/) });
    expect(targetOf('/in/info.helth.fees.cmo.mp3', LANGUAGES, isPromptId, ids)).toMatchObject({ reason: expect.stringMatching(/did you mean info\.health\.fees\?$/) });
    expect(targetOf('/in/km/something-else-entirely.wav', LANGUAGES, isPromptId, ids)).toMatchObject({ reason: expect.not.stringMatching(/did you mean/) });
  });
  it('reports the second of two files for the same prompt and language as a duplicate', async () => {
    const dir = tempDir('dup-');
    const a = await makeRecording('mp3', path.join(dir, 'km'), 'digit.1');
    const b = await makeRecording('mp3', dir, 'digit.1.km');
    const out = tempDir('dup-out-');
    const result = await importRecordings([a, b], { audioDir: out, languages: LANGUAGES, isPromptId });
    expect(result.map((r) => r.status)).toEqual(['imported', 'failed']);
    expect(result[1]).toMatchObject({ code: 'DUPLICATE' });
  });
});

describe('a short MP3 whose header carries no length (no Xing frame)', () => {
  it('imports: the length ffmpeg estimates from the first frames\' bitrate is not a claim the file broke', async () => {
    // What a phone voice recorder writes: variable bitrate, no Xing/Info frame, a second of quiet
    // before a short word. ffmpeg then guesses the length from the bitrate ("Estimating duration
    // from bitrate, this may be inaccurate") and says 1.8 s for 1.5 s of audio.
    const dir = tempDir('short-mp3-');
    const file = path.join(dir, 'welcome.km.mp3');
    const word = "aevalsrc='if(gt(t,1.0),0.6*(random(0)-0.5),0)':s=44100:d=1.5";
    await runFfmpeg(['-y', '-f', 'lavfi', '-i', word, '-c:a', 'libmp3lame', '-q:a', '0', '-write_xing', '0', file]);
    const { stderr } = await runFfmpeg(['-i', file, '-f', 'null', '-']);
    expect(stderr).toMatch(/Estimating duration from bitrate/);
    const [outcome] = await importRecordings([file], { audioDir: tempDir('short-mp3-out-'), languages: LANGUAGES, isPromptId });
    expect(outcome.status === 'failed' ? outcome.reason : outcome.status).toBe('imported');
    expect(outcome).toMatchObject({ language: 'km', promptId: 'welcome' });
  }, 60_000);
});
