// An open-loop load generator: requests leave at planned instants (a constant arrival rate),
// never waiting for earlier answers, so a slow server meets the same offered load as a fast
// one and its queueing shows in the latencies. It runs in a child process of its own, so its
// event loop and garbage collector never delay the server under test, and the server's never
// delay a departure. Both the gateway and the baseline are driven by this same code.
// Every instant is on the monotonic clock of clock.ts, which the parent process shares.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  /** `http`: node:http with a keep-alive agent (the default); `fetch`: Node's fetch (undici), also keep-alive. */
  readonly client: 'http' | 'fetch';
}

export interface RequestSample {
  readonly phase: 'warmup' | 'measure';
  /** Monotonic ms (see clock.ts): when the request was planned to leave, and when it did. */
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
  /** One per request, in planned order. */
  readonly samples: readonly RequestSample[];
  /** CPU time the generator used while running the plan (user + system). */
  readonly cpuMs: number;
}

/** Runs the plan from a child process. */
export async function runOpenLoop(plan: LoadPlan): Promise<LoadReport> {
  const child = fork(fileURLToPath(new URL('./open-loop-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<LoadReport>((resolve, reject) => {
    let report: LoadReport | null = null;
    child.on('message', (m) => {
      report = m as LoadReport;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (report !== null) resolve(report);
      else reject(new Error(`the load generator exited with code ${String(code)} before reporting`));
    });
    child.send(plan);
  });
}
