// GET /v1/rules: which rules version is active, and what it holds. POST /v1/rules/reload: read
// the rules directory again; refused (422, with the diagnostics) when it does not compile, and
// the active version stays.
import { Hono } from 'hono';
import { diagnosticsToJson } from '../../../grammar/index.js';
import type { RulesRegistry } from '../../rules/index.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';

export function rulesRoutes(deps: { rules: RulesRegistry }): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/', (c) => {
      const rules = deps.rules.active();
      return c.json({
        version: rules.version,
        files: rules.files,
        workflows: rules.workflows.map((w) => ({ name: w.name, stage: w.stage, legacyPagerGroup: w.legacyPagerGroup, routes: w.routes })),
      });
    })
    .post('/reload', async (c) => {
      const outcome = await deps.rules.reload(`admin:${c.get('holder').name}`);
      switch (outcome.status) {
        case 'refused':
          throw new HttpError(422, 'rules_invalid', `the rules do not compile; version ${outcome.active.hash.slice(0, 12)} stays active`, {
            active: outcome.active,
            diagnostics: diagnosticsToJson(outcome.diagnostics.filter((d) => d.severity === 'error')),
          });
        case 'unchanged':
          return c.json({ status: 'unchanged', version: outcome.version });
        case 'activated':
          return c.json({ status: 'activated', version: outcome.version, previous: outcome.previous });
      }
    });
}
