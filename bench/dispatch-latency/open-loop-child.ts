// The load generator's process (started by open-loop.ts): takes a GeneratorPlan over IPC, runs
// its phases over keep-alive connections (opened as the load needs them), and sends the samples
// back. An open-loop phase sends every request at its planned instant; a closed-loop one keeps
// its workers busy until the iterations are used up.
import { Agent, request } from 'node:http';
import { monotonicMs } from './clock.js';
import { arrivals, type Executor, type GeneratorMessage, type GeneratorPlan, type LoadReport, type PhasePlan, type RequestSample, type RequestSpec } from './open-loop.js';

/** Time from receiving the plan to the first departure: lets the process settle. */
const leadMs = 250;
/** How many times a request reset on a stale keep-alive socket is sent again. */
const maxStaleRetries = 2;

interface Answer {
  readonly status: number;
  readonly text: string;
}

// node:http rather than fetch by default: on Node 20 fetch (undici) spends about twice the CPU
// per request, and on a small machine the generator's CPU is taken from the server under test.
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** A keep-alive socket the server closed while it sat idle, reset as the request went out: the server never saw the request. */
class StaleSocket extends Error {}

function sendWithHttp(spec: RequestSpec, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = spec.body === null ? spec.headers : { ...spec.headers, 'content-length': String(Buffer.byteLength(spec.body)) };
    let answered = false;
    const req = request(spec.url, { method: spec.method, agent, headers, timeout: timeoutMs }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && !answered && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
      reject(stale ? new StaleSocket(e.message) : e);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end(spec.body ?? undefined);
  });
}

async function sendWithFetch(spec: RequestSpec, timeoutMs: number): Promise<Answer> {
  const res = await fetch(spec.url, { method: spec.method, headers: spec.headers, body: spec.body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

/** Sends one request and notes how it went; never throws. */
async function attempt(plan: GeneratorPlan, phase: string, spec: RequestSpec, plannedMs: number): Promise<RequestSample> {
  const send = plan.client === 'fetch' ? sendWithFetch : sendWithHttp;
  const startMs = monotonicMs();
  let status = 0;
  let text = '';
  let retries = 0;
  // As Node's documentation advises for request.reusedSocket: a request reset on a stale
  // keep-alive socket is sent again (on a fresh one), and its latency still runs from the first try.
  for (;;) {
    try {
      const answer = await send(spec, plan.timeoutMs);
      status = answer.status;
      text = status >= 200 && status < 300 ? answer.text : answer.text.slice(0, 500);
    } catch (e) {
      if (e instanceof StaleSocket && retries < maxStaleRetries) {
        retries++;
        continue;
      }
      text = `${(e as Error).name}: ${(e as Error).message}`;
    }
    break;
  }
  return { phase, plannedMs, startMs, endMs: monotonicMs(), status, text, retries };
}

interface PhaseOutcome {
  readonly samples: RequestSample[];
  readonly dropped: number;
}

/** Constant arrival rate: request i leaves at start + i / rate, whatever became of the ones before. */
function openLoop(plan: GeneratorPlan, phase: PhasePlan, executor: Extract<Executor, { kind: 'constant-arrival-rate' }>, startMs: number): Promise<PhaseOutcome> {
  const interval = 1000 / executor.rate;
  const total = arrivals(executor.rate, executor.durationMs);
  const slots = new Array<RequestSample | undefined>(total);
  let next = 0;
  let settled = 0;
  let inFlight = 0;
  let dropped = 0;
  return new Promise((resolve) => {
    const finish = (): void => resolve({ samples: slots.filter((s): s is RequestSample => s !== undefined), dropped });
    if (total === 0) return finish();
    const depart = (i: number, plannedMs: number): void => {
      if (executor.maxInFlight !== null && inFlight >= executor.maxInFlight) {
        dropped++;
        if (++settled === total) finish();
        return;
      }
      inFlight++;
      void attempt(plan, phase.name, phase.requests[i % phase.requests.length]!, plannedMs).then((sample) => {
        inFlight--;
        slots[i] = sample;
        if (++settled === total) finish();
      });
    };
    // Timers fire at 1 ms granularity at best: each wake-up sends every request whose instant
    // has come, so a late wake-up sends a small burst rather than shifting the whole schedule.
    const tick = (): void => {
      const now = monotonicMs();
      while (next < total && startMs + next * interval <= now) {
        depart(next, startMs + next * interval);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, startMs + next * interval - monotonicMs()));
    };
    setTimeout(tick, Math.max(0, startMs - monotonicMs()));
  });
}

/** Shared iterations: `vus` workers, each sending the next request as soon as its last one is answered. */
async function closedLoop(plan: GeneratorPlan, phase: PhasePlan, executor: Extract<Executor, { kind: 'shared-iterations' }>, startMs: number): Promise<PhaseOutcome> {
  await new Promise((r) => setTimeout(r, Math.max(0, startMs - monotonicMs())));
  const slots = new Array<RequestSample | undefined>(executor.iterations);
  const deadline = monotonicMs() + executor.maxDurationMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < executor.iterations && monotonicMs() < deadline) {
      const i = next++;
      slots[i] = await attempt(plan, phase.name, phase.requests[i % phase.requests.length]!, monotonicMs());
    }
  };
  await Promise.all(Array.from({ length: executor.vus }, worker));
  // Iterations left when maxDuration ran out are not sent, as in k6; they are not "dropped" either.
  return { samples: slots.filter((s): s is RequestSample => s !== undefined), dropped: 0 };
}

async function run(plan: GeneratorPlan): Promise<Omit<LoadReport, 'cpuMs'>> {
  const t0Ms = monotonicMs() + leadMs;
  tell({ kind: 'started', t0Ms });
  const outcomes = await Promise.all(
    plan.phases.map((phase) =>
      phase.executor.kind === 'constant-arrival-rate' ? openLoop(plan, phase, phase.executor, t0Ms + phase.startMs) : closedLoop(plan, phase, phase.executor, t0Ms + phase.startMs),
    ),
  );
  return {
    samples: outcomes.flatMap((o) => o.samples),
    dropped: Object.fromEntries(plan.phases.map((p, i) => [p.name, outcomes[i]!.dropped])),
    t0Ms,
  };
}

process.once('message', (plan) => {
  const cpu = process.cpuUsage();
  void run(plan as GeneratorPlan).then((result) => {
    const used = process.cpuUsage(cpu);
    const report: LoadReport = { ...result, cpuMs: (used.user + used.system) / 1000 };
    tell({ kind: 'report', report }, () => process.disconnect());
  });
});

function tell(message: GeneratorMessage, then: () => void = () => {}): void {
  process.send?.(message, then);
}
