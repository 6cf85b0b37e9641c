// GET /v1/rules: which rules version is active, and what it holds.
import { Hono } from 'hono';
import type { RuleSet } from '../../../grammar/index.js';

export function rulesRoutes(deps: { rules: () => RuleSet }): Hono {
  return new Hono().get('/', (c) => {
    const rules = deps.rules();
    return c.json({
      version: rules.version,
      files: rules.files,
      workflows: rules.workflows.map((w) => ({ name: w.name, stage: w.stage, legacyPagerGroup: w.legacyPagerGroup, routes: w.routes })),
    });
  });
}
