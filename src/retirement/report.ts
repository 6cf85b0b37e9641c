// The migration report: per workflow its stage, targets, figures over the period asked for, the
// legacy baseline for the same period, and its readiness; and when stages changed. What
// GET /v1/metrics/migration answers (as JSON or CSV) and the dashboard draws.
import type { WorkflowTargets } from '../../grammar/index.js';
import type { Db } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import { workflowFigures, type Breakdown, type LegacyFigures, type PageFigures, type Period, type WorkflowFigures } from './figures.js';
import { readinessOf, readinessWindow, type Readiness } from './readiness.js';
import { stageHistory, type StageChange } from './stages.js';

export interface WorkflowReport extends WorkflowFigures {
  readonly stage: string;
  readonly legacyPagerGroup: string | null;
  readonly targets: WorkflowTargets;
  readonly readiness: Readiness;
}

export interface MigrationReport {
  readonly period: Period;
  readonly zone: string;
  readonly rulesVersion: string;
  readonly workflows: readonly WorkflowReport[];
  readonly stageChanges: readonly StageChange[];
}

export async function migrationReport(
  deps: { readonly db: Db; readonly rules: RulesRegistry },
  input: { readonly period: Period; readonly zone: string; readonly workflow?: string; readonly by?: Breakdown; readonly now: Date },
): Promise<MigrationReport> {
  const ruleSet = deps.rules.active();
  const workflows = ruleSet.workflows.filter((w) => input.workflow === undefined || w.name === input.workflow);
  const figures = await workflowFigures(deps.db, {
    period: input.period,
    zone: input.zone,
    workflows: workflows.map((w) => w.name),
    ...(input.workflow === undefined ? {} : { only: input.workflow }),
    ...(input.by === undefined ? {} : { by: input.by }),
  });
  const samePeriod = (a: Period, b: Period) => a.from.getTime() === b.from.getTime() && a.to.getTime() === b.to.getTime();
  const readiness = await Promise.all(
    workflows.map((w) => readinessOf(deps.db, w, input.now, samePeriod(readinessWindow(w, input.now), input.period) ? figures.find((f) => f.workflow === w.name)?.figures : undefined)),
  );
  return {
    period: input.period,
    zone: input.zone,
    rulesVersion: ruleSet.version.hash,
    workflows: workflows.map((w, i) => ({ ...figures.find((f) => f.workflow === w.name)!, stage: w.stage, legacyPagerGroup: w.legacyPagerGroup, targets: w.targets, readiness: readiness[i]! })),
    stageChanges: (await stageHistory(deps.db, deps.rules)).filter((c) => input.workflow === undefined || c.workflow === input.workflow),
  };
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const figureCells = (f: PageFigures): (string | number | null)[] => [
  f.pages,
  f.acknowledged,
  f.ackSeconds?.p50 ?? null,
  f.ackSeconds?.p90 ?? null,
  f.ackSeconds?.p95 ?? null,
  f.ackSeconds?.mean ?? null,
  f.missed,
  f.escalated,
  f.fellBack,
  f.pagerPaged,
];
const legacyCells = (l: LegacyFigures | null): (string | number | null)[] => [l?.pages ?? null, l?.acknowledged ?? null, l?.ackSeconds?.p50 ?? null, l?.ackSeconds?.p90 ?? null, l?.ackSeconds?.p95 ?? null, l?.ackSeconds?.mean ?? null];

/** One row per workflow, then one per breakdown key: the same figures as the JSON. */
export function reportCsv(report: MigrationReport): string {
  const header = [
    'workflow', 'stage', 'breakdown', 'key', 'pages', 'acknowledged', 'ack_p50_s', 'ack_p90_s', 'ack_p95_s', 'ack_mean_s', 'missed', 'escalated', 'fell_back', 'pager_before_ack',
    'legacy_pages', 'legacy_acknowledged', 'legacy_ack_p50_s', 'legacy_ack_p90_s', 'legacy_ack_p95_s', 'legacy_ack_mean_s', 'readiness',
  ];
  const rows: (string | number | null)[][] = [];
  for (const w of report.workflows) {
    rows.push([w.workflow, w.stage, null, null, ...figureCells(w.figures), ...legacyCells(w.legacy), w.readiness.verdict.verdict]);
    for (const r of w.by?.rows ?? []) rows.push([w.workflow, w.stage, w.by!.breakdown, r.key, ...figureCells(r), ...legacyCells(null), null]);
  }
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
