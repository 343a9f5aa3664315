/**
 * Photos staff attach to a JAAP item's status change as evidence (the ramp built, the fee board
 * put up). Kept in the store's files beside recordings, so backups and migrations carry them, and
 * shown only behind staff sign-in. Only JPEG and PNG are taken, recognised by their first bytes
 * (what the browser claims is not trusted), so a page never serves a file it cannot name.
 */
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../errors';
import { FileStore } from '../store/store';
import { EvidencePhoto } from './jaap';

/** A phone camera's photo is 2-4 MB; 8 MB leaves room without letting the store fill quickly. */
export const EVIDENCE_PHOTO_MAX_BYTES = 8 * 1024 * 1024;

export function photoTypeOf(data: Buffer): EvidencePhoto['contentType'] | null {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return null;
}

/** Checks and stores a photo for an item; BadRequestError (with a catalog key) for one that is not taken. */
export async function storeEvidencePhoto(files: FileStore, itemId: string, data: Buffer, at: Date): Promise<EvidencePhoto> {
  if (data.length > EVIDENCE_PHOTO_MAX_BYTES) throw new BadRequestError(`The photo is larger than ${EVIDENCE_PHOTO_MAX_BYTES / 1024 / 1024} MB.`, { key: 'jaap.photo-too-large' });
  const contentType = photoTypeOf(data);
  if (!contentType) throw new BadRequestError('The photo must be a JPEG or PNG picture.', { key: 'jaap.photo-not-image' });
  const fileId = `jaap-evidence-${itemId}-${at.getTime()}-${randomBytes(4).toString('hex')}`;
  await files.write(fileId, data, { contentType, kind: 'jaap-evidence', item: itemId });
  return { fileId, contentType, bytes: data.length };
}
