// Whether a workflow's pagers can go: its figures over the window its targets name (the last N
// days), with at least the pages they ask for, against each target; and, in the parallel stage,
// how often the legacy pager was still paged before anyone acknowledged.
import type { CompiledWorkflow, Stage, WorkflowTargets } from '../../grammar/index.js';
import type { Db } from '../db/index.js';
import { ackPercentile, pageFiguresOf, type PageFigures, type Period } from './figures.js';

/** When the rules name no window, readiness looks at the last four weeks. */
const defaultWindowMs = 28 * 86_400_000;

export interface TargetCheck {
  /** `ack p90`, `missed`, `escalated`. */
  readonly target: string;
  /** Seconds for acknowledgement time; a share (0…1) for the rates. */
  readonly limit: number;
  readonly actual: number | null;
  readonly met: boolean;
}

export type Verdict =
  | { readonly verdict: 'ready' }
  | { readonly verdict: 'not-ready'; readonly failing: readonly string[] }
  | { readonly verdict: 'too-few-pages'; readonly pages: number; readonly minPages: number }
  | { readonly verdict: 'no-targets' };

export interface Readiness {
  readonly workflow: string;
  readonly stage: Stage;
  readonly window: Period;
  readonly figures: PageFigures;
  readonly checks: readonly TargetCheck[];
  readonly verdict: Verdict;
  /** In the parallel stage: how often the legacy pager went off before anyone acknowledged. */
  readonly pagerFallback: { readonly pages: number; readonly paged: number; readonly rate: number | null } | null;
}

/** The period a workflow's readiness is judged over: the last N days its targets name, to now. */
export function readinessWindow(workflow: CompiledWorkflow, now: Date): Period {
  return { from: new Date(now.getTime() - (workflow.targets.overMs ?? defaultWindowMs)), to: now };
}

/**
 * `known`: the workflow's page figures over exactly its readiness window, when the caller has
 * them already (the dashboard's table covers the same 28 days); else they are read here.
 */
export async function readinessOf(db: Db, workflow: CompiledWorkflow, now: Date, known?: PageFigures): Promise<Readiness> {
  const targets: WorkflowTargets = workflow.targets;
  const window = readinessWindow(workflow, now);
  const f = known ?? (await pageFiguresOf(db, window, workflow.name));
  const checks: TargetCheck[] = [];
  if (targets.ack !== null) {
    const { percentile, withinMs } = targets.ack;
    const known = f.ackSeconds === null ? null : percentile === 50 ? f.ackSeconds.p50 : percentile === 90 ? f.ackSeconds.p90 : percentile === 95 ? f.ackSeconds.p95 : undefined;
    const actual = known === undefined ? await ackPercentile(db, window, workflow.name, percentile / 100) : known;
    checks.push({ target: `ack p${percentile}`, limit: withinMs / 1000, actual, met: actual !== null && actual <= withinMs / 1000 });
  }
  if (targets.missedAtMostPercent !== null) checks.push(rateCheck('missed', targets.missedAtMostPercent, f.missedRate));
  if (targets.escalatedAtMostPercent !== null) checks.push(rateCheck('escalated', targets.escalatedAtMostPercent, f.escalationRate));
  const minPages = targets.minPages ?? 0;
  const verdict: Verdict =
    checks.length === 0
      ? { verdict: 'no-targets' }
      : f.pages < minPages
        ? { verdict: 'too-few-pages', pages: f.pages, minPages }
        : checks.every((c) => c.met)
          ? { verdict: 'ready' }
          : { verdict: 'not-ready', failing: checks.filter((c) => !c.met).map((c) => c.target) };
  return {
    workflow: workflow.name,
    stage: workflow.stage,
    window,
    figures: f,
    checks,
    verdict,
    pagerFallback: workflow.stage === 'parallel' ? { pages: f.pages, paged: f.pagerPaged, rate: f.pages === 0 ? null : f.pagerPaged / f.pages } : null,
  };
}

function rateCheck(target: string, atMostPercent: number, actual: number | null): TargetCheck {
  return { target, limit: atMostPercent / 100, actual, met: actual !== null && actual <= atMostPercent / 100 };
}
