import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import { AudioSources, sha256Of } from '../../src/prompts/audio-sources';
import { importRecordings } from '../../src/prompts/prompt-import';
import { buildRuntime } from '../../src/runtime';
import { loadSiteCatalog, saveSiteCatalog } from '../../src/site/site-folder';
import { makeRecording } from '../audio/encoded-fixtures';
import { closeTestStore, openTestStore, tempDir } from '../support/engine';

const ROOT = path.resolve(__dirname, '../..');
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ENV = { NODE_ENV: 'test', TWILIO_AUTH_TOKEN: 'token', CALLER_HASH_SECRET: 'caller', SESSION_SECRET: 'session', LOG_LEVEL: 'silent' };
/** What the shipped tree holds that the hotline reads (a stand-in for the whole repository). */
const SHIPPED = ['.gitignore', 'audio', 'config', 'content', 'flows', 'prompts', 'data/gazetteer'];

async function runHotlineOnce(install: string) {
  const config = loadConfig({ ...ENV }, { cwd: install });
  const store = await openTestStore();
  const rt = await buildRuntime(config, { logger: createLogger('silent'), store });
  rt.stopBackgroundWork();
  await closeTestStore(store);
  return rt;
}

describe('an operator upgrades with git pull, without conflicts', () => {
  const upstream = tempDir('upstream-');
  const install = path.join(tempDir('install-'), 'hotline');
  let siteAudio: string;
  let recordingSha: string;

  beforeAll(async () => {
    for (const p of SHIPPED) fs.cpSync(path.join(ROOT, p), path.join(upstream, p), { recursive: true });
    git(upstream, 'init', '-q');
    git(upstream, 'add', '-A');
    git(upstream, 'commit', '-qm', 'v1');
    git(path.dirname(install), 'clone', '-q', upstream, install);

    // The operator's work, all through the hotline's own commands and the site folder.
    fs.writeFileSync(path.join(install, '.env'), 'PUBLIC_BASE_URL=https://hotline.example.org\n');
    const first = await runHotlineOnce(install);
    siteAudio = first.config.audioDir;
    const inbox = tempDir('inbox-');
    await makeRecording('m4a', path.join(inbox, 'km'), 'welcome');
    const [imported] = await importRecordings([path.join(inbox, 'km', 'welcome.m4a')], { audioDir: siteAudio, languages: ['km'], isPromptId: () => true });
    expect(imported.status).toBe('imported');
    recordingSha = sha256Of(path.join(siteAudio, 'km', 'welcome.wav'));
    const siteDir = first.config.siteDir;
    fs.mkdirSync(path.join(siteDir, 'config'), { recursive: true });
    const scorecard = JSON.parse(fs.readFileSync(path.join(install, 'config/scorecard.json'), 'utf8'));
    scorecard.$comment = 'Kampong Speu province, 2027 indicators';
    fs.writeFileSync(path.join(siteDir, 'config/scorecard.json'), JSON.stringify(scorecard, null, 2));
    fs.cpSync(path.join(install, 'content/i4c'), path.join(siteDir, 'content/i4c'), { recursive: true });
    const health = JSON.parse(fs.readFileSync(path.join(siteDir, 'content/i4c/health.km.json'), 'utf8'));
    health.$comment = 'official texts of the provincial health department';
    fs.writeFileSync(path.join(siteDir, 'content/i4c/health.km.json'), JSON.stringify(health, null, 2));
    const catalog = loadSiteCatalog(first.config);
    catalog.prompts.goodbye = { ...catalog.prompts.goodbye, note: 'slowly, warmly' };
    saveSiteCatalog(first.config, catalog);

    // The next version changes shipped placeholders, samples and defaults.
    const replaceShipped = (file: string, from: string) => fs.copyFileSync(path.join(upstream, 'audio/km', from), path.join(upstream, 'audio/km', file));
    replaceShipped('welcome.wav', 'goodbye.wav');
    replaceShipped('main.menu.wav', 'goodbye.wav');
    const manifestFile = path.join(upstream, 'audio/placeholders.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.files['km/welcome'] = manifest.files['km/goodbye'];
    manifest.files['km/main.menu'] = manifest.files['km/goodbye'];
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    for (const file of ['config/scorecard.json', 'content/i4c/health.km.json', 'prompts/catalog.json']) {
      const json = JSON.parse(fs.readFileSync(path.join(upstream, file), 'utf8'));
      json.$comment = `${json.$comment ?? ''} (v2)`;
      fs.writeFileSync(path.join(upstream, file), JSON.stringify(json, null, 2) + '\n');
    }
    git(upstream, 'commit', '-qam', 'v2');
  }, 120_000);

  it("the operator's work leaves the working copy clean: nothing tracked was edited", () => {
    expect(git(install, 'status', '--porcelain')).toBe('');
  });

  it('git pull applies the new version without a conflict, and the working copy stays clean', () => {
    expect(() => git(install, 'pull', '-q', '--ff-only')).not.toThrow();
    expect(git(install, 'log', '-1', '--format=%s').trim()).toBe('v2');
    expect(git(install, 'status', '--porcelain')).toBe('');
  });

  it("after the upgrade the hotline plays the operator's recording and this version's placeholders, and reads the operator's configuration", async () => {
    const rt = await runHotlineOnce(install);
    expect(sha256Of(path.join(siteAudio, 'km', 'welcome.wav'))).toBe(recordingSha);
    expect(sha256Of(path.join(siteAudio, 'km', 'main.menu.wav'))).toBe(sha256Of(path.join(install, 'audio/km/main.menu.wav')));
    const sources = AudioSources.load(siteAudio);
    expect(sources.sourceOf('km', 'welcome')).toBe('recording');
    expect(sources.sourceOf('km', 'main.menu')).toBe('placeholder');
    expect(rt.config.scorecardFile).toBe(path.join(rt.config.siteDir, 'config/scorecard.json'));
    expect(rt.config.i4cContentDir).toBe(path.join(rt.config.siteDir, 'content/i4c'));
    expect(rt.catalog.prompts.goodbye.note).toBe('slowly, warmly');
    expect(git(install, 'status', '--porcelain')).toBe('');
  });
});

describe('the site folder', () => {
  it('defaults to DATA_DIR/site; a setting left unset takes the site file only when there is one', () => {
    const dataDir = tempDir();
    const plain = loadConfig({ ...ENV, DATA_DIR: dataDir }, { cwd: ROOT });
    expect(plain.siteDir).toBe(path.join(dataDir, 'site'));
    expect(plain.audioDir).toBe(path.join(dataDir, 'site/audio'));
    expect(plain.shippedAudioDir).toBe(path.join(ROOT, 'audio'));
    expect(plain.scorecardFile).toBe(path.join(ROOT, 'config/scorecard.json'));
    fs.mkdirSync(path.join(dataDir, 'site/config'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'config/languages.json'), path.join(dataDir, 'site/config/languages.json'));
    expect(loadConfig({ ...ENV, DATA_DIR: dataDir }, { cwd: ROOT }).languagesFile).toBe(path.join(dataDir, 'site/config/languages.json'));
    // An explicit setting always wins, and an explicit AUDIO_DIR is played as is (never seeded).
    const explicit = loadConfig({ ...ENV, DATA_DIR: dataDir, LANGUAGES_FILE: 'config/languages.json', AUDIO_DIR: 'audio' }, { cwd: ROOT });
    expect(explicit.languagesFile).toBe(path.join(ROOT, 'config/languages.json'));
    expect(explicit.audioDir).toBe(path.join(ROOT, 'audio'));
    expect(explicit.shippedAudioDir).toBe('');
    expect(loadConfig({ ...ENV, DATA_DIR: dataDir, SITE_DIR: '/srv/hotline-site' }, { cwd: ROOT }).siteDir).toBe('/srv/hotline-site');
  });
});
