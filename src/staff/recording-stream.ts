import { Response } from 'express';
import { FileStore } from '../store/store';

/** A browser asking for "bytes=0-" gets at most this much per response; it asks again for the rest. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

export type RangeRequest =
  | { kind: 'whole' }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Parses a Range header for a file of `size` bytes. Only single ranges (what audio elements send);
 * a multi-range or malformed header is ignored and the whole file is sent, as RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'whole' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  let start: number;
  let end: number;
  if (m[1] === '') {
    // bytes=-N: the last N bytes.
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] === '') end = Math.min(end, start + MAX_CHUNK_BYTES - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

/**
 * Streams a stored recording with range support (seeking in the player), never cached
 * (Cache-Control: no-store is set by the staff security headers).
 */
export async function sendRecording(res: Response, files: FileStore, fileId: string, contentType: string, rangeHeader: string | undefined): Promise<'sent' | 'missing'> {
  const size = await files.size(fileId);
  if (size === null) return 'missing';
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Disposition', 'inline');
  const range = parseRange(rangeHeader, size);
  if (range.kind === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${size}`);
    res.end();
    return 'sent';
  }
  if (range.kind === 'whole') {
    const data = await files.read(fileId);
    res.status(200).setHeader('Content-Length', String(data.length));
    res.end(data);
    return 'sent';
  }
  const data = await files.read(fileId, { start: range.start, end: range.end });
  res.status(206);
  res.setHeader('Content-Range', `bytes ${range.start}-${range.start + data.length - 1}/${size}`);
  res.setHeader('Content-Length', String(data.length));
  res.end(data);
  return 'sent';
}
