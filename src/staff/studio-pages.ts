/**
 * The recording studio, made for a phone. Per language a list of what to record (every prompt of
 * the call; in the default language also the programme's names and the place names of each
 * province, one recording serving every language), each item a link to a page of its own: the
 * words to read first, the Record button right under them, a level meter and a timer while
 * recording, listen back, save; what callers hear now; "next prompt still to record". A save runs
 * the import pipeline (src/prompts/prompt-versions.ts); the hotline plays the new recording from
 * the next call; the replaced file is kept, so one click undoes the save. Saves, refusals and
 * undos go into the audit log. An admin right (admins run the line). The browser part is
 * public/staff/studio.js (MediaRecorder, Web Audio for the meter).
 */
import express, { Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { isPlacePrompt, wordsChangedFor } from '../prompts/catalog';
import { AudioSource, AudioSources, sha256OfAsync } from '../prompts/audio-sources';
import { requiredPrompts } from '../prompts/coverage';
import { IMPORT_EXTENSIONS } from '../prompts/prompt-import';
import { PromptVersions } from '../prompts/prompt-versions';
import {
  buildScript, FLOW_PARTS, FlowPart, NAMES_PART, partOf, PLACES_PART, programmeNameLines, provinceNameLines, ScriptLine, ScriptPart,
} from '../prompts/recording-script';
import { ConversionWarning, MAX_INPUT_SECONDS, withoutPaths } from '../audio/telephony-conversion';
import { DecodesBusyError } from '../audio/decode-slots';
import { STAFF_CSP } from './security-headers';
import { html, SafeHtml } from './html';
import { csrfField, km, latin, scrollBox, sendPage } from './layout';
import { Translate, tr } from './i18n/i18n';
import { calendarDay, cambodiaDateTime, isoInstant } from './page-dates';
import { StaffPages } from './staff-router';
import { uploadExtension } from './audio-upload';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const PROMPT_STATES = ['missing', 'placeholder', 'machine', 'recorded'] as const;
type PromptState = (typeof PROMPT_STATES)[number];
/** The browser script's messages (studio.js.<key> in the staff catalog), handed over in a data- attribute. */
export const STUDIO_SCRIPT_KEYS = ['listen-back', 'cannot-record', 'recording', 'no-microphone', 'saving', 'not-saved-status', 'warning', 'no-answer'] as const;
/** Why the import refused a recording (its `code`), each said in the staff catalog as studio.refused.<code in lower case>. */
export const STUDIO_REFUSAL_CODES = ['AUDIO_UNDECODABLE', 'AUDIO_CORRUPT', 'AUDIO_SILENT', 'AUDIO_TOO_LONG', 'AUDIO_OUTPUT_INVALID', 'UNSUPPORTED_FORMAT'] as const;
/** Accepted, but worth recording again: studio.warning.<code>. */
export const STUDIO_WARNING_CODES: readonly ConversionWarning[] = ['too-quiet', 'clipped'];
/** How many characters of a prompt's words name its controls ("Record: ..."): enough to tell prompts apart. */
const NAME_LENGTH = 60;
/** Words longer than this are set smaller, so that even the longest keeps Record on a phone's first screen. */
const LONG_WORDS = 120;

/** Which list an item belongs to: the call's prompts, the programme's names, or one province's place names. */
type ListRef = { kind: 'prompts' } | { kind: 'names' } | { kind: 'places'; province: string };

/** The page records from the microphone and plays takes from blob: URLs; other staff pages allow neither. */
function allowMicrophone(res: Response) {
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(self), geolocation=()');
  res.setHeader('Content-Security-Policy', STAFF_CSP.replace("media-src 'self'", "media-src 'self' blob:"));
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** The first `max` characters of `text`, never cutting a Khmer letter from its vowel signs. */
export function shortWords(text: string, max = NAME_LENGTH): string {
  const parts = [...graphemes.segment(text)].map((s) => s.segment);
  return parts.length <= max ? text : `${parts.slice(0, max).join('').trimEnd()}…`;
}

/** The words the speaker reads: the language's own text where written, else the Khmer to translate from, else the English. */
function wordsOf(line: ScriptLine): { text: string; lang: string } {
  if (line.text && line.km !== line.text) return { text: line.text, lang: '' };
  if (line.km) return { text: line.km, lang: 'km' };
  return { text: line.en, lang: 'en' };
}

const stateFromSource = (source: AudioSource | null): PromptState => (source === null ? 'missing' : source === 'recording' ? 'recorded' : source);

export const studioPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  const languages = rt.languages.languages;
  const versions = new PromptVersions(rt.store, {
    audioDir: rt.config.audioDir,
    languages: languages.map((l) => l.code),
    isPromptId: (id) => id in rt.catalog.prompts || (isPlacePrompt(id) && Boolean(rt.gazetteer.find(id.slice('place.'.length))))
      || (id.startsWith('facility.') && Boolean(rt.programme.find(id.slice('facility.'.length)))),
    promptIds: Object.keys(rt.catalog.prompts),
    placeLanguage: rt.languages.default,
  });
  deps.nav.push({ href: '/staff/studio', key: 'nav.studio', roles: ['admin'] });
  const isDefault = (code: string) => code === rt.languages.default;
  const languageOf = (code: unknown) => languages.find((l) => l.code === code);

  /** A language's own name and its English one; the Latin one marked English on a Khmer page. */
  const languageName = (t: Translate, code: string): SafeHtml => {
    const l = languages.find((x) => x.code === code)!;
    return l.nativeName !== l.name ? html`${l.code === 'km' ? km(l.nativeName) : latin(l.nativeName, t)} ${latin(l.name, t)}` : latin(l.name, t);
  };
  const languageWord = (t: Translate, code: string) => {
    const l = languages.find((x) => x.code === code)!;
    return t.lang === 'km' ? l.nativeName : l.name;
  };
  const partTitle = (t: Translate, id: ScriptPart): string => [...FLOW_PARTS, NAMES_PART, PLACES_PART].find((p) => p.id === id)![t.lang];
  const reportOf = (code: string) => rt.languageReadiness.report().find((r) => r.language === code)!;

  /** The items of a list, in the order a speaker reads them (the call's own order). */
  const linesOf = (code: string, ref: ListRef): ScriptLine[] => {
    if (ref.kind === 'prompts') {
      return buildScript({ catalog: rt.catalog, language: code, languageName: code, promptIds: requiredPrompts(rt.catalog, code) });
    }
    // Names are proper nouns: recorded once, in the default language, for every language.
    if (!isDefault(code)) return [];
    return ref.kind === 'names' ? programmeNameLines(rt.programme, rt.gazetteer, code) : provinceNameLines(rt.gazetteer, ref.province, code);
  };
  /** The list a prompt is recorded from in this language, or null when it is none of this language's. */
  const listOf = (code: string, id: string): ListRef | null => {
    if (requiredPrompts(rt.catalog, code).includes(id)) return { kind: 'prompts' };
    if (!isDefault(code)) return null;
    if (rt.programme.promptIds().includes(id)) return { kind: 'names' };
    if (isPlacePrompt(id) && rt.gazetteer.find(id.slice('place.'.length))) return { kind: 'places', province: id.slice('place.'.length, 'place.'.length + 2) };
    return null;
  };
  const listQuery = (ref: ListRef) => (ref.kind === 'prompts' ? '' : ref.kind === 'names' ? `?part=${NAMES_PART.id}` : `?part=${PLACES_PART.id}&province=${ref.province}`);

  /** Each item's state: the call's prompts from the coverage the hotline keeps; names from their files (read without blocking). */
  const statesOf = async (code: string, ref: ListRef, lines: readonly ScriptLine[]): Promise<Map<string, PromptState>> => {
    const states = new Map<string, PromptState>();
    if (ref.kind === 'prompts') {
      const c = reportOf(code).coverage;
      for (const l of lines) {
        states.set(l.promptId, c.missing.includes(l.promptId) ? 'missing' : c.placeholder.includes(l.promptId) ? 'placeholder' : c.machine.includes(l.promptId) ? 'machine' : 'recorded');
      }
      return states;
    }
    const sources = await AudioSources.loadAsync(rt.config.audioDir);
    for (const l of lines) states.set(l.promptId, stateFromSource(await sources.sourceOfAsync(code, l.promptId)));
    return states;
  };
  /** Still to record: a gap of the language (what keeps it off the menu), or a name not yet a person's recording. */
  const stillNeeded = (code: string, ref: ListRef, id: string, state: PromptState | undefined) =>
    (ref.kind === 'prompts' ? reportOf(code).gaps.includes(id) : state !== 'recorded');

  const promptUrl = (code: string, id: string) => `/staff/studio/${code}/prompt/${id}`;
  const stateBadge = (t: Translate, state: PromptState) => html`<span class="state state-${state}">${t(`studio.state.${state}`)}</span>`;

  const readinessLine = (t: Translate, r: ReturnType<typeof rt.languageReadiness.report>[number]): SafeHtml => {
    if (r.ready) return html`<span class="ok">${t('studio.ready')}</span>`;
    const enforced = rt.config.onlyReadyLanguages;
    if (r.withdrawn) return html`<span class="warn" role="alert">${t('studio.withdrawn', { count: r.gaps.length })}</span>`;
    const what = r.coverage.isDefault
      ? t('studio.gaps-default')
      : enforced ? t('studio.gaps-enforced') : t('studio.gaps-testing');
    return html`<span class="warn" role="status">${t('studio.to-record', { count: r.gaps.length, what })}</span>`;
  };

  router.get('/studio', requireRole('admin'), async (_req, res) => {
    const t = tr(res);
    const report = rt.languageReadiness.report();
    const rows = report.map((r) => {
      const required = r.coverage.required;
      const recorded = required - r.gaps.length;
      const parts = FLOW_PARTS.map((p) => {
        const ids = requiredPrompts(rt.catalog, r.language).filter((id) => partOf(id) === p.id);
        const done = ids.filter((id) => !r.gaps.includes(id)).length;
        return html`<td class="num">${done}/${ids.length}</td>`;
      });
      return html`<tr data-language="${r.language}">
  <td><a href="/staff/studio/${r.language}">${languageName(t, r.language)}</a> (<code>${r.language}</code>)</td>
  <td class="num"><progress max="${required}" value="${recorded}" aria-label="${t('studio.recorded-count', { done: recorded, required })}"></progress> ${recorded}/${required}</td>
  ${parts}
  <td>${readinessLine(t, r)}</td>
</tr>`;
    });
    sendPage(res, {
      title: t('studio.title'),
      body: html`
<p>${t('studio.intro', { machine: rt.config.acceptKhmerMachineVoice ? t('studio.machine-counts') : '' })} <code lang="en">npm run prompts -- coverage --require offered</code>.</p>
${scrollBox(t('studio.title'), html`<table class="studio-languages">
  <thead><tr><th>${t('studio.col-language')}</th><th>${t('studio.col-recorded')}</th>${FLOW_PARTS.map((p) => html`<th>${p[t.lang]}</th>`)}<th>${t('studio.col-still-needed')}</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`)}`,
    });
  });

  /** A language's list: what to record, each a link to its own page, the next one still needed first. */
  router.get('/studio/:language', requireRole('admin'), async (req, res, next) => {
    try {
      const t = tr(res);
      const language = languageOf(req.params.language);
      if (!language) {
        res.status(404).type('text/plain').send(`${t('studio.no-language')}\n`);
        return;
      }
      const code = language.code;
      const report = reportOf(code);
      const missingOnly = req.query.missing === '1';
      const part = typeof req.query.part === 'string' ? req.query.part : '';
      const flowPart = FLOW_PARTS.some((p) => p.id === part) ? (part as FlowPart) : null;
      const province = typeof req.query.province === 'string' && /^[0-9]{2}$/.test(req.query.province) && rt.gazetteer.find(req.query.province) ? req.query.province : '';
      const ref: ListRef = isDefault(code) && part === NAMES_PART.id ? { kind: 'names' }
        : isDefault(code) && part === PLACES_PART.id && province ? { kind: 'places', province } : { kind: 'prompts' };
      const provincesView = isDefault(code) && part === PLACES_PART.id && !province;

      // One small form, not a wall of links: a phone shows the list, not the filters.
      const nameStates = isDefault(code) ? await statesOf(code, { kind: 'names' }, linesOf(code, { kind: 'names' })) : new Map<string, PromptState>();
      const namesDone = [...nameStates.values()].filter((state) => state === 'recorded').length;
      const option = (value: string, label: string) => html`<option value="${value}"${part === value ? html` selected` : ''}>${label}</option>`;
      const filters = html`<form method="get" action="/staff/studio/${code}" class="studio-filters">
  <label>${t('studio.show')} <select name="part">
    ${option('', t('studio.all-prompts'))}
    ${FLOW_PARTS.map((p) => option(p.id, p[t.lang]))}
    ${isDefault(code) && rt.programme.promptIds().length ? option(NAMES_PART.id, `${NAMES_PART[t.lang]} (${namesDone}/${rt.programme.promptIds().length})`) : ''}
    ${isDefault(code) ? option(PLACES_PART.id, PLACES_PART[t.lang]) : ''}
  </select></label>
  ${province ? html`<input type="hidden" name="province" value="${province}">` : ''}
  <label class="check"><input type="checkbox" name="missing" value="1"${missingOnly ? html` checked` : ''}> ${t('studio.filter-missing')}</label>
  <button type="submit" class="secondary">${t('studio.show-button')}</button>
</form>`;
      const head = html`<p class="studio-summary"><a href="/staff/studio">${t('studio.all-languages')}</a> · ${languageName(t, code)}: ${t('studio.recorded-count', { done: report.coverage.required - report.gaps.length, required: report.coverage.required })} ${readinessLine(t, report)}</p>
${req.query.done === '1' ? html`<p class="notice" role="status">${t('studio.all-recorded')}</p>` : ''}`;
      const title = t('studio.language-title', { language: languageWord(t, code) });

      if (provincesView) {
        // Browsing by name lists a province to callers only once every name in it is recorded.
        const provinces = rt.placeNames.provinces();
        const browsable = new Set(rt.placeNames.browsableProvinces());
        sendPage(res, {
          title,
          body: html`${head}${filters}
<h2>${PLACES_PART[t.lang]}</h2>
<p>${t('studio.places-intro')}</p>
<ol class="prompt-list provinces">${provinces.map((p) => {
    const place = rt.gazetteer.find(p.code)!;
    return html`<li data-province="${p.code}"><a href="/staff/studio/${code}?part=${PLACES_PART.id}&amp;province=${p.code}">${km(place.nameKm)} <span class="latin" lang="en">${place.nameLatin}</span></a>
  <span class="counts">${t('studio.names-recorded', { done: p.named, total: p.places })}</span> ${browsable.has(p.code) ? html`<span class="ok">${t('studio.province-listed')}</span>` : ''}</li>`;
  })}</ol>`,
        });
        return;
      }

      const all = linesOf(code, ref);
      const states = await statesOf(code, ref, all);
      const lines = all
        .filter((l) => !flowPart || l.part === flowPart)
        .filter((l) => !missingOnly || stillNeeded(code, ref, l.promptId, states.get(l.promptId)));
      const needed = all.filter((l) => stillNeeded(code, ref, l.promptId, states.get(l.promptId))).length;
      const nextQuery = new URLSearchParams({ list: ref.kind, ...(ref.kind === 'places' ? { province: ref.province } : {}), ...(flowPart ? { part: flowPart } : {}) });
      const listTitle = ref.kind === 'names' ? NAMES_PART[t.lang]
        : ref.kind === 'places' ? `${PLACES_PART[t.lang]}: ${t.lang === 'km' ? rt.gazetteer.find(ref.province)!.nameKm : rt.gazetteer.find(ref.province)!.nameLatin}`
          : flowPart ? partTitle(t, flowPart) : t('studio.all-prompts');
      const item = (l: ScriptLine) => {
        const words = wordsOf(l);
        const state = states.get(l.promptId) ?? 'missing';
        const outdated = ref.kind === 'prompts' && report.coverage.outdated.includes(l.promptId);
        return html`<li data-prompt="${l.promptId}" data-state="${state}"><a href="${promptUrl(code, l.promptId)}"><span class="n">${l.order}.</span> <span class="words"${words.lang ? html` lang="${words.lang}"` : ''}>${words.text}</span></a>
  <span class="item-meta">${stateBadge(t, state)}${outdated ? html` <span class="warn">${t('studio.outdated-short')}</span>` : ''}${words.lang !== 'en' ? html` <span class="en" lang="en">${l.en}</span>` : ''}</span></li>`;
      };
      sendPage(res, {
        title,
        body: html`${head}
<p class="next-missing">${needed
    ? html`<a class="button-link primary" href="/staff/studio/${code}/next?${nextQuery.toString()}">${t('studio.next-missing')}</a> <span class="muted">${t('studio.still-to-record', { n: needed })}</span>`
    : html`<span class="ok">${t('studio.all-recorded')}</span>`}</p>
${filters}
<h2>${listTitle}</h2>
${lines.length ? html`<ol class="prompt-list">${lines.map(item)}</ol>` : html`<p>${ref.kind === 'names' && !all.length ? t('studio.no-programme') : t('studio.nothing-listed')}</p>`}`,
      });
    } catch (err) {
      next(err);
    }
  });

  /** The next item still to record: after `after` in its list (going round), or the first of a list. */
  router.get('/studio/:language/next', requireRole('admin'), async (req, res, next) => {
    try {
      const language = languageOf(req.params.language);
      if (!language) {
        res.status(404).type('text/plain').send(`${tr(res)('studio.no-language')}\n`);
        return;
      }
      const code = language.code;
      const after = typeof req.query.after === 'string' ? req.query.after : '';
      const part = typeof req.query.part === 'string' && FLOW_PARTS.some((p) => p.id === req.query.part) ? req.query.part : '';
      const province = typeof req.query.province === 'string' && /^[0-9]{2}$/.test(req.query.province) ? req.query.province : '';
      const ref: ListRef | null = after ? listOf(code, after)
        : req.query.list === 'names' && isDefault(code) ? { kind: 'names' }
          : req.query.list === 'places' && isDefault(code) && rt.gazetteer.find(province) ? { kind: 'places', province } : { kind: 'prompts' };
      if (!ref) {
        res.redirect(303, `/staff/studio/${code}`);
        return;
      }
      const lines = linesOf(code, ref).filter((l) => !part || l.part === part);
      const states = await statesOf(code, ref, lines);
      const start = after ? lines.findIndex((l) => l.promptId === after) + 1 : 0;
      const order = [...lines.slice(start), ...lines.slice(0, start)].filter((l) => l.promptId !== after);
      const found = order.find((l) => stillNeeded(code, ref, l.promptId, states.get(l.promptId)));
      if (found) res.redirect(303, promptUrl(code, found.promptId));
      else res.redirect(303, `/staff/studio/${code}${listQuery(ref)}${listQuery(ref) ? '&' : '?'}done=1`);
    } catch (err) {
      next(err);
    }
  });

  /** One prompt: its words, then Record right under them, then what callers hear now, then the way on. */
  router.get('/studio/:language/prompt/:promptId', requireRole('admin'), async (req, res, next) => {
    try {
      const t = tr(res);
      const language = languageOf(req.params.language);
      const code = language?.code ?? '';
      const id = String(req.params.promptId);
      const ref = language ? listOf(code, id) : null;
      const lines = ref ? linesOf(code, ref) : [];
      const at = lines.findIndex((l) => l.promptId === id);
      if (!language || !ref || at < 0) {
        res.status(404).type('text/plain').send(`${t('studio.no-prompt')}\n`);
        return;
      }
      const line = lines[at];
      const words = wordsOf(line);
      const short = shortWords(words.text);
      const named = (label: string) => html`<span class="label">${label}</span><span class="visually-hidden">: <span${words.lang ? html` lang="${words.lang}"` : ''}>${short}</span></span>`;
      const staff = staffLocals(res).staff;
      const report = reportOf(code);
      const sources = await AudioSources.loadAsync(rt.config.audioDir);
      const state = ref.kind === 'prompts' ? (await statesOf(code, ref, [line])).get(id)! : stateFromSource(await sources.sourceOfAsync(code, id));
      const file = sources.fileOf(code, id);
      const sha = state === 'missing' ? '' : await sha256OfAsync(file).catch(() => '');
      const doc = await versions.find(code, id);
      const savedBy = doc && doc.savedBy && doc.sha256 === sha
        ? html`${t('studio.saved-by', { user: doc.savedBy })} <time datetime="${isoInstant(doc.savedAt)}">${cambodiaDateTime(doc.savedAt, t)}</time>`
        : state === 'recorded' ? html`${t('studio.imported')}` : html``;
      const changed = ref.kind === 'prompts' && report.coverage.outdated.includes(id) ? wordsChangedFor(rt.catalog.prompts[id], code) : undefined;
      // A prompt missing in this language is played in the default one (src/prompts/prompt-audio.ts).
      const fallback = state === 'missing' && !isDefault(code) && sources.sourceOf(rt.languages.default, id) !== null;
      const nowPlaying = state !== 'missing'
        ? html`<audio class="current" controls preload="none" src="/audio/${code}/${id}.wav?v=${sha.slice(0, 12)}" aria-label="${t('studio.now-playing', { words: short })}"></audio>`
        : fallback
          ? html`<p>${t('studio.fallback', { language: languageWord(t, rt.languages.default) })}</p><audio class="current" controls preload="none" src="/audio/${rt.languages.default}/${id}.wav" aria-label="${t('studio.now-playing', { words: short })}"></audio>`
          : html`<p class="none">${t('studio.nothing-plays')}</p>`;
      const prev = lines[(at - 1 + lines.length) % lines.length];
      const following = lines[(at + 1) % lines.length];
      const stepName = (label: string, l: ScriptLine) => {
        const w = wordsOf(l);
        return html`<span class="label">${label}</span><span class="visually-hidden">: <span${w.lang ? html` lang="${w.lang}"` : ''}>${shortWords(w.text)}</span></span>`;
      };
      const partLabel = ref.kind === 'places' ? `${PLACES_PART[t.lang]}: ${t.lang === 'km' ? rt.gazetteer.find(ref.province)!.nameKm : rt.gazetteer.find(ref.province)!.nameLatin}` : partTitle(t, line.part);
      const messages = JSON.stringify(Object.fromEntries(STUDIO_SCRIPT_KEYS.map((k) => [k, t(`studio.js.${k}`)])));
      allowMicrophone(res);
      sendPage(res, {
        title: t('studio.prompt-title', { part: partLabel, n: line.order, total: lines.length }),
        scripts: ['studio.js'],
        body: html`
<section class="script" aria-label="${t('studio.script')}">
  <p class="words${[...graphemes.segment(words.text)].length > LONG_WORDS ? ' long' : ''}"${words.lang ? html` lang="${words.lang}"` : ''}>${words.text}</p>
</section>
<div class="recorder" data-save-url="/staff/studio/${code}/${id}/recording" data-messages="${messages}" data-record-again="${t('studio.record-again')}">
  <div class="record-row">
    <button type="button" class="record">${named(t('studio.record'))}</button>
    <button type="button" class="stop secondary" disabled>${named(t('studio.stop'))}</button>
    <span class="timer" role="timer" aria-label="${t('studio.timer')}">0:00</span>
    <span class="aim muted">${t('studio.about-seconds', { seconds: line.seconds })}</span>
  </div>
  <meter class="level" min="0" max="1" low="0.05" high="0.9" optimum="0.5" value="0" aria-label="${t('studio.level')}"></meter>
  <audio class="take-audio" controls hidden aria-label="${t('studio.your-take', { words: short })}"></audio>
  <div class="save-row">
    <button type="button" class="save" disabled>${named(t('studio.save'))}</button>
    <label class="drop button-link">${t('studio.or-file')}<span class="visually-hidden">: ${short}</span><input type="file" class="file" accept="audio/*,${IMPORT_EXTENSIONS.map((e) => `.${e}`).join(',')}"></label>
  </div>
  <p class="result" role="status"></p>
</div>
<nav class="prompt-steps" aria-label="${t('studio.steps')}">
  <a class="button-link primary next-missing" href="/staff/studio/${code}/next?after=${encodeURIComponent(id)}">${t('studio.next-missing')}</a>
  <a class="button-link" rel="prev" href="${promptUrl(code, prev.promptId)}">${stepName(t('studio.previous'), prev)}</a>
  <a class="button-link" rel="next" href="${promptUrl(code, following.promptId)}">${stepName(t('studio.next'), following)}</a>
  <a class="button-link" href="/staff/studio/${code}${listQuery(ref)}">${t('studio.back-to-list')}</a>
</nav>
<section class="reference" aria-labelledby="reference-title">
  <h2 id="reference-title">${t('studio.reference')}</h2>
  ${words.lang !== 'km' && line.km ? html`<p lang="km">${line.km}</p>` : ''}
  ${words.lang !== 'en' ? html`<p class="en" lang="en">${line.en}</p>` : ''}
  ${line.note ? html`<p class="note"><span class="muted">${t('studio.note')}</span> <span lang="en">${line.note}</span></p>` : ''}
  <p class="muted">${t('studio.file-name')} <code>${line.fileName}</code></p>
</section>
<section class="now" aria-labelledby="now-title">
  <h2 id="now-title">${t('studio.now-title')}</h2>
  <p>${stateBadge(t, state)} ${savedBy}</p>
  ${changed ? html`<p class="warn outdated">${t('studio.outdated', { date: calendarDay(changed, t) })}</p>` : ''}
  ${nowPlaying}
  ${doc?.previous.length ? html`<form method="post" action="/staff/studio/${code}/${id}/undo">${csrfField(staff)}<input type="hidden" name="_return" value="${promptUrl(code, id)}"><button type="submit" class="undo secondary">${named(t('studio.undo'))}</button></form>` : ''}
</section>
<p class="muted"><a href="/staff/studio">${t('studio.all-languages')}</a> · ${languageName(t, code)}: ${t('studio.recorded-count', { done: report.coverage.required - report.gaps.length, required: report.coverage.required })}</p>`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/studio/:language/:promptId/recording', requireRole('admin'), express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES }), async (req, res, next) => {
    try {
      const t = tr(res);
      const language = languageOf(req.params.language);
      const promptId = String(req.params.promptId);
      if (!language || !listOf(language.code, promptId)) {
        res.status(404).json({ ok: false, message: t('studio.no-prompt') });
        return;
      }
      const body = req.body as Buffer;
      const ext = uploadExtension(req.header('content-type'), req.header('x-file-name'));
      if (!Buffer.isBuffer(body) || body.length === 0) {
        res.status(400).json({ ok: false, message: t('studio.empty') });
        return;
      }
      if (!ext) {
        res.status(415).json({ ok: false, message: t('studio.bad-format', { formats: IMPORT_EXTENSIONS.join(', ') }) });
        return;
      }
      const username = staffLocals(res).staff.username;
      let result: Awaited<ReturnType<PromptVersions['save']>>;
      try {
        // At most AUDIO_DECODES_AT_ONCE conversions at once; more wait briefly, then are refused.
        result = await deps.decodes.run(() => versions.save(language.code, promptId, body, ext, username));
      } catch (err) {
        if (!(err instanceof DecodesBusyError)) throw err;
        res.status(503).json({ ok: false, message: t('audio.decodes-busy'), code: err.code });
        return;
      }
      if (!result.ok) {
        const { code, reason } = result.outcome;
        await deps.audit.record({ username, action: 'studio-save-refused', detail: { language: language.code, promptId, code } });
        // ffmpeg's own words (English, naming files by their path on the server) go to the log,
        // without the paths; staff read why in their language, from the catalog.
        rt.logger.warn({ language: language.code, promptId, code, reason: withoutPaths(reason) }, 'studio recording refused');
        const known = (STUDIO_REFUSAL_CODES as readonly string[]).includes(code);
        res.status(422).json({ ok: false, code, message: known ? t(`studio.refused.${code.toLowerCase().replace(/_/g, '-')}`, { max: MAX_INPUT_SECONDS }) : t('studio.refused.other') });
        return;
      }
      // This instance plays it from the next call; others see the change through their folder watch.
      await rt.recordings.refreshNow();
      await deps.audit.record({ username, action: 'studio-save', detail: { language: language.code, promptId, replaced: result.outcome.replaced ?? 'nothing', seconds: Number(result.outcome.durationSeconds.toFixed(2)) } });
      res.json({
        ok: true,
        message: t('studio.saved', { seconds: result.outcome.durationSeconds.toFixed(1) }),
        warnings: result.outcome.warningCodes.map((w) => t(`studio.warning.${w}`)),
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/studio/:language/:promptId/undo', requireRole('admin'), async (req, res, next) => {
    try {
      const language = languageOf(req.params.language);
      const promptId = String(req.params.promptId);
      if (!language || !listOf(language.code, promptId)) {
        res.status(404).type('text/plain').send(`${tr(res)('studio.no-prompt')}\n`);
        return;
      }
      const undone = await versions.undo(language.code, promptId);
      if (undone) {
        await rt.recordings.refreshNow();
        await deps.audit.record({ username: staffLocals(res).staff.username, action: 'studio-undo', detail: { language: language.code, promptId } });
      }
      res.redirect(303, promptUrl(language.code, promptId));
    } catch (err) {
      next(err);
    }
  });
};
