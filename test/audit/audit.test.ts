// The audit trail: append-only, chained, and a verify that catches an altered, deleted or
// inserted row. Runs on PGlite, and on PostgreSQL with TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { appendAudit, appendAuditEventsWith, sealAuditHeads, verifyAudit, type AuditEvent } from '../../src/audit/index.js';
import { auditMac, auditChains, chainOf } from '../../src/audit/chain.js';
import { main } from '../../src/cli/main.js';
import { migrateDatabase, openDatabase, rowsOf, tables, type Database, type DbTransaction } from '../../src/db/index.js';
import { databasePerTest, emptyDatabase, migrateUpTo, testDriver } from '../support/db.js';

const freshDatabase = databasePerTest();
/** A fresh database whose trail a process holding the key has opened (as the gateway does at start). */
async function fresh(): Promise<Database> {
  const d = await freshDatabase();
  await sealAuditHeads(d.db, key);
  return d;
}
const key = randomBytes(32);
const t0 = new Date('2026-11-23T12:00:00Z');

/** Events about one page: they are all on that page's chain, so positions follow sequence numbers. */
const event = (i: number, subject = 'page:1'): AuditEvent => ({ actor: 'system', kind: 'page.opened', subject, data: { workflow: 'critical-results', step: i, channels: ['push', 'sms'], acked: null } });
const chain = chainOf('page:1');

async function trail(d: Database, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await d.db.transaction((tx) => appendAudit(tx, key, event(i), new Date(t0.getTime() + i * 1000)));
}

