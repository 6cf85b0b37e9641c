import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, migrateDatabase, openDatabase, rowsOf, tables, type DbExecutor } from '../../src/db/index.js';
import { acquireDataDirLock } from '../../src/db/lock-file.js';
import { databasePerTest, testDriver } from '../support/db.js';

const fresh = databasePerTest();

describe(`the database (${testDriver})`, () => {
  it('each test starts from a clean, migrated database', async () => {
    const a = await fresh();
    await a.db.insert(tables.rosterSources).values({ name: 'amion' });
    const b = await fresh();
    expect(await b.db.select().from(tables.rosterSources)).toEqual([]);
    expect((await a.db.select().from(tables.rosterSources)).map((r) => r.name)).toEqual(['amion']);
  });

  it('applying the migrations again changes nothing', async () => {
    const d = await fresh();
    await migrateDatabase(d);
    await migrateDatabase(d);
    const rows = await d.db.execute(sql`select count(*)::int as n from shifts`);
    expect(rows).toBeDefined();
  });

  it("reads one page's history off the audit trail by index, not by scanning the whole trail", async () => {
    const d = await fresh();
    // With sequential scans priced out, the planner takes the cheapest index it has: the
    // subject's, or, without it, the primary key's in seq order with every row filtered.
    const plan = await d.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return rowsOf<Record<string, string>>(await tx.execute(sql`explain select * from audit_events where subject = 'page:x' order by seq`));
    });
    expect(plan.map((row) => Object.values(row)[0]).join('\n')).toMatch(/(Index Scan using|Index Scan on) audit_events_subject\b/);
  });

  it('refuses a shift that ends before it starts', async () => {
    const d = await fresh();
    await d.db.insert(tables.rosterSources).values({ name: 's' });
    await d.db.insert(tables.people).values({ id: 's:1', source: 's', sourceId: '1', displayName: 'A', updatedAt: new Date() });
    await expect(
      d.db.insert(tables.shifts).values({ source: 's', sourceId: 'x', personId: 's:1', service: 'S', shift: 'D', startsAt: new Date('2026-01-02T00:00Z'), endsAt: new Date('2026-01-01T00:00Z'), zone: 'UTC', kind: 'base' }),
    ).rejects.toThrow();
  });

  it('runs one holder of an exclusive key at a time, and tells a second it did not run', async () => {
    const d = await fresh();
    let release!: () => void;
    const first = d.tryExclusive('refresh:amion', () => new Promise<string>((r) => (release = () => r('first'))));
    await new Promise((r) => setTimeout(r, 50));
    expect(await d.tryExclusive('refresh:amion', async () => 'second')).toEqual({ ran: false });
    expect(await d.tryExclusive('refresh:qgenda', async () => 'other key')).toEqual({ ran: true, value: 'other key' });
    release();
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect(await d.tryExclusive('refresh:amion', async () => 'again')).toEqual({ ran: true, value: 'again' });
  });

  // Unprepared, postgres.js spends a round trip describing each query before it runs it, and
  // pipelines none behind it (src/db/prepared-statements.ts).
  it.skipIf(testDriver !== 'postgres')('prepares the queries it runs, on both handles, in transactions and savepoints', async () => {
    const d = await fresh();
    const prepared = (tx: DbExecutor) => tx.execute(sql`select statement from pg_prepared_statements`).then((r) => rowsOf<{ statement: string }>(r).map((row) => row.statement));
    for (const handle of [d.db, d.dispatchDb]) {
      const statements = await handle.transaction(async (tx) => {
        await tx.select().from(tables.rosterSources).where(eq(tables.rosterSources.name, 'amion'));
        const inSavepoint = await tx.transaction(async (inner) => {
          await inner.select().from(tables.people).where(eq(tables.people.id, 'p:1'));
          return prepared(inner);
        });
        return { outer: await prepared(tx), inSavepoint };
      });
      expect(statements.outer.some((s) => s.includes('from "roster_sources"'))).toBe(true);
      expect(statements.inSavepoint.some((s) => s.includes('from "people"'))).toBe(true);
    }
    // A statement of many parameters (a multi-row write, its text changing with the rows) is not kept.
    const kept = await d.db.transaction(async (tx) => {
      await tx.insert(tables.rosterSources).values(Array.from({ length: 70 }, (_, i) => ({ name: `source-${i}` })));
      return prepared(tx);
    });
    expect(kept.some((s) => s.includes('insert into "roster_sources"'))).toBe(false);
  });

  // Transactions and savepoints go through the wrapper that prepares their statements (src/db/prepared-statements.ts).
  it.skipIf(testDriver !== 'postgres')('runs a transaction as one: its statements in it, committed together, rolled back whole, savepoints inside', async () => {
    const d = await fresh();
    const names = async () => (await d.db.select().from(tables.rosterSources)).map((r) => r.name).sort();
    // One transaction: its statements share its start instant, across a pause.
    const instants = await d.db.transaction(async (tx) => {
      const first = rowsOf<{ at: string }>(await tx.execute(sql`select now()::text as at`))[0]!.at;
      await tx.execute(sql`select pg_sleep(0.02)`);
      return [first, rowsOf<{ at: string }>(await tx.execute(sql`select now()::text as at`))[0]!.at];
    });
    expect(instants[0]).toBe(instants[1]);

    await expect(
      d.db.transaction(async (tx) => {
        await tx.insert(tables.rosterSources).values({ name: 'thrown' });
        throw new Error('the caller gave up');
      }),
    ).rejects.toThrow('the caller gave up');
    await expect(
      d.db.transaction(async (tx) => {
        await tx.insert(tables.rosterSources).values({ name: 'dup' });
        await tx.insert(tables.rosterSources).values({ name: 'dup' });
      }),
    ).rejects.toThrow();
    await d.db.transaction(async (tx) => {
      await tx.insert(tables.rosterSources).values({ name: 'kept' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(tables.rosterSources).values({ name: 'savepoint' });
          throw new Error('inner gave up');
        }),
      ).rejects.toThrow('inner gave up');
      await tx.transaction(async (inner) => inner.insert(tables.rosterSources).values({ name: 'nested' }));
    });
    expect(await names()).toEqual(['kept', 'nested']);

    const level = await d.db.transaction(async (tx) => rowsOf<{ level: string }>(await tx.execute(sql`select current_setting('transaction_isolation') as level`))[0]!.level, { isolationLevel: 'serializable' });
    expect(level).toBe('serializable');
    // Every connection went back to the pool outside a transaction.
    const outside = await Promise.all(Array.from({ length: 8 }, () => d.db.execute(sql`select now() = statement_timestamp() as alone`)));
    expect(outside.flatMap((r) => rowsOf<{ alone: boolean }>(r).map((row) => row.alone))).toEqual(Array(8).fill(true));
  });
});

