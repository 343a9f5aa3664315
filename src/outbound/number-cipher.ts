import * as crypto from 'node:crypto';

/**
 * A caller's number in clear exists only to place their callback: it is kept AES-256-GCM
 * encrypted (key CALLBACK_NUMBER_KEY) inside the callback entry and erased when the callback
 * ends. The entry's id is bound in as associated data, so a ciphertext copied into another
 * entry does not decrypt there.
 */
export class NumberCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError('the callback number key must be 32 bytes');
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  encrypt(number: string, entryId: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(entryId, 'utf8'));
    const data = Buffer.concat([cipher.update(number, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws when the text was not made by this key for this entry (tampered, other key, other entry). */
  decrypt(sealed: string, entryId: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed callback number');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(entryId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
