// The MAC that links one audit row to the one before it. HMAC, not a bare hash: someone who can
// write the table but does not hold the key cannot forge a chain that verifies.
import { createHmac } from 'node:crypto';
import type { AuditData } from '../db/schema.js';

export const genesisMac = 'genesis';

export interface ChainedFields {
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly data: AuditData;
  readonly prevMac: string;
}

export function auditMac(key: Buffer, row: ChainedFields): string {
  const canonical = canonicalJson([row.seq, row.at.toISOString(), row.actor, row.kind, row.subject, row.data, row.prevMac]);
  return createHmac('sha256', key).update(canonical).digest('hex');
}

/** JSON with object keys sorted, so what jsonb stores and gives back hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
