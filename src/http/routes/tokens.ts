// POST /v1/tokens: operations issue a credential: a clinical system's source key, or a person's
// token to acknowledge the pages sent to them, or a manager's for the retirement dashboard. Shown
// once in the answer, stored as a hash.
import { Hono } from 'hono';
import { z } from 'zod';
import type { IssueOutcome } from '../../auth/credentials.js';
import type { TokenHolder } from '../../auth/tokens.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../json-body.js';

const body = z.union([z.object({ source: z.string() }).strict(), z.object({ person: z.string() }).strict(), z.object({ manager: z.string() }).strict()]);

export type IssueCredential = (holder: TokenHolder, by: string) => Promise<IssueOutcome>;

export function tokenRoutes(deps: { issueCredential: IssueCredential }): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>().post('/', async (c) => {
    const parsed = body.safeParse(await readJsonBody(c));
    if (!parsed.success) throw new HttpError(400, 'invalid_body', 'send { "source": "<name>" }, { "person": "<person id>" } or { "manager": "<name>" }');
    const d = parsed.data;
    const holder: TokenHolder = 'source' in d ? { kind: 'source', name: d.source } : 'person' in d ? { kind: 'person', name: d.person } : { kind: 'manager', name: d.manager };
    const issued = await deps.issueCredential(holder, `admin:${c.get('holder').name}`);
    if (!issued.ok) throw new HttpError(issued.code === 'unknown_person' ? 404 : 400, issued.code, issued.message);
    return c.json({ token: issued.token, holder }, 201);
  });
}
