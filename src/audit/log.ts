// Appending to the audit trail and checking it. An append locks its chain's head row, so
// concurrent writers on one chain (several replicas) chain one after another and each row's MAC
// covers the row really before it; writers on other chains go on meanwhile.
import { and, asc, eq, gt, isNull, like, or, sql } from 'drizzle-orm';
import type { Db, DbExecutor } from '../db/index.js';
import { onlyFoundTransactionAborted, tables, writeRows } from '../db/index.js';
import type { AuditData } from '../db/schema.js';
import { auditChains, auditMac, chainOf, genesisMac, headSeal, type HeadFields } from './chain.js';

const { auditEvents, auditHead } = tables;

export interface AuditEvent {
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly data: AuditData;
  /** When it happened, when not the append's instant (a batch of alerts, each received at its own). */
  readonly at?: Date;
}

/** Appends one event. Run it inside the transaction of the state change it records. */
export async function appendAudit(tx: DbExecutor, key: Buffer, event: AuditEvent, at: Date): Promise<void> {
  await appendAuditEvents(tx, key, [event], at);
}

/**
 * Appends events in order, all at `at`. Call it once, at the end of the transaction: the chain
 * lock is held from here to the commit, so the later it is taken, the less writers wait.
 */
export async function appendAuditEvents(tx: DbExecutor, key: Buffer, events: readonly AuditEvent[], at: Date): Promise<void> {
  await appendAuditEventsWith(tx, key, events, at, []);
}

/** How the append is ordered against the writes it is given. */
export interface AppendOrder {
  /**
   * Send the append right behind the writes, not after their answers: one round trip less. The
   * database runs it after every statement of theirs already sent, so a write waiting there on
   * another transaction's row (a unique key) holds the append back, not a chain lock. Only a
   * statement of theirs sent later (a builder not yet started, a second statement sent on its
   * first's answer) runs after the lock is taken: pass it only when no such statement can wait
   * on another transaction.
   */
  readonly pipelined?: boolean;
}

/**
 * The transaction's last writes and its audit events. `writes` (statements on `tx`, started or
 * not) go to the database together, pipelined: one round trip, not one each. The chain's head
 * is taken after their answers, so that a write waiting on another transaction's row (a unique
 * key) never holds a chain lock meanwhile, unless the order says the append may go with them.
 * Taking it is most often one statement with the events' insert: the head moves on from where
 * this process last left it, or nothing happens and the head is locked and read first (another
 * replica wrote since). On a busy gateway each round trip waits its turn in the event loop, so a
 * page is written in a few. Answers what `writes` answered.
 */
export async function appendAuditEventsWith<const T extends readonly unknown[]>(
  tx: DbExecutor,
  key: Buffer,
  events: readonly AuditEvent[],
  at: Date,
  writes: { readonly [K in keyof T]: PromiseLike<T[K]> },
  order: AppendOrder = {},
): Promise<T> {
  const chain = events.length === 0 ? null : chainOf(events[0]!.subject);
  const heads = headsWritten(key);
  // The head as this process last left it, most often still the head: one statement moves it
  // on and inserts the events, or does neither when another writer moved it first.
  const known = chain === null ? undefined : heads.get(chain);
  const guess = (): GuardedAppend | null => (known === undefined ? null : guardedAppend(tx, key, known, events, at));
  // Every statement settled before anything else is sent, failed or not: a write of several
  // statements must not send its next one after the transaction ended.
  let alongside: GuardedAppend | null;
  try {
    alongside = order.pipelined === true ? guess() : null;
  } catch (e) {
    await Promise.allSettled(writes);
    throw e;
  }
  const settled = await Promise.allSettled<PromiseLike<unknown>>(alongside === null ? writes : [...writes, alongside.inserted]);
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  // The one to report is the one that failed, not those sent behind it, which only found the
  // transaction aborted: pipelined, the append goes before the writes started later.
  if (failures.length > 0) throw failures.find((e) => !onlyFoundTransactionAborted(e)) ?? failures[0];
  const written = settled.slice(0, writes.length).map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  if (chain === null) return written;
  const guessed = alongside ?? guess();
  if (guessed !== null) {
    if ((await guessed.inserted) > 0) {
      heads.set(chain, guessed.head);
      return written;
    }
  }
  const [head] = await tx.select().from(auditHead).where(eq(auditHead.id, chain)).for('update');
  if (head === undefined) throw new Error(`the audit trail has no head row for chain ${chain}: the database was not migrated`);
  const append = chainedRows(key, { chain, position: head.position, count: head.count, mac: head.mac }, events, at);
  await Promise.all([writeRows(tx, auditEvents, append.rows), tx.update(auditHead).set(headColumns(key, append.head)).where(eq(auditHead.id, chain))]);
  heads.set(chain, append.head);
  return written;
}

