// Appending to the audit trail and checking it. Appends take a transaction-scoped advisory lock,
// so concurrent writers (several replicas) chain one after another and each row's MAC covers
// the row really before it.
import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Db, DbExecutor } from '../db/index.js';
import { tables } from '../db/index.js';
import type { AuditData } from '../db/schema.js';
import { auditMac, genesisMac } from './chain.js';

const { auditEvents, auditHead } = tables;

export interface AuditEvent {
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly data: AuditData;
}

/** Appends one event. Run it inside the transaction of the state change it records. */
export async function appendAudit(tx: DbExecutor, key: Buffer, event: AuditEvent, at: Date): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('pagerless:audit'))`);
  const [head] = await tx.select().from(auditHead).where(eq(auditHead.id, 1));
  const seqResult = await tx.execute(sql`select nextval(pg_get_serial_sequence('audit_events', 'seq'))::text as seq`);
  const seq = Number(rowsOf<{ seq: string }>(seqResult)[0]!.seq);
  const prevMac = head?.mac ?? genesisMac;
  const mac = auditMac(key, { seq, at, ...event, prevMac });
  await tx.insert(auditEvents).values({ seq, at, ...event, prevMac, mac });
  await tx
    .insert(auditHead)
    .values({ id: 1, seq, count: 1, mac })
    .onConflictDoUpdate({ target: auditHead.id, set: { seq, count: sql`${auditHead.count} + 1`, mac } });
  return seq;
}

/** postgres.js returns rows as the result; PGlite wraps them in `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

export interface AuditProblem {
  readonly seq: number | null;
  readonly problem: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly problems: readonly AuditProblem[];
}

/**
 * Walks the chain: each row's MAC must match its content and the previous row's MAC, and the
 * head must name the last row. An altered row fails its own MAC; a deleted or inserted row
 * breaks the link of the row after it; rows cut off the end disagree with the head.
 */
export async function verifyAudit(db: Db, key: Buffer): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  let prevMac = genesisMac;
  let checked = 0;
  let lastSeq = 0;
  for (;;) {
    const page = await db.select().from(auditEvents).where(gt(auditEvents.seq, lastSeq)).orderBy(asc(auditEvents.seq)).limit(1000);
    if (page.length === 0) break;
    for (const row of page) {
      if (row.prevMac !== prevMac) problems.push({ seq: row.seq, problem: 'does not follow the row before it: a row was deleted or inserted before it' });
      if (auditMac(key, row) !== row.mac) problems.push({ seq: row.seq, problem: 'its content does not match its MAC: the row was altered' });
      prevMac = row.mac;
      lastSeq = row.seq;
      checked++;
    }
  }
  const [head] = await db.select().from(auditHead).where(eq(auditHead.id, 1));
  if (head === undefined) {
    if (checked > 0) problems.push({ seq: null, problem: 'the chain has rows but no head: the head was removed' });
  } else if (head.count !== checked || head.mac !== prevMac || head.seq !== lastSeq) {
    problems.push({ seq: null, problem: `the head names ${head.count} rows ending at ${head.seq}, the chain has ${checked} ending at ${lastSeq}: rows were cut off the end or added after it` });
  }
  return { ok: problems.length === 0, checked, problems };
}
