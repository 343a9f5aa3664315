/**
 * The recording studio: a page per language listing every prompt with its reference texts, its
 * state (missing, placeholder, machine voice, recorded) and who saved it when; staff play what
 * callers hear now, record in the browser (public/staff/studio.js, MediaRecorder) or drop a file,
 * and save. A save runs the import pipeline (src/prompts/prompt-versions.ts); the hotline plays
 * the new recording from the next call; the replaced file is kept, so one click undoes the save.
 * Saves and undos go into the audit log. An admin right (admins run the line).
 */
import express, { Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { isPlacePrompt, wordsChangedFor } from '../prompts/catalog';
import { AudioSources, sha256Of } from '../prompts/audio-sources';
import { requiredPrompts } from '../prompts/coverage';
import { IMPORT_EXTENSIONS } from '../prompts/prompt-import';
import { PromptVersions } from '../prompts/prompt-versions';
import { FLOW_PARTS, FlowPart, NAMES_PART, partOf } from '../prompts/recording-script';
import { STAFF_CSP } from './security-headers';
import { html, SafeHtml } from './html';
import { csrfField, km, latin, scrollBox, sendPage } from './layout';
import { Translate, tr } from './i18n/i18n';
import { StaffPages } from './staff-router';
import { uploadExtension } from './audio-upload';
import { DecodesBusyError } from '../audio/decode-slots';
import { withoutPaths } from '../audio/telephony-conversion';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const PROMPT_STATES = ['missing', 'placeholder', 'machine', 'recorded'] as const;
type PromptState = (typeof PROMPT_STATES)[number];
/** The browser script's messages (studio.js.<key> in the staff catalog), handed over in a data- attribute. */
export const STUDIO_SCRIPT_KEYS = ['listen-back', 'cannot-record', 'recording', 'no-microphone', 'saving', 'not-saved-status', 'warning', 'no-answer'] as const;

/** The page records from the microphone and plays takes from blob: URLs; other staff pages allow neither. */
function allowMicrophone(res: Response) {
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(self), geolocation=()');
  res.setHeader('Content-Security-Policy', STAFF_CSP.replace("media-src 'self'", "media-src 'self' blob:"));
}

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

  /** A language's own name and its English one; the Latin one marked English on a Khmer page. */
  const languageName = (t: Translate, code: string): SafeHtml => {
    const l = languages.find((x) => x.code === code)!;
    return l.nativeName !== l.name ? html`${l.code === 'km' ? km(l.nativeName) : latin(l.nativeName, t)} ${latin(l.name, t)}` : latin(l.name, t);
  };
  const partTitle = (t: Translate, id: FlowPart): string => FLOW_PARTS.find((p) => p.id === id)![t.lang];

  const stateOf = (report: ReturnType<typeof rt.languageReadiness.report>[number], id: string): PromptState => {
    const c = report.coverage;
    if (c.missing.includes(id)) return 'missing';
    if (c.placeholder.includes(id)) return 'placeholder';
    if (c.machine.includes(id)) return 'machine';
    return 'recorded';
  };

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
  <td class="num"><progress max="${required}" value="${recorded}"></progress> ${recorded}/${required}</td>
  ${parts}
  <td>${readinessLine(t, r)}</td>
</tr>`;
    });
    allowMicrophone(res);
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

  router.get('/studio/:language', requireRole('admin'), async (req, res) => {
    const t = tr(res);
    const language = languages.find((l) => l.code === req.params.language);
    if (!language) {
      res.status(404).type('text/plain').send(`${t('studio.no-language')}\n`);
      return;
    }
    const report = rt.languageReadiness.report().find((r) => r.language === language.code)!;
    const missingOnly = req.query.missing === '1';
    const part = FLOW_PARTS.some((p) => p.id === req.query.part) ? (req.query.part as FlowPart) : null;
    // The programme's place and facility names: proper nouns, recorded once in the default language.
    const namesOnly = req.query.part === NAMES_PART.id && language.code === rt.languages.default;
    const saved = await versions.savedIn(language.code);
    const sources = AudioSources.load(rt.config.audioDir);
    const ids = requiredPrompts(rt.catalog, language.code)
      .filter((id) => !missingOnly || report.gaps.includes(id))
      .filter((id) => !part || partOf(id) === part);
    const order = new Map(Object.keys(rt.catalog.prompts).map((id, i) => [id, i]));
    const partIndex = new Map(FLOW_PARTS.map((p, i) => [p.id as string, i]));
    ids.sort((a, b) => partIndex.get(partOf(a))! - partIndex.get(partOf(b))! || order.get(a)! - order.get(b)!);
    const staff = staffLocals(res).staff;
    const row = (id: string, entry: { text: Record<string, string> }, state: PromptState, partLabel: string) => {
      const file = sources.fileOf(language.code, id);
      const doc = saved.get(id);
      const sha = state === 'missing' ? '' : sha256Of(file);
      const who = doc && doc.savedBy && doc.sha256 === sha ? html`${doc.savedBy}, ${doc.savedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : state === 'recorded' ? t('studio.imported') : '';
      const audioUrl = `/audio/${language.code}/${id}.wav?v=${sha.slice(0, 12)}`;
      // A prompt missing in this language is played in the default one (src/prompts/prompt-audio.ts).
      const fallback = state === 'missing' && language.code !== rt.languages.default && sources.sourceOf(rt.languages.default, id) !== null;
      return html`<tr data-prompt="${id}" data-state="${state}" data-save-url="/staff/studio/${language.code}/${id}/recording">
  <td><code>${id}</code><br><span class="part">${partLabel}</span></td>
  <td>${entry.text[language.code] && language.code !== 'km' ? html`<p>${entry.text[language.code]}</p>` : ''}${entry.text.km ? html`<p>${km(entry.text.km)}</p>` : ''}<p class="en" lang="en">${entry.text.en}</p></td>
  <td><span class="state state-${state}">${t(`studio.state.${state}`)}</span><br><span class="who">${who}</span>${report.coverage.outdated.includes(id) ? html`<br><span class="warn outdated">${t('studio.outdated', { date: wordsChangedFor(rt.catalog.prompts[id], language.code)! })}</span>` : ''}</td>
  <td class="studio-actions">
    ${state !== 'missing' ? html`<audio class="current" controls preload="none" src="${audioUrl}"></audio>`
    : fallback ? html`<span class="none">${t('studio.fallback', { language: rt.languages.default })}</span><audio class="current" controls preload="none" src="/audio/${rt.languages.default}/${id}.wav"></audio>`
      : html`<span class="none">${t('studio.nothing-plays')}</span>`}
    <div class="take">
      <button type="button" class="record">${t('studio.record')}</button>
      <button type="button" class="stop" disabled>${t('studio.stop')}</button>
      <label class="drop">${t('studio.or-file')} <input type="file" class="file" accept="audio/*,${IMPORT_EXTENSIONS.map((e) => `.${e}`).join(',')}"></label>
      <audio class="take-audio" controls hidden></audio>
      <button type="button" class="save" disabled>${t('studio.save')}</button>
      <span class="result" role="status"></span>
    </div>
    ${doc?.previous.length ? html`<form method="post" action="/staff/studio/${language.code}/${id}/undo">${csrfField(staff)}<button type="submit" class="undo">${t('studio.undo')}</button></form>` : ''}
  </td>
</tr>`;
    };
    const nameState = (id: string): PromptState => {
      const source = sources.sourceOf(language.code, id);
      return source === null ? 'missing' : source === 'recording' ? 'recorded' : source;
    };
    const names = rt.programme.promptIds().map((id) => {
      const facility = id.startsWith('facility.') ? rt.programme.find(id.slice('facility.'.length)) : undefined;
      const place = facility ? undefined : rt.gazetteer.find(id.slice('place.'.length));
      const entry = { text: facility ? { km: facility.name.km, en: facility.name.en } : { km: place?.nameKm ?? '', en: place?.nameLatin ?? id } };
      return { id, entry, state: nameState(id) };
    }).filter((n) => !missingOnly || n.state !== 'recorded');
    const rows = namesOnly
      ? names.map((n) => row(n.id, n.entry, n.state, NAMES_PART[t.lang]))
      : ids.map((id) => row(id, rt.catalog.prompts[id], stateOf(report, id), partTitle(t, partOf(id))));
    const filterLink = (label: string, query: string) => html`<a href="/staff/studio/${language.code}${query}">${label}</a>`;
    allowMicrophone(res);
    sendPage(res, {
      title: t('studio.language-title', { language: t.lang === 'km' ? language.nativeName : language.name }),
      scripts: ['studio.js'],
      body: html`
<p><a href="/staff/studio">${t('studio.all-languages')}</a> · ${languageName(t, language.code)} (<code>${language.code}</code>): ${t('studio.recorded-count', { done: report.coverage.required - report.gaps.length, required: report.coverage.required })} ${readinessLine(t, report)}</p>
${report.gaps.length ? html`<p class="gaps">${t('studio.still-needed-list')} <code>${report.gaps.join(', ')}</code></p>` : ''}
<p class="filters">${t('studio.show')} ${filterLink(t('studio.filter-all'), '')} · ${filterLink(t('studio.filter-missing'), '?missing=1')} · ${FLOW_PARTS.map((p) => html`${filterLink(p[t.lang], `?part=${p.id}${missingOnly ? '&missing=1' : ''}`)} `)}${language.code === rt.languages.default ? html`· ${filterLink(`${NAMES_PART[t.lang]} (${names.filter((n) => n.state === 'recorded').length}/${rt.programme.promptIds().length})`, `?part=${NAMES_PART.id}${missingOnly ? '&missing=1' : ''}`)}` : ''}</p>
${csrfField(staff)}
${scrollBox(t('studio.language-title', { language: t.lang === 'km' ? language.nativeName : language.name }), html`<table class="studio-prompts" data-messages="${JSON.stringify(Object.fromEntries(STUDIO_SCRIPT_KEYS.map((k) => [k, t(`studio.js.${k}`)])))}" data-record-again="${t('studio.record-again')}">
  <thead><tr><th>${t('studio.col-prompt')}</th><th>${t('studio.col-text')}</th><th>${t('studio.col-state')}</th><th>${t('studio.col-actions')}</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`)}`,
    });
  });

  router.post('/studio/:language/:promptId/recording', requireRole('admin'), express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES }), async (req, res, next) => {
    try {
      const language = languages.find((l) => l.code === req.params.language);
      const promptId = String(req.params.promptId);
      if (!language || !requiredPrompts(rt.catalog, language.code).includes(promptId)) {
        res.status(404).json({ ok: false, message: tr(res)('studio.no-prompt') });
        return;
      }
      const body = req.body as Buffer;
      const ext = uploadExtension(req.header('content-type'), req.header('x-file-name'));
      if (!Buffer.isBuffer(body) || body.length === 0) {
        res.status(400).json({ ok: false, message: tr(res)('studio.empty') });
        return;
      }
      if (!ext) {
        res.status(415).json({ ok: false, message: tr(res)('studio.bad-format', { formats: IMPORT_EXTENSIONS.join(', ') }) });
        return;
      }
      const username = staffLocals(res).staff.username;
      let result: Awaited<ReturnType<PromptVersions['save']>>;
      try {
        // At most AUDIO_DECODES_AT_ONCE conversions at once; more wait briefly, then are refused.
        result = await deps.decodes.run(() => versions.save(language.code, promptId, body, ext, username));
      } catch (err) {
        if (!(err instanceof DecodesBusyError)) throw err;
        res.status(503).json({ ok: false, message: tr(res)('audio.decodes-busy'), code: err.code });
        return;
      }
      if (!result.ok) {
        await deps.audit.record({ username, action: 'studio-save-refused', detail: { language: language.code, promptId, code: result.outcome.code } });
        // The reason is ffmpeg's, which names files by their path on the server: staff see only the file's name.
        res.status(422).json({ ok: false, message: withoutPaths(result.outcome.reason), code: result.outcome.code });
        return;
      }
      // This instance plays it from the next call; others see the change through their folder watch.
      await rt.recordings.refreshNow();
      await deps.audit.record({ username, action: 'studio-save', detail: { language: language.code, promptId, replaced: result.outcome.replaced ?? 'nothing', seconds: Number(result.outcome.durationSeconds.toFixed(2)) } });
      res.json({ ok: true, message: tr(res)('studio.saved', { seconds: result.outcome.durationSeconds.toFixed(1) }), warnings: result.outcome.warnings });
    } catch (err) {
      next(err);
    }
  });

  router.post('/studio/:language/:promptId/undo', requireRole('admin'), async (req, res, next) => {
    try {
      const language = languages.find((l) => l.code === req.params.language);
      const promptId = String(req.params.promptId);
      if (!language || !requiredPrompts(rt.catalog, language.code).includes(promptId)) {
        res.status(404).type('text/plain').send(`${tr(res)('studio.no-prompt')}\n`);
        return;
      }
      const undone = await versions.undo(language.code, promptId);
      if (undone) {
        await rt.recordings.refreshNow();
        await deps.audit.record({ username: staffLocals(res).staff.username, action: 'studio-undo', detail: { language: language.code, promptId } });
      }
      res.redirect(303, `/staff/studio/${language.code}`);
    } catch (err) {
      next(err);
    }
  });
};
