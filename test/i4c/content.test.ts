import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { DefinitionError } from '../../src/errors';
import { catalogDrift, I4cCheck, loadI4cContent, PIECE_MAX_WORDS, pieceGroups } from '../../src/i4c/content';
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

describe('a topic in pieces of about 20 s (issue 22, item 8)', () => {
  const lib = loadI4cContent(CONTENT, CHECK);

  it('every piece of every shipped topic is within the budget, split between sentences, and the pieces say the whole topic in order', () => {
    for (const f of lib.files) {
      for (const [topic, sentences] of Object.entries(f.topics)) {
        const pieces = lib.piecesOf(f.service, topic, f.language)!;
        expect(pieces.join(' ')).toBe(lib.textOf(f.service, topic, f.language));
        expect(pieces.join(' ')).toBe([f.sampleNotice, ...sentences].join(' '));
        if (f.language === 'en') for (const piece of pieces) expect(piece.split(/\s+/).length).toBeLessThanOrEqual(PIECE_MAX_WORDS);
        // A Khmer piece follows its English piece sentence by sentence: the same number of pieces.
        if (f.language !== 'en' && lib.find(f.service, 'en')!.topics[topic].length === sentences.length) {
          expect(pieces).toHaveLength(lib.pieceCount(f.service, topic, 'en'));
        }
      }
    }
  });

  it('the sample notice opens the first piece, and only the first', () => {
    const pieces = lib.piecesOf('health', 'fees', 'en')!;
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces[0]).toMatch(/^This is sample information\. /);
    for (const p of pieces.slice(1)) expect(p).not.toMatch(/sample information/);
  });

  it('groups sentences up to the budget; a sentence longer than the budget stands alone', () => {
    const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ') + '.';
    expect(pieceGroups([words(20), words(10), words(10), words(40), words(3)])).toEqual([[0, 1], [2], [3], [4]]);
    expect(pieceGroups([words(20), words(10)], words(10))).toEqual([[0], [1]]);
  });

  it('the catalog holds each piece as info.<service>.<topic>.<n> and no whole topic', () => {
    const catalog = loadCatalog(path.join(ROOT, 'prompts/catalog.json'));
    expect(catalogDrift(catalog, lib)).toEqual([]);
    expect(catalog.prompts['info.health.fees']).toBeUndefined();
    expect(catalog.prompts['info.health.fees.1'].text.km).toMatch(/^នេះជាព័ត៌មានគំរូ។/);
    expect(catalog.prompts['info.more'].text.km).toBeTruthy();
  });
});