interface GuardedAppend {
  /** The chain's head once the events are in. */
  readonly head: HeadFields;
  /** How many events were written: none when `known` was no longer the head. */
  readonly inserted: Promise<number>;
}

/** The events appended after `known`, in one statement that does nothing unless `known` is still the chain's head. */
function guardedAppend(tx: DbExecutor, key: Buffer, known: HeadFields, events: readonly AuditEvent[], at: Date): GuardedAppend {
  const append = chainedRows(key, known, events, at);
  const next = headColumns(key, append.head);
  // SQL text, not drizzle's builder: rendered for every append, the builder cost more CPU than the append's HMACs.
  const moveHead = sql`update audit_head set "position" = ${next.position}, "count" = ${next.count}, mac = ${next.mac}, seal = ${next.seal}
      where id = ${known.chain} and "position" = ${known.position} and "count" = ${known.count} and mac = ${known.mac} returning id`;
  return { head: append.head, inserted: writeRows(tx, auditEvents, append.rows, { onlyIf: moveHead }) };
}

/**
 * Each chain's head as this process last wrote it (or found it, locked), for each key it
 * writes with. Only a guess: an append takes it only where the database's head still matches
 * it, so a head moved by another replica, or a transaction of this process that rolled back,
 * costs one statement more, never a row in the wrong place.
 */
const headsWrittenByKey = new WeakMap<Buffer, Map<number, HeadFields>>();

function headsWritten(key: Buffer): Map<number, HeadFields> {
  let heads = headsWrittenByKey.get(key);
  if (heads === undefined) headsWrittenByKey.set(key, (heads = new Map()));
  return heads;
}

/** The events as rows following `head`, and the head after them. */
function chainedRows(key: Buffer, head: HeadFields, events: readonly AuditEvent[], at: Date) {
  let prevMac = head.mac;
  const rows = events.map(({ at: happened, ...event }, i) => {
    const fields = { chain: head.chain, position: head.position + 1 + i, at: happened ?? at, ...event, prevMac };
    const mac = auditMac(key, fields);
    prevMac = mac;
    return { ...fields, mac };
  });
  const last = rows[rows.length - 1]!;
  return { rows, head: { chain: head.chain, position: last.position, count: head.count + rows.length, mac: last.mac } satisfies HeadFields };
}

