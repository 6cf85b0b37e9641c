// anyOf: `column = any(values)` with one parameter, so every count of values is one statement.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { anyOf, insertRows, rowsOf, tables } from '../../src/db/index.js';
import { databasePerTest, testDriver } from '../support/db.js';

const fresh = databasePerTest();
const at = new Date('2026-11-01T07:30:00Z');

describe(`anyOf (${testDriver})`, () => {
  it('matches the rows whose column is one of the values, for none, one and many, on uuid and bigint columns', async () => {
    const { db } = await fresh();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await insertRows(db, tables.pages, ids.map((id) => ({ id, source: 'lab', dedupKey: null, alertId: randomUUID(), workflow: 'w', route: 'r', routeOrder: 0, rulesVersion: 'v1', rulesGitCommit: null, status: 'open' as const, openedAt: at, unit: null })));
    const pagesOf = async (values: string[]) => (await db.select({ id: tables.pages.id }).from(tables.pages).where(anyOf(tables.pages.id, values))).map((r) => r.id).sort();
    expect(await pagesOf([])).toEqual([]);
    expect(await pagesOf([ids[1]!])).toEqual([ids[1]]);
    expect(await pagesOf([ids[0]!, ids[2]!, randomUUID()])).toEqual([ids[0], ids[2]].sort());

    const written = await insertRows(db, tables.notifications, ['push', 'sms', 'voice'].map((channel) => ({ pageId: ids[0]!, cycle: 0, step: 0, target: 't', personId: 'p', channel: channel as 'push', status: 'queued' as const, createdAt: at, nextAttemptAt: at, updatedAt: at, attempts: 0 })));
    const chosen = [written[0]!.id, written[2]!.id];
    const found = await db.select({ channel: tables.notifications.channel }).from(tables.notifications).where(anyOf(tables.notifications.id, chosen));
    expect(found.map((r) => r.channel).sort()).toEqual(['push', 'voice']);
  });

  it('is the same statement text whatever the number of values, and an index on the column serves it', async () => {
    const dialect = new PgDialect();
    const text = (values: string[]) => dialect.sqlToQuery(sql`select 1 from pages where ${anyOf(tables.pages.id, values)}`).sql;
    expect(text([randomUUID()])).toBe(text([randomUUID(), randomUUID(), randomUUID()]));

    const { db } = await fresh();
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return rowsOf<Record<string, string>>(await tx.execute(sql`explain select id from pages where ${anyOf(tables.pages.id, [randomUUID(), randomUUID()])}`));
    });
    expect(plan.map((row) => Object.values(row)[0]).join('\n')).toMatch(/Index (Only )?Scan (using|on) pages_pkey/);
  });
});
