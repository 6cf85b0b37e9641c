// Appending to the audit trail and checking it. An append locks the chain's head row, so
// concurrent writers (several replicas) chain one after another and each row's MAC covers the
// row really before it; the sequence numbers follow the head, without gaps.
import { and, asc, eq, gt, like, or, sql } from 'drizzle-orm';
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
  return (await appendAuditEvents(tx, key, [event], at))[0]!;
}

/**
 * Appends events in order, all at `at`. Call it once, at the end of the transaction: the chain
 * lock is held from here to the commit, so the later it is taken, the less writers wait.
 */
export async function appendAuditEvents(tx: DbExecutor, key: Buffer, events: readonly AuditEvent[], at: Date): Promise<number[]> {
  if (events.length === 0) return [];
  const [head] = await tx.select().from(auditHead).where(eq(auditHead.id, 1)).for('update');
  if (head === undefined) throw new Error('the audit trail has no head row: the database was not migrated');
  let prevMac = head.mac;
  const rows = events.map((event, i) => {
    const seq = head.seq + 1 + i;
    const mac = auditMac(key, { seq, at, ...event, prevMac });
    const row = { seq, at, ...event, prevMac, mac };
    prevMac = mac;
    return row;
  });
  await tx.insert(auditEvents).values(rows);
  const last = rows[rows.length - 1]!;
  await tx
    .update(auditHead)
    .set({ seq: last.seq, count: sql`${auditHead.count} + ${rows.length}`, mac: last.mac })
    .where(eq(auditHead.id, 1));
  return rows.map((r) => r.seq);
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

export interface AuditQuery {
  /** Events after this sequence number. */
  readonly after: number;
  readonly limit: number;
  readonly subject?: string | undefined;
  /** An exact kind (`page.acknowledged`) or a family (`page`, meaning `page.*`). */
  readonly kind?: string | undefined;
}

/** A page of the trail in order, and the head it chains to. */
export async function listAudit(db: Db, query: AuditQuery) {
  const conditions = [gt(auditEvents.seq, query.after)];
  if (query.subject !== undefined) conditions.push(eq(auditEvents.subject, query.subject));
  if (query.kind !== undefined) conditions.push(or(eq(auditEvents.kind, query.kind), like(auditEvents.kind, `${query.kind.replace(/[%_\\]/g, (m) => `\\${m}`)}.%`))!);
  const events = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(asc(auditEvents.seq))
    .limit(query.limit);
  const [head] = await db.select({ seq: auditHead.seq, count: auditHead.count, mac: auditHead.mac }).from(auditHead).where(eq(auditHead.id, 1));
  return { events, head: head ?? null };
}
