// GET /v1/oncall?role=…&at=…: who is on call for a role at an instant, with source and freshness.
import { Hono } from 'hono';
import { didYouMean, type RoleBinding, type RuleSet } from '../../../grammar/index.js';
import { offsetInstant } from '../../../grammar/time/local-time.js';
import type { OnCallAnswer } from '../../roster/index.js';
import { HttpError } from '../errors.js';

export function onCallRoutes(deps: { rules: () => RuleSet; onCallAt: (role: RoleBinding, at: Date) => Promise<OnCallAnswer>; clock: () => Date }): Hono {
  return new Hono().get('/', async (c) => {
    const roleName = c.req.query('role');
    if (roleName === undefined || roleName === '') throw new HttpError(400, 'missing_parameter', 'say which role: ?role=<name>');
    const atText = c.req.query('at');
    const at = atText === undefined ? deps.clock() : offsetInstant(atText);
    if (at === null) throw new HttpError(400, 'invalid_parameter', 'at must be an ISO 8601 instant with a zone offset, like 2026-03-08T08:30:00Z', { at: atText });
    const rules = deps.rules();
    const role = rules.targets[roleName];
    if (role?.kind !== 'role') {
      const roles = Object.values(rules.targets).filter((t) => t.kind === 'role').map((t) => t.name);
      throw new HttpError(404, 'unknown_role', `the rules have no role "${roleName}"`, { hint: didYouMean(roleName, roles) ?? null, roles });
    }
    const answer = await deps.onCallAt(role, at);
    return c.json({ role: roleName, at: at.toISOString(), people: answer.people, stale: answer.stale, freshness: answer.freshness });
  });
}
