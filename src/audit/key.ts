// The audit key: from PAGERLESS_AUDIT_KEY (base64 or hex, at least 32 bytes), or for a local
// PGlite install a key file beside the data directory, made on first use.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class AuditKeyError extends Error {}

export function parseAuditKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]+$/i.test(trimmed) && trimmed.length % 2 === 0 ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length < 32) throw new AuditKeyError('the audit key must be at least 32 bytes (64 hex digits or 44 base64 characters)');
  return key;
}

/** The key for this installation; `create` makes the key file when there is none (first start). */
export function loadAuditKey(env: Readonly<Record<string, string | undefined>>, keyFile: string, create: boolean): Buffer {
  const fromEnv = env['PAGERLESS_AUDIT_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') return parseAuditKey(fromEnv);
  if (existsSync(keyFile)) return parseAuditKey(readFileSync(keyFile, 'utf8'));
  if (!create) throw new AuditKeyError(`no audit key: set PAGERLESS_AUDIT_KEY, or run where ${keyFile} is`);
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
