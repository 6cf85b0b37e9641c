// Raising a page and acknowledging it as the person it went to, through the API, for tests that
// need pages at chosen moments rather than a whole scenario.
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { tables } from '../../src/db/index.js';
import type { TestGateway } from './gateway.js';

/** Posts an alert as `source` (a token) and lets its first step go out; returns the page's id. */
export async function raise(t: TestGateway, source: string, alert: Record<string, unknown>): Promise<string> {
  const res = await t.call('POST', '/v1/alerts', source, { alert });
  expect(res.status).toBe(202);
  await t.g.drain();
  return ((await res.json()) as { page: { id: string } }).page.id;
}

/** Acknowledges the page as the first person it was sent to. */
export async function ackByFirstPaged(t: TestGateway, pageId: string): Promise<void> {
  const [paged] = await t.g.database.db
    .select({ personId: tables.notifications.personId })
    .from(tables.notifications)
    .where(eq(tables.notifications.pageId, pageId))
    .orderBy(tables.notifications.id)
    .limit(1);
  if (paged === undefined || paged.personId === '') throw new Error(`page ${pageId} went to nobody in person`);
  const res = await t.call('POST', `/v1/pages/${pageId}/ack`, await t.token({ kind: 'person', name: paged.personId }), { via: 'api' });
  expect(res.status).toBe(200);
}
