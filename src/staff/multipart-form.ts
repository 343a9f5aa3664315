import express, { type RequestHandler } from 'express';
import { BadRequestError } from '../errors';

/** A file sent in a multipart form: its name as the browser gave it, and its bytes. */
export interface UploadedFile {
  name: string;
  data: Buffer;
}

/**
 * A body parser for HTML forms that send a file (multipart/form-data), mounted by the staff
 * router after the session check and before the CSRF check (which reads `_csrf` from the parsed
 * form). The undici form parser built into Node reads the body; fields become strings, files
 * UploadedFile. The body may be a little over a page's own file limit (`limitBytes`), so that such
 * a file is refused by the page with its own words rather than by the parser.
 */
export function multipartForm(limitBytes: number): RequestHandler[] {
  return [
    express.raw({ type: 'multipart/form-data', limit: limitBytes }),
    async (req, _res, next) => {
      if (!Buffer.isBuffer(req.body)) return next();
      try {
        const form = await new globalThis.Response(req.body, { headers: { 'content-type': req.header('content-type') ?? '' } }).formData();
        const body: Record<string, unknown> = {};
        for (const [name, value] of form.entries()) {
          body[name] = typeof value === 'string' ? value : { name: value.name, data: Buffer.from(await value.arrayBuffer()) } satisfies UploadedFile;
        }
        req.body = body;
        next();
      } catch (err) {
        next(new BadRequestError('The form could not be read.', { key: 'error.unreadable', cause: err }));
      }
    },
  ];
}

/** The file a form field holds, or null when none was chosen (browsers then send an empty part). */
export function uploadedFile(value: unknown): UploadedFile | null {
  if (!value || typeof value !== 'object') return null;
  const file = value as UploadedFile;
  return Buffer.isBuffer(file.data) && file.data.length > 0 ? file : null;
}
