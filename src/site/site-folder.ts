import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppConfig } from '../config/config';
import { AudioSources, PLACEHOLDERS_FILE, sha256Of, audioKey, writeFileAtomic } from '../prompts/audio-sources';
import { AUDIO_EXTENSION } from '../prompts/prompt-audio';
import { loadCatalog, parseCatalog, PromptCatalog, saveCatalog } from '../prompts/catalog';

/**
 * The site folder (SITE_DIR, default DATA_DIR/site) holds everything an operator makes: prompt
 * recordings, configuration overrides, I4C texts, prompt-text changes. The repository ships
 * defaults and samples only, and nothing the hotline or its commands write lands in a tracked
 * file, so upgrading (`git pull && npm ci && npm run build`) never conflicts with the operator.
 *
 *   SITE_DIR/audio/<lang>/<promptId>.wav   played; seeded from the shipped audio/, imports land here
 *   SITE_DIR/config/languages.json          overrides config/languages.json   (when present)
 *   SITE_DIR/config/scorecard.json          overrides config/scorecard.json   (when present)
 *   SITE_DIR/config/flow.json               overrides flows/default.json      (when present)
 *   SITE_DIR/content/i4c/                   replaces content/i4c/             (when present)
 *   SITE_DIR/prompts/catalog.json           prompt texts that differ from prompts/catalog.json
 */

export interface SiteAudioSync {
  /** Shipped files copied because the site had none (first start, or a prompt new in this version). */
  added: string[];
  /** Untouched shipped placeholders replaced by this version's. */
  upgraded: string[];
}

function shippedAudioFiles(dir: string): { language: string; promptId: string }[] {
  const out: { language: string; promptId: string }[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(dir, d.name))) {
      if (f.endsWith(`.${AUDIO_EXTENSION}`) && !f.startsWith('.')) out.push({ language: d.name, promptId: f.slice(0, -(AUDIO_EXTENSION.length + 1)) });
    }
  }
  return out;
}

function readPlaceholders(dir: string): Record<string, string> {
  const file = path.join(dir, PLACEHOLDERS_FILE);
  if (!fs.existsSync(file)) return {};
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { files?: Record<string, string> }).files ?? {};
}

/**
 * Brings the shipped prompt audio into the site's audio folder: a file the site lacks is copied;
 * a site file that is still the placeholder an earlier version shipped is replaced by this
 * version's; anything else (an operator's recording, a machine draft) is never touched. The
 * site's placeholder manifest then lists exactly the placeholders it holds.
 */
export function syncShippedAudio(shippedDir: string, siteAudioDir: string): SiteAudioSync {
  const result: SiteAudioSync = { added: [], upgraded: [] };
  const shipped = AudioSources.load(shippedDir);
  const shippedManifest = readPlaceholders(shippedDir);
  const siteManifest = readPlaceholders(siteAudioDir);
  const manifest: Record<string, string> = {};
  fs.mkdirSync(siteAudioDir, { recursive: true });
  for (const { language, promptId } of shippedAudioFiles(shippedDir)) {
    const key = audioKey(language, promptId);
    const from = shipped.fileOf(language, promptId);
    const to = path.join(siteAudioDir, language, `${promptId}.${AUDIO_EXTENSION}`);
    if (!fs.existsSync(to)) {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      writeFileAtomic(to, fs.readFileSync(from));
      result.added.push(key);
    } else {
      const current = sha256Of(to);
      const stillOldPlaceholder = siteManifest[key] === current;
      if (stillOldPlaceholder && shippedManifest[key] !== current && sha256Of(from) !== current) {
        writeFileAtomic(to, fs.readFileSync(from));
        result.upgraded.push(key);
      }
    }
  }
  // A site file is a placeholder when it matches this version's placeholder, or still the
  // earlier one this version no longer ships a replacement for.
  for (const [key, sha] of Object.entries({ ...siteManifest, ...shippedManifest })) {
    const [language, ...rest] = key.split('/');
    const file = path.join(siteAudioDir, language, `${rest.join('/')}.${AUDIO_EXTENSION}`);
    if (fs.existsSync(file) && sha256Of(file) === sha) manifest[key] = sha;
    else if (fs.existsSync(file) && siteManifest[key] && sha256Of(file) === siteManifest[key]) manifest[key] = siteManifest[key];
  }
  const body = {
    $comment: 'Managed by the hotline (src/site/site-folder.ts): checksums of the shipped placeholders this folder still holds. Not for a live line.',
    files: Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b))),
  };
  const file = path.join(siteAudioDir, PLACEHOLDERS_FILE);
  const text = JSON.stringify(body, null, 2) + '\n';
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text);
  return result;
}

/** Seeds or upgrades the site's prompt audio when the hotline plays the site folder (AUDIO_DIR unset). */
export function prepareSiteAudio(config: Pick<AppConfig, 'shippedAudioDir' | 'audioDir'>): SiteAudioSync | null {
  if (!config.shippedAudioDir) return null;
  return syncShippedAudio(config.shippedAudioDir, config.audioDir);
}

/** The shipped catalog with the site's changed prompt texts laid over it, prompt by prompt. */
export function loadSiteCatalog(config: Pick<AppConfig, 'promptCatalogFile' | 'sitePromptCatalogFile'>): PromptCatalog {
  const shipped = loadCatalog(config.promptCatalogFile);
  if (!config.sitePromptCatalogFile || !fs.existsSync(config.sitePromptCatalogFile)) return shipped;
  const site = loadCatalog(config.sitePromptCatalogFile);
  return parseCatalog({ ...shipped, prompts: { ...shipped.prompts, ...site.prompts } }, config.sitePromptCatalogFile);
}

/**
 * Saves a changed catalog where the operator's changes belong: the site's overlay (only the
 * prompts whose entry differs from the shipped one), or the explicit PROMPT_CATALOG_FILE.
 * Returns the file written.
 */
export function saveSiteCatalog(config: Pick<AppConfig, 'promptCatalogFile' | 'sitePromptCatalogFile'>, catalog: PromptCatalog): string {
  if (!config.sitePromptCatalogFile) {
    saveCatalog(config.promptCatalogFile, catalog);
    return config.promptCatalogFile;
  }
  const shipped = loadCatalog(config.promptCatalogFile);
  const changed = Object.fromEntries(Object.entries(catalog.prompts)
    .filter(([id, entry]) => JSON.stringify(shipped.prompts[id]) !== JSON.stringify(entry)));
  fs.mkdirSync(path.dirname(config.sitePromptCatalogFile), { recursive: true });
  saveCatalog(config.sitePromptCatalogFile, {
    $comment: 'Prompt texts this site changed (npm run prompts -- sync-content); laid over prompts/catalog.json prompt by prompt.',
    prompts: changed,
  } as PromptCatalog);
  return config.sitePromptCatalogFile;
}
