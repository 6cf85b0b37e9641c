// GET /v1/pages/:id: a page's status, its ladder's position and its notifications.
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { Db } from '../../db/index.js';
import { tables } from '../../db/index.js';
import { HttpError } from '../errors.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function pageRoutes(deps: { db: Db }): Hono {
  return new Hono().get('/:id', async (c) => {
    const id = c.req.param('id');
    if (!uuidPattern.test(id)) throw new HttpError(400, 'invalid_parameter', 'a page id is a UUID', { id });
    const [page] = await deps.db.select().from(tables.pages).where(eq(tables.pages.id, id));
    if (page === undefined) throw new HttpError(404, 'unknown_page', `no page ${id}`);
    const [escalation] = await deps.db.select().from(tables.escalations).where(eq(tables.escalations.pageId, id));
    const notifications = await deps.db.select().from(tables.notifications).where(eq(tables.notifications.pageId, id)).orderBy(asc(tables.notifications.id));
    return c.json({
      page,
      escalation: escalation === undefined ? null : { cycle: escalation.cycle, nextStep: escalation.nextStep, dueAt: escalation.dueAt },
      notifications: notifications.map(({ pageId: _pageId, ...n }) => n),
    });
  });
}
