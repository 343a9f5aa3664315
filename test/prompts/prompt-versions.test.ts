import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioSources, sha256Of } from '../../src/prompts/audio-sources';
import { PromptVersions } from '../../src/prompts/prompt-versions';
import { Store } from '../../src/store/store';
import { makeRecording } from '../audio/encoded-fixtures';
import { closeTestStore, ENGINE, openTestStore, tempDir } from '../support/engine';
import { ROOT } from './prompts-cli';

/** Studio saves keep what they replace: undo walks back one save at a time, to the shipped placeholder. */
describe(`prompt versions (${ENGINE} store)`, () => {
  let store: Store;
  let audioDir: string;
  let versions: PromptVersions;
  beforeEach(async () => {
    store = await openTestStore();
    audioDir = tempDir('versions-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    versions = new PromptVersions(store, { audioDir, languages: ['km', 'cmo'], isPromptId: (id) => ['goodbye', 'welcome'].includes(id), promptIds: ['goodbye', 'welcome'] });
  });
  afterEach(async () => {
    await closeTestStore(store);
  });

  const upload = async (hz: number) => fs.readFileSync(await makeRecording('mp3', tempDir('take-'), 'take', hz));
  const file = () => path.join(audioDir, 'km/goodbye.wav');

  it('two saves and two undos: each undo puts back the version before, then the placeholder; a third undo has nothing to do', async () => {
    const placeholder = sha256Of(file());
    const first = await versions.save('km', 'goodbye', await upload(600), 'mp3', 'anna');
    expect(first).toMatchObject({ ok: true, outcome: { replaced: 'placeholder' } });
    const afterFirst = sha256Of(file());
    const second = await versions.save('km', 'goodbye', await upload(500), 'mp3', 'bora');
    expect(second).toMatchObject({ ok: true, outcome: { replaced: 'recording' } });
    expect(await versions.find('km', 'goodbye')).toMatchObject({ savedBy: 'bora', sha256: sha256Of(file()), previous: [{ savedBy: 'anna' }, { savedBy: 'bora' }] });

    expect(await versions.undo('km', 'goodbye')).toBe(true);
    expect(sha256Of(file())).toBe(afterFirst);
    expect(await versions.find('km', 'goodbye')).toMatchObject({ savedBy: 'anna', sha256: afterFirst });
    expect(await versions.undo('km', 'goodbye')).toBe(true);
    expect(sha256Of(file())).toBe(placeholder);
    expect(AudioSources.load(audioDir).sourceOf('km', 'goodbye')).toBe('placeholder');
    expect(await versions.undo('km', 'goodbye')).toBe(false);
    // The history folder holds nothing once every save is undone.
    expect(fs.readdirSync(path.join(audioDir, '.history/km/goodbye'))).toEqual([]);
  }, 60_000);

  it('undoing the first recording of a missing prompt removes it; a refused upload changes nothing and keeps no version', async () => {
    const refused = await versions.save('cmo', 'welcome', Buffer.from('not audio at all '.repeat(100)), 'mp3', 'anna');
    expect(refused).toMatchObject({ ok: false, outcome: { code: 'AUDIO_UNDECODABLE' } });
    expect(await versions.find('cmo', 'welcome')).toBeNull();
    const saved = await versions.save('cmo', 'welcome', await upload(700), 'mp3', 'anna');
    expect(saved.ok).toBe(true);
    expect(fs.existsSync(path.join(audioDir, 'cmo/welcome.wav'))).toBe(true);
    expect(await versions.undo('cmo', 'welcome')).toBe(true);
    expect(fs.existsSync(path.join(audioDir, 'cmo/welcome.wav'))).toBe(false);
    expect(await versions.find('cmo', 'welcome')).toBeNull();
  }, 60_000);
});
