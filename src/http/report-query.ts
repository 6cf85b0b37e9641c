// The question the migration report answers, from a query string: the period (the last 28 days
// by default), the zone, a workflow, a breakdown, a format. The API and the dashboard ask alike.
import type { Context } from 'hono';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { didYouMean } from '../../grammar/index.js';
import { breakdowns, type Breakdown, type Period } from '../retirement/figures.js';
import type { RulesRegistry } from '../rules/index.js';
import { HttpError } from './errors.js';

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

export interface ReportQuery {
  readonly period: Period;
  readonly zone: string;
  readonly workflow?: string;
  readonly by?: Breakdown;
  readonly format: 'json' | 'csv';
}

export function reportQuery(c: Context, rules: RulesRegistry, now: Date): ReportQuery {
  const parsed = query.safeParse(c.req.query());
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_parameter', 'the query is ?from=&to= (ISO 8601 instants), &workflow=, &by=unit|channel|role|hour|dow, &zone=, &format=json|csv', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })),
    });
  }
  const q = parsed.data;
  const to = q.to === undefined ? now : new Date(q.to);
  const from = q.from === undefined ? new Date(to.getTime() - 28 * day) : new Date(q.from);
  if (from >= to) throw new HttpError(400, 'invalid_parameter', 'from must be before to', { from, to });
  if (to.getTime() - from.getTime() > maxPeriodMs) throw new HttpError(400, 'invalid_parameter', 'a period is at most 400 days', { from, to });
  const names = rules.active().workflows.map((w) => w.name);
  if (q.workflow !== undefined && !names.includes(q.workflow)) {
    throw new HttpError(404, 'unknown_workflow', `the rules have no workflow "${q.workflow}"`, { hint: didYouMean(q.workflow, names) ?? null, workflows: names });
  }
  return { period: { from, to }, zone: q.zone, format: q.format, ...(q.workflow === undefined ? {} : { workflow: q.workflow }), ...(q.by === undefined ? {} : { by: q.by }) };
}
