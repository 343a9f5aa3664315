import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { DefinitionError } from '../../src/errors';
import { catalogDrift, I4cCheck, loadI4cContent } from '../../src/i4c/content';
import { loadCatalog } from '../../src/prompts/catalog';
import { buildRuntime } from '../../src/runtime';
import { tempDir } from '../support/engine';

const ROOT = path.resolve(__dirname, '../..');
const CONTENT = path.join(ROOT, 'content/i4c');
const CHECK: I4cCheck = { services: ['commune', 'health', 'school'], topics: ['hours', 'fees', 'documents', 'rights'], requiredLanguages: ['en', 'km'] };

/** A copy of the shipped content with one file changed by `edit`. */
function contentWith(file: string, edit: (doc: Record<string, any>) => Record<string, any> | null): string {
  const dir = tempDir('i4c-');
  fs.cpSync(CONTENT, dir, { recursive: true });
  const doc = edit(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  if (doc === null) fs.rmSync(path.join(dir, file));
  else fs.writeFileSync(path.join(dir, file), JSON.stringify(doc));
  return dir;
}

describe('I4C content files', () => {
  it('the shipped content covers every service and topic in Khmer and English, each a marked sample', () => {
    const lib = loadI4cContent(CONTENT, CHECK);
    expect(lib.files.map((f) => `${f.service}.${f.language}`).sort()).toEqual(['commune.en', 'commune.km', 'health.en', 'health.km', 'school.en', 'school.km']);
    for (const f of lib.files) expect(f.status).toBe('sample');
    expect(lib.textOf('health', 'fees', 'en')).toMatch(/^This is sample information\./);
    expect(lib.textOf('health', 'fees', 'km')).toMatch(/^នេះជាព័ត៌មានគំរូ។/);
  });

  it('every amount in the shipped fees is said in words, in riel, and flagged as an example', () => {
    const lib = loadI4cContent(CONTENT, CHECK);
    for (const service of ['commune', 'health']) {
      const fees = lib.textOf(service, 'fees', 'en')!;
      const amounts = fees.match(/\b\w+ thousand riel/g) ?? [];
      expect(amounts.length).toBeGreaterThan(0);
      expect(fees).toMatch(/only an example here\. It is not an official fee\./);
      expect(lib.textOf(service, 'fees', 'km')).toMatch(/គ្រាន់តែជាឧទាហរណ៍/);
    }
  });

  it('the prompt catalog carries exactly the content texts (one source of truth)', () => {
    const lib = loadI4cContent(CONTENT, CHECK);
    expect(catalogDrift(loadCatalog(path.join(ROOT, 'prompts/catalog.json')), lib)).toEqual([]);
  });

  it('refuses numerals in spoken text, saying to write the number in words', () => {
    const dir = contentWith('health.en.json', (d) => ({ ...d, topics: { ...d.topics, fees: ['The fee is 5000 riel.'] } }));
    expect(() => loadI4cContent(dir, CHECK)).toThrow(/topics\/fees\/0 must be spoken words without numerals/);
  });

  it('refuses a missing Khmer file, naming the file to add', () => {
    const dir = contentWith('school.km.json', () => null);
    expect(() => loadI4cContent(dir, CHECK)).toThrow(/no I4C content for school in km: add .*school\.km\.json/);
  });

  it('refuses a file missing a topic the flow offers', () => {
    const dir = contentWith('commune.km.json', (d) => ({ ...d, topics: { hours: d.topics.hours, fees: d.topics.fees, documents: d.topics.documents } }));
    expect(() => loadI4cContent(dir, CHECK)).toThrow(/commune\.km\.json has no topic rights/);
  });

  it('refuses official content without a source, and a sample without its spoken notice', () => {
    const official = contentWith('health.en.json', (d) => ({ ...d, status: 'official', sources: [] }));
    expect(() => loadI4cContent(official, CHECK)).toThrow(/sources must NOT have fewer than 1 items/);
    const silentSample = contentWith('health.en.json', (d) => ({ ...d, sampleNotice: undefined }));
    expect(() => loadI4cContent(silentSample, CHECK)).toThrow(/must have required property 'sampleNotice'/);
  });

  it('refuses a file whose name does not match its service and language', () => {
    const dir = contentWith('health.en.json', (d) => ({ ...d, language: 'km' }));
    expect(() => loadI4cContent(dir, CHECK)).toThrow(/holds health in km: name it health\.km\.json/);
  });

  it('once official, the caller no longer hears the sample notice', () => {
    const dir = contentWith('health.en.json', (d) => ({ ...d, status: 'official', sources: ['Provincial health department notice (example)'] }));
    expect(loadI4cContent(dir, CHECK).textOf('health', 'hours', 'en')).toMatch(/^The health centre is open/);
  });

  it('the app does not start with invalid content', async () => {
    const dir = contentWith('health.km.json', (d) => ({ ...d, topics: { ...d.topics, hours: [] } }));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), I4C_CONTENT_DIR: dir, LOG_LEVEL: 'silent' }, { cwd: ROOT });
    await expect(buildRuntime(config)).rejects.toThrow(DefinitionError);
    await expect(buildRuntime(config)).rejects.toThrow(/topics\/hours must NOT have fewer than 1 items/);
  });
});
