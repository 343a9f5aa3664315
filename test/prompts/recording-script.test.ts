import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { loadCatalog } from '../../src/prompts/catalog';
import { requiredPrompts } from '../../src/prompts/coverage';
import { buildScript, intendedSeconds, scriptHtml } from '../../src/prompts/recording-script';
import { makeRecording } from '../audio/encoded-fixtures';
import { tempDir } from '../support/engine';
import { ROOT, runPromptsCli } from './prompts-cli';

const catalog = loadCatalog(path.join(ROOT, 'prompts/catalog.json'));

/** Parses the script CSV (quoted fields with commas, doubled quotes). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = ''; } else field += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

describe('recording scripts for voice talent', () => {
  it('lists prompts in the order of the call: welcome and language, main menu, information, rating, questions, message, numbers, errors', () => {
    const lines = buildScript({ catalog, language: 'cmo', languageName: 'Bunong', promptIds: requiredPrompts(catalog, 'cmo') });
    const ids = lines.map((l) => l.promptId);
    expect(ids[0]).toBe('welcome');
    expect(ids.indexOf('main.menu')).toBeLessThan(ids.indexOf('info.service.menu'));
    expect(ids.indexOf('info.school.rights')).toBeLessThan(ids.indexOf('rate.commune.enter'));
    expect(ids.indexOf('scale.5')).toBeLessThan(ids.indexOf('ask.gender'));
    expect(ids.indexOf('ask.disability')).toBeLessThan(ids.indexOf('message.intro'));
    expect(ids.slice(ids.indexOf('digit.0'), ids.indexOf('digit.0') + 10)).toEqual([...'0123456789'].map((d) => `digit.${d}`));
    expect(ids[ids.length - 1]).toBe('goodbye');
    expect(lines.map((l) => l.order)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.find((l) => l.promptId === 'language.option.cmo')).toMatchObject({ fileName: 'language.option.cmo.cmo.m4a', km: expect.any(String), en: 'For Bunong, press 2.' });
    expect(intendedSeconds('Very good.')).toBe(1);
    expect(intendedSeconds(catalog.prompts['main.menu'].text.en)).toBeGreaterThan(10);
  });

  it('`script --language cmo --missing --format csv` writes the prompts still to record; the folder, recordings added under their names, imports as it is', async () => {
    const audioDir = tempDir('script-audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    const folder = tempDir('script-out-');
    const env = { AUDIO_DIR: audioDir };
    const first = runPromptsCli(['script', '--language', 'cmo', '--missing', '--format', 'csv', '--out', folder], env);
    expect(first.stderr).toMatch(/\d+ prompt\(s\) to record in Bunong, about \d+ min of speech/);
    expect(first.status).toBe(0);
    const csvFile = path.join(folder, 'recording-script.cmo.csv');
    const text = fs.readFileSync(csvFile, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows = parseCsv(text.slice(1));
    expect(Object.keys(rows[0])).toEqual(['order', 'part', 'prompt_id', 'text', 'text_km', 'text_en', 'about_seconds', 'save_as', 'note']);
    expect(rows.map((r) => r.prompt_id).sort()).toEqual(requiredPrompts(catalog, 'cmo'));
    expect(rows.find((r) => r.prompt_id === 'main.menu')).toMatchObject({ part: 'main', save_as: 'main.menu.cmo.m4a', text_km: catalog.prompts['main.menu'].text.km });

    // The speaker records two prompts and saves them in the folder under the names given.
    for (const r of rows.slice(0, 2)) await makeRecording('m4a', folder, r.save_as.replace(/\.m4a$/, ''));
    const imported = runPromptsCli(['import', folder], env);
    expect(imported.stderr).toMatch(/^2 imported, 0 failed/m);
    expect(imported.status).toBe(0);

    const second = runPromptsCli(['script', '--language', 'cmo', '--missing', '--format', 'csv', '--out', folder], env);
    expect(second.status).toBe(0);
    const left = parseCsv(fs.readFileSync(csvFile, 'utf8').slice(1)).map((r) => r.prompt_id);
    expect(left).toEqual(rows.slice(2).map((r) => r.prompt_id));
  }, 120_000);

  it('refuses a language the hotline does not offer, and a format it does not write', () => {
    expect(runPromptsCli(['script', '--language', 'fr'], {}).status).toBe(2);
    expect(runPromptsCli(['script', '--language', 'cmo', '--format', 'pdf'], {}).status).toBe(2);
  });

  it('the HTML prints on A4 with a Khmer font, each prompt whole on one page', async () => {
    const lines = buildScript({ catalog, language: 'km', languageName: 'Khmer', promptIds: requiredPrompts(catalog, 'km') });
    const html = scriptHtml(lines, { language: 'km', languageName: 'Khmer', missingOnly: false, generatedAt: new Date('2026-11-30T00:00:00Z') });
    expect(html).toContain('@page { size: A4;');
    expect(html).toContain('break-inside: avoid');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      // The first font the page asks for (Khmer OS, from fonts-khmeros) is installed: text measured in
      // it differs from the same text in a font that does not exist (which falls back to monospace).
      const width = (family: string) => page.evaluate(`(() => { const c = document.createElement('canvas').getContext('2d'); c.font = '20px ${family}'; return c.measureText('Recording script 0123 សូមស្វាគមន៍').width; })()`);
      expect(await width('"Khmer OS", monospace')).not.toBeCloseTo(await width('"No Such Font", monospace') as number, 0);
      const pdf = await page.pdf({ preferCSSPageSize: true });
      const mediaBoxes = [...pdf.toString('latin1').matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)];
      expect(mediaBoxes.length).toBeGreaterThan(3);
      for (const [, w, h] of mediaBoxes) expect([Math.round(Number(w)), Math.round(Number(h))]).toEqual([595, 842]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
