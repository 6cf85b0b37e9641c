// Applies the committed migrations at start. Replicas starting together take turns under one
// advisory lock, so each migration runs once.
import { fileURLToPath } from 'node:url';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Database } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export async function migrateDatabase(database: Database): Promise<void> {
  await database.exclusive('pagerless:migrations', async () => {
    // Each driver has its own migrator; the Db type hides which one `db` came from.
    if (database.driver === 'pglite') await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
    else await migratePostgres(database.db as unknown as PostgresJsDatabase, { migrationsFolder });
  });
}
