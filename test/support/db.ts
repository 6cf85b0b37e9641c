// A clean, migrated database for each test, on PGlite by default and on the PostgreSQL server
// named by TEST_DATABASE_URL when it is set. Neither pays a cold start per test: PGlite tests
// load a dump of one migrated database; PostgreSQL tests copy a migrated template database.
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterEach } from 'vitest';
import { migrateDatabase, migrationsFolder, openDatabase, type Database } from '../../src/db/index.js';

export const testDatabaseUrl = process.env['TEST_DATABASE_URL'];
export const testDriver = testDatabaseUrl === undefined ? 'pglite' : 'postgres';

let pgliteImage: Promise<Blob> | undefined;

async function migratedPgliteImage(): Promise<Blob> {
  const database = await openDatabase({ driver: 'pglite', dataDir: null });
  await migrateDatabase(database);
  const image = await database.dump();
  await database.close();
  return image!;
}

/** The template's name changes with the migrations, so a schema change never reuses a stale one. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).sort()) hash.update(readFileSync(join(migrationsFolder, file)));
  return `pagerless_tpl_${hash.digest('hex').slice(0, 16)}`;
}

let template: Promise<string> | undefined;

export async function ensureTemplate(admin: postgres.Sql): Promise<string> {
  const name = templateName();
  // Test files run in parallel workers: one creates the template, the others wait for it.
  await admin`select pg_advisory_lock(hashtext(${name}))`;
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (exists === undefined) {
      // Built under another name and renamed when complete: a run that dies half-way never
      // leaves a half-migrated template behind under the real name.
      const building = `${name}_building`;
      await admin.unsafe(`drop database if exists "${building}" with (force)`);
      await admin.unsafe(`create database "${building}"`);
      const database = await openDatabase({ driver: 'postgres', url: withDatabase(testDatabaseUrl!, building), maxConnections: 2 });
      await migrateDatabase(database);
      await database.close();
      await admin.unsafe(`alter database "${building}" rename to "${name}"`);
    }
  } finally {
    await admin`select pg_advisory_unlock(hashtext(${name}))`;
  }
  return name;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh database with every migration applied. Close it at the end of the test. */
export async function freshDatabase(): Promise<Database> {
  if (testDatabaseUrl === undefined) {
    pgliteImage ??= migratedPgliteImage();
    return openDatabase({ driver: 'pglite', dataDir: null, loadDataDir: await pgliteImage });
  }
  const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    template ??= ensureTemplate(admin);
    const source = await template;
    return await createTestDatabase(admin, 'pagerless_test', source);
  } finally {
    await admin.end();
  }
}

/** A new PostgreSQL database (a copy of `template`, or empty), opened, and dropped when it is closed. */
async function createTestDatabase(admin: postgres.Sql, prefix: string, template: string | null): Promise<Database> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await admin.unsafe(`create database "${name}"${template === null ? '' : ` template "${template}"`}`);
  const database = await openDatabase({ driver: 'postgres', url: withDatabase(testDatabaseUrl!, name), maxConnections: 4 });
  return {
    ...database,
    async close() {
      await database.close();
      const cleanup = postgres(testDatabaseUrl!, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * For a test file: `const fresh = databasePerTest()`, then `await fresh()` in each test. Every
 * database it hands out is closed (and dropped on PostgreSQL) after the test.
 */
export function databasePerTest(): () => Promise<Database> {
  const open: Database[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });
  return async () => {
    const d = await freshDatabase();
    open.push(d);
    return d;
  };
}

/** Applies the migrations up to and including number `last` only: a database as an older release left it. */
export async function migrateUpTo(database: Database, last: number): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'pagerless-migrations-'));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = join(folder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { idx: number }[] };
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.filter((e) => e.idx <= last) }));
  if (database.driver === 'pglite') await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: folder });
  else await migratePostgres(database.db as unknown as PostgresJsDatabase, { migrationsFolder: folder });
}

/** An empty database, no migration applied: on PGlite in memory, on PostgreSQL a new database. */
export async function emptyDatabase(): Promise<Database> {
  if (testDatabaseUrl === undefined) return openDatabase({ driver: 'pglite', dataDir: null });
  const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await createTestDatabase(admin, 'pagerless_empty', null);
  } finally {
    await admin.end();
  }
}
