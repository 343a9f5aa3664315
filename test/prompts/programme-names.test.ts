import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadGazetteer } from '../../src/gazetteer/gazetteer';
import { programmeNameLines, scriptCsv } from '../../src/prompts/recording-script';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';
import { loadProgrammeAreas, ProgrammePlaces } from '../../src/site/programme-areas';
import { makeRecording } from '../audio/encoded-fixtures';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, StaffClient } from '../staff/staff-support';
import { ROOT, runPromptsCli } from './prompts-cli';

/**
 * The names a programme's callers hear are exactly what voice talent is asked to record:
 * `npm run prompts -- script --places` and the studio's "Place and facility names" list each
 * programme commune of config/programme-areas.json, the districts of those communes (heard when a
 * caller confirms the commune) and each facility, nothing of the other 1,900 places.
 */

const gazetteer = loadGazetteer(path.join(ROOT, 'data/gazetteer'));
const services = Object.keys(indicatorIds(loadScorecard(path.join(ROOT, 'config/scorecard.json'))));
const areas = loadProgrammeAreas(path.join(ROOT, 'config/programme-areas.json'), { gazetteer, services });
const districts = [...new Set(areas.communes.map((c) => c.slice(0, 4)))];
const expectedIds = [...areas.communes.map((c) => `place.${c}`), ...districts.map((d) => `place.${d}`), ...areas.facilities.map((f) => `facility.${f.id}`)];

/** The sample as an operator's own file: a programme the hotline offers (the sample itself offers nothing). */
function siteProgrammeFile(): string {
  const file = path.join(tempDir('programme-'), 'programme-areas.json');
  const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
  fs.writeFileSync(file, JSON.stringify(own));
  return file;
}

const csvIds = (text: string) => text.slice(1).split('\r\n').slice(1).filter(Boolean).map((line) => line.split(',')[2]);

describe('programme names to record', () => {
  it('the script lines are the programme communes (Khmer gazetteer names), their districts, then the facilities, nothing else', () => {
    const lines = programmeNameLines(new ProgrammePlaces(areas, () => false), gazetteer, 'km');
    expect(lines.map((l) => l.promptId)).toEqual(expectedIds);
    expect(lines[0]).toMatchObject({ part: 'names', text: 'អំពៅព្រៃ', en: `Ampov Prey (commune, ${gazetteer.find('0801')!.nameLatin} district)`, fileName: 'place.080101.km.m4a' });
    expect(lines.find((l) => l.promptId === 'facility.hc-ampov-prey')).toMatchObject({ km: 'មណ្ឌលសុខភាពអំពៅព្រៃ', en: 'Ampov Prey health centre' });
    expect(districts).toEqual(['0801']);
    expect(lines.find((l) => l.promptId === 'place.0801')).toMatchObject({ km: gazetteer.find('0801')!.nameKm, en: `${gazetteer.find('0801')!.nameLatin} (district)` });
    expect(csvIds(scriptCsv(lines))).toEqual(expectedIds);
  });

  it('`script --places --missing --format csv` lists the names not yet recorded; a recording imported under its name leaves the list', async () => {
    const audioDir = tempDir('names-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    const folder = tempDir('names-out-');
    const env = { AUDIO_DIR: audioDir, PROGRAMME_AREAS_FILE: siteProgrammeFile() };
    const first = runPromptsCli(['script', '--places', '--missing', '--format', 'csv', '--out', folder], env);
    expect(first.stderr).toMatch(new RegExp(`${expectedIds.length} name\\(s\\) to record in Khmer`));
    expect(first.status).toBe(0);
    const file = path.join(folder, 'recording-script.km.places.csv');
    expect(csvIds(fs.readFileSync(file, 'utf8'))).toEqual(expectedIds);

    await makeRecording('m4a', folder, 'facility.hc-ampov-prey.km');
    const imported = runPromptsCli(['import', folder], env);
    expect(imported.status).toBe(0);
    expect(fs.existsSync(path.join(audioDir, 'km/facility.hc-ampov-prey.wav'))).toBe(true);
    const second = runPromptsCli(['script', '--places', '--missing', '--format', 'csv', '--out', folder], env);
    expect(second.status).toBe(0);
    expect(csvIds(fs.readFileSync(file, 'utf8'))).toEqual(expectedIds.filter((id) => id !== 'facility.hc-ampov-prey'));
  }, 180_000);

  it('`script --places` refuses another language: the names are recorded once, in Khmer', () => {
    expect(runPromptsCli(['script', '--places', '--language', 'cmo'], {}).status).toBe(2);
  });

  it('the shipped sample offers callers nothing, so the script lists nothing and says why', () => {
    const folder = tempDir('names-out-');
    const r = runPromptsCli(['script', '--places', '--format', 'csv', '--out', folder], {});
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('is the shipped sample');
    expect(csvIds(fs.readFileSync(path.join(folder, 'recording-script.km.places.csv'), 'utf8'))).toEqual([]);
  });
});

describe(`the studio lists the programme names (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline({ PROGRAMME_AREAS_FILE: siteProgrammeFile() });
    await addAccount(h.store, 'admin1', 'admin');
  });
  afterAll(async () => {
    await h.stop();
  });

  it('the Khmer page links the names, and the names view lists exactly them with their state', async () => {
    const admin = await new StaffClient(h).signedIn('admin1');
    const km = await admin.page('/staff/studio/km');
    expect(km.text).toContain(`Place and facility names (0/${expectedIds.length})`);
    const names = await admin.page('/staff/studio/km?part=names');
    expect(names.res.status).toBe(200);
    const listed = [...names.text.matchAll(/<li data-prompt="([^"]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(expectedIds);
    expect(names.text).toContain('សាលាបឋមសិក្សាព្រៃទទឹង');
    // Another language has no names view: they are recorded once, in Khmer.
    const cmo = await admin.page('/staff/studio/cmo?part=names');
    expect(cmo.text).not.toContain('data-prompt="place.080101"');
  });
});
