// The MAC that links one audit row to the one before it. HMAC, not a bare hash: someone who can
// write the table but does not hold the key cannot forge a chain that verifies.
import { createHmac } from 'node:crypto';
import type { AuditData } from '../db/schema.js';

export const genesisMac = 'genesis';

/**
 * How many chains the trail has (a migration made their head rows). A transaction's events go
 * on one chain, picked by the subject of its first event, so writers spread over the chains.
 */
export const auditChains = 8;

export function chainOf(subject: string): number {
  let h = 0;
  for (let i = 0; i < subject.length; i++) h = (Math.imul(h, 31) + subject.charCodeAt(i)) | 0;
  return (h >>> 0) % auditChains;
}

export interface ChainedFields {
  readonly chain: number;
  readonly position: number;
  readonly at: Date;
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly data: AuditData;
  readonly prevMac: string;
}

export function auditMac(key: Buffer, row: ChainedFields): string {
  // Chain 0 leaves its number out: rows from before there were chains were signed that way.
  const place = row.chain === 0 ? [row.position] : [row.chain, row.position];
  const canonical = canonicalJson([...place, row.at.toISOString(), row.actor, row.kind, row.subject, row.data, row.prevMac]);
  return createHmac('sha256', key).update(canonical).digest('hex');
}

export interface HeadFields {
  readonly chain: number;
  readonly position: number;
  readonly count: number;
  readonly mac: string;
}

/** The MAC of a chain's head: where the chain ends, signed, so the end cannot be moved back. */
export function headSeal(key: Buffer, head: HeadFields): string {
  return createHmac('sha256', key).update(canonicalJson(['head', head.chain, head.position, head.count, head.mac])).digest('hex');
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
