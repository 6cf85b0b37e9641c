// Opens the database: embedded PGlite by default, PostgreSQL when a URL is given. The rest of
// the gateway sees one `Db` type and does not know which it got.
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { acquireDataDirLock } from './lock-file.js';
import { preparingStatements } from './prepared-statements.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The handle inside `db.transaction(async (tx) => …)`. */
export type DbTransaction = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Work that may run on its own or inside a caller's transaction. */
export type DbExecutor = Db | DbTransaction;

export type DatabaseConfig =
  /** `dataDir` null: in memory. `loadDataDir`: start from a dump (tests clone a migrated database this way). */
  | { readonly driver: 'pglite'; readonly dataDir: string | null; readonly loadDataDir?: Blob }
  | { readonly driver: 'postgres'; readonly url: string; readonly maxConnections?: number };

export interface Database {
  readonly db: Db;
  /**
   * The dispatch engine's handle: firing escalation steps and sending. On PostgreSQL it has
   * connections of its own, so an escalation step due during a storm of alerts does not queue
   * behind every request waiting for `db`'s pool. On PGlite, one connection: `db` itself.
   */
  readonly dispatchDb: Db;
  readonly driver: DatabaseConfig['driver'];
  /**
   * Runs `fn` holding the PostgreSQL advisory lock `key`, or returns `{ ran: false }` at once when
   * another session holds it: "never two of this at once", across replicas.
   */
  tryExclusive<T>(key: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
  /** Like tryExclusive, but waits for the lock. */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Calls `onPayload` for each NOTIFY on `channel` (sent with `notify` inside a transaction, so
   * it arrives after the commit). On PostgreSQL every replica hears it; on PGlite, this process.
   * Returns the function that stops listening.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** A dump of a PGlite database (for cloning in tests); null on PostgreSQL. */
  dump(): Promise<Blob | null>;
  close(): Promise<void>;
}

/**
 * The dispatch engine's connections on PostgreSQL, besides the request pool: enough for two
 * passes firing steps while the sends of the batches before them record their outcomes.
 */
const dispatchConnections = 4;

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.driver === 'pglite' ? openPglite(config) : openPostgres(config);
}

async function openPglite(config: Extract<DatabaseConfig, { driver: 'pglite' }>): Promise<Database> {
  // PGlite is one process's database: the lock file keeps a second process off the directory.
  const release = config.dataDir === null ? () => {} : acquireDataDirLock(config.dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(config.dataDir === null ? {} : { dataDir: config.dataDir }),
      ...(config.loadDataDir === undefined ? {} : { loadDataDir: config.loadDataDir }),
    });
  } catch (e) {
    release();
    throw e;
  }
  // One process, one connection: an in-process mutex per key is the whole of "exclusive".
  const locks = new KeyedMutex();
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  const database: Database = {
    db,
    dispatchDb: db,
    driver: 'pglite',
    async tryExclusive(key, fn) {
      const release = locks.tryAcquire(key);
      if (release === null) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        release();
      }
    },
    async exclusive(key, fn) {
      const release = await locks.acquire(key);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    async listen(channel, onPayload) {
      return client.listen(channel, onPayload);
    },
    async dump() {
      return client.dumpDataDir('none');
    },
    async close() {
      await client.close();
      release();
    },
  };
  return database;
}

async function openPostgres(config: Extract<DatabaseConfig, { driver: 'postgres' }>): Promise<Database> {
  const client = postgres(config.url, { max: config.maxConnections ?? 10, onnotice: () => {} });
  // Advisory locks belong to a session, held for the lock's whole life. They get their own
  // connections, so lock holders can never take every connection the locked work needs.
  const lockSql = postgres(config.url, { max: 4, onnotice: () => {} });
  const dispatchSql = postgres(config.url, { max: dispatchConnections, onnotice: () => {} });
  await client`select 1`; // fail at open, with the driver's message, not at the first query
  const withLock = async <T>(key: string, wait: boolean, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> => {
    const session = await lockSql.reserve();
    try {
      if (wait) {
        await session`select pg_advisory_lock(hashtext(${key}))`;
      } else {
        const [row] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${key})) as locked`;
        if (row?.locked !== true) return { ran: false };
      }
      try {
        return { ran: true, value: await fn() };
      } finally {
        await session`select pg_advisory_unlock(hashtext(${key}))`;
      }
    } finally {
      session.release();
    }
  };
  return {
    db: drizzlePostgres({ client: preparingStatements(client), schema }) as unknown as Db,
    dispatchDb: drizzlePostgres({ client: preparingStatements(dispatchSql), schema }) as unknown as Db,
    driver: 'postgres',
    tryExclusive: (key, fn) => withLock(key, false, fn),
    async exclusive(key, fn) {
      const result = await withLock(key, true, fn);
      if (!result.ran) throw new Error('internal: a waiting advisory lock did not run');
      return result.value;
    },
    async listen(channel, onPayload) {
      // postgres.js keeps one dedicated connection for every listener and re-listens after a reconnect.
      const { unlisten } = await client.listen(channel, onPayload);
      return unlisten;
    },
    async dump() {
      return null;
    },
    async close() {
      await Promise.all([client.end({ timeout: 5 }), lockSql.end({ timeout: 5 }), dispatchSql.end({ timeout: 5 })]);
    },
  };
}

/** One holder per key at a time, within this process. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly held = new Set<string>();

  tryAcquire(key: string): (() => void) | null {
    if (this.held.has(key)) return null;
    this.held.add(key);
    let done!: () => void;
    this.tails.set(key, new Promise<void>((r) => (done = r)));
    return () => {
      this.held.delete(key);
      done();
    };
  }

  async acquire(key: string): Promise<() => void> {
    for (;;) {
      const release = this.tryAcquire(key);
      if (release !== null) return release;
      await this.tails.get(key);
    }
  }
}

/** Queues a NOTIFY on `channel`; delivered when the transaction commits, dropped if it rolls back. */
export async function notify(tx: DbExecutor, channel: string, payload: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
}

/** The rows of a raw `execute`: postgres.js returns them as the result, PGlite wraps them in `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

/** How many rows a raw `execute` wrote: postgres.js has it on the result as `count`, PGlite as `affectedRows`. */
export function writtenCountOf(result: unknown): number {
  const { count, affectedRows } = result as { count?: unknown; affectedRows?: unknown };
  const written = typeof count === 'number' ? count : affectedRows;
  if (typeof written !== 'number') throw new Error('the database did not say how many rows the statement wrote');
  return written;
}
