// Liveness, readiness and the Prometheus exposition.
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Db } from '../../db/index.js';

export function healthRoutes(deps: { db: Db; metrics: Registry }): Hono {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      try {
        await deps.db.execute(sql`select 1`);
        return c.json({ status: 'ready' });
      } catch {
        return c.json({ status: 'unavailable', reason: 'the database does not answer' }, 503);
      }
    })
    .get('/metrics', async (c) => c.body(await deps.metrics.metrics(), 200, { 'Content-Type': deps.metrics.contentType }));
}
