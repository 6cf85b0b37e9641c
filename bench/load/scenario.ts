// What both ways of running a load scenario (k6, or the Node generator) share: the scenarios of
// scenarios.js scaled for a quick look, k6's duration syntax, and the figures a run gives back.
import { arrivals } from '../dispatch-latency/open-loop.js';
import type { Distribution } from '../dispatch-latency/stats.js';
import type { ConstantArrivalRate, Exec, PhaseOptions, Scenario } from './scenarios.js';
import type { ThresholdResult } from './thresholds.js';

export type ScenarioName = 'steady' | 'storm' | 'ack' | 'mixed';

/** Where a scenario's requests go, and the keys they carry (the baseline ignores them). */
export interface Target {
  readonly url: string;
  readonly keys: { readonly source: string; readonly person: string; readonly admin: string };
}

/** One phase (k6 scenario) of a run, as the tables show it. */
export interface PhaseFigures {
  readonly name: string;
  readonly exec: Exec;
  /** Requests sent (answered or not). */
  readonly requests: number;
  /** Requests k6 counts in http_req_failed: no answer, or a status outside 200–399. */
  readonly errors: number;
  readonly errorExamples: readonly string[];
  /** Iterations an open loop dropped because maxVUs requests were waiting already. */
  readonly dropped: number;
  /** Request sent → whole answer received, every request (as k6's http_req_duration), ms. */
  readonly latency: Distribution;
  /** From the phase's start to its last answer, ms. */
  readonly wallMs: number;
  /** Answered requests (any status) per second of `wallMs`. */
  readonly throughput: number;
  /** How late the open loop's requests left against their plan (p99, ms): the generator's own health; null from k6. */
  readonly startLagP99Ms: number | null;
}

export interface ScenarioRun {
  readonly phases: readonly PhaseFigures[];
  /**
   * The thresholds the runner judged: the Node runner those on k6's built-in metrics
   * (http_req_duration, http_req_failed, http_reqs); k6 all of them, the gateway_* ones with
   * its own /metrics snapshots (k6/lib.js).
   */
  readonly thresholds: readonly ThresholdResult[];
  /** Alerts of the scenario answered 2xx (each opened a page). */
  readonly alertsAccepted: number;
  /** CPU ms the load generator used; null when the runner cannot tell (k6 is a process of its own). */
  readonly generatorCpuMs: number | null;
}

/** Runs a scenario's phases against a target. */
export interface Runner {
  readonly name: 'node' | 'k6';
  /** k6's setup raises the pages a scenario acknowledges itself (k6/lib.js); the Node runner is handed them. */
  readonly raisesPages: boolean;
  /** `started` hears the monotonic ms its phases' start times count from, where the runner knows it (the Node one). */
  run(name: ScenarioName, scenario: Scenario, target: Target, pages: readonly string[], started?: (t0Ms: number) => void): Promise<ScenarioRun>;
}

/** The thresholds the harness evaluates itself, from the gateway's /metrics: the rest are on k6's metrics. */
export const isGatewayMetric = (key: string): boolean => key.startsWith('gateway_');

/** k6's duration syntax ("30s", "1m30s", "500ms") in ms. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`"${text}" is not a k6 duration`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((total, p) => total + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/** An open loop's arrivals per second (k6 gives `rate` per `timeUnit`). */
export function ratePerSecond(p: ConstantArrivalRate): number {
  return (p.rate * 1000) / durationMs(p.timeUnit);
}

/** How many iterations a phase makes (an open loop's rate × duration; a closed loop's share). */
export function plannedIterations(p: PhaseOptions): number {
  return p.executor === 'constant-arrival-rate' ? arrivals(ratePerSecond(p), durationMs(p.duration)) : p.iterations;
}

const msText = (v: number): string => `${Math.round(v)}ms`;

/**
 * The scenario with its durations, start times, iteration counts and pages to acknowledge
 * multiplied by `scale` (a quick look). A threshold on a phase's request count
 * (`http_reqs{scenario:x}: count==N`, N its iterations) follows the scaled count.
 */
export function scaleScenario(scenario: Scenario, scale: number): Scenario {
  if (scale === 1) return scenario;
  const scalePhase = (p: PhaseOptions): PhaseOptions => {
    const startTime = p.startTime === undefined ? {} : { startTime: msText(durationMs(p.startTime) * scale) };
    return p.executor === 'constant-arrival-rate'
      ? { ...p, ...startTime, duration: msText(durationMs(p.duration) * scale) }
      : { ...p, ...startTime, iterations: Math.max(1, Math.round(p.iterations * scale)), maxDuration: msText(durationMs(p.maxDuration) * scale) };
  };
  const phases = Object.fromEntries(Object.entries(scenario.phases).map(([name, p]) => [name, scalePhase(p)]));
  const thresholds = Object.fromEntries(
    Object.entries(scenario.thresholds).map(([key, expressions]) => {
      const phase = /^http_reqs\{scenario:([^}]+)\}$/.exec(key)?.[1];
      const original = phase === undefined ? undefined : scenario.phases[phase];
      const scaled = phase === undefined ? undefined : phases[phase];
      if (original?.executor !== 'shared-iterations' || scaled?.executor !== 'shared-iterations') return [key, expressions];
      return [key, expressions.map((e) => e.replace(new RegExp(`^count==${original.iterations}$`), `count==${scaled.iterations}`))];
    }),
  );
  return {
    ...scenario,
    phases,
    thresholds,
    ...(scenario.ackPages === undefined ? {} : { ackPages: Math.max(1, Math.round(scenario.ackPages * scale)) }),
  };
}
