import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioSources } from '../../src/prompts/audio-sources';
import { loadCatalog } from '../../src/prompts/catalog';
import { formatCoverage, gapsOf, placeCoverage, promptCoverage, promptCoverageAsync, requiredPrompts } from '../../src/prompts/coverage';
import { tempDir } from '../support/engine';

const ROOT = path.resolve(__dirname, '../..');
const catalog = loadCatalog(path.join(ROOT, 'prompts/catalog.json'));
const LANGS = [{ code: 'km', name: 'Khmer' }, { code: 'cmo', name: 'Bunong' }];

/** The shipped placeholders, plus: km/goodbye recorded by a person, km/scale.4 machine voice, two cmo recordings and a cmo place name. */
function library(): string {
  const dir = tempDir('coverage-');
  fs.cpSync(path.join(ROOT, 'audio'), dir, { recursive: true });
  const someAudio = (seed: string) => Buffer.concat([fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav')), Buffer.from(seed)]);
  fs.writeFileSync(path.join(dir, 'km/goodbye.wav'), someAudio('person'));
  fs.writeFileSync(path.join(dir, 'km/scale.4.wav'), someAudio('machine'));
  const sources = AudioSources.load(dir);
  sources.markMachine('km', 'scale.4', { sha256: require('node:crypto').createHash('sha256').update(someAudio('machine')).digest('hex'), voice: 'km-KH-Standard-A', synthesizedAt: '2026-01-01T00:00:00Z' });
  sources.saveMachineVoices();
  fs.mkdirSync(path.join(dir, 'cmo'));
  for (const id of ['main.menu', 'info.health.fees.1', 'place.120101']) fs.writeFileSync(path.join(dir, `cmo/${id}.wav`), someAudio(id));
  return dir;
}

describe('prompt coverage per language', () => {
  const dir = library();
  const report = promptCoverage({ audioDir: dir, catalog, languages: LANGS, defaultLanguage: 'km' });
  const placeInput = {
    audioDir: dir, defaultLanguage: 'km', browseByName: true, placeCodes: ['12', '1201', '120101', '120102', '08', '0801', '080101'],
    provinces: [{ code: '12', places: ['12', '1201', '120101', '120102'] }, { code: '08', places: ['08', '0801', '080101'] }],
  };
  const [km, cmo] = report;

  it('a language needs every catalog prompt but the other languages\' menu entries', () => {
    const ids = requiredPrompts(catalog, 'cmo');
    expect(ids).toContain('language.option.cmo');
    expect(ids).not.toContain('language.option.km');
    expect(ids).toContain('info.health.fees.1');
    const khmerOnly = Object.keys(catalog.prompts).filter((id) => catalog.prompts[id].onlyIn);
    expect(ids.length).toBe(Object.keys(catalog.prompts).length - 6 - khmerOnly.length);
  });

  it('prompts recorded only in Khmer (the words for service providers) are needed in Khmer and never hold another language back', () => {
    expect(requiredPrompts(catalog, 'cmo')).not.toContain('provider.pin');
    expect(requiredPrompts(catalog, 'km')).toContain('provider.pin');
    expect(gapsOf(cmo, { allowMachineVoice: false })).not.toContain('provider.pin');
    expect(gapsOf(cmo, { allowMachineVoice: false })).toContain('rate.invalid');
  });

  it('tells recordings, machine voices, placeholders and missing prompts apart by checksum', () => {
    expect(km.recorded).toEqual(['goodbye']);
    expect(km.machine).toEqual(['scale.4']);
    expect(km.placeholder).toContain('welcome');
    expect(km.placeholder).not.toContain('goodbye');
    expect(km.missing).toEqual([]);
    expect(cmo.recorded).toEqual(['info.health.fees.1', 'main.menu']);
    expect(cmo.missing).toContain('info.health.menu');
    expect(cmo.missing.length).toBe(cmo.required - 2);
  });

  it('marks recordings made before their words changed (the catalog\'s wordsChanged) to be recorded again, never placeholders', async () => {
    const dir = library();
    const someAudio = (seed: string) => Buffer.concat([fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav')), Buffer.from(seed)]);
    // main.menu's words changed on 2026-12-07 (shipped catalog); cmo/main.menu was recorded the day before.
    expect(catalog.prompts['main.menu'].wordsChanged).toBe('2026-12-07');
    const before = new Date('2026-12-06T10:00:00Z');
    fs.utimesSync(path.join(dir, 'cmo/main.menu.wav'), before, before);
    // A Khmer recording of welcome made after the change, and one of rate.intro made before.
    fs.writeFileSync(path.join(dir, 'km/welcome.wav'), someAudio('welcome, new words'));
    fs.utimesSync(path.join(dir, 'km/welcome.wav'), new Date('2026-12-08T00:00:00Z'), new Date('2026-12-08T00:00:00Z'));
    fs.writeFileSync(path.join(dir, 'km/rate.intro.wav'), someAudio('rate.intro, old words'));
    fs.utimesSync(path.join(dir, 'km/rate.intro.wav'), before, before);
    const [k, c] = promptCoverage({ audioDir: dir, catalog, languages: LANGS, defaultLanguage: 'km' });
    expect(k.outdated).toEqual(['rate.intro']);
    expect(c.outdated).toEqual(['main.menu']);
    // The same off the event loop (the studio's and the line's readiness use that one).
    const async = await promptCoverageAsync({ audioDir: dir, catalog, languages: LANGS, defaultLanguage: 'km' });
    expect(async.map((x) => x.outdated)).toEqual([['rate.intro'], ['main.menu']]);
    // Placeholders (main.menu in km) are regenerated with the words: not outdated, whatever their date.
    fs.utimesSync(path.join(dir, 'km/main.menu.wav'), before, before);
    expect(promptCoverage({ audioDir: dir, catalog, languages: LANGS, defaultLanguage: 'km' })[0].outdated).toEqual(['rate.intro']);
    expect(formatCoverage([k, c], 'km')).toMatch(/recorded before their words changed, record again .*: main\.menu/);
    // Still played: not a gap that keeps a language off the line.
    expect(gapsOf(c)).not.toContain('main.menu');
  });

  it('counts machine voice as a gap unless allowed', () => {
    expect(gapsOf(km)).toContain('scale.4');
    expect(gapsOf(km, { allowMachineVoice: true })).not.toContain('scale.4');
    expect(gapsOf(km)).not.toContain('goodbye');
  });

  it('the text report names each gap and what the caller hears instead', () => {
    const text = formatCoverage(report, 'km', placeCoverage(placeInput));
    expect(text).toContain(`cmo (Bunong): 2/${cmo.required} recorded, 0 machine voice, 0 placeholder, ${cmo.required - 2} missing\n`);
    expect(text).toMatch(/missing, played in km instead: .*info\.health\.menu/);
    expect(text).toMatch(/machine voice \(draft\): scale\.4/);
  });

  it('in the default language a missing prompt is reported as not played at all', () => {
    fs.rmSync(path.join(dir, 'km/error.system.wav'));
    const [k] = promptCoverage({ audioDir: dir, catalog, languages: LANGS.slice(0, 1), defaultLanguage: 'km' });
    expect(k.missing).toEqual(['error.system']);
    expect(formatCoverage([k], 'km')).toMatch(/missing, NOT PLAYED AT ALL \(no fallback\): error\.system/);
  });

  it('place names are counted once, from the Khmer folder, for every language; a province is browsable only with every name in it', () => {
    // The library has a cmo place name only: it does not count (one Khmer recording serves all).
    expect(placeCoverage(placeInput)).toEqual({ browseByName: true, recorded: 0, machine: 0, placeholder: 0, total: 7, provincesByName: [], provincesTotal: 2 });
    for (const code of ['08', '0801', '080101', '12']) fs.copyFileSync(path.join(dir, 'cmo/main.menu.wav'), path.join(dir, `km/place.${code}.wav`));
    const places = placeCoverage(placeInput);
    expect(places).toMatchObject({ recorded: 4, total: 7, provincesByName: ['08'] });
    const text = formatCoverage(report, 'km', places);
    expect(text).toContain('place names (one Khmer recording per place serves every language; no gap for any language): 4 recorded, 0 machine voice of 7');
    expect(text).toContain('provinces callers can browse by name (every name in them recorded): 1 of 2 (08); in the others communes are chosen by code only');
    expect(formatCoverage(report, 'km', { ...places, browseByName: false })).toContain('place names: not needed (the flow has no browse-by-name path)');
  });
});
