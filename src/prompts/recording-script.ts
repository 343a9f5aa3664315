import { BOM, csvField } from '../exports/csv';
import { escapeHtml } from '../staff/html';
import { Gazetteer } from '../gazetteer/gazetteer';
import { ProgrammePlaces } from '../site/programme-areas';
import { PromptCatalog } from './catalog';

/**
 * A recording script for voice talent: every prompt to record in one language, in the order a
 * speaker should read them (the call's own order, like prompts together), each with its
 * reference text, about how long it should last, and the file name to save it under. The
 * recordings saved under those names, in the script's folder, are what `prompts -- import`
 * takes as they are.
 */

/** The parts of the call, in the order a caller meets them (and a speaker reads them). */
export const FLOW_PARTS = [
  { id: 'start', title: 'Welcome and language', en: 'Welcome and language', km: 'ការស្វាគមន៍ និងភាសា' },
  { id: 'main', title: 'Main menu', en: 'Main menu', km: 'ម៉ឺនុយដើម' },
  { id: 'info', title: 'Information about services', en: 'Information about services', km: 'ព័ត៌មានអំពីសេវា' },
  { id: 'rate', title: 'Rating a service', en: 'Rating a service', km: 'ការវាយតម្លៃសេវា' },
  { id: 'who', title: 'Questions about the caller', en: 'Questions about the caller', km: 'សំណួរអំពីអ្នកហៅ' },
  { id: 'message', title: 'Voice message', en: 'Voice message', km: 'សារជាសំឡេង' },
  { id: 'results', title: 'Results and promises', en: 'Results and promises', km: 'លទ្ធផល និងការសន្យា' },
  { id: 'news', title: 'Promise news', en: 'Promise news', km: 'ព័ត៌មានអំពីការសន្យា' },
  { id: 'numbers', title: 'Numbers', en: 'Numbers', km: 'លេខ' },
  { id: 'errors', title: 'Errors and goodbye', en: 'Errors and goodbye', km: 'កំហុស និងការលាគ្នា' },
] as const;
export type FlowPart = (typeof FLOW_PARTS)[number]['id'];

/** The programme's place and facility names (`script --places`): proper nouns, recorded once, in Khmer. */
export const NAMES_PART = { id: 'names', title: 'Place and facility names', en: 'Place and facility names', km: 'ឈ្មោះទីកន្លែង និងស្ថាប័ន' } as const;
/** Every place of a province (itself, its districts, its communes): what a caller browsing by name hears. */
export const PLACES_PART = { id: 'places', title: 'Place names by province', en: 'Place names by province', km: 'ឈ្មោះទីកន្លែងតាមខេត្ត' } as const;
export type ScriptPart = FlowPart | typeof NAMES_PART.id | typeof PLACES_PART.id;
const SCRIPT_PARTS = [...FLOW_PARTS, NAMES_PART, PLACES_PART];

export function partOf(promptId: string): FlowPart {
  if (/^(welcome|language|keys)\b/.test(promptId)) return 'start';
  if (promptId === 'main.menu') return 'main';
  if (promptId.startsWith('info.')) return 'info';
  if (/^(rate|indicator|scale)\./.test(promptId)) return 'rate';
  if (promptId.startsWith('ask.')) return 'who';
  if (promptId.startsWith('message.')) return 'message';
  if (promptId.startsWith('jaap.alerts.')) return 'news';
  if (/^(results|jaap)\./.test(promptId)) return 'results';
  // Number words and months are read one word each, evenly: recorded together.
  if (/^(digit|number|month)\./.test(promptId)) return 'numbers';
  return 'errors';
}

/** Speaking rate for the intended length: unhurried, as callers on a poor line need it. */
const WORDS_PER_SECOND = 2.2;

/** About how long a prompt should last, from its English reference (Khmer is written without spaces). */
export function intendedSeconds(english: string): number {
  const words = english.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round(words / WORDS_PER_SECOND));
}

/** The name the import reads as this prompt in this language (any audio extension does). */
export const recordingFileName = (promptId: string, language: string, ext = 'm4a') => `${promptId}.${language}.${ext}`;

/** The script's own files: the import skips them in the folder. */
export const SCRIPT_FILE_PREFIX = 'recording-script.';

export interface ScriptLine {
  order: number;
  part: ScriptPart;
  promptId: string;
  /** Reference text in the language itself where written, else Khmer and English to translate from. */
  text: string | null;
  km: string | null;
  en: string;
  note: string | null;
  seconds: number;
  fileName: string;
}

