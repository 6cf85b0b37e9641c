// GET /v1/audit: the audit trail for compliance, in order, a page of events at a time, with the
// MACs that chain them (so an export can be checked against the head later).
import { Hono } from 'hono';
import { z } from 'zod';
import { listAudit } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { HttpError } from '../errors.js';

const query = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    subject: z.string().min(1).max(200).optional(),
    kind: z.string().min(1).max(100).optional(),
  })
  .strict();

export function auditRoutes(deps: { db: Db }): Hono {
  return new Hono().get('/', async (c) => {
    const parsed = query.safeParse(c.req.query());
    if (!parsed.success) {
      throw new HttpError(400, 'invalid_parameter', 'query: after (a sequence number), limit (1–1000), subject (e.g. page:<id>), kind (e.g. page.acknowledged)', {
        issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })),
      });
    }
    const { events, heads } = await listAudit(deps.db, parsed.data);
    return c.json({ events, next: events.length === parsed.data.limit ? events[events.length - 1]!.seq : null, heads });
  });
}
