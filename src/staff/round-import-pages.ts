import { lazyAjv } from '../schema-validation';
import { type Request, type RequestHandler, type Response } from 'express';
import { requireRole, staffLocals } from '../auth/staff-auth';
import { BadRequestError } from '../errors';
import { DCS_FILE_MAX_BYTES, dcsHeader, DcsImport, importDcsReport, readDcsReport } from '../rounds/dcs-import';
import { RoundRegister } from '../rounds/round-register';
import { html, SafeHtml } from './html';
import { Translate, tr } from './i18n/i18n';
import { csrfField, scrollBox, sendPage } from './layout';
import { multipartForm, UploadedFile } from './multipart-form';
import { StaffPages } from './staff-router';

/**
 * Importing the Digital Community Scorecard app's Excel scorecard report into scorecard rounds
 * (src/rounds/dcs-import.ts): an upload form, then what was imported, or every problem by row and
 * column in the reader's language with nothing written. Admins and reviewers; audited.
 */

/** Under /staff. */
export const ROUND_IMPORT_PATH = '/rounds/import';
const PAGE = `/staff${ROUND_IMPORT_PATH}`;
const FIELD = 'report';

const validateFields = lazyAjv({ allErrors: true }).compile({
  type: 'object',
  required: ['_csrf'],
  additionalProperties: false,
  properties: { _csrf: { type: 'string', maxLength: 100 } },
});

/** The upload's body parser (src/staff/multipart-form.ts): a file just over the limit still gets the usual problem list. */
export function roundImportUpload(): RequestHandler[] {
  return multipartForm(DCS_FILE_MAX_BYTES * 2);
}

export const roundImportPages: StaffPages = (router, deps) => {
  const { rt } = deps;
  const importers = requireRole('admin', 'reviewer');
  const register = new RoundRegister(rt.store);

  const form = (res: Response, t: Translate): SafeHtml => html`<form method="post" action="${PAGE}" enctype="multipart/form-data" class="filters">${csrfField(staffLocals(res).staff)}
  <label><span>${t('rounds-import.file', { mb: DCS_FILE_MAX_BYTES / 1_000_000 })}</span> <input type="file" name="${FIELD}" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required></label>
  <div class="filter-buttons"><button type="submit">${t('rounds-import.button')}</button></div>
</form>`;

  const page = (res: Response, outcome: SafeHtml, status = 200) => {
    const t = tr(res);
    sendPage(res, {
      title: t('rounds-import.title'),
      body: html`${outcome}<p>${t('rounds-import.intro')}</p>
<p>${t('rounds-import.how')}</p>
${form(res, t)}
<p>${t('rounds-import.command')} <code lang="en">npm run rounds -- import FILE.xlsx</code></p>`,
    }, status);
  };

  const imported = (o: DcsImport, t: Translate): SafeHtml => html`<div class="notice" role="status"><p>${t('rounds-import.done', { added: o.roundsAdded.length, updated: o.roundsUpdated.length, written: o.resultsWritten, unchanged: o.resultsUnchanged, removed: o.resultsRemoved })}</p>
${o.skipped.length ? html`<p>${t('rounds-import.skipped', { n: o.skipped.length, rows: o.skipped.join(', ') })}</p>` : ''}
<ul>${[...o.roundsAdded, ...o.roundsUpdated].map((id) => html`<li><code>${id}</code></li>`)}</ul></div>`;

  const refused = (o: DcsImport, t: Translate): SafeHtml => html`<div class="error" role="alert"><p>${t('rounds-import.refused', { n: o.problems.length })}</p></div>
${scrollBox(t('rounds-import.problems'), html`<table><caption>${t('rounds-import.problems')}</caption><thead><tr><th scope="col">${t('rounds-import.row')}</th><th scope="col">${t('rounds-import.column')}</th><th scope="col">${t('rounds-import.problem')}</th></tr></thead><tbody>
${o.problems.map((p) => html`<tr><td>${p.row || '–'}</td><td>${dcsHeader(p.column, t.lang)}</td><td>${t(`rounds-import.problem.${p.key}`, p.vars)}</td></tr>`)}
</tbody></table>`)}`;

  router.get(ROUND_IMPORT_PATH, importers, (_req: Request, res: Response) => page(res, html``));

  router.post(ROUND_IMPORT_PATH, importers, async (req: Request, res: Response, next) => {
    try {
      const t = tr(res);
      const { staff } = staffLocals(res);
      const { [FIELD]: file, ...fields } = (req.body ?? {}) as Record<string, unknown>;
      if (!validateFields(fields)) throw new BadRequestError('Choose the report file.', { key: 'rounds-import.no-file' });
      const upload = file as UploadedFile | undefined;
      if (!upload || typeof upload !== 'object' || !Buffer.isBuffer(upload.data) || upload.data.length === 0) throw new BadRequestError('Choose the report file.', { key: 'rounds-import.no-file' });
      const read = await readDcsReport(upload.data, { gazetteer: rt.gazetteer, scorecard: rt.scorecard, facilities: rt.programme.areas.facilities });
      const outcome = await importDcsReport(register, read, { by: staff.username, now: new Date() });
      const fileName = upload.name.slice(0, 120);
      if (outcome.problems.length) {
        await deps.audit.record({ username: staff.username, action: 'import-dcs-report', detail: { file: fileName, refused: true, problems: outcome.problems.length } });
        page(res, refused(outcome, t), 422);
        return;
      }
      await deps.audit.record({
        username: staff.username, action: 'import-dcs-report',
        detail: { file: fileName, roundsAdded: outcome.roundsAdded.length, roundsUpdated: outcome.roundsUpdated.length, resultsWritten: outcome.resultsWritten, resultsUnchanged: outcome.resultsUnchanged, resultsRemoved: outcome.resultsRemoved },
      });
      page(res, imported(outcome, t));
    } catch (err) {
      next(err);
    }
  });
};
