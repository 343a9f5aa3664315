import * as path from 'node:path';
import { probeAudio } from '../../src/audio/probe';
import { IMPORT_EXTENSIONS, importRecordings } from '../../src/prompts/prompt-import';
import { FixtureKind, makeRecording, SPEECH_SECONDS } from '../audio/encoded-fixtures';
import { tempDir } from '../support/engine';

/** The committed fixture for each extension import accepts: tests decode these and never encode. */
const KIND_OF: Record<(typeof IMPORT_EXTENSIONS)[number], FixtureKind> = {
  wav: 'wav-stereo-44k', mp3: 'mp3', m4a: 'm4a', aac: 'aac', mp4: 'mp4', ogg: 'ogg-vorbis', oga: 'oga', opus: 'opus',
  amr: 'amr', '3gp': '3gp', webm: 'webm', flac: 'flac',
};

describe('every format import accepts, from committed recordings', () => {
  it.each(IMPORT_EXTENSIONS.map((ext, i) => [ext, `scale.${i}`] as const))('a .%s recording imports as %s: mu-law, 8 kHz, mono', async (ext, promptId) => {
    const inbox = tempDir('formats-in-');
    const audioDir = tempDir('formats-out-');
    const file = await makeRecording(KIND_OF[ext], path.join(inbox, 'km'), promptId);
    expect(path.extname(file)).toBe(`.${ext}`);
    const [outcome] = await importRecordings([file], { audioDir, languages: ['km'], isPromptId: (id) => id.startsWith('scale.') });
    expect(outcome).toMatchObject({ status: 'imported', language: 'km', promptId });
    const probe = await probeAudio(path.join(audioDir, 'km', `${promptId}.wav`));
    expect(probe).toMatchObject({ codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    expect(probe.durationSeconds).toBeGreaterThan(SPEECH_SECONDS - 0.1);
    expect(probe.durationSeconds).toBeLessThan(SPEECH_SECONDS + 0.45);
  });
});