export interface ScriptInput {
  catalog: PromptCatalog;
  language: string;
  languageName: string;
  /** The prompt ids to record, any order. */
  promptIds: readonly string[];
}

export function buildScript(input: ScriptInput): ScriptLine[] {
  const catalogOrder = new Map(Object.keys(input.catalog.prompts).map((id, i) => [id, i]));
  const partOrder = new Map(FLOW_PARTS.map((p, i) => [p.id as FlowPart, i]));
  const ids = [...new Set(input.promptIds)].filter((id) => input.catalog.prompts[id]);
  ids.sort((a, b) => partOrder.get(partOf(a))! - partOrder.get(partOf(b))! || catalogOrder.get(a)! - catalogOrder.get(b)!);
  return ids.map((promptId, i) => {
    const entry = input.catalog.prompts[promptId];
    return {
      order: i + 1,
      part: partOf(promptId),
      promptId,
      text: entry.text[input.language] ?? null,
      km: entry.text.km ?? null,
      en: entry.text.en,
      note: entry.note ?? null,
      seconds: intendedSeconds(entry.text.en),
      fileName: recordingFileName(promptId, input.language),
    };
  });
}

/**
 * The names a programme's callers hear (src/site/programme-areas.ts): each programme commune
 * (place.<code>, its Khmer name from the gazetteer), the districts of those communes (heard after
 * the commune's name when the caller confirms it), and each facility (facility.<id>), in the
 * order callers hear them. `include` leaves out names already recorded (for --missing).
 */
export function programmeNameLines(programme: ProgrammePlaces, gazetteer: Gazetteer, language: string, include: (promptId: string) => boolean = () => true): ScriptLine[] {
  const lines: Omit<ScriptLine, 'order'>[] = [];
  for (const code of programme.areas.communes) {
    const place = gazetteer.find(code);
    const district = gazetteer.find(code.slice(0, 4));
    if (!place) continue;
    lines.push({
      part: NAMES_PART.id, promptId: `place.${code}`, text: place.nameKm, km: place.nameKm,
      en: `${place.nameLatin} (commune${district ? `, ${district.nameLatin} district` : ''})`, note: 'A commune name: say it as people there say it.',
      seconds: 2, fileName: recordingFileName(`place.${code}`, language),
    });
  }
  for (const code of programme.districtCodes()) {
    const district = gazetteer.find(code);
    if (!district) continue;
    lines.push({
      part: NAMES_PART.id, promptId: `place.${code}`, text: district.nameKm, km: district.nameKm,
      en: `${district.nameLatin} (district)`, note: 'A district name: callers hear it after their commune\'s when they confirm it.',
      seconds: 2, fileName: recordingFileName(`place.${code}`, language),
    });
  }
  for (const f of programme.areas.facilities) {
    lines.push({
      part: NAMES_PART.id, promptId: `facility.${f.id}`, text: f.name.km, km: f.name.km, en: f.name.en,
      note: f.code ? `Institution code ${f.code}.` : null, seconds: 3, fileName: recordingFileName(`facility.${f.id}`, language),
    });
  }
  return lines.filter((l) => include(l.promptId)).map((l, i) => ({ order: i + 1, ...l }));
}

/**
 * Every name of a province a caller browsing by name hears (src/prompts/place-names.ts): the
 * province, then each district followed by its communes, in code order. A province is listed to
 * callers only once all of them are recorded.
 */
export function provinceNameLines(gazetteer: Gazetteer, provinceCode: string, language: string): ScriptLine[] {
  const province = gazetteer.find(provinceCode);
  if (!province || provinceCode.length !== 2) return [];
  const line = (p: { code: string; nameKm: string; nameLatin: string }, kind: string): Omit<ScriptLine, 'order'> => ({
    part: PLACES_PART.id, promptId: `place.${p.code}`, text: p.nameKm, km: p.nameKm, en: `${p.nameLatin} (${kind})`, note: null,
    seconds: 2, fileName: recordingFileName(`place.${p.code}`, language),
  });
  const lines = [line(province, 'province')];
  for (const d of gazetteer.childrenOf(provinceCode)) {
    lines.push(line(d, 'district'));
    for (const c of gazetteer.childrenOf(d.code)) lines.push(line(c, 'commune'));
  }
  return lines.map((l, i) => ({ order: i + 1, ...l }));
}

