// Secret keys (the audit MAC key, the PHI encryption key): from an environment variable (hex or
// base64, 32 bytes), or for a local PGlite install a key file beside the data directory, made
// on first use.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class AuditKeyError extends Error {}

export function parseAuditKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]+$/i.test(trimmed) && trimmed.length % 2 === 0 ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new AuditKeyError('a key is 32 bytes: 64 hex digits or 44 base64 characters');
  return key;
}

/** The key named by `envVar`, else the key file (made when `create` and missing). */
export function loadKey(env: Readonly<Record<string, string | undefined>>, envVar: string, keyFile: string, create: boolean): Buffer {
  const fromEnv = env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') return parseAuditKey(fromEnv);
  if (existsSync(keyFile)) return parseAuditKey(readFileSync(keyFile, 'utf8'));
  if (!create) throw new AuditKeyError(`no key: set ${envVar}, or run where ${keyFile} is`);
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

export function loadAuditKey(env: Readonly<Record<string, string | undefined>>, keyFile: string, create: boolean): Buffer {
  return loadKey(env, 'PAGERLESS_AUDIT_KEY', keyFile, create);
}
