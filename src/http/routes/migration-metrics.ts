// GET /v1/metrics/migration?from=&to=&workflow=&by=&zone=&format=json|csv: the pager retirement
// figures per workflow against the legacy baseline and the targets, with readiness and stage
// changes. The period defaults to the last 28 days.
import { Hono } from 'hono';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { didYouMean } from '../../../grammar/index.js';
import type { Db } from '../../db/index.js';
import { breakdowns } from '../../retirement/figures.js';
import { migrationReport, reportCsv } from '../../retirement/report.js';
import type { RulesRegistry } from '../../rules/index.js';
import { HttpError } from '../errors.js';

const day = 86_400_000;
const maxPeriodMs = 400 * day;

const query = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    workflow: z.string().min(1).max(200).optional(),
    by: z.enum(breakdowns).optional(),
    zone: z.string().refine((z) => IANAZone.isValidZone(z), 'an IANA time zone, like America/Chicago').default('UTC'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export function migrationMetricsRoutes(deps: { readonly db: Db; readonly rules: RulesRegistry; readonly clock: () => Date }): Hono {
  return new Hono().get('/', async (c) => {
    const parsed = query.safeParse(c.req.query());
    if (!parsed.success) throw new HttpError(400, 'invalid_parameter', 'the query is ?from=&to= (ISO 8601 instants), &workflow=, &by=unit|channel|role|hour|dow, &zone=, &format=json|csv', { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })) });
    const q = parsed.data;
    const now = deps.clock();
    const to = q.to === undefined ? now : new Date(q.to);
    const from = q.from === undefined ? new Date(to.getTime() - 28 * day) : new Date(q.from);
    if (from >= to) throw new HttpError(400, 'invalid_parameter', 'from must be before to', { from, to });
    if (to.getTime() - from.getTime() > maxPeriodMs) throw new HttpError(400, 'invalid_parameter', 'a period is at most 400 days', { from, to });
    const names = deps.rules.active().workflows.map((w) => w.name);
    if (q.workflow !== undefined && !names.includes(q.workflow)) {
      throw new HttpError(404, 'unknown_workflow', `the rules have no workflow "${q.workflow}"`, { hint: didYouMean(q.workflow, names) ?? null, workflows: names });
    }
    const report = await migrationReport(deps, { period: { from, to }, zone: q.zone, now, ...(q.workflow === undefined ? {} : { workflow: q.workflow }), ...(q.by === undefined ? {} : { by: q.by }) });
    if (q.format === 'csv') return c.body(reportCsv(report), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="pagerless-migration.csv"' });
    return c.json(report);
  });
}
