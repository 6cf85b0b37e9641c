// Benchmark of the dispatch core on PostgreSQL: the time from an alert's HTTP request to its
// first notification handed to a channel, at a steady arrival rate, and how late escalation
// steps fire. Baseline in the same run, on the same server, under the same load: a bare Hono
// route that inserts one row.
//
// Run: npm run bench:dispatch   (= tsx bench/dispatch-latency.ts)
//      npm run bench:dispatch -- --rate 200 --duration 20 --warmup 8 --step 1
// Settings also come from BENCH_RATE, BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_STEP_SECONDS,
// BENCH_LADDER (short, the default, or full: see bench/README.md),
// BENCH_CLIENT (http, the default, or fetch: the load generator's HTTP client);
// the PostgreSQL server from BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
// A fresh database is created for the run and dropped at the end.
// Writes bench/results/dispatch-latency.json and .md (or into BENCH_RESULTS_DIR). Exits 1
// when a measured alert was not accepted, never reached a channel, or a ladder did not finish.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { issueToken } from '../src/auth/tokens.js';
import { createDevChannels } from '../src/channels/index.js';
import { startBaseline } from './load/baseline.js';
import { monotonicMs } from './dispatch-latency/clock.js';
import { runOpenLoop, type LoadPlan, type RequestSample } from './dispatch-latency/open-loop.js';
import { recordingChannels, stepKey } from './dispatch-latency/recording-channels.js';
import { distribution, ms, ratio, table, type Distribution } from './dispatch-latency/stats.js';
import { createScratchDatabase } from './databases.js';
import { startDrillGateway, wallClock } from './drill-gateway.js';
import { cpuMark, cpuSince } from './cpu.js';
import { backgroundShare, codeVersion, nodeAndFlags, nodeFlags, writeResults } from './machine.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────

interface Settings {
  /** Alerts (requests) per second, for the gateway and the baseline alike. */
  readonly rate: number;
  readonly durationS: number;
  /** Left out of the figures. At least the ladder's length, so escalations are at their steady pace when measuring starts. */
  readonly warmupS: number;
  /** The drill ladder's gap between steps. */
  readonly stepSeconds: number;
  /**
   * Which drill ladder (BENCH_LADDER): `short`, a page as most are (push and SMS at once, one
   * escalation step), or `full` (12 notifications over 8 steps for every page: nobody answers).
   */
  readonly ladder: 'short' | 'full';
  readonly timeoutMs: number;
  /** postgres.js connections: the gateway's default pool, and the same for the baseline. */
  readonly poolSize: number;
  /** The load generator's HTTP client (BENCH_CLIENT): node:http by default, or Node's fetch. */
  readonly client: 'http' | 'fetch';
}

