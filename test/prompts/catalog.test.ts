import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadLanguages } from '../../src/config/languages';
import { DefinitionError } from '../../src/errors';
import { loadFlow, promptsOf } from '../../src/flow/definition';
import { loadCatalog, parseCatalog } from '../../src/prompts/catalog';
import { buildRuntime } from '../../src/runtime';
import { indicatorIds, loadScorecard } from '../../src/scorecard/scorecard';
import { tempDir } from '../support/engine';

const ROOT = path.resolve(__dirname, '../..');
const catalog = loadCatalog(path.join(ROOT, 'prompts/catalog.json'));
const services = indicatorIds(loadScorecard(path.join(ROOT, 'config/scorecard.json')));
const languages = loadLanguages(path.join(ROOT, 'config/languages.json')).languages.map((l) => l.code);

describe('the prompt catalog against the flow', () => {
  it('the default flow loads with the shipped catalog, and every prompt it can play is catalogued', () => {
    const check = { services, languages, hasPrompt: (id: string) => id in catalog.prompts };
    const flow = loadFlow(path.join(ROOT, 'flows/default.json'), check);
    const played = promptsOf(flow, check);
    expect(played.has('info.health.fees.1')).toBe(true);
    expect(played.has('rate.page.more')).toBe(true);
    for (const id of played) expect(catalog.prompts[id]).toBeDefined();
  });

  it('a flow that plays a prompt the catalog lacks does not load, naming the prompt', () => {
    const check = { services, languages, hasPrompt: (id: string) => id in catalog.prompts && id !== 'info.health.fees.1' };
    expect(() => loadFlow(path.join(ROOT, 'flows/default.json'), check)).toThrow(DefinitionError);
    expect(() => loadFlow(path.join(ROOT, 'flows/default.json'), check)).toThrow(/prompt info\.health\.fees\.1 is not in the prompt catalog/);
    // With the piece counts from the content (as the app loads it), a missing middle piece is named too.
    const counted = { ...check, infoPieces: () => 3, hasPrompt: (id: string) => id in catalog.prompts && id !== 'info.health.fees.2' };
    expect(() => loadFlow(path.join(ROOT, 'flows/default.json'), counted)).toThrow(/prompt info\.health\.fees\.2 is not in the prompt catalog/);
  });

  it('the app refuses to start when the catalog lacks a prompt of the flow', async () => {
    const dir = tempDir('catalog-');
    const trimmed = structuredClone(catalog);
    delete trimmed.prompts['rate.page.more'];
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(trimmed));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), PROMPT_CATALOG_FILE: path.join(dir, 'catalog.json'), LOG_LEVEL: 'silent' }, { cwd: ROOT });
    await expect(buildRuntime(config)).rejects.toThrow(/prompt rate\.page\.more is not in the prompt catalog/);
  });

  it('every prompt has an English reference and a Khmer text in Khmer script', () => {
    for (const [id, entry] of Object.entries(catalog.prompts)) {
      expect([id, typeof entry.text.en]).toEqual([id, 'string']);
      expect([id, /[\u1780-\u17FF]/.test(entry.text.km ?? '')]).toEqual([id, true]);
    }
  });

  it('refuses a catalog entry without its English reference', () => {
    expect(() => parseCatalog({ prompts: { welcome: { text: { km: 'សូមស្វាគមន៍' } } } })).toThrow(/must have required property 'en'/);
  });
});