function headColumns(key: Buffer, head: HeadFields) {
  return { position: head.position, count: head.count, mac: head.mac, seal: headSeal(key, head) };
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
 * Signs the heads no process holding the key has signed yet: the empty chains a migration made.
 * Every process that writes the trail calls it on opening the database; `verify` never does, and
 * reports a head still unsigned.
 */
export async function sealAuditHeads(db: Db, key: Buffer): Promise<void> {
  await db.transaction(async (tx) => {
    const unsealed = await tx.select().from(auditHead).where(isNull(auditHead.seal)).for('update');
    for (const h of unsealed) await tx.update(auditHead).set({ seal: headSeal(key, { chain: h.id, position: h.position, count: h.count, mac: h.mac }) }).where(eq(auditHead.id, h.id));
  });
}

/**
 * Walks each chain: each row's MAC must match its content and place and the previous row's MAC,
 * and the chain's head must name its last row. An altered row fails its own MAC; a deleted or
 * inserted row breaks the link of the row after it; rows cut off the end disagree with the head.
 */
export async function verifyAudit(db: Db, key: Buffer): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  const heads = await db.select().from(auditHead);
  const tails = new Map<number, { prevMac: string; position: number; count: number }>();
  let checked = 0;
  let after = { chain: -1, position: 0 };
  for (;;) {
    const batch = await db
      .select()
      .from(auditEvents)
      .where(or(gt(auditEvents.chain, after.chain), and(eq(auditEvents.chain, after.chain), gt(auditEvents.position, after.position))))
      .orderBy(asc(auditEvents.chain), asc(auditEvents.position))
      .limit(1000);
    if (batch.length === 0) break;
    for (const row of batch) {
      const tail = tails.get(row.chain) ?? { prevMac: genesisMac, position: 0, count: 0 };
      if (row.prevMac !== tail.prevMac) problems.push({ seq: row.seq, problem: 'does not follow the row before it: a row was deleted or inserted before it' });
      if (auditMac(key, row) !== row.mac) problems.push({ seq: row.seq, problem: 'its content does not match its MAC: the row was altered' });
      tails.set(row.chain, { prevMac: row.mac, position: row.position, count: tail.count + 1 });
      after = { chain: row.chain, position: row.position };
      checked++;
    }
  }
  const byChain = new Map(heads.map((h) => [h.id, h]));
  for (let chain = 0; chain < auditChains; chain++) {
    if (!byChain.has(chain)) problems.push({ seq: null, problem: `chain ${chain} has no head: the head was removed` });
  }
  for (const chain of tails.keys()) {
    if (chain < 0 || chain >= auditChains) problems.push({ seq: null, problem: `rows on chain ${chain}, which does not exist: they were added around the gateway` });
  }
  for (const head of heads) {
    if (head.seal === null) problems.push({ seq: null, problem: `the head of chain ${head.id} is not signed: no gateway has opened this trail since it was made or upgraded` });
    else if (headSeal(key, { chain: head.id, position: head.position, count: head.count, mac: head.mac }) !== head.seal) {
      problems.push({ seq: null, problem: `the head of chain ${head.id} does not match its signature: it was rewritten` });
    }
    const tail = tails.get(head.id) ?? { prevMac: genesisMac, position: 0, count: 0 };
    if (head.count !== tail.count || head.mac !== tail.prevMac || head.position !== tail.position) {
      problems.push({ seq: null, problem: `the head of chain ${head.id} names ${head.count} rows ending at ${head.position}, the chain has ${tail.count} ending at ${tail.position}: rows were cut off the end or added after it` });
    }
  }
  return { ok: problems.length === 0, checked, problems };
}

/**
 * Where an export has got to: for each chain, the position of the last event it has read.
 * Positions, not sequence numbers: events on different chains commit in any order, so an
 * event with a lower sequence number can appear after a higher one was read; within a chain,
 * an event commits only after the one before it.
 */
export type AuditCursor = readonly number[];

export const startOfTrail: AuditCursor = Array.from({ length: auditChains }, () => 0);

/** `3,0,12,…`: one position per chain. Null when the text is not a cursor. */
export function parseAuditCursor(text: string): AuditCursor | null {
  const parts = text.split(',');
  if (parts.length !== auditChains || !parts.every((p) => /^\d{1,15}$/.test(p))) return null;
  return parts.map(Number);
}

export interface AuditQuery {
  readonly after: AuditCursor;
  readonly limit: number;
  readonly subject?: string | undefined;
  /** An exact kind (`page.acknowledged`) or a family (`page`, meaning `page.*`). */
  readonly kind?: string | undefined;
}

/** The next events after a cursor, in the order they were written, the cursor after them, and the heads of the chains. */
export async function listAudit(db: Db, query: AuditQuery) {
  const unread = or(...query.after.map((position, chain) => and(eq(auditEvents.chain, chain), gt(auditEvents.position, position))))!;
  const conditions = [unread];
  if (query.subject !== undefined) conditions.push(eq(auditEvents.subject, query.subject));
  if (query.kind !== undefined) conditions.push(or(eq(auditEvents.kind, query.kind), like(auditEvents.kind, `${query.kind.replace(/[%_\\]/g, (m) => `\\${m}`)}.%`))!);
  const events = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(asc(auditEvents.seq))
    .limit(query.limit);
  const next = [...query.after];
  for (const e of events) next[e.chain] = Math.max(next[e.chain] ?? 0, e.position);
  const heads = await db.select({ chain: auditHead.id, position: auditHead.position, count: auditHead.count, mac: auditHead.mac }).from(auditHead).orderBy(asc(auditHead.id));
  return { events, next: next.join(','), more: events.length === query.limit, heads };
}