/** What someone with direct database access, going around the trigger, could do. */
async function tamper(d: Database, statement: ReturnType<typeof sql>): Promise<void> {
  await d.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger user`);
    await tx.execute(statement);
    await tx.execute(sql`alter table audit_events enable trigger user`);
  });
}

describe(`the audit trail (${testDriver})`, () => {
  it('verifies after a clean run, including around a rolled-back change', async () => {
    const d = await fresh();
    await trail(d, 5);
    await expect(
      d.db.transaction(async (tx) => {
        await appendAudit(tx, key, event(99), t0);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await trail(d, 3);
    expect(await verifyAudit(d.db, key)).toEqual({ ok: true, checked: 8, problems: [] });
  });

  it('refuses to change or remove a row', async () => {
    const d = await fresh();
    await trail(d, 2);
    // Drizzle wraps the database's error; the trigger's refusal is its cause.
    const refusal = { cause: expect.objectContaining({ message: expect.stringMatching(/the audit trail is append-only: (UPDATE|DELETE|TRUNCATE) on audit_events refused/) }) };
    await expect(d.db.execute(sql`update audit_events set actor = 'admin' where seq = 1`)).rejects.toMatchObject(refusal);
    await expect(d.db.execute(sql`delete from audit_events where seq = 1`)).rejects.toMatchObject(refusal);
    await expect(d.db.execute(sql`truncate audit_events`)).rejects.toMatchObject(refusal);
    expect(await verifyAudit(d.db, key)).toMatchObject({ ok: true, checked: 2 });
  });

  it('catches an altered row', async () => {
    const d = await fresh();
    await trail(d, 5);
    await tamper(d, sql`update audit_events set data = jsonb_set(data, '{workflow}', '"nothing-happened"') where seq = 3`);
    const result = await verifyAudit(d.db, key);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ seq: 3, problem: 'its content does not match its MAC: the row was altered' }]);
  });

  it('catches a deleted row', async () => {
    const d = await fresh();
    await trail(d, 5);
    await tamper(d, sql`delete from audit_events where seq = 2`);
    const result = await verifyAudit(d.db, key);
    expect(result.problems.map((p) => p.seq)).toEqual([3, null]);
    expect(result.problems[0]!.problem).toMatch(/a row was deleted or inserted before it/);
  });

  it('catches an inserted row, even one whose own MAC was made with a guessed key and with the later rows moved along to make room', async () => {
    const d = await fresh();
    await trail(d, 4);
    // Positions in a chain have no gaps, so a forger first moves rows 3 and 4 along by one.
    await tamper(d, sql`update audit_events set position = position + 1000 where position >= 3`);
    await tamper(d, sql`update audit_events set position = position - 999 where position >= 1003`);
    const [second] = await d.db.select().from(tables.auditEvents).where(sql`seq = 2`);
    const forged = { chain, position: 3, at: new Date(t0.getTime() + 2500), actor: 'person:amion:A-1', kind: 'page.acknowledged', subject: 'page:1', data: {}, prevMac: second!.mac };
    const mac = auditMac(randomBytes(32), forged);
    await tamper(d, sql`insert into audit_events (seq, chain, position, at, actor, kind, subject, data, prev_mac, mac) values (100, ${chain}, 3, ${forged.at.toISOString()}::timestamptz, ${forged.actor}, ${forged.kind}, ${forged.subject}, '{}'::jsonb, ${forged.prevMac}, ${mac})`);
    const result = await verifyAudit(d.db, key);
    expect(result.problems.map((p) => `${p.seq}: ${p.problem.split(':')[0]}`)).toEqual([
      '100: its content does not match its MAC',
      '3: does not follow the row before it',
      '3: its content does not match its MAC',
      '4: its content does not match its MAC',
      `null: the head of chain ${chain} names 4 rows ending at 4, the chain has 5 ending at 5`,
    ]);
  });

  it('catches rows cut off the end of the chain', async () => {
    const d = await fresh();
    await trail(d, 5);
    await tamper(d, sql`delete from audit_events where seq >= 4`);
    const result = await verifyAudit(d.db, key);
    expect(result.problems).toEqual([{ seq: null, problem: `the head of chain ${chain} names 5 rows ending at 5, the chain has 3 ending at 3: rows were cut off the end or added after it` }]);
  });

  it('catches rows cut off the end even when the head is moved back to the row before them', async () => {
    const d = await fresh();
    await trail(d, 5);
    const [third] = await d.db.select().from(tables.auditEvents).where(sql`seq = 3`);
    await tamper(d, sql`delete from audit_events where seq >= 4`);
    await d.db.update(tables.auditHead).set({ position: 3, count: 3, mac: third!.mac }).where(sql`id = ${chain}`);
    expect((await verifyAudit(d.db, key)).problems).toEqual([{ seq: null, problem: `the head of chain ${chain} does not match its signature: it was rewritten` }]);
    // Nor does removing a whole chain with its head pass.
    await d.db.delete(tables.auditHead).where(sql`id = ${chain}`);
    expect((await verifyAudit(d.db, key)).problems.map((p) => p.problem)).toContain(`chain ${chain} has no head: the head was removed`);
  });

  it('does not verify under another key', async () => {
    const d = await fresh();
    await trail(d, 2);
    expect((await verifyAudit(d.db, randomBytes(32))).ok).toBe(false);
  });

  it('chains concurrent writers one after another, on every chain, and catches a row cut from any of them', async () => {
    const d = await fresh();
    await Promise.all(Array.from({ length: 40 }, (_, i) => d.db.transaction((tx) => appendAudit(tx, key, event(i, `page:${i}`), t0))));
    expect(await verifyAudit(d.db, key)).toEqual({ ok: true, checked: 40, problems: [] });
    const used = await d.db.selectDistinct({ chain: tables.auditEvents.chain }).from(tables.auditEvents);
    expect(used).toHaveLength(auditChains);
    await tamper(d, sql`delete from audit_events where seq = (select max(seq) from audit_events where chain = 5)`);
    expect((await verifyAudit(d.db, key)).problems.map((p) => p.problem.split(':')[0])).toEqual(['the head of chain 5 names 5 rows ending at 5, the chain has 4 ending at 4']);
  });

  // Two transactions of one process append to one chain from the same remembered head: the second
  // waits on the first's head row, then finds the head moved (first committed: it locks and reads
  // it) or not (first rolled back: its own move goes through).
  it.skipIf(testDriver !== 'postgres')('chains two appends to one chain at once, whether the first commits or rolls back', async () => {
    for (const firstEnds of ['commit', 'rollback'] as const) {
      const writer = randomBytes(32);
      const d = await freshDatabase();
      await sealAuditHeads(d.db, writer);
      await d.db.transaction((tx) => appendAudit(tx, writer, event(1), t0)); // the process now knows the head
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let firstAppended = false;
      const first = d.db.transaction(async (tx) => {
        await appendAudit(tx, writer, event(2), t0);
        firstAppended = true;
        await held;
        if (firstEnds === 'rollback') throw new Error('the first state change failed');
      });
      await vi.waitFor(() => expect(firstAppended).toBe(true));
      const second = d.db.transaction((tx) => appendAudit(tx, writer, event(3), t0));
      // The second is waiting on the head row the first moved.
      await vi.waitFor(async () => {
        const [row] = rowsOf<{ waiting: number }>(await d.db.execute(sql`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`));
        expect(row?.waiting).toBe(1);
      });
      release();
      await (firstEnds === 'commit' ? first : expect(first).rejects.toThrow('the first state change failed'));
      await second;
      expect(await verifyAudit(d.db, writer)).toEqual({ ok: true, checked: firstEnds === 'commit' ? 3 : 2, problems: [] });
      const steps = await d.db.select({ position: tables.auditEvents.position, data: tables.auditEvents.data }).from(tables.auditEvents).orderBy(tables.auditEvents.seq);
      expect(steps.map((r) => [r.position, (r.data as { step: number }).step])).toEqual(firstEnds === 'commit' ? [[1, 1], [2, 2], [3, 3]] : [[1, 1], [2, 3]]);
    }
  });

  it('reads the head only when another writer moved it since this process last did, and chains the two writers either way', async () => {
    // Two gateways holding the same key (one no other test has used): each remembers where it last left each chain's head.
    const ours = randomBytes(32);
    const theirs = Buffer.from(ours);
    const d = await freshDatabase();
    await sealAuditHeads(d.db, ours);
    const append = async (writer: Buffer, i: number): Promise<readonly string[]> =>
      d.db.transaction(async (tx) => {
        const counted = countingStatements(tx);
        await appendAudit(counted.tx, writer, event(i), new Date(t0.getTime() + i * 1000));
        return counted.calls;
      });
    expect(await append(ours, 1)).toEqual(['select', 'execute']); // the first: this process has not seen the head
    expect(await append(ours, 2)).toEqual(['execute']); // the head moved on and the event inserted, one statement
    expect(await append(ours, 3)).toEqual(['execute']);
    expect(await append(theirs, 4)).toEqual(['select', 'execute']);
    expect(await append(ours, 5)).toEqual(['execute', 'select', 'execute']); // the head had moved: nothing written, then locked and read
    expect(await append(ours, 6)).toEqual(['execute']);
    // A rolled-back append leaves this process's guess ahead of the head: the next one reads it.
    await expect(
      d.db.transaction(async (tx) => {
        await appendAudit(tx, ours, event(99), t0);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await append(ours, 7)).toEqual(['execute', 'select', 'execute']);
    expect(await verifyAudit(d.db, ours)).toEqual({ ok: true, checked: 7, problems: [] });
    const rows = await d.db.select({ position: tables.auditEvents.position, data: tables.auditEvents.data }).from(tables.auditEvents).orderBy(tables.auditEvents.seq);
    expect(rows.map((r) => [r.position, (r.data as { step: number }).step])).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => [i, i]));
  });

  it('is sent after the answers of the writes it closes, or pipelined right behind them; a failed write is the error reported either way', async () => {
    const ours = randomBytes(32);
    const theirs = Buffer.from(ours);
    const d = await freshDatabase();
    await sealAuditHeads(d.db, ours);
    await d.db.transaction((tx) => appendAudit(tx, ours, event(1), t0)); // this process now knows the head
    /** The order of the write's answer and each statement the append sent (`select`: the head locked and read). */
    const append = (writer: Buffer, i: number, pipelined: boolean): Promise<readonly string[]> =>
      d.db.transaction(async (tx) => {
        const seen: string[] = [];
        const write = tx.execute(sql`select pg_sleep(0.05)`).then(() => void seen.push('write answered'));
        await appendAuditEventsWith(countingStatements(tx, seen).tx, writer, [event(i)], new Date(t0.getTime() + i * 1000), [write], { pipelined });
        return seen;
      });
    expect(await append(ours, 2, false)).toEqual(['write answered', 'execute']);
    // One round trip for both: the append waits for nothing but its place behind the write.
    expect(await append(ours, 3, true)).toEqual(['execute', 'write answered']);
    // Another writer moved the head: the guess sent with the write inserts nothing, then the head is locked and read.
    await d.db.transaction((tx) => appendAudit(tx, theirs, event(4), t0));
    expect(await append(ours, 5, true)).toEqual(['execute', 'write answered', 'select', 'execute']);

    // Behind a failed write the append finds the transaction aborted: the write's own error is the one to hear.
    for (const pipelined of [false, true]) {
      const failed = d.db.transaction((tx) => appendAuditEventsWith(tx, ours, [event(99)], t0, [tx.execute(sql`select 1 / 0`).then((r) => r)], { pipelined }));
      await expect(failed).rejects.toMatchObject({ cause: { code: '22012' } }); // division_by_zero, not 25P02 (in failed sql transaction)
    }
    // Pipelined, an append that fails goes before a write started later, which finds the transaction aborted: the append's error is the one to hear.
    await d.db.execute(sql`create function refuse_marked_events() returns trigger language plpgsql as $$
      begin if new.data ? 'refuse' then raise exception 'refused' using errcode = '40P01'; end if; return new; end $$`);
    await d.db.execute(sql`create trigger refuse_marked_events before insert on audit_events for each row execute function refuse_marked_events()`);
    const later = (tx: DbTransaction) => new Promise((r) => setTimeout(r, 20)).then(() => tx.execute(sql`select 1`));
    const refused = d.db.transaction((tx) => appendAuditEventsWith(tx, ours, [{ ...event(98), data: { refuse: true } }], t0, [later(tx)], { pipelined: true }));
    await expect(refused).rejects.toMatchObject({ cause: { code: '40P01' } }); // deadlock_detected, which the intake tries again; not 25P02
    expect(await verifyAudit(d.db, ours)).toEqual({ ok: true, checked: 5, problems: [] });
    const rows = await d.db.select({ data: tables.auditEvents.data }).from(tables.auditEvents).orderBy(tables.auditEvents.position);
    expect(rows.map((r) => (r.data as { step: number }).step)).toEqual([1, 2, 3, 4, 5]);
  });
});

/** `tx`, counting the statements sent through it (into `calls`): reads of rows (`select`) and statements of text (`execute`). */
function countingStatements(tx: DbTransaction, calls: string[] = []): { readonly tx: DbTransaction; readonly calls: string[] } {
  const counted = new Proxy(tx, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'select' || property === 'execute') calls.push(property);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { tx: counted, calls };
}

describe(`a trail written before there were several chains (${testDriver})`, () => {
  it('still verifies after the migration, and goes on growing', async () => {
    // The migrations up to the single chain, a trail written the way it was then, then the rest.
    const d = await emptyDatabase();
    try {
      await migrateUpTo(d, 6);
      let prev = 'genesis';
      for (let seq = 1; seq <= 3; seq++) {
        const e = event(seq, `page:${seq}`);
        const mac = auditMac(key, { chain: 0, position: seq, at: t0, ...e, prevMac: prev });
        await d.db.execute(sql`insert into audit_events (seq, at, actor, kind, subject, data, prev_mac, mac) values (${seq}, ${t0.toISOString()}::timestamptz, ${e.actor}, ${e.kind}, ${e.subject}, ${JSON.stringify(e.data)}::jsonb, ${prev}, ${mac})`);
        await d.db.execute(sql`update audit_head set seq = ${seq}, count = ${seq}, mac = ${mac} where id = 1`);
        prev = mac;
      }
      await migrateDatabase(d);
      expect((await verifyAudit(d.db, key)).problems.map((p) => p.problem)).toContain('the head of chain 0 is not signed: no gateway has opened this trail since it was made or upgraded');
      await sealAuditHeads(d.db, key);
      expect(await verifyAudit(d.db, key)).toEqual({ ok: true, checked: 3, problems: [] });
      await Promise.all(Array.from({ length: 10 }, (_, i) => d.db.transaction((tx) => appendAudit(tx, key, event(i, `page:${i}`), t0))));
      expect(await verifyAudit(d.db, key)).toEqual({ ok: true, checked: 13, problems: [] });
    } finally {
      await d.close();
    }
  });
});

describe('pagerless audit verify', () => {
  it('passes on a clean trail and fails, naming the event, on a tampered one', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pagerless-audit-')), 'pglite');
    const env = { PAGERLESS_DATA_DIR: dataDir, PAGERLESS_AUDIT_KEY: key.toString('hex') };
    const d = await openDatabase({ driver: 'pglite', dataDir });
    await migrateDatabase(d);
    await sealAuditHeads(d.db, key);
    await trail(d, 3);
    await d.close();
    const run = async () => {
      const out: string[] = [];
      const code = await main(['audit', 'verify'], { out: (s) => out.push(s), err: (s) => out.push(s) }, () => t0, env);
      return { code, out: out.join('\n') };
    };
    expect(await run()).toEqual({ code: 0, out: 'audit trail verified: 3 events, chain intact' });
    const again = await openDatabase({ driver: 'pglite', dataDir });
    await tamper(again, sql`update audit_events set actor = 'admin' where seq = 2`);
    await again.close();
    expect(await run()).toEqual({ code: 1, out: 'audit trail FAILED verification (3 events checked):\n  event 2: its content does not match its MAC: the row was altered' });
  }, 60_000);
});
