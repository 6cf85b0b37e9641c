// The in-run baseline: a bare Hono app on @hono/node-server with one route that inserts one row
// into PostgreSQL and answers once the INSERT has committed (autocommit). It is the least any
// gateway written this way could cost per alert: an HTTP request, a JSON body and one commit.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';

export interface BaselineServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the baseline on a loopback port, with a connection pool as large as the gateway's. */
export async function startBaseline(databaseUrl: string, maxConnections: number): Promise<BaselineServer> {
  const sql = postgres(databaseUrl, { max: maxConnections, onnotice: () => {} });
  await sql`create table if not exists bench_baseline (id bigserial primary key, received_at timestamptz not null, body jsonb not null)`;
  const app = new Hono().post('/v1/alerts', async (c) => {
    const body = (await c.req.json()) as postgres.JSONValue;
    const [row] = await sql<{ id: string }[]>`insert into bench_baseline (received_at, body) values (${new Date()}, ${sql.json(body)}) returning id`;
    return c.json({ page: { id: row!.id } }, 202);
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await sql.end({ timeout: 5 });
    },
  };
}
