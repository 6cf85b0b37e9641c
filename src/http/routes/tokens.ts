// POST /v1/tokens: operations issue a credential: a clinical system's source key, or a person's
// token to acknowledge the pages sent to them. Shown once in the answer, stored as a hash.
import { Hono } from 'hono';
import { z } from 'zod';
import type { IssueOutcome } from '../../auth/credentials.js';
import type { TokenHolder } from '../../auth/tokens.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../json-body.js';

const body = z.union([z.object({ source: z.string() }).strict(), z.object({ person: z.string() }).strict()]);

export type IssueCredential = (holder: TokenHolder, by: string) => Promise<IssueOutcome>;

export function tokenRoutes(deps: { issueCredential: IssueCredential }): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>().post('/', async (c) => {
    const parsed = body.safeParse(await readJsonBody(c));
    if (!parsed.success) throw new HttpError(400, 'invalid_body', 'send { "source": "<name>" } or { "person": "<person id>" }');
    const holder: TokenHolder = 'source' in parsed.data ? { kind: 'source', name: parsed.data.source } : { kind: 'person', name: parsed.data.person };
    const issued = await deps.issueCredential(holder, `admin:${c.get('holder').name}`);
    if (!issued.ok) throw new HttpError(issued.code === 'unknown_person' ? 404 : 400, issued.code, issued.message);
    return c.json({ token: issued.token, holder }, 201);
  });
}
