// What one load of the dashboard shows, gathered in one place so that the page and the bench
// that measures it ask the database the same questions: the migration report (every workflow's
// row), and for the workflow asked for (or the first with pages) a year's chart and its
// figures by unit and by channel.
import type { Db } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import { ackTrend } from './ack-trend.js';
import type { DashboardInput } from './dashboard-view.js';
import { pageFiguresBy, type Period } from './figures.js';
import { migrationReport } from './report.js';

const yearMs = 365 * 86_400_000;

export async function dashboardData(
  deps: { readonly db: Db; readonly rules: RulesRegistry },
  input: { readonly period: Period; readonly zone: string; readonly workflow?: string; readonly now: Date },
): Promise<DashboardInput> {
  const { period, zone, now } = input;
  const report = await migrationReport(deps, { period, zone, now });
  const wanted = input.workflow ?? report.workflows.find((w) => w.figures.pages > 0)?.workflow;
  const selected = report.workflows.find((w) => w.workflow === wanted) ?? report.workflows[0] ?? null;
  const trendPeriod = { from: new Date(period.to.getTime() - yearMs), to: period.to };
  if (selected === null) return { report, selected, trend: [], trendPeriod, byUnit: [], byChannel: [] };
  const workflow = selected.workflow;
  const [trend, byUnit, byChannel] = await Promise.all([
    ackTrend(deps.db, { period: trendPeriod, zone, workflow, bucket: 'week', now }),
    pageFiguresBy(deps.db, period, zone, workflow, 'unit'),
    pageFiguresBy(deps.db, period, zone, workflow, 'channel'),
  ]);
  return { report, selected, trend, trendPeriod, byUnit, byChannel };
}
