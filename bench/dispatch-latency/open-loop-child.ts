// The load generator's process (started by open-loop.ts): takes a LoadPlan over IPC, sends
// every request at its planned instant over keep-alive connections (opened as the load needs
// them), and sends the samples back.
import { Agent, request } from 'node:http';
import { monotonicMs } from './clock.js';
import type { LoadPlan, LoadReport, RequestSample } from './open-loop.js';

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

function postWithHttp(plan: LoadPlan): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...plan.headers, 'content-length': String(Buffer.byteLength(plan.body)) };
    let answered = false;
    const req = request(plan.url, { method: 'POST', agent, headers, timeout: plan.timeoutMs }, (res) => {
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
    req.on('timeout', () => req.destroy(new Error(`no answer within ${plan.timeoutMs} ms`)));
    req.end(plan.body);
  });
}

async function postWithFetch(plan: LoadPlan): Promise<Answer> {
  const res = await fetch(plan.url, { method: 'POST', headers: plan.headers, body: plan.body, signal: AbortSignal.timeout(plan.timeoutMs) });
  return { status: res.status, text: await res.text() };
}

function run(plan: LoadPlan): Promise<RequestSample[]> {
  const post = plan.client === 'fetch' ? postWithFetch : postWithHttp;
  const interval = 1000 / plan.rate;
  const warmupCount = Math.round((plan.warmupMs * plan.rate) / 1000);
  const total = warmupCount + Math.round((plan.durationMs * plan.rate) / 1000);
  const samples = new Array<RequestSample>(total);
  const t0 = monotonicMs() + leadMs;
  let next = 0;
  let done = 0;

  return new Promise((resolve) => {
    if (total === 0) resolve([]);
    const send = async (i: number, plannedMs: number): Promise<void> => {
      const phase = i < warmupCount ? 'warmup' : 'measure';
      const startMs = monotonicMs();
      let status = 0;
      let text = '';
      let retries = 0;
      // As Node's documentation advises for request.reusedSocket: a request reset on a stale
      // keep-alive socket is sent again (on a fresh one), and its latency still runs from the first try.
      for (;;) {
        try {
          const answer = await post(plan);
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
      samples[i] = { phase, plannedMs, startMs, endMs: monotonicMs(), status, text, retries };
      if (++done === total) resolve(samples);
    };
    // Timers fire at 1 ms granularity at best: each wake-up sends every request whose instant
    // has come, so a late wake-up sends a small burst rather than shifting the whole schedule.
    const tick = (): void => {
      const now = monotonicMs();
      while (next < total && t0 + next * interval <= now) {
        void send(next, t0 + next * interval);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * interval - monotonicMs()));
    };
    setTimeout(tick, leadMs);
  });
}

process.once('message', (plan) => {
  const cpu = process.cpuUsage();
  void run(plan as LoadPlan).then((samples) => {
    const used = process.cpuUsage(cpu);
    const report: LoadReport = { samples, cpuMs: (used.user + used.system) / 1000 };
    process.send?.(report, () => process.disconnect());
  });
});
