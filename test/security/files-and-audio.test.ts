import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseFfmpeg, describeFfmpeg } from '../../src/audio/ffmpeg';
import { convertToTelephony } from '../../src/audio/telephony-conversion';
import { EmbeddedStore } from '../../src/store/embedded-store';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { toneWav } from '../staff/staff-support';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Issue 12, finding 9: private data files, /audio serving prompt audio only, and ffmpeg. */
describe(`files and transport (${ENGINE} store)`, () => {
  it('the embedded store keeps accounts, sessions and recordings readable by the hotline\'s user only: files 0600, folders 0700', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(path.join(dataDir, 'store'), { recursive: true, mode: 0o755 }); // made by an older version
    const store = new EmbeddedStore(dataDir);
    try {
      await store.collection<{ _id: string; role: string }>('staff_accounts').insertOne({ _id: 'admin1', role: 'admin' });
      await store.files.write('recording-1.wav', toneWav(1), { contentType: 'audio/wav' });
    } finally {
      await store.close();
    }
    for (const dir of [dataDir, path.join(dataDir, 'store'), path.join(dataDir, 'recordings')]) expect([dir, mode(dir)]).toEqual([dir, 0o700]);
    const files = [path.join(dataDir, 'store', 'staff_accounts.db'), path.join(dataDir, 'recordings', 'recording-1.wav'), path.join(dataDir, 'recordings', 'recording-1.wav.meta.json')];
    for (const file of files) expect([file, mode(file)]).toEqual([file, 0o600]);
  });

  describe('/audio', () => {
    let h: TestHotline;
    const audioDir = tempDir('audio-');
    beforeAll(async () => {
      fs.cpSync(path.resolve(__dirname, '../../audio'), audioDir, { recursive: true });
      fs.writeFileSync(path.join(audioDir, 'km', 'planted.html'), '<script>alert(1)</script>');
      fs.writeFileSync(path.join(audioDir, 'km', 'planted.wav'), '<html><script>alert(1)</script></html>');
      h = await startHotline({ AUDIO_DIR: audioDir });
    });
    afterAll(async () => {
      await h.stop();
    });

    it('serves a prompt as audio/wav with nosniff', async () => {
      const res = await fetch(`${h.url}/audio/km/welcome.wav`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it.each(['/audio/README.md', '/audio/placeholders.json', '/audio/km/planted.html', '/audio/km/.hidden.wav', '/audio/km/../README.md', '/audio/km/sub/x.wav'])(
      '%s is not served',
      async (p) => {
        const res = await fetch(h.url + p);
        expect(res.status).toBe(404);
        expect(await res.text()).not.toMatch(/script|Prompt audio/);
      },
    );

    it('a planted .wav that is really a page is still only audio to a browser (audio/wav, nosniff)', async () => {
      const res = await fetch(`${h.url}/audio/km/planted.wav`);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  it('audio is decoded with the format its name says: a WAV named .mp3, or a playlist named .mp3, is refused, not guessed', async () => {
    const dir = tempDir('decode-');
    const wavAsMp3 = path.join(dir, 'prompt.mp3');
    fs.writeFileSync(wavAsMp3, toneWav(2));
    // Refused as not decodable or as a damaged file (issue 14 tells the two apart), never guessed.
    await expect(convertToTelephony(wavAsMp3, path.join(dir, 'out1.wav'))).rejects.toMatchObject({ code: expect.stringMatching(/^AUDIO_(UNDECODABLE|CORRUPT)$/) });
    const playlist = path.join(dir, 'list.mp3');
    fs.writeFileSync(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile://${wavAsMp3}\n#EXT-X-ENDLIST\n`);
    await expect(convertToTelephony(playlist, path.join(dir, 'out2.wav'))).rejects.toMatchObject({ code: expect.stringMatching(/^AUDIO_(UNDECODABLE|CORRUPT)$/) });
    const wav = path.join(dir, 'prompt.wav');
    fs.writeFileSync(wav, toneWav(2));
    await expect(convertToTelephony(wav, path.join(dir, 'out3.wav'))).resolves.toMatchObject({ probe: { sampleRate: 8000 } });
  });

  it('the system ffmpeg is preferred over the bundled 2018 build, and start-up says which one runs', () => {
    // A folder of its own stands for the system's bin folder, so the test holds whether or not this
    // machine has Debian's ffmpeg (the README's promise: the system's ffmpeg or the bundled one).
    const bin = tempDir('system-bin-');
    fs.writeFileSync(path.join(bin, 'ffmpeg'), '#!/bin/sh\n', { mode: 0o755 });
    const system = chooseFfmpeg({ PATH: `${tempDir('empty-bin-')}:${bin}:/bin` });
    expect(system).toEqual({ path: `${bin}/ffmpeg`, source: 'system' });
    expect(describeFfmpeg(system)).toEqual({ level: 'info', message: `ffmpeg: the system build (${bin}/ffmpeg)` });
    const bundled = chooseFfmpeg({ PATH: '' });
    expect(bundled.source).toBe('bundled');
    expect(describeFfmpeg(bundled)).toMatchObject({ level: 'warn', message: expect.stringMatching(/bundled 2018 build.*install ffmpeg/) });
    expect(chooseFfmpeg({ FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg', PATH: '/usr/bin' })).toEqual({ path: '/opt/ffmpeg/bin/ffmpeg', source: 'FFMPEG_PATH' });
  });
});
