// POST /v1/enrollments {person}: operations issue a one-time link that enrolls a person's phone
// in the web app (open it on the phone, choose a PIN). The link is shown once.
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeviceStore } from '../../webapp/devices.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../json-body.js';

const body = z.object({ person: z.string().min(1).max(200) }).strict();

export function enrollmentRoutes(deps: { readonly devices: DeviceStore; readonly publicBaseUrl: () => string }): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>().post('/', async (c) => {
    const parsed = body.safeParse(await readJsonBody(c));
    if (!parsed.success) throw new HttpError(400, 'invalid_body', 'the body is { "person": "<source>:<id>" }', { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) });
    const holder = c.get('holder');
    const issued = await deps.devices.issueEnrollment(parsed.data.person, `${holder.kind}:${holder.name}`);
    if (issued === null) throw new HttpError(404, 'unknown_person', `no person ${parsed.data.person} in any roster`);
    return c.json({ person: parsed.data.person, url: `${deps.publicBaseUrl()}/enroll/${issued.code}`, expiresAt: issued.expiresAt }, 201);
  });
}
