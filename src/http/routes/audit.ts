// GET /v1/audit: the audit trail for compliance, in order, a page of events at a time, with the
// MACs that chain them (so an export can be checked against the heads later). `after` is the
// cursor the previous page answered with (`next`): polling with it misses no event, even one
// that committed late.
import { Hono } from 'hono';
import { z } from 'zod';
import { listAudit, parseAuditCursor, startOfTrail } from '../../audit/index.js';
import type { Db } from '../../db/index.js';
import { HttpError } from '../errors.js';

const query = z
  .object({
    after: z
      .string()
      .optional()
      .transform((text, ctx) => {
        if (text === undefined) return startOfTrail;
        const cursor = parseAuditCursor(text);
        if (cursor === null) ctx.addIssue({ code: 'custom', message: 'after is the cursor a previous answer gave as next' });
        return cursor ?? startOfTrail;
      }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    subject: z.string().min(1).max(200).optional(),
    kind: z.string().min(1).max(100).optional(),
  })
  .strict();

export function auditRoutes(deps: { db: Db }): Hono {
  return new Hono().get('/', async (c) => {
    const parsed = query.safeParse(c.req.query());
    if (!parsed.success) {
      throw new HttpError(400, 'invalid_parameter', 'query: after (the cursor a previous answer gave as next), limit (1–1000), subject (e.g. page:<id>), kind (e.g. page.acknowledged)', {
        issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })),
      });
    }
    return c.json(await listAudit(deps.db, parsed.data));
  });
}