export function scriptCsv(lines: readonly ScriptLine[]): string {
  const header = ['order', 'part', 'prompt_id', 'text', 'text_km', 'text_en', 'about_seconds', 'save_as', 'note'];
  const rows = lines.map((l) => [l.order, l.part, l.promptId, l.text ?? '', l.km ?? '', l.en, l.seconds, l.fileName, l.note ?? '']);
  return BOM + [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** A4, Khmer fonts first, one prompt never split over two pages, the table head on every page. */
export function scriptHtml(lines: readonly ScriptLine[], input: { language: string; languageName: string; missingOnly: boolean; generatedAt: Date }): string {
  const total = lines.reduce((s, l) => s + l.seconds, 0);
  const parts = SCRIPT_PARTS.filter((p) => lines.some((l) => l.part === p.id));
  const sections = parts.map((p) => {
    const rows = lines.filter((l) => l.part === p.id).map((l) => `
      <tr>
        <td class="n">${l.order}</td>
        <td class="text">
          ${l.text && input.language !== 'km' ? `<p class="own" lang="${escapeHtml(input.language)}">${escapeHtml(l.text)}</p>` : ''}
          ${l.km ? `<p class="km" lang="km">${escapeHtml(l.km)}</p>` : ''}
          <p class="en" lang="en">${escapeHtml(l.en)}</p>
          ${l.note ? `<p class="note">${escapeHtml(l.note)}</p>` : ''}
        </td>
        <td class="file"><code>${escapeHtml(l.fileName)}</code><br><span class="len">about ${l.seconds} s</span><br><span class="id">${escapeHtml(l.promptId)}</span></td>
        <td class="done">☐</td>
      </tr>`).join('');
    return `
  <h2><span lang="km">${escapeHtml(p.km)}</span> · ${escapeHtml(p.en)}</h2>
  <table>
    <thead><tr><th class="n">#</th><th>Text to say · អត្ថបទត្រូវអាន</th><th class="file">Save as, length · រក្សាទុកជា</th><th class="done">✓</th></tr></thead>
    <tbody>${rows}
    </tbody>
  </table>`;
  }).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Recording script: ${escapeHtml(input.languageName)} (${escapeHtml(input.language)})</title>
<style>
  @page { size: A4; margin: 14mm 12mm 16mm 12mm; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-family: "Khmer OS", "Khmer OS System", "Noto Sans Khmer", "Noto Serif Khmer", "Khmer OS Battambang", sans-serif; font-size: 11pt; line-height: 1.5; color: #000; margin: 0; }
  h1 { font-size: 16pt; margin: 0 0 2mm; }
  h2 { font-size: 12.5pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
  .how { font-size: 10pt; border: 0.3mm solid #555; padding: 2mm 3mm; margin: 0 0 3mm; }
  .how p { margin: 0.8mm 0; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  th, td { border: 0.3mm solid #777; padding: 1.5mm 2mm; vertical-align: top; text-align: left; }
  th { background: #eee; font-size: 9.5pt; }
  .n { width: 8mm; text-align: right; }
  .len { font-weight: bold; }
  .file { width: 44mm; font-size: 8.5pt; overflow-wrap: anywhere; }
  .done { width: 8mm; text-align: center; font-size: 13pt; }
  .text p { margin: 0 0 1mm; }
  .km, .own { font-size: 12pt; line-height: 1.6; }
  .en { color: #333; font-size: 10pt; line-height: 1.35; }
  .note { font-size: 9pt; font-style: italic; color: #444; }
  .id { color: #555; }
  code { font-family: "DejaVu Sans Mono", monospace; }
</style>
</head>
<body>
  <h1>Recording script · ស្គ្រីបថតសំឡេង: ${escapeHtml(input.languageName)} (${escapeHtml(input.language)})</h1>
  <div class="how">
    <p>${lines.length} prompt(s)${input.missingOnly ? ' still to record' : ''}, about ${Math.ceil(total / 60)} min of speech. Read them in this order, calmly and clearly, in a quiet room, the phone a hand's width from your mouth.</p>
    <p>Save each recording under its name in the "Save as" column (any audio format: .m4a, .mp3, .wav, .amr, .ogg), all in the folder of this script, then send the folder: <code>npm run prompts -- import &lt;folder&gt;</code> takes it as it is.</p>
    <p lang="km">សូមអានតាមលំដាប់នេះ ដោយស្ងប់ និងច្បាស់ នៅកន្លែងស្ងាត់។ រក្សាទុកការថតនីមួយៗ តាមឈ្មោះក្នុងជួរ «រក្សាទុកជា» ក្នុងថតឯកសារតែមួយ។</p>
  </div>${sections}
  <p class="note">Generated ${escapeHtml(input.generatedAt.toISOString().slice(0, 10))} by npm run prompts -- script.</p>
</body>
</html>
`;
}