describe('a PGlite data directory on disk', () => {
  it('is kept by one process at a time, and keeps its data across restarts', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pagerless-db-')), 'data');
    const first = await openDatabase({ driver: 'pglite', dataDir: dir });
    await migrateDatabase(first);
    await first.db.insert(tables.rosterSources).values({ name: 'amion' });
    await expect(openDatabase({ driver: 'pglite', dataDir: dir })).rejects.toBeInstanceOf(DataDirInUseError);
    await first.close();
    const second = await openDatabase({ driver: 'pglite', dataDir: dir });
    await migrateDatabase(second);
    expect((await second.db.select().from(tables.rosterSources)).map((r) => r.name)).toEqual(['amion']);
    await second.close();
  }, 60_000);
});

describe('the data directory lock file', () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), 'pagerless-lock-')), 'data');

  it('is refused while a living process holds it, and taken over from a dead one', () => {
    const d = dir();
    writeFileSync(`${d}.lock`, String(process.ppid)); // our parent: alive
    expect(() => acquireDataDirLock(d)).toThrow(DataDirInUseError);
    writeFileSync(`${d}.lock`, '999999999'); // no such process
    const release = acquireDataDirLock(d);
    expect(readFileSync(`${d}.lock`, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(`${d}.lock`)).toBe(false);
  });

  it('takes over a lock with our own pid left by an earlier life of this pid (a restarted container), but not one this process holds', () => {
    const d = dir();
    writeFileSync(`${d}.lock`, String(process.pid));
    const release = acquireDataDirLock(d);
    expect(() => acquireDataDirLock(d)).toThrow(DataDirInUseError);
    release();
  });

  it('on release removes only its own lock, never one taken over since', () => {
    const d = dir();
    const release = acquireDataDirLock(d);
    writeFileSync(`${d}.lock`, String(process.ppid));
    release();
    expect(readFileSync(`${d}.lock`, 'utf8')).toBe(String(process.ppid));
  });
});
