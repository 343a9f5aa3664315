import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadDoctorDefinitions } from '../../src/doctor/definitions';
import { contentItems } from '../../src/doctor/doctor';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { ROOT, runPromptsCli } from './prompts-cli';

/**
 * A site recorded main.menu before its words changed (issue 22 changed them: the catalog's
 * `wordsChanged` is 2026-12-07). The recording is still played, but the operator is told, in
 * every place they look, to record it again: the studio row, `script --missing`, the doctor.
 */

const BEFORE_THE_CHANGE = new Date('2026-12-01T09:00:00Z');

function siteAudioWithOldMainMenu(): string {
  const dir = tempDir('outdated-audio-');
  fs.cpSync(path.join(ROOT, 'audio'), dir, { recursive: true });
  // A person's recording: any audio that is not the shipped placeholder.
  const take = Buffer.concat([fs.readFileSync(path.join(ROOT, 'audio/km/main.menu.wav')), Buffer.from('a person')]);
  const file = path.join(dir, 'km/main.menu.wav');
  fs.writeFileSync(file, take);
  fs.utimesSync(file, BEFORE_THE_CHANGE, BEFORE_THE_CHANGE);
  return dir;
}

describe('recordings made before their words changed', () => {
  it('`script --missing` lists them beside what is not recorded yet', () => {
    const audioDir = siteAudioWithOldMainMenu();
    const folder = tempDir('outdated-script-');
    const r = runPromptsCli(['script', '--language', 'km', '--missing', '--format', 'csv', '--out', folder], { AUDIO_DIR: audioDir });
    expect(r.status).toBe(0);
    const ids = fs.readFileSync(path.join(folder, 'recording-script.km.csv'), 'utf8').slice(1).split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[2]);
    expect(ids).toContain('main.menu');
    // A recording whose words did not change is not asked for again.
    fs.writeFileSync(path.join(audioDir, 'km/goodbye.wav'), Buffer.concat([fs.readFileSync(path.join(ROOT, 'audio/km/goodbye.wav')), Buffer.from('a person')]));
    fs.utimesSync(path.join(audioDir, 'km/goodbye.wav'), BEFORE_THE_CHANGE, BEFORE_THE_CHANGE);
    runPromptsCli(['script', '--language', 'km', '--missing', '--format', 'csv', '--out', folder], { AUDIO_DIR: audioDir });
    expect(fs.readFileSync(path.join(folder, 'recording-script.km.csv'), 'utf8')).not.toMatch(/,goodbye,/);
  });

  it('`prompts -- coverage` and the doctor name them (a warning: the old words still play)', () => {
    const audioDir = siteAudioWithOldMainMenu();
    const r = runPromptsCli(['coverage'], { AUDIO_DIR: audioDir });
    expect(r.stdout + r.stderr).toMatch(/recorded before their words changed, record again .*main\.menu/);
    const config = loadConfig({ AUDIO_DIR: audioDir, DATA_DIR: tempDir('outdated-data-') }, { cwd: ROOT });
    expect(contentItems(config, loadDoctorDefinitions(config)).find((i) => i.id === 'prompts.km.outdated')).toMatchObject({
      status: 'warning', message: expect.stringMatching(/1 recording\(s\) made before their words changed.*\(main\.menu\)/),
    });
  });
});

describe(`the studio marks a recording made before its words changed (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline({ AUDIO_DIR: siteAudioWithOldMainMenu() });
    await addAccount(h.store, 'admin1', 'admin');
  });
  afterAll(async () => {
    await h.stop();
  });

  it('on its page, with the day the words changed (in the page\'s language), and in the list; other recorded prompts carry no mark', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    const list = await admin.page('/staff/studio/km');
    const item = (id: string) => list.text.match(new RegExp(`<li data-prompt="${id.replace('.', '\\.')}"[\\s\\S]*?</li>`))![0];
    expect(item('main.menu')).toContain('words changed: record again');
    expect(item('welcome')).not.toContain('words changed');
    expect((await admin.page('/staff/studio/km/prompt/main.menu')).text).toContain('The words changed on 7 December 2026, after this recording: record it again.');
    expect((await admin.page('/staff/studio/km/prompt/welcome')).text).not.toContain('outdated');
    admin.cookies.set('staff_lang', 'km');
    expect((await admin.page('/staff/studio/km/prompt/main.menu')).text).toContain('ពាក្យត្រូវបានកែប្រែនៅថ្ងៃ ៧ ធ្នូ ២០២៦ ក្រោយការថតនេះ');
  });
});
