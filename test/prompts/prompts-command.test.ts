import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeAudio } from '../../src/audio/probe';
import { makeRecording } from '../audio/encoded-fixtures';
import { tempDir } from '../support/engine';
import { ROOT, runPromptsCli } from './prompts-cli';

describe('npm run prompts', () => {
  it.each(['import', 'synthesize', 'coverage', 'sync-content'])('%s --help explains the command and exits 0', (command) => {
    const r = runPromptsCli([command, '--help'], {});
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: npm run prompts -- ${command}`));
  });

  it('an unknown command or option is a usage error (exit 2)', () => {
    expect(runPromptsCli(['record'], {}).status).toBe(2);
    const r = runPromptsCli(['coverage', '--require', 'fr'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/fr is not a language the hotline offers/);
    expect(runPromptsCli(['import'], {}).status).toBe(2);
  });

  it('import reports each file, imports the good ones and exits 1 when any failed', async () => {
    const inbox = tempDir('inbox-');
    await makeRecording('m4a', path.join(inbox, 'km'), 'goodbye');
    await makeRecording('corrupt-m4a', path.join(inbox, 'km'), 'welcome');
    await makeRecording('mp3', inbox, 'info.health.taxes.km');
    await makeRecording('clipped-wav', inbox, 'Scale.3.KM');
    const audioDir = tempDir('audio-');
    const r = runPromptsCli(['import', inbox], { AUDIO_DIR: audioDir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ok {6}.*goodbye\.m4a -> km\/goodbye\.wav/m);
    expect(r.stdout).toMatch(/^FAILED {2}.*welcome\.m4a: the file is damaged or cut short.*send the original recording again \[AUDIO_CORRUPT\]/m);
    expect(r.stdout).toMatch(/^FAILED {2}.*info\.health\.taxes\.km\.mp3: info\.health\.taxes is not a prompt id.*did you mean info\.health\.menu\? \[UNKNOWN_PROMPT\]/m);
    expect(r.stdout).toMatch(/^ok {6}.*Scale\.3\.KM\.wav -> km\/scale\.3\.wav.*\n {2}WARNING clipped: /m);
    expect(r.stderr).toMatch(/2 imported \(1 with a warning\), 2 failed/);
    expect(fs.readdirSync(path.join(audioDir, 'km')).sort()).toEqual(['goodbye.wav', 'scale.3.wav']);
    expect(await probeAudio(path.join(audioDir, 'km', 'goodbye.wav'))).toMatchObject({ codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
  });

  it('import accepts a place name by gazetteer code and refuses a code that is not a place', async () => {
    const inbox = tempDir('inbox-');
    await makeRecording('amr', inbox, 'place.080101.km');
    await makeRecording('amr', inbox, 'place.999999.km');
    // Sent in with Bunong recordings: a place name is one Khmer recording for every language.
    await makeRecording('amr', path.join(inbox, 'cmo'), 'place.080102');
    const audioDir = tempDir('audio-');
    const r = runPromptsCli(['import', inbox], { AUDIO_DIR: audioDir });
    expect(r.stdout).toMatch(/place\.080101\.km\.amr -> km\/place\.080101\.wav/);
    expect(r.stdout).toMatch(/cmo\/place\.080102\.amr -> km\/place\.080102\.wav/);
    expect(fs.existsSync(path.join(audioDir, 'cmo'))).toBe(false);
    expect(r.stdout).toMatch(/place\.999999\.km\.amr: .*\[UNKNOWN_PROMPT\]/);
  });

  it('coverage --require km refuses the shipped placeholders; sync-content --check finds the catalog in step', () => {
    const r = runPromptsCli(['coverage', '--require', 'km'], { AUDIO_DIR: path.join(ROOT, 'audio') });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^km \(Khmer\), default: 0\/\d+ recorded, 0 machine voice, \d+ placeholder, 0 missing/m);
    expect(runPromptsCli(['sync-content', '--check'], {}).status).toBe(0);
  });
});
