// PHI at rest: the alert's PHI fields, sealed with AES-256-GCM under a key from the environment.
// Sealed text is `v1.<iv>.<tag>.<ciphertext>` (base64url): a version to rotate keys by later.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { FieldValue } from '../../grammar/index.js';

export type PhiFields = Readonly<Record<string, FieldValue>>;

export function sealPhi(key: Buffer, fields: PhiFields): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(fields), 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Opens sealed PHI; throws when the key is wrong or the text was altered (GCM authenticates). */
export function openPhi(key: Buffer, sealed: string): PhiFields {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) throw new Error('not sealed PHI');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as PhiFields;
}
