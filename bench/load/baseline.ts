// The in-run baseline of the benchmarks: a bare Hono app on @hono/node-server that commits one
// row per POST and reads one row per GET, on the same database as the gateway it is compared
// with (PostgreSQL through postgres.js, or an embedded PGlite). It is the least any gateway
// written this way could cost per request: an HTTP request, a JSON body and one commit (or one
// indexed read). It answers as the gateway would, so the load generator cannot tell them apart:
//   POST /v1/alerts          → 202 {"page": {"id"}} once the INSERT has committed (autocommit)
//   POST anything else       → 200 {"page": {"id"}} (an acknowledgement), after its own INSERT
//   GET  /v1/pages/:id       → 200 with the row, 404 when there is none
//   GET  /metrics            → 200, empty: the k6 scripts read the gateway's figures there, and the baseline has none
import { PGlite } from '@electric-sql/pglite';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import postgres from 'postgres';
import { requestText } from '../../src/http/body.js';

export type BaselineDatabase =
  /** With a pool as large as the gateway's. */
  | { readonly driver: 'postgres'; readonly url: string; readonly maxConnections: number }
  /** A fresh data directory: one connection, as the gateway has on PGlite. */
  | { readonly driver: 'pglite'; readonly dataDir: string };

export interface BaselineServer {
  readonly url: string;
  stop(): Promise<void>;
}

interface Row {
  readonly id: string;
  readonly receivedAt: string;
  readonly path: string;
  readonly body: unknown;
}

/** One row in, one row out: the whole of the baseline's work. */
interface RowStore {
  insert(path: string, body: unknown): Promise<string>;
  read(id: string): Promise<Row | null>;
  close(): Promise<void>;
}

const createTable = 'create table if not exists bench_baseline (id bigserial primary key, received_at timestamptz not null, path text not null, body jsonb not null)';

async function postgresStore(url: string, maxConnections: number): Promise<RowStore> {
  const sql = postgres(url, { max: maxConnections, onnotice: () => {} });
  await sql.unsafe(createTable);
  return {
    async insert(path, body) {
      const [row] = await sql<{ id: string }[]>`insert into bench_baseline (received_at, path, body) values (${new Date()}, ${path}, ${sql.json(body as postgres.JSONValue)}) returning id`;
      return row!.id;
    },
    async read(id) {
      const [row] = await sql<Row[]>`select id::text, received_at::text as "receivedAt", path, body from bench_baseline where id = ${id}`;
      return row ?? null;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

async function pgliteStore(dataDir: string): Promise<RowStore> {
  const db = await PGlite.create({ dataDir });
  await db.exec(createTable);
  return {
    async insert(path, body) {
      const { rows } = await db.query<{ id: string }>('insert into bench_baseline (received_at, path, body) values ($1, $2, $3::jsonb) returning id::text', [new Date(), path, JSON.stringify(body)]);
      return rows[0]!.id;
    },
    async read(id) {
      const { rows } = await db.query<Row>('select id::text, received_at::text as "receivedAt", path, body from bench_baseline where id = $1', [id]);
      return rows[0] ?? null;
    },
    close: () => db.close(),
  };
}

/** Starts the baseline on a loopback port. */
export async function startBaseline(database: BaselineDatabase): Promise<BaselineServer> {
  const store = database.driver === 'postgres' ? await postgresStore(database.url, database.maxConnections) : await pgliteStore(database.dataDir);
  // The body read as the gateway reads one (src/http/body.ts): the floor stays the least a request could cost.
  const bodyOf = async (c: Context): Promise<unknown> => {
    const raw = await requestText(c);
    return raw === '' ? {} : (JSON.parse(raw) as unknown);
  };
  const app = new Hono()
    .get('/metrics', (c) => c.text(''))
    .post('/v1/alerts', async (c) => c.json({ page: { id: await store.insert(c.req.path, await bodyOf(c)) } }, 202))
    .post('*', async (c) => c.json({ page: { id: await store.insert(c.req.path, await bodyOf(c)) } }, 200))
    .get('/v1/pages/:id', async (c) => {
      const id = c.req.param('id');
      const row = /^\d{1,18}$/.test(id) ? await store.read(id) : null;
      return row === null ? c.json({ error: { code: 'unknown_page', message: `no page ${id}` } }, 404) : c.json({ page: row });
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
      await store.close();
    },
  };
}
