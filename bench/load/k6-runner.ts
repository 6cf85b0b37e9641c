// Runs a load scenario with k6, when `k6` is on PATH: `k6 run` of k6/<scenario>.js with the
// target's address and keys, then its end-of-test summary (SUMMARY_FILE, written by the
// script's handleSummary) read back into the same figures the Node runner gives. k6 judges every
// threshold itself, the gateway_* ones too: its setup raises the pages to acknowledge and takes
// the first /metrics snapshot once they are dispatched, its teardown the second (k6/lib.js).
//
// What the summary holds is less than the Node runner's samples, so some figures are close
// rather than exact: a phase's latencies and counts come from its `{scenario:x}` sub-metrics,
// which k6 keeps only for metrics a threshold names (else, for a one-phase scenario, from the
// untagged metric, which also counts setup's and teardown's few GET /metrics); its wall time is
// the configured duration of an open loop, and the test's duration less teardown's wait for a
// closed one; dropped iterations are known for the whole test only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationMs, type PhaseFigures, type Runner, type ScenarioName, type ScenarioRun, type Target } from './scenario.js';
import { stepSeconds, type Scenario } from './scenarios.js';
import type { ThresholdResult } from './thresholds.js';

/** The parts of k6's summary (handleSummary's data) read here. */
interface K6Summary {
  readonly state: { readonly testRunDurationMs: number };
  readonly metrics: Readonly<Record<string, { readonly values: Readonly<Record<string, number>>; readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>> }>>;
}

/** k6's exit code when thresholds failed: a result to report, not a broken run. */
const thresholdsFailed = 99;
/** teardownFor in k6/lib.js waits this long before its last /metrics snapshot. */
const teardownWaitMs = 3 * stepSeconds * 1000;

function k6Run(k6: string, script: string, env: Readonly<Record<string, string>>): Promise<number> {
  const args = ['run', ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]), script];
  return new Promise((resolve, reject) => {
    const child = spawn(k6, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** The value a threshold expression judged (`p(99)<250` → the p(99)), from the metric's summary values. */
function judgedValue(values: Readonly<Record<string, number>>, expression: string): number | null {
  const aggregation = /^\s*(p\([\d.]+\)|avg|min|max|med|rate|count|value)/.exec(expression)?.[1];
  const value = aggregation === undefined ? undefined : values[aggregation];
  return value === undefined || !Number.isFinite(value) ? null : value;
}

async function runWithK6(k6: string, name: ScenarioName, scenario: Scenario, target: Target): Promise<ScenarioRun> {
  const dir = mkdtempSync(join(os.tmpdir(), 'pagerless-bench-k6-'));
  let summary: K6Summary;
  try {
    const summaryFile = join(dir, 'summary.json');
    const script = fileURLToPath(new URL(`./k6/${name}.js`, import.meta.url));
    const env = { BASE_URL: target.url, API_KEY: target.keys.source, ACK_KEY: target.keys.person, ADMIN_KEY: target.keys.admin, SUMMARY_FILE: summaryFile };
    const code = await k6Run(k6, script, env);
    if (code !== 0 && code !== thresholdsFailed) throw new Error(`k6 run ${script} exited with ${code}`);
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const names = Object.keys(scenario.phases);
  const metric = (base: string, phase: string): Readonly<Record<string, number>> | null =>
    summary.metrics[`${base}{scenario:${phase}}`]?.values ?? (names.length === 1 ? (summary.metrics[base]?.values ?? null) : null);
  const phases = names.map((phase): PhaseFigures => {
    const options = scenario.phases[phase]!;
    const duration = metric('http_req_duration', phase);
    const failed = metric('http_req_failed', phase);
    // A Rate's passes are its true samples: for http_req_failed, the failed requests.
    const errors = failed?.['passes'] ?? 0;
    const requests = errors + (failed?.['fails'] ?? 0);
    const wallMs = options.executor === 'constant-arrival-rate' ? durationMs(options.duration) : summary.state.testRunDurationMs - teardownWaitMs;
    return {
      name: phase,
      exec: options.exec,
      requests,
      errors,
      errorExamples: [],
      dropped: names.length === 1 ? (summary.metrics['dropped_iterations']?.values['count'] ?? 0) : 0,
      latency: { n: requests, p50: duration?.['p(50)'] ?? NaN, p95: duration?.['p(95)'] ?? NaN, p99: duration?.['p(99)'] ?? NaN, max: duration?.['max'] ?? NaN },
      wallMs,
      throughput: (requests * 1000) / wallMs,
      startLagP99Ms: null,
    };
  });
  const thresholds: ThresholdResult[] = Object.entries(summary.metrics).flatMap(([key, m]) =>
    Object.entries(m.thresholds ?? {}).map(([expression, { ok }]) => ({ metric: key, expression, actual: judgedValue(m.values, expression), ok })),
  );
  const alertsAccepted = phases.filter((p) => p.exec === 'alert').reduce((n, p) => n + p.requests - p.errors, 0);
  return { phases, thresholds, alertsAccepted, generatorCpuMs: null };
}

/** The k6 runner for the binary at `k6`. */
export function k6Runner(k6: string): Runner {
  return { name: 'k6', raisesPages: true, run: (name, scenario, target) => runWithK6(k6, name, scenario, target) };
}
