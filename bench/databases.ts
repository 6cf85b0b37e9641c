// The PostgreSQL databases a benchmark makes for itself on the server it is pointed at.
import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';

/** The server's URL with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates `<prefix>_<random>` on the server `admin` is connected to; `drop` removes it, connections and all. */
export async function createScratchDatabase(admin: postgres.Sql, server: string, prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database "${name}"`);
  return {
    name,
    url: withDatabase(server, name),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    },
  };
}