function setting(flag: string, envName: string, fallback: number): number {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  const raw = at < 0 ? process.env[envName] : args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag} / ${envName} must be a positive number, not "${raw}"`);
  return value;
}

function readSettings(): Settings {
  const stepSeconds = setting('step', 'BENCH_STEP_SECONDS', 1);
  if (!Number.isInteger(stepSeconds)) throw new Error(`--step / BENCH_STEP_SECONDS is whole seconds, not ${stepSeconds}`);
  const ladderArg = process.argv.slice(2).find((a) => a.startsWith('--ladder='))?.split('=')[1];
  const ladder = ladderArg ?? process.env['BENCH_LADDER'] ?? 'short';
  if (ladder !== 'short' && ladder !== 'full') throw new Error(`--ladder / BENCH_LADDER is short or full, not "${ladder}"`);
  const client = process.env['BENCH_CLIENT'] ?? 'http';
  if (client !== 'http' && client !== 'fetch') throw new Error(`BENCH_CLIENT is http or fetch, not "${client}"`);
  return {
    rate: setting('rate', 'BENCH_RATE', 200),
    durationS: setting('duration', 'BENCH_DURATION_S', 20),
    warmupS: setting('warmup', 'BENCH_WARMUP_S', 8),
    stepSeconds,
    ladder,
    timeoutMs: 30_000,
    poolSize: 10,
    client,
  };
}

const defaultServer = 'postgres://postgres@127.0.0.1:5432/test';

const alertBody = JSON.stringify({ alert: { test: 'K', unit: '5W', patient: { name: 'Jane Roe' } } });
/** Longest wait, after the last alert and the ladder's length, for every ladder to run out (an overloaded gateway works off a backlog). */
const ladderWaitMs = 600_000;


function plan(settings: Settings, url: string, headers: Record<string, string>): LoadPlan {
  return {
    url,
    headers: { 'content-type': 'application/json', ...headers },
    body: alertBody,
    rate: settings.rate,
    warmupMs: settings.warmupS * 1000,
    durationMs: settings.durationS * 1000,
    timeoutMs: settings.timeoutMs,
    client: settings.client,
  };
}

const sleep = (msToWait: number): Promise<void> => new Promise((r) => setTimeout(r, msToWait));

// ── what one run under load gives ───────────────────────────────────────────────────────────

interface LoadSummary {
  /** Requests in the measured window (after the warm-up). */
  readonly requests: number;
  /** Of those, answered with something other than 202 (or not answered). */
  readonly errors: number;
  readonly errorExamples: readonly string[];
  /** Requests sent again because a stale keep-alive socket was reset under them. */
  readonly retried: number;
  readonly offeredRate: number;
  /** Departures per second over the measured window, as the generator managed them. */
  readonly achievedRate: number;
  /** How late requests left against their plan (ms): the generator's own health. */
  readonly scheduleLag: Distribution;
  /** 202s received per second while the measured window lasted (any request's): what the server kept up with. */
  readonly answeredRate: number;
  /** Request start → whole answer received, for the 202s (ms). */
  readonly response: Distribution;
  /** p50 of `response` over the first and the last seconds of the window: equal when the latency is steady, growing when a queue builds. */
  readonly responseTrend: Trend;
  /** Epoch ms span of the measured window's planned departures. */
  readonly window: { readonly fromEpochMs: number; readonly toEpochMs: number };
  readonly cpu: CpuShare;
  /** The server answered (about) as fast as the requests came, and its latency did not grow through the window. */
  readonly keptUp: boolean;
}

interface Trend {
  /** Seconds at each end of the window. */
  readonly edgeS: number;
  readonly firstP50: number;
  readonly lastP50: number;
}

/** CPU used while the load ran (warm-up included), in % of one core: 100 × cores is the whole machine. */
interface CpuShare {
  readonly machine: number;
  /** This process: the server under test (gateway or baseline) and the benchmark's bookkeeping. */
  readonly server: number;
  readonly generator: number;
  /** The PostgreSQL backends serving the bench database (from /proc; null when the server is not local). */
  readonly postgres: number | null;
  /** The machine less the three above: PostgreSQL's own processes, the kernel, and anything else running (null with `postgres`). */
  readonly other: number | null;
  /** CPU ms per request sent, while the load ran. */
  readonly serverMsPerRequest: number;
  readonly postgresMsPerRequest: number | null;
}

/** p50 of the values planned in the first and in the last `edgeS` seconds of the measured window. */
function trend(points: readonly { readonly plannedMs: number; readonly value: number }[], durationS: number): Trend {
  const edgeS = Math.min(2, durationS / 4);
  if (points.length === 0) return { edgeS, firstP50: 0, lastP50: 0 };
  const from = Math.min(...points.map((p) => p.plannedMs));
  const to = Math.max(...points.map((p) => p.plannedMs));
  return {
    edgeS,
    firstP50: distribution(points.filter((p) => p.plannedMs < from + edgeS * 1000).map((p) => p.value)).p50,
    lastP50: distribution(points.filter((p) => p.plannedMs > to - edgeS * 1000).map((p) => p.value)).p50,
  };
}


/** Runs the load against a server in this process, noting the CPU each side used. */
async function drive(p: LoadPlan, probe: postgres.Sql): Promise<{ samples: readonly RequestSample[]; cpu: CpuShare }> {
  const mark = await cpuMark(probe);
  const report = await runOpenLoop(p);
  const used = await cpuSince(mark, probe);
  const { wallMs, machineMs } = used;
  const share = (cpuMs: number): number => (100 * cpuMs) / wallMs;
  const perRequest = (cpuMs: number): number => cpuMs / report.samples.length;
  const other = used.postgresMs === null ? null : share(machineMs - used.serverMs - report.cpuMs - used.postgresMs);
  return {
    samples: report.samples,
    cpu: {
      machine: share(machineMs),
      server: share(used.serverMs),
      generator: share(report.cpuMs),
      postgres: used.postgresMs === null ? null : share(used.postgresMs),
      other,
      serverMsPerRequest: perRequest(used.serverMs),
      postgresMsPerRequest: used.postgresMs === null ? null : perRequest(used.postgresMs),
    },
  };
}

/** Above this much CPU (% of one core) used by neither side of the benchmark, the report warns that the machine was shared. */
const busyOtherShare = 30;

/** A server keeps up when it answers at least this share of the offered rate… */
const keptUpShare = 0.97;
/** …and its p50 at the end of the window is at most this many times the start's, plus this slack. */
const keptUpGrowth = 1.5;
const keptUpSlackMs = 20;

function summarise(samples: readonly RequestSample[], cpu: CpuShare, settings: Settings, epochOffsetMs: number): LoadSummary {
  const rate = settings.rate;
  const measured = samples.filter((s) => s.phase === 'measure');
  const ok = measured.filter((s) => s.status === 202);
  const failed = measured.filter((s) => s.status !== 202);
  const span = measured.length > 1 ? measured[measured.length - 1]!.startMs - measured[0]!.startMs : 0;
  const from = measured[0]?.plannedMs ?? 0;
  const to = (measured[measured.length - 1]?.plannedMs ?? 0) + 1000 / rate;
  const answered = samples.filter((s) => s.status === 202 && s.endMs >= from && s.endMs < to).length;
  const answeredRate = to > from ? (answered * 1000) / (to - from) : 0;
  const responseTrend = trend(ok.map((s) => ({ plannedMs: s.plannedMs, value: s.endMs - s.startMs })), settings.durationS);
  return {
    requests: measured.length,
    errors: failed.length,
    errorExamples: [...new Set(failed.map((s) => `${s.status} ${s.text.slice(0, 160)}`))].slice(0, 3),
    retried: measured.filter((s) => s.retries > 0).length,
    offeredRate: rate,
    achievedRate: span > 0 ? ((measured.length - 1) * 1000) / span : 0,
    scheduleLag: distribution(measured.map((s) => s.startMs - s.plannedMs)),
    answeredRate,
    response: distribution(ok.map((s) => s.endMs - s.startMs)),
    responseTrend,
    window: { fromEpochMs: from + epochOffsetMs, toEpochMs: to + epochOffsetMs },
    cpu,
    keptUp: answeredRate >= keptUpShare * rate && responseTrend.lastP50 <= keptUpGrowth * responseTrend.firstP50 + keptUpSlackMs,
  };
}

/** Transactions committed in the database so far, each autocommitted statement counted (pg_stat_database; a backend reports its counts when idle or at exit). */
async function commits(sql: postgres.Sql): Promise<number> {
  // PostgreSQL 15 and later: counts this session holds back are reported now.
  await sql`select pg_stat_force_next_flush()`.catch(() => undefined);
  const [row] = await sql<{ n: string }[]>`select xact_commit::text as n from pg_stat_database where datname = current_database()`;
  return Number(row?.n ?? 0);
}

// ── the baseline ────────────────────────────────────────────────────────────────────────────

interface BaselineResult {
  readonly load: LoadSummary;
  readonly transactionsPerRequest: number;
}

async function runBaseline(databaseUrl: string, settings: Settings, probe: postgres.Sql, epochOffsetMs: number): Promise<BaselineResult> {
  const before = await commits(probe);
  const server = await startBaseline({ driver: 'postgres', url: databaseUrl, maxConnections: settings.poolSize });
  let run: Awaited<ReturnType<typeof drive>>;
  try {
    run = await drive(plan(settings, `${server.url}/v1/alerts`, { authorization: 'Bearer unused' }), probe);
  } finally {
    await server.stop();
  }
  await sleep(500);
  const after = await commits(probe);
  return { load: summarise(run.samples, run.cpu, settings, epochOffsetMs), transactionsPerRequest: (after - before) / run.samples.length };
}

// ── the gateway ─────────────────────────────────────────────────────────────────────────────

/** How late escalation steps went out (ms after their due instant), two ways and over two sets of steps. */
interface Lateness {
  /** The escalator's claim instant − due (the `lateMs` of the `step.fired` audit event), for steps due inside the measured window. */
  readonly firedUnderLoad: Distribution;
  /** The step's first notification handed to a channel − due, same steps. */
  readonly handedUnderLoad: Distribution;
  /** The same two for every later step of the pages opened in the measured window, also those due after the load stopped. */
  readonly firedMeasuredPages: Distribution;
  readonly handedMeasuredPages: Distribution;
}

interface GatewayResult {
  readonly load: LoadSummary;
  /** Request start → the page's first notification (cycle 0, step 0) handed to a channel (ms). */
  readonly handoff: Distribution;
  readonly handoffTrend: Trend;
  /** Measured pages whose first notification never reached a channel. */
  readonly missingHandoffs: number;
  /** Share of measured pages whose first notification was handed over before the 202 arrived. */
  readonly handedBeforeAnswer: number;
  readonly lateness: Lateness;
  readonly ladders: { readonly ladderMs: number; readonly pages: number; readonly complete: number; readonly expectedNotifications: number; readonly waitedMs: number; readonly finished: boolean };
  readonly repeatedAttempts: number;
  readonly transactionsPerPage: number;
  /** CPU per page over the whole ladder: from the first alert to the last ladder running out. */
  readonly cpuPerPage: { readonly serverMs: number; readonly postgresMs: number | null };
}

interface StepFired {
  readonly pageId: string;
  readonly cycle: number;
  readonly step: number;
  readonly dueEpochMs: number;
  readonly lateMs: number;
}

async function runGateway(databaseUrl: string, settings: Settings, probe: postgres.Sql, epochOffsetMs: number): Promise<GatewayResult> {
  const dir = mkdtempSync(join(os.tmpdir(), 'pagerless-bench-'));
  const recording = recordingChannels(createDevChannels({ clock: wallClock }).channels);
  const before = await commits(probe);
  const { gateway, hospital } = await startDrillGateway({
    dir,
    databaseUrl,
    stepSeconds: settings.stepSeconds,
    ladder: settings.ladder,
    channels: recording.channels,
  }).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  let run: Awaited<ReturnType<typeof drive>>;
  let waitedMs = 0;
  let finished = false;
  let cpuPerPage: GatewayResult['cpuPerPage'];
  let fired: StepFired[];
  try {
    const key = await issueToken(gateway.database.db, { kind: 'source', name: 'lab' }, new Date());
    const headers = { authorization: `Bearer ${key}` };
    // One alert first: a gateway that cannot page at all should say so, not produce figures.
    const smoke = await fetch(`${gateway.url}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: alertBody });
    if (smoke.status !== 202) throw new Error(`the gateway answered the first alert with ${smoke.status}: ${await smoke.text()}`);
    const [seqRow] = await probe<{ seq: string }[]>`select coalesce(max(seq), 0)::text as seq from audit_events`;
    const fromSeq = Number(seqRow?.seq ?? 0);

    const phase = await cpuMark(probe);
    run = await drive(plan(settings, `${gateway.url}/v1/alerts`, headers), probe);

    // Every ladder has fired its last step and nothing is queued or being sent before anything is
    // read. (Its row stays due once more, an answer window later, to declare an unanswered page missed.)
    const waitStart = monotonicMs();
    let told = waitStart;
    while (monotonicMs() - waitStart < hospital.ladder.lastStepMs + ladderWaitMs) {
      const [pending] = await probe<{ steps: number; sends: number }[]>`
        select (select count(*) from escalations where due_at is not null and next_step < ${hospital.ladder.steps})::int as steps,
               (select count(*) from notifications where status in ('queued', 'sending'))::int as sends`;
      if (pending !== undefined && pending.steps === 0 && pending.sends === 0) {
        finished = true;
        break;
      }
      if (monotonicMs() - told > 10_000) {
        told = monotonicMs();
        console.log(`  waiting for the ladders: ${pending?.steps} pages with a step to come, ${pending?.sends} notifications not sent yet`);
      }
      await sleep(250);
    }
    waitedMs = monotonicMs() - waitStart;
    const used = await cpuSince(phase, probe);
    const pages = run.samples.filter((x) => x.status === 202).length;
    cpuPerPage = { serverMs: used.serverMs / pages, postgresMs: used.postgresMs === null ? null : used.postgresMs / pages };

    const rows = await probe<{ subject: string; data: { cycle: number; step: number; dueAt: string; lateMs: number } }[]>`
      select subject, data from audit_events where seq > ${fromSeq} and kind = 'step.fired'`;
    fired = rows.map((r) => ({ pageId: r.subject.replace(/^page:/, ''), cycle: r.data.cycle, step: r.data.step, dueEpochMs: Date.parse(r.data.dueAt), lateMs: r.data.lateMs }));
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await sleep(500);
  const after = await commits(probe);

  const samples = run.samples;
  const load = summarise(samples, run.cpu, settings, epochOffsetMs);
  const pageOf = (s: RequestSample): string => (JSON.parse(s.text) as { page: { id: string } }).page.id;
  const accepted = samples.filter((s) => s.phase === 'measure' && s.status === 202).map((s) => ({ sample: s, pageId: pageOf(s) }));
  const handoffs: { plannedMs: number; value: number }[] = [];
  let missing = 0;
  let beforeAnswer = 0;
  for (const { sample, pageId } of accepted) {
    const first = recording.firstByStep.get(stepKey(pageId, 0, 0));
    if (first === undefined) {
      missing++;
      continue;
    }
    handoffs.push({ plannedMs: sample.plannedMs, value: first.monotonicMs - sample.startMs });
    if (first.monotonicMs <= sample.endMs) beforeAnswer++;
  }

  // Escalation lateness: the steps after the first (the first fires in the page's own transaction).
  const escalated = fired.filter((f) => f.cycle > 0 || f.step > 0);
  const measuredPages = new Set(accepted.map((a) => a.pageId));
  const underLoad = escalated.filter((f) => f.dueEpochMs >= load.window.fromEpochMs && f.dueEpochMs < load.window.toEpochMs);
  const ofMeasured = escalated.filter((f) => measuredPages.has(f.pageId));
  const handoffLateness = (steps: readonly StepFired[]): Distribution =>
    distribution(steps.flatMap((f) => {
      const h = recording.firstByStep.get(stepKey(f.pageId, f.cycle, f.step));
      return h === undefined ? [] : [h.epochMs - f.dueEpochMs];
    }));
  const expected = hospital.ladder.notificationsPerCycle * hospital.ladder.cycles;
  const allPages = samples.filter((s) => s.status === 202).map(pageOf);

  return {
    load,
    handoff: distribution(handoffs.map((h) => h.value)),
    handoffTrend: trend(handoffs, settings.durationS),
    missingHandoffs: missing,
    handedBeforeAnswer: accepted.length === 0 ? 0 : beforeAnswer / accepted.length,
    lateness: {
      firedUnderLoad: distribution(underLoad.map((f) => f.lateMs)),
      handedUnderLoad: handoffLateness(underLoad),
      firedMeasuredPages: distribution(ofMeasured.map((f) => f.lateMs)),
      handedMeasuredPages: handoffLateness(ofMeasured),
    },
    ladders: {
      ladderMs: hospital.ladder.lastStepMs,
      pages: measuredPages.size,
      complete: [...measuredPages].filter((p) => recording.perPage.get(p) === expected).length,
      expectedNotifications: expected,
      waitedMs,
      finished,
    },
    repeatedAttempts: recording.repeatedAttempts(),
    transactionsPerPage: allPages.length === 0 ? 0 : (after - before) / (allPages.length + 1),
    cpuPerPage,
  };
}

