import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, parseEnvFile } from '../../src/config/config';
import { tempDir } from '../support/engine';
import { fillIn, ROOT, unitEnvironment } from '../support/deploy-kit';

/**
 * README "Going live", steps 3 and 5 as an operator follows them: `.env.example` copied to the
 * unit's EnvironmentFile with step 2's settings filled in, started by deploy/hotline.service.
 * The service must then use its site folder (DATA_DIR/site) for everything the operator makes.
 */
const unit = fs.readFileSync(path.join(ROOT, 'deploy/hotline.service'), 'utf8');

describe('a copied .env.example under deploy/hotline.service', () => {
  it('names one EnvironmentFile, and the unit sets DATA_DIR', () => {
    expect([...unit.matchAll(/^EnvironmentFile=(.*)$/gm)].map((m) => m[1])).toEqual(['/etc/hotline/hotline.env']);
    expect(unitEnvironment(unit).DATA_DIR).toBe('/var/lib/hotline');
  });

  it('uses the site folder for audio, flow, languages, scorecard, the catalog overlay and the I4C texts', () => {
    const dataDir = tempDir('unit-data-');
    const site = path.join(dataDir, 'site');
    for (const [from, to] of [['flows/default.json', 'config/flow.json'], ['config/languages.json', 'config/languages.json'],
      ['config/scorecard.json', 'config/scorecard.json'], ['config/programme-areas.json', 'config/programme-areas.json'], ['prompts/catalog.json', 'prompts/catalog.json']]) {
      fs.mkdirSync(path.dirname(path.join(site, to)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, from), path.join(site, to));
    }
    fs.cpSync(path.join(ROOT, 'content/i4c'), path.join(site, 'content/i4c'), { recursive: true });

    const secret = (c: string) => c.repeat(64);
    const envFile = fillIn(fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8'), {
      NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://hotline.example.org', TWILIO_ACCOUNT_SID: 'AC0123',
      TWILIO_AUTH_TOKEN: 'token', CALLER_HASH_SECRET: secret('a'), SESSION_SECRET: secret('b'), CALLBACK_NUMBER_KEY: secret('c'),
      MONGODB_URI: 'mongodb://127.0.0.1:27017', TRUST_PROXY: 'loopback',
    });
    // systemd.exec(5), EnvironmentFile=: "Settings from these files override settings made with Environment=".
    const fromUnit = unitEnvironment(unit.replace(/\/var\/lib\/hotline/g, dataDir));
    const config = loadConfig({ ...fromUnit, ...parseEnvFile(envFile) }, { cwd: ROOT });

    expect(config.nodeEnv).toBe('production');
    expect(config.dataDir).toBe(dataDir);
    expect(config.siteDir).toBe(site);
    expect(config.audioDir).toBe(path.join(site, 'audio'));
    expect(config.shippedAudioDir).toBe(path.join(ROOT, 'audio'));
    expect(config.flowFile).toBe(path.join(site, 'config/flow.json'));
    expect(config.languagesFile).toBe(path.join(site, 'config/languages.json'));
    expect(config.scorecardFile).toBe(path.join(site, 'config/scorecard.json'));
    expect(config.programmeAreasFile).toBe(path.join(site, 'config/programme-areas.json'));
    expect(config.sitePromptCatalogFile).toBe(path.join(site, 'prompts/catalog.json'));
    expect(config.i4cContentDir).toBe(path.join(site, 'content/i4c'));
  });
});
