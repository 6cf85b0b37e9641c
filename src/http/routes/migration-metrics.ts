// GET /v1/metrics/migration?from=&to=&workflow=&by=&zone=&format=json|csv: the pager retirement
// figures per workflow against the legacy baseline and the targets, with readiness and stage
// changes. The period defaults to the last 28 days.
import { Hono } from 'hono';
import type { Db } from '../../db/index.js';
import { migrationReport, reportCsv } from '../../retirement/report.js';
import type { RulesRegistry } from '../../rules/index.js';
import { reportQuery } from '../report-query.js';

export function migrationMetricsRoutes(deps: { readonly db: Db; readonly rules: RulesRegistry; readonly clock: () => Date }): Hono {
  return new Hono().get('/', async (c) => {
    const now = deps.clock();
    const q = reportQuery(c, deps.rules, now);
    const report = await migrationReport(deps, { ...q, now });
    if (q.format === 'csv') return c.body(reportCsv(report), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="pagerless-migration.csv"' });
    return c.json(report);
  });
}
