// Runs a load scenario without k6: its phases become the load generator's (open loop for
// constant-arrival-rate, closed loop for shared-iterations, each from its startTime, in a child
// process with node:http keep-alive), and the samples become k6's built-in metrics, tagged by
// scenario as k6 tags them, for the same thresholds.
import { runLoad, type PhasePlan, type RequestSample, type RequestSpec } from '../dispatch-latency/open-loop.js';
import { distribution } from '../dispatch-latency/stats.js';
import { alertBody, type Exec, type PhaseOptions, type Scenario } from './scenarios.js';
import { durationMs, isGatewayMetric, plannedIterations, ratePerSecond, type PhaseFigures, type Runner, type ScenarioRun, type Target } from './scenario.js';
import { evaluateThresholds, type MetricValues } from './thresholds.js';

/** k6's default request timeout. */
const timeoutMs = 60_000;

/** The request of iteration `i` of a phase that runs `exec`; `pages` are the pages raised for acks and reads. */
function requestOf(exec: Exec, i: number, target: Target, pages: readonly string[]): RequestSpec {
  const json = { 'content-type': 'application/json' };
  const page = (): string => {
    if (pages.length === 0) throw new Error(`a phase that runs "${exec}" needs pages raised before it (ackPages)`);
    return pages[i % pages.length]!;
  };
  switch (exec) {
    case 'alert':
      return { method: 'POST', url: `${target.url}/v1/alerts`, headers: { ...json, authorization: `Bearer ${target.keys.source}` }, body: JSON.stringify(alertBody(i)) };
    case 'ack':
      return { method: 'POST', url: `${target.url}/v1/pages/${page()}/ack`, headers: { ...json, authorization: `Bearer ${target.keys.person}` }, body: JSON.stringify({ via: 'api' }) };
    case 'read':
      return { method: 'GET', url: `${target.url}/v1/pages/${page()}`, headers: { authorization: `Bearer ${target.keys.admin}` }, body: null };
  }
}

function phasePlan(name: string, p: PhaseOptions, target: Target, pages: readonly string[]): PhasePlan {
  const requests = Array.from({ length: plannedIterations(p) }, (_, i) => requestOf(p.exec, i, target, pages));
  const startMs = p.startTime === undefined ? 0 : durationMs(p.startTime);
  return p.executor === 'constant-arrival-rate'
    ? { name, startMs, requests, executor: { kind: 'constant-arrival-rate', rate: ratePerSecond(p), durationMs: durationMs(p.duration), maxInFlight: p.maxVUs } }
    : { name, startMs, requests, executor: { kind: 'shared-iterations', vus: p.vus, iterations: p.iterations, maxDurationMs: durationMs(p.maxDuration) } };
}

/** k6 counts a request failed when no answer came or its status is outside 200–399. */
const failed = (s: RequestSample): boolean => s.status < 200 || s.status >= 400;

const pageIdOf = (s: RequestSample): string | null => {
  try {
    return (JSON.parse(s.text) as { page?: { id?: unknown } }).page?.id?.toString() ?? null;
  } catch {
    return null;
  }
};

/** k6's http_req_duration, http_req_failed and http_reqs over some requests, under `tag` (`{scenario:x}`, or '' for all). */
function httpMetrics(tag: string, samples: readonly RequestSample[], wallMs: number): [string, MetricValues][] {
  return [
    [`http_req_duration${tag}`, { type: 'trend', values: samples.map((s) => s.endMs - s.startMs) }],
    [`http_req_failed${tag}`, { type: 'rate', trues: samples.filter(failed).length, total: samples.length }],
    [`http_reqs${tag}`, { type: 'counter', count: samples.length, durationS: wallMs / 1000 }],
  ];
}

/** Runs the scenario's phases against `target`; `pages` are the pages its acks and reads use, in order. */
async function runWithNode(scenario: Scenario, target: Target, pages: readonly string[], started?: (t0Ms: number) => void): Promise<ScenarioRun> {
  const plans = Object.entries(scenario.phases).map(([name, p]) => phasePlan(name, p, target, pages));
  const report = await runLoad({ phases: plans, timeoutMs, client: 'http' }, started);

  const metrics = new Map<string, MetricValues>();
  const phases: PhaseFigures[] = plans.map((plan) => {
    const samples = report.samples.filter((s) => s.phase === plan.name);
    const startMs = report.t0Ms + plan.startMs;
    const wallMs = samples.length === 0 ? 0 : Math.max(...samples.map((s) => s.endMs)) - startMs;
    for (const [key, value] of httpMetrics(`{scenario:${plan.name}}`, samples, wallMs)) metrics.set(key, value);
    const bad = samples.filter(failed);
    return {
      name: plan.name,
      exec: scenario.phases[plan.name]!.exec,
      requests: samples.length,
      errors: bad.length,
      errorExamples: [...new Set(bad.map((s) => `${s.status} ${s.text.slice(0, 160)}`))].slice(0, 3),
      dropped: report.dropped[plan.name] ?? 0,
      latency: distribution(samples.map((s) => s.endMs - s.startMs)),
      wallMs,
      throughput: wallMs > 0 ? (samples.filter((s) => s.status !== 0).length * 1000) / wallMs : 0,
      startLagP99Ms: plan.executor.kind === 'constant-arrival-rate' ? distribution(samples.map((s) => s.startMs - s.plannedMs)).p99 : null,
    };
  });
  const endMs = Math.max(report.t0Ms, ...report.samples.map((s) => s.endMs));
  for (const [key, value] of httpMetrics('', report.samples, endMs - report.t0Ms)) metrics.set(key, value);
  for (const [name, count] of Object.entries(report.dropped)) metrics.set(`dropped_iterations{scenario:${name}}`, { type: 'counter', count, durationS: (endMs - report.t0Ms) / 1000 });

  const httpThresholds = Object.fromEntries(Object.entries(scenario.thresholds).filter(([key]) => !isGatewayMetric(key)));
  return {
    phases,
    thresholds: evaluateThresholds(httpThresholds, metrics),
    alertsAccepted: report.samples.filter((s) => scenario.phases[s.phase]?.exec === 'alert' && s.status >= 200 && s.status < 300).length,
    generatorCpuMs: report.cpuMs,
  };
}

export const nodeRunner: Runner = { name: 'node', raisesPages: false, run: (_name, scenario, target, pages, started) => runWithNode(scenario, target, pages, started) };

/**
 * Raises `count` pages for a scenario's acknowledgements and reads, 20 at a time, untimed:
 * returns their ids (fewer when some alerts were refused).
 */
export async function raisePages(target: Target, count: number): Promise<string[]> {
  const requests = Array.from({ length: count }, (_, i) => requestOf('alert', i, target, []));
  const report = await runLoad({
    phases: [{ name: 'raise', startMs: 0, requests, executor: { kind: 'shared-iterations', vus: 20, iterations: count, maxDurationMs: 600_000 } }],
    timeoutMs,
    client: 'http',
  });
  return report.samples
    .filter((s) => !failed(s))
    .map(pageIdOf)
    .filter((id): id is string => id !== null);
}
