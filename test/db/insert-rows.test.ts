// insertRows writes many rows in one statement as one JSON document: each column's type must come
// back as drizzle's own insert would have written it, and as drizzle reads it. writeRows is the
// same insert answering only how many rows it wrote.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertRows, tables, writeRows } from '../../src/db/index.js';
import { databasePerTest, testDriver } from '../support/db.js';

const fresh = databasePerTest();
const at = new Date('2026-11-01T07:30:00.123Z');

function pageRow(id: string, over: Partial<typeof tables.pages.$inferInsert> = {}): typeof tables.pages.$inferInsert {
  return { id, source: 'lab', dedupKey: null, alertId: randomUUID(), workflow: 'w', route: 'r', routeOrder: 2, rulesVersion: 'v1', rulesGitCommit: null, status: 'open', openedAt: at, unit: '5W', ...over };
}

describe(`insertRows (${testDriver})`, () => {
  it('writes rows of every column type as drizzle reads them back, and answers them the same way', async () => {
    const { db } = await fresh();
    const id = randomUUID();
    const [page] = await insertRows(db, tables.pages, [pageRow(id, { dedupKey: 'it\'s "quoted" — ünïcode', rulesGitCommit: 'abc' })]);
    const [read] = await db.select().from(tables.pages).where(eq(tables.pages.id, id));
    expect(page).toEqual(read);
    // Left out: the column's default. Given: as given, a Date to the millisecond.
    expect(read).toMatchObject({ alertCount: 1, escalated: false, openedAt: at, routeOrder: 2, dedupKey: 'it\'s "quoted" — ünïcode', rulesGitCommit: 'abc', acknowledgedAt: null });

    const data = { list: [1, 'two', null], flag: true, text: 'line\nbreak "and" \\ back' };
    const written = await insertRows(db, tables.auditEvents, [
      { chain: 3, position: 1, at, actor: 'system', kind: 'k.one', subject: `page:${id}`, data, prevMac: 'p', mac: 'm1' },
      { chain: 3, position: 2, at, actor: 'system', kind: 'k.two', subject: `page:${id}`, data: {}, prevMac: 'm1', mac: 'm2' },
    ]);
    const events = await db.select().from(tables.auditEvents).orderBy(tables.auditEvents.seq);
    expect(written).toEqual(events);
    expect(events.map((e) => [typeof e.seq, e.position, e.data])).toEqual([
      ['number', 1, data],
      ['number', 2, {}],
    ]);
  });

  it('leaves out the rows a unique key refuses, when asked, and answers only the rows written', async () => {
    const { db } = await fresh();
    const pageId = randomUUID();
    await insertRows(db, tables.pages, [pageRow(pageId)]);
    const notification = (channel: 'push' | 'sms') => ({ pageId, cycle: 0, step: 0, target: 't', personId: 'p', channel, status: 'queued' as const, createdAt: at, nextAttemptAt: at, updatedAt: at, attempts: 0 });
    expect((await insertRows(db, tables.notifications, [notification('push')])).map((n) => n.channel)).toEqual(['push']);
    const again = await insertRows(db, tables.notifications, [notification('push'), notification('sms')], { onConflictDoNothing: true });
    expect(again.map((n) => [n.channel, n.leaseUntil, n.createdAt])).toEqual([['sms', null, at]]);
    await expect(insertRows(db, tables.notifications, [notification('sms')])).rejects.toThrow();
    expect(await db.select().from(tables.notifications)).toHaveLength(2);
  });

  it('writes the rows only when the statement it is guarded by changed a row, both in one statement', async () => {
    const { db } = await fresh();
    const pageId = randomUUID();
    await insertRows(db, tables.pages, [pageRow(pageId)]);
    const ackIf = (status: 'open' | 'acknowledged') =>
      db.update(tables.pages).set({ status: 'acknowledged' }).where(eq(tables.pages.status, status)).returning({ id: tables.pages.id }).getSQL();
    const event = (position: number) => ({ chain: 1, position, at, actor: 'system', kind: 'page.acknowledged', subject: `page:${pageId}`, data: {}, prevMac: 'p', mac: `m${position}` });
    // Nothing acknowledged yet, so nothing to move on from: no row.
    expect(await insertRows(db, tables.auditEvents, [event(1)], { onlyIf: ackIf('acknowledged') })).toEqual([]);
    expect((await insertRows(db, tables.auditEvents, [event(1), event(2)], { onlyIf: ackIf('open') })).map((e) => e.position)).toEqual([1, 2]);
    expect(await db.select({ status: tables.pages.status }).from(tables.pages)).toEqual([{ status: 'acknowledged' }]);
    expect(await insertRows(db, tables.auditEvents, [event(3)], { onlyIf: ackIf('open') })).toEqual([]);
    expect((await db.select().from(tables.auditEvents)).map((e) => e.position)).toEqual([1, 2]);
  });

  it('writes each call with its own columns and options, one after another into the same table', async () => {
    const { db } = await fresh();
    const [left, given] = [randomUUID(), randomUUID()];
    const { alertCount: _, ...withoutCount } = pageRow(left);
    await insertRows(db, tables.pages, [withoutCount]);
    await insertRows(db, tables.pages, [pageRow(given, { alertCount: 5 })]);
    const read = await db.select({ id: tables.pages.id, alertCount: tables.pages.alertCount }).from(tables.pages);
    expect(new Map(read.map((r) => [r.id, r.alertCount]))).toEqual(new Map([[left, 1], [given, 5]]));
    // A refused row with the option, then the same without it: the second is refused loudly.
    expect(await insertRows(db, tables.pages, [pageRow(given)], { onConflictDoNothing: true })).toEqual([]);
    await expect(insertRows(db, tables.pages, [pageRow(given)])).rejects.toThrow();
  });

  // A replica keeps its prepared statements while another one migrates the database.
  it.skipIf(testDriver !== 'postgres')('goes on writing in transactions after a migration adds a column to the table', async () => {
    const { db } = await fresh();
    // Four transactions at once hold the pool's four connections: each prepares the statement.
    const writeOnEveryConnection = () => Promise.all(Array.from({ length: 4 }, () => db.transaction(async (tx) => insertRows(tx, tables.pages, [pageRow(randomUUID())]))));
    await writeOnEveryConnection();
    await db.execute(sql`alter table pages add column added_later integer`);
    const written = await writeOnEveryConnection();
    expect(written.flat()).toHaveLength(4);
    expect(written.flat()[0]).not.toHaveProperty('added_later');
  });

  it('writes nothing for no rows, and refuses rows that disagree on leaving a column to its default', async () => {
    const { db } = await fresh();
    expect(await insertRows(db, tables.pages, [])).toEqual([]);
    // A guard with no rows to go with it would never run: refused, not skipped quietly.
    const guard = db.update(tables.pages).set({ status: 'acknowledged' }).returning({ id: tables.pages.id }).getSQL();
    await expect(insertRows(db, tables.auditEvents, [], { onlyIf: guard })).rejects.toThrow(/guarded insert of no rows/);
    // @ts-expect-error a guard that moved on while rows were left out would point past rows never written
    void (() => insertRows(db, tables.auditEvents, [], { onlyIf: guard, onConflictDoNothing: true }));
    await expect(insertRows(db, tables.pages, [pageRow(randomUUID(), { alertCount: 3 }), pageRow(randomUUID())])).rejects.toThrow(/alertCount/);
    expect(await db.select().from(tables.pages)).toEqual([]);
  });

  it('writeRows: the same rows written, answered by how many, skipped conflicts and a guard that changed nothing counted out', async () => {
    const { db } = await fresh();
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await writeRows(db, tables.pages, [pageRow(a), pageRow(b, { dedupKey: 'k' })])).toBe(2);
    const [viaInsert] = await insertRows(db, tables.pages, [pageRow(randomUUID(), { dedupKey: 'other' })]);
    const read = await db.select().from(tables.pages).where(eq(tables.pages.id, b));
    expect(read).toEqual([{ ...viaInsert, id: b, alertId: read[0]!.alertId, dedupKey: 'k' }]);
    expect(await writeRows(db, tables.pages, [pageRow(a), pageRow(randomUUID())], { onConflictDoNothing: true })).toBe(1);
    await expect(writeRows(db, tables.pages, [pageRow(a)])).rejects.toThrow();
    const event = (position: number) => ({ chain: 1, position, at, actor: 'system', kind: 'page.acknowledged', subject: `page:${a}`, data: {}, prevMac: 'p', mac: `m${position}` });
    const ackIf = (id: string) => db.update(tables.pages).set({ status: 'acknowledged' }).where(and(eq(tables.pages.id, id), eq(tables.pages.status, 'open'))).returning({ id: tables.pages.id }).getSQL();
    expect(await writeRows(db, tables.auditEvents, [event(1), event(2)], { onlyIf: ackIf(a) })).toBe(2);
    expect(await writeRows(db, tables.auditEvents, [event(3)], { onlyIf: ackIf(a) })).toBe(0);
    expect((await db.select().from(tables.auditEvents)).map((e) => e.position)).toEqual([1, 2]);
    expect(await writeRows(db, tables.pages, [])).toBe(0);
  });
});