// ── report ──────────────────────────────────────────────────────────────────────────────────

interface Report {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly idleCpu: number; readonly code: string; readonly node: string; readonly nodeFlags: readonly string[]; readonly platform: string; readonly postgres: string; readonly date: string };
  readonly settings: Settings & { readonly server: string };
  readonly baseline: BaselineResult;
  readonly gateway: GatewayResult;
  readonly ratios: { readonly p50: number; readonly p99: number; readonly p99DifferenceMs: number };
}

const pgMs = (v: number | null): string => (v === null ? '? ms' : `${ms(v)} ms`);
const dist = (d: Distribution): string[] => [String(d.n), ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max)];

function markdown(r: Report): string {
  const { baseline: b, gateway: g, settings: s } = r;
  const handedUnderLoad = g.lateness.handedUnderLoad;
  const edge = g.handoffTrend.edgeS;
  const latencyRow = (label: string, d: Distribution, t: Trend): string[] => [label, ...dist(d), ms(t.firstP50), ms(t.lastP50)];
  const loadRow = (label: string, l: LoadSummary): string[] => [
    label,
    String(l.requests),
    String(l.errors),
    String(l.retried),
    l.achievedRate.toFixed(1),
    l.answeredRate.toFixed(1),
    ms(l.scheduleLag.p99),
    ms(l.scheduleLag.max),
    `${l.cpu.server.toFixed(0)}% / ${l.cpu.postgres === null ? '?' : `${l.cpu.postgres.toFixed(0)}%`} / ${l.cpu.generator.toFixed(0)}% / ${l.cpu.other === null ? '?' : `${Math.max(0, l.cpu.other).toFixed(0)}%`} / ${l.cpu.machine.toFixed(0)}%`,
  ];
  return [
    '## Dispatch latency on PostgreSQL',
    '',
    `Machine: ${r.machine.cpu} (${r.machine.cores} cores), Node ${nodeAndFlags(r.machine)}, ${r.machine.platform}, PostgreSQL ${r.machine.postgres}; code ${r.machine.code}; run ${r.machine.date}.`,
    '',
    `Load: ${s.rate} alerts/s open loop (each request leaves at its planned instant), ${s.warmupS} s warm-up then ${s.durationS} s measured, ` +
      `the same generator (a child process, ${s.client === 'http' ? 'node:http' : 'fetch'} with keep-alive) for both targets; ${s.poolSize} database connections each. ` +
      `Drill ladder (${s.ladder}): a step every ${s.stepSeconds} s, ${g.ladders.expectedNotifications} notifications per page over ${(g.ladders.ladderMs / 1000).toFixed(0)} s.`,
    '',
    '### Latency (ms, measured window)',
    '',
    table(
      ['figure', 'n', 'p50', 'p95', 'p99', 'max', `p50 first ${edge} s`, `p50 last ${edge} s`],
      [
        latencyRow('gateway: request → first notification handed to a channel', g.handoff, g.handoffTrend),
        latencyRow('gateway: request → 202 received', g.load.response, g.load.responseTrend),
        latencyRow('baseline: request → 202 received (one INSERT)', b.load.response, b.load.responseTrend),
      ],
    ),
    '',
    `Dispatch ÷ baseline: p50 **${ratio(r.ratios.p50)}×**, p99 **${ratio(r.ratios.p99)}×**; p99 difference **${ms(r.ratios.p99DifferenceMs)} ms**.`,
    ...[
      ['baseline', b.load.keptUp, b.load.responseTrend, b.load.answeredRate] as const,
      ['gateway', g.load.keptUp && g.handoffTrend.lastP50 <= keptUpGrowth * g.handoffTrend.firstP50 + keptUpSlackMs, g.handoffTrend, g.load.answeredRate] as const,
    ].map(([who, keptUp, t, answered]) =>
      keptUp
        ? `The ${who} kept up: ${answered.toFixed(0)} answers/s, and its p50 at the end of the window (${ms(t.lastP50)} ms) about what it was at the start (${ms(t.firstP50)} ms).`
        : `**The ${who} did not keep up at ${s.rate}/s**: ${answered.toFixed(0)} answers/s, and its p50 went from ${ms(t.firstP50)} ms at the start of the window to ${ms(t.lastP50)} ms at the end: the figures measure a growing queue, and grow with the duration.`,
    ),
    `The first notification was handed over before the 202 arrived for ${(g.handedBeforeAnswer * 100).toFixed(1)}% of pages.`,
    '',
    '### Load',
    '',
    table(
      ['target', 'requests', 'errors', 'retried', 'sent /s', 'answered /s', 'start lag p99 ms', 'start lag max ms', 'CPU server / postgres / generator / other / machine'],
      [loadRow('baseline', b.load), loadRow('gateway', g.load)],
    ),
    '',
    ...(b.load.errorExamples.length + g.load.errorExamples.length === 0 ? [] : [`Errors: ${[...b.load.errorExamples, ...g.load.errorExamples].join('; ')}`, '']),
    ...([['baseline', b.load.cpu.other], ['gateway', g.load.cpu.other]] as const)
      .filter(([, other]) => other !== null && other > busyOtherShare)
      .map(([who, other]) => `**Warning**: other work took ${other!.toFixed(0)}% of a core while the ${who} was under load: the figures shared the machine with it.\n`),
    `CPU is in % of one core while the load ran, warm-up included (${r.machine.cores * 100}% is the whole machine): the server process, the PostgreSQL backends serving it, the load generator, ` +
      `the rest (PostgreSQL's own processes, the kernel, anything else running), and the whole machine, which was ${r.machine.idleCpu.toFixed(0)}% busy in the second before the run. ` +
      `Database transactions (pg_stat_database commits, each autocommitted statement counted, start-up included): baseline ${b.transactionsPerRequest.toFixed(2)} per request, gateway ${g.transactionsPerPage.toFixed(1)} per page.`,
    '',
    `CPU per alert: baseline ${ms(b.load.cpu.serverMsPerRequest)} ms in the server and ${pgMs(b.load.cpu.postgresMsPerRequest)} in PostgreSQL; ` +
      `gateway ${ms(g.cpuPerPage.serverMs)} ms in the server and ${pgMs(g.cpuPerPage.postgresMs)} in PostgreSQL per page, its whole ladder (${g.ladders.expectedNotifications} notifications) included. ` +
      `One gateway process, one event loop, can page at most about ${(1000 / g.cpuPerPage.serverMs).toFixed(0)} alerts/s with this ladder on this machine.`,
    '',
    '### Escalation lateness (ms, due instant → fire; steps after the first)',
    '',
    table(
      ['steps', 'n', 'p50', 'p95', 'p99', 'max'],
      [
        ['fired (audit lateMs), due under load', ...dist(g.lateness.firedUnderLoad)],
        ['handed to a channel, due under load', ...dist(g.lateness.handedUnderLoad)],
        ['fired (audit lateMs), measured pages', ...dist(g.lateness.firedMeasuredPages)],
        ['handed to a channel, measured pages', ...dist(g.lateness.handedMeasuredPages)],
      ],
    ),
    '',
    `"Due under load": steps of any page (warm-up ones too) falling due inside the measured window. "Measured pages": every later step of the pages opened in the window, including the ones that fell due after the load stopped.`,
    '',
    handedUnderLoad.p50 > s.stepSeconds * 1000
      ? `**Escalations fell behind**: under load a step's notifications reached a channel ${ms(handedUnderLoad.p50)} ms after the step fell due (p50), more than the ${s.stepSeconds} s between steps.`
      : `Escalations kept pace: under load a step's notifications reached a channel ${ms(handedUnderLoad.p50)} ms after the step fell due (p50; ${ms(handedUnderLoad.p99)} ms at p99), within the ${s.stepSeconds} s between steps.`,
    '',
    `Ladders: ${g.ladders.complete} of ${g.ladders.pages} measured pages got all ${g.ladders.expectedNotifications} notifications; ` +
      `${g.ladders.finished ? 'every ladder ran out' : 'NOT every ladder ran out'} ${(g.ladders.waitedMs / 1000).toFixed(1)} s after the last answer; ` +
      `${g.missingHandoffs} measured pages never reached a channel; ${g.repeatedAttempts} repeated send attempts.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = monotonicMs();
  const settings = readSettings();
  const server = process.env['BENCH_DATABASE_URL'] ?? defaultServer;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  const [version] = await admin<{ server_version: string }[]>`show server_version`;
  const scratch = await createScratchDatabase(admin, server, 'pagerless_bench');
  const databaseUrl = scratch.url;
  const probe = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const drop = async (): Promise<void> => {
    await probe.end({ timeout: 5 }).catch(() => undefined);
    await scratch.drop();
    await admin.end({ timeout: 5 });
  };
  process.once('SIGINT', () => {
    void drop().finally(() => process.exit(130));
  });

  let report: Report;
  try {
    // One monotonic ↔ epoch correspondence for the whole run.
    const epochOffsetMs = Date.now() - monotonicMs();
    const idleCpu = await backgroundShare();
    if (idleCpu > 20) console.log(`warning: the machine was ${idleCpu.toFixed(0)}% busy (of one core) before the run; the figures share it with that`);
    console.log(`database ${scratch.name}; ${settings.rate}/s, ${settings.warmupS} s warm-up + ${settings.durationS} s, step ${settings.stepSeconds} s`);
    console.log('baseline: a bare Hono route inserting one row…');
    const baseline = await runBaseline(databaseUrl, settings, probe, epochOffsetMs);
    console.log('gateway: POST /v1/alerts through the dispatch core…');
    const gateway = await runGateway(databaseUrl, settings, probe, epochOffsetMs);
    report = {
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        idleCpu,
        code: codeVersion(),
        node: process.version,
        nodeFlags: nodeFlags(),
        platform: `${os.platform()} ${os.arch()}`,
        postgres: version?.server_version ?? 'unknown',
        date: new Date().toISOString(),
      },
      settings: { ...settings, server: new URL(server).host },
      baseline,
      gateway,
      ratios: {
        p50: gateway.handoff.p50 / baseline.load.response.p50,
        p99: gateway.handoff.p99 / baseline.load.response.p99,
        p99DifferenceMs: gateway.handoff.p99 - baseline.load.response.p99,
      },
    };
  } finally {
    await drop();
  }

  const md = markdown(report);
  console.log(`\n${md}`);
  const written = writeResults('dispatch-latency', report, md);
  console.log(`Wrote ${written}.{json,md} in ${((monotonicMs() - started) / 1000).toFixed(1)} s.`);

  const g = report.gateway;
  const problems = [
    g.load.errors + report.baseline.load.errors > 0 ? `${g.load.errors + report.baseline.load.errors} measured requests were not answered 202` : null,
    g.missingHandoffs > 0 ? `${g.missingHandoffs} measured pages never reached a channel` : null,
    !g.ladders.finished || g.ladders.complete !== g.ladders.pages ? 'not every ladder finished' : null,
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) {
    console.error(`The figures are not a clean run: ${problems.join('; ')}.`);
    process.exit(1);
  }
}

await main();
