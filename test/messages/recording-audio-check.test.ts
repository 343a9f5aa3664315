import * as fs from 'node:fs';
import { checkRecording, RecordingRejectedError, wavDurationSeconds } from '../../src/messages/recording-audio-check';
import { wavOf } from '../support/fake-carrier';
import { fixturePath } from '../audio/encoded-fixtures';

const MAX = 5 * 1024 * 1024;

describe('checking downloaded audio before the carrier copy is deleted', () => {
  it('measures a WAV from its header', async () => {
    expect(wavDurationSeconds(wavOf(12))).toBeCloseTo(12, 3);
    await expect(checkRecording(wavOf(12), { expectedSeconds: 12, maxBytes: MAX })).resolves.toMatchObject({ format: 'wav', contentType: 'audio/wav' });
  });

  it('accepts the carrier rounding the duration to whole seconds', async () => {
    await expect(checkRecording(wavOf(12.4), { expectedSeconds: 12, maxBytes: MAX })).resolves.toMatchObject({ format: 'wav' });
  });

  it('refuses audio much shorter or longer than the carrier reported', async () => {
    await expect(checkRecording(wavOf(3), { expectedSeconds: 30, maxBytes: MAX })).rejects.toThrow(/3\.0 s but the carrier reported 30 s/);
    await expect(checkRecording(wavOf(20), { expectedSeconds: 10, maxBytes: MAX })).rejects.toThrow(RecordingRejectedError);
  });

  it('refuses an empty body, an HTML page, a truncated header and an oversize file', async () => {
    await expect(checkRecording(Buffer.alloc(0), { maxBytes: MAX })).rejects.toThrow(/empty/);
    await expect(checkRecording(Buffer.from('<html>Sign in</html>'), { maxBytes: MAX })).rejects.toThrow(/neither WAV nor MP3/);
    await expect(checkRecording(wavOf(2).subarray(0, 20), { maxBytes: MAX })).rejects.toThrow(RecordingRejectedError);
    await expect(checkRecording(wavOf(2), { maxBytes: 100 })).rejects.toThrow(/over the 100 byte limit/);
  });

  it('counts the data present when a streamed WAV left its length unset', () => {
    const wav = wavOf(4);
    wav.writeUInt32LE(0xffffffff, 40);
    expect(wavDurationSeconds(wav)).toBeCloseTo(4, 3);
  });

  it('measures an MP3 by decoding it with ffmpeg', async () => {
    const mp3 = fs.readFileSync(fixturePath('message-6s.mp3'));
    const checked = await checkRecording(mp3, { expectedSeconds: 6, maxBytes: MAX });
    expect(checked.format).toBe('mp3');
    expect(checked.contentType).toBe('audio/mpeg');
    expect(checked.durationSeconds).toBeGreaterThan(5);
    expect(checked.durationSeconds).toBeLessThan(7);
  });
});
