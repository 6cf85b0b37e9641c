// Pages: GET /v1/pages/:id (its state, ladder, deliveries and timeline), POST …/ack (by a person
// who was paged for it), POST …/resolve (operations, the source that raised it, or a person paged).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import { concerns, type Dispatcher } from '../../dispatch/index.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../json-body.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ackBody = z.object({ via: z.enum(['api', 'app']).default('api') }).strict();

type Env = { Variables: AuthVariables };

function pageIdOf(c: Context<Env>): string {
  const id = c.req.param('id') ?? '';
  if (!uuidPattern.test(id)) throw new HttpError(400, 'invalid_parameter', 'a page id is a UUID', { id });
  return id.toLowerCase();
}

export function pageRoutes(deps: { db: Db; dispatcher: Dispatcher }): Hono<Env> {
  return new Hono<Env>()
    .get('/:id', async (c) => {
      const id = pageIdOf(c);
      const view = await deps.dispatcher.view(id);
      if (view === null) throw new HttpError(404, 'unknown_page', `no page ${id}`);
      if (!(await concerns(deps.db, c.get('holder'), view.page))) throw new HttpError(403, 'forbidden', 'this page was not sent to you');
      return c.json(view);
    })
    .post('/:id/ack', async (c) => {
      const id = pageIdOf(c);
      const holder = c.get('holder');
      if (holder.kind !== 'person') throw new HttpError(403, 'forbidden', 'only a person the page was sent to can acknowledge it, with their own token');
      const body = ackBody.safeParse((await readJsonBody(c, { optional: true })) ?? {});
      if (!body.success) throw new HttpError(400, 'invalid_body', 'the body is optional: { "via"?: "api" | "app" }', { issues: body.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) });
      const result = await deps.dispatcher.acknowledge({ pageId: id, personId: holder.name, via: body.data.via });
      switch (result.kind) {
        case 'not-found':
          throw new HttpError(404, 'unknown_page', `no page ${id}`);
        case 'not-paged':
          throw new HttpError(403, 'not_paged', 'this page was not sent to you, so you cannot acknowledge it');
        case 'resolved':
          throw new HttpError(409, 'page_resolved', 'the page is resolved; there is nothing left to acknowledge');
        case 'acknowledged':
        case 'already-acknowledged':
          return c.json({ page: { id, status: 'acknowledged' }, acknowledgement: result.acknowledgement, alreadyAcknowledged: result.kind === 'already-acknowledged' });
      }
    })
    .post('/:id/resolve', async (c) => {
      const id = pageIdOf(c);
      const result = await deps.dispatcher.resolve({ pageId: id, by: c.get('holder') });
      if (result.kind === 'not-found') throw new HttpError(404, 'unknown_page', `no page ${id}`);
      if (result.kind === 'forbidden') throw new HttpError(403, 'forbidden', 'only operations, the system that raised the page, or a person it was sent to can resolve it');
      return c.json({ page: { id, status: 'resolved' }, resolution: { at: result.at, by: result.by }, alreadyResolved: result.kind === 'already-resolved' });
    });
}
