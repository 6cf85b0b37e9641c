// The benchmarks' load generator. Its main mode is an open loop: requests leave at planned
// instants (a constant arrival rate), never waiting for earlier answers, so a slow server meets
// the same offered load as a fast one and its queueing shows in the latencies. For a burst "as
// fast as it is answered" (k6's shared-iterations) it also runs a closed loop of workers that
// share an iteration count. It runs in a child process of its own, so its event loop and
// garbage collector never delay the server under test, and the server's never delay a
// departure. Every target of a benchmark is driven by this same code: the dispatch latency
// benchmark (one open loop, `runOpenLoop`) and the load scenarios of `npm run bench`
// (several phases at once, `runLoad`).
// Every instant is on the monotonic clock of clock.ts, which the parent process shares.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One request as it goes out. */
export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Null: no body (a GET). */
  readonly body: string | null;
}

export type Executor =
  /**
   * An open loop: `rate` requests a second for `durationMs`, each at its planned instant. As in
   * k6, at most `maxInFlight` wait for an answer at once (its maxVUs); a departure that would
   * exceed it is dropped and counted. Null: no limit.
   */
  | { readonly kind: 'constant-arrival-rate'; readonly rate: number; readonly durationMs: number; readonly maxInFlight: number | null }
  /** A closed loop: `vus` workers take the next of `iterations` requests as each answer comes, until none is left or `maxDurationMs` has passed. */
  | { readonly kind: 'shared-iterations'; readonly vus: number; readonly iterations: number; readonly maxDurationMs: number };

/** How many requests an open loop sends: one every 1/rate s over the duration. */
export function arrivals(ratePerSecond: number, durationMs: number): number {
  return Math.round((durationMs * ratePerSecond) / 1000);
}

export interface PhasePlan {
  /** Names the samples (k6's scenario name). */
  readonly name: string;
  /** When the phase starts, after the plan's start (k6's startTime). */
  readonly startMs: number;
  readonly executor: Executor;
  /** Iteration i sends `requests[i % requests.length]`. */
  readonly requests: readonly RequestSpec[];
}

export interface GeneratorPlan {
  /** Run at once, each from its `startMs`. */
  readonly phases: readonly PhasePlan[];
  /** A request without an answer by then counts as an error (status 0). */
  readonly timeoutMs: number;
  /** `http`: node:http with a keep-alive agent (the default); `fetch`: Node's fetch (undici), also keep-alive. */
  readonly client: 'http' | 'fetch';
}

/** The dispatch latency benchmark's plan: one alert, at one rate, after a warm-up at the same rate. */
export interface LoadPlan {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Requests per second. */
  readonly rate: number;
  /** Requests in the first `warmupMs` are marked `warmup` and left out of the figures. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A request without an answer by then counts as an error (status 0). */
  readonly timeoutMs: number;
  readonly client: 'http' | 'fetch';
}

export interface RequestSample {
  /** The phase's name (`warmup` and `measure` for a LoadPlan). */
  readonly phase: string;
  /** Monotonic ms (see clock.ts): when the request was planned to leave (in a closed loop: when its worker was free), and when it did. */
  readonly plannedMs: number;
  readonly startMs: number;
  /** When the whole answer had arrived; the end of the attempt when there was none. */
  readonly endMs: number;
  /** The HTTP status, or 0 when no answer came (connection error, timeout). */
  readonly status: number;
  /** The answer's body for a 2xx (the gateway's names the page); otherwise the error. */
  readonly text: string;
  /** Times it was sent again after a stale keep-alive socket was reset under it (the server never saw those tries). */
  readonly retries: number;
}

export interface LoadReport {
  /** One per request sent, phase by phase, each phase's in planned order. */
  readonly samples: readonly RequestSample[];
  /** Per phase: departures dropped because `maxInFlight` requests were waiting already (k6's dropped_iterations). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Monotonic ms when the plan started: every phase's `startMs` counts from here. */
  readonly t0Ms: number;
  /** CPU time the generator used while running the plan (user + system). */
  readonly cpuMs: number;
}

/** What the generator's process tells its parent: when the plan starts, then the report. */
export type GeneratorMessage = { readonly kind: 'started'; readonly t0Ms: number } | { readonly kind: 'report'; readonly report: LoadReport };

/**
 * Runs the phases from a child process. `started` hears when the plan starts (monotonic ms, the
 * instant every phase's `startMs` counts from), as soon as the child has chosen it: the child
 * takes a moment to boot, so a parent's own timer would run early.
 */
export async function runLoad(plan: GeneratorPlan, started?: (t0Ms: number) => void): Promise<LoadReport> {
  const child = fork(fileURLToPath(new URL('./open-loop-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<LoadReport>((resolve, reject) => {
    let report: LoadReport | null = null;
    child.on('message', (m: GeneratorMessage) => {
      if (m.kind === 'started') started?.(m.t0Ms);
      else report = m.report;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (report !== null) resolve(report);
      else reject(new Error(`the load generator exited with code ${String(code)} before reporting`));
    });
    child.send(plan);
  });
}

/** Runs a LoadPlan: the warm-up and the measured window are two open-loop phases, one schedule. */
export async function runOpenLoop(plan: LoadPlan): Promise<LoadReport> {
  const request: RequestSpec = { method: 'POST', url: plan.url, headers: plan.headers, body: plan.body };
  const phase = (name: string, startMs: number, durationMs: number): PhasePlan => ({
    name,
    startMs,
    executor: { kind: 'constant-arrival-rate', rate: plan.rate, durationMs, maxInFlight: null },
    requests: [request],
  });
  return runLoad({ phases: [phase('warmup', 0, plan.warmupMs), phase('measure', plan.warmupMs, plan.durationMs)], timeoutMs: plan.timeoutMs, client: plan.client });
}
