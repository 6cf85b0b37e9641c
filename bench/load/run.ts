// `npm run bench`: the load scenarios of scenarios.js (steady, storm, ack, mixed) against the
// gateway, on PostgreSQL and on PGlite, next to a baseline measured in the same run on the same
// database (a bare Hono route that commits one row: baseline.ts). The gateway runs in this
// process with the drill hospital (test/support/drill-hospital.ts) and the development
// channels, which send nothing and keep no record in memory. The load comes from k6 when `k6` is
// on PATH (k6/<scenario>.js), otherwise from the Node load generator running the same scenarios
// and judged by the same thresholds (node-runner.ts). The gateway's own figures (alert → first
// notification, escalation lateness) are read from its /metrics before and after each scenario.
//
// Run: npm run bench                                      (both databases, every scenario)
//      npm run bench -- --db postgres --scenario steady,storm --scale 0.25
// Settings: --db postgres|pglite|both (BENCH_DB), --scenario a,b (BENCH_SCENARIOS),
// --scale f (BENCH_SCALE: durations, iteration counts and pages to acknowledge × f, for a quick
// look; the Node generator only), --runner node|k6 (BENCH_RUNNER; default k6 when on PATH),
// BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): a fresh database
// is created for each target and dropped at the end, also on Ctrl-C.
// Writes bench/results/load.json (every figure) and bench/results/load.md (the tables), or the
// two into BENCH_RESULTS_DIR.
// Exits 0 when thresholds fail (they are aims, reported), 1 when the run itself broke (a target
// would not start, a scenario could not be run).
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { issueToken } from '../../src/auth/tokens.js';
import { createDevChannels } from '../../src/channels/index.js';
import { monotonicMs } from '../dispatch-latency/clock.js';
import { startBaseline } from './baseline.js';
import { k6Runner } from './k6-runner.js';
import { nodeRunner, raisePages } from './node-runner.js';
import { gatewayFigures, gatewayGaugeValues } from './prometheus.js';
import { aimsOf, markdown, ratiosOf, type DatabaseKind, type LoadReport, type ScenarioResult, type TargetKind } from './report.js';
import { durationMs, isGatewayMetric, scaleScenario, type Runner, type ScenarioName, type Target } from './scenario.js';
import { scenarios, stepSeconds } from './scenarios.js';
import { evaluateThresholds, type MetricValues } from './thresholds.js';
import { createScratchDatabase } from '../databases.js';
import { startDrillGateway, wallClock } from '../drill-gateway.js';
import { cpuMark, cpuSince, type CpuMark } from '../cpu.js';
import { backgroundShare, codeVersion, nodeFlags, writeResults } from '../machine.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────

export interface Settings {
  readonly databases: readonly DatabaseKind[];
  readonly scenarios: readonly ScenarioName[];
  readonly scale: number;
  /** Undefined: k6 when it is on PATH, else the Node load generator. */
  readonly runner: 'node' | 'k6' | undefined;
  readonly server: string;
  /** postgres.js connections: the gateway's default pool, and the same for the baseline. */
  readonly poolSize: number;
}

/** `--name value`, `--name=value`, or the environment variable. */
function option(flag: string, envName: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  const raw = at < 0 ? process.env[envName] : args[at]!.includes('=') ? args[at]!.slice(args[at]!.indexOf('=') + 1) : args[at + 1];
  return raw === '' ? undefined : raw;
}

function readSettings(): Settings {
  const db = option('db', 'BENCH_DB') ?? 'both';
  if (db !== 'postgres' && db !== 'pglite' && db !== 'both') throw new Error(`--db / BENCH_DB is postgres, pglite or both, not "${db}"`);
  const names = Object.keys(scenarios) as ScenarioName[];
  const chosen = (option('scenario', 'BENCH_SCENARIOS') ?? names.join(',')).split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !names.includes(s as ScenarioName));
  if (unknown.length > 0) throw new Error(`--scenario / BENCH_SCENARIOS: no scenario ${unknown.join(', ')} (there are ${names.join(', ')})`);
  const scale = Number(option('scale', 'BENCH_SCALE') ?? '1');
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`--scale / BENCH_SCALE must be a positive number, not "${option('scale', 'BENCH_SCALE')}"`);
  const runner = option('runner', 'BENCH_RUNNER');
  if (runner !== undefined && runner !== 'node' && runner !== 'k6') throw new Error(`--runner / BENCH_RUNNER is node or k6, not "${runner}"`);
  return {
    runner,
    databases: db === 'both' ? ['postgres', 'pglite'] : [db],
    scenarios: names.filter((n) => chosen.includes(n)),
    scale,
    server: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    poolSize: 10,
  };
}

// ── the machine ─────────────────────────────────────────────────────────────────────────────

/** The k6 binary on PATH, or null. */
function k6OnPath(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'k6');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** k6 when it is on PATH, else the Node load generator; --runner (BENCH_RUNNER) chooses. */
function chooseRunner(settings: Settings): Runner {
  const k6 = k6OnPath();
  if (settings.runner === 'node' || (settings.runner === undefined && k6 === null)) return nodeRunner;
  if (k6 === null) throw new Error('--runner k6: k6 is not on PATH');
  return k6Runner(k6);
}

const sleep = (msToWait: number): Promise<void> => new Promise((r) => setTimeout(r, msToWait));

// ── targets ─────────────────────────────────────────────────────────────────────────────────

/** What is left to undo: run at the end, and on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const undo of cleanups.splice(0).reverse()) await undo().catch((e: unknown) => console.error(`cleaning up: ${(e as Error).message}`));
}

/** `stop` for the end of a target's scenarios and for the clean-up alike: it runs once. */
function once(stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= stop());
}

interface RunningTarget {
  readonly target: Target;
  /** The gateway's /metrics text; null for the baseline, which has none. */
  readonly metrics: (() => Promise<string>) | null;
  /** A connection to the target's PostgreSQL database, to read its backends' CPU; null on PGlite (inside this process). */
  readonly probe: postgres.Sql | null;
  stop(): Promise<void>;
}

/** A fresh place for one target's data: a new PostgreSQL database, or a PGlite data directory. */
async function freshDatabase(kind: DatabaseKind, settings: Settings, admin: postgres.Sql | null, dir: string): Promise<{ url: string | null; dataDir: string }> {
  const dataDir = join(dir, 'pglite');
  if (kind === 'pglite') return { url: null, dataDir };
  const database = await createScratchDatabase(admin!, settings.server, 'pagerless_bench_load');
  cleanups.push(database.drop);
  return { url: database.url, dataDir };
}

/** The probe of a target on `url` (closed before its database is dropped), or null on PGlite. */
function probeOf(url: string | null): postgres.Sql | null {
  if (url === null) return null;
  const probe = postgres(url, { max: 1, onnotice: () => {} });
  cleanups.push(() => probe.end({ timeout: 5 }));
  return probe;
}

async function startBaselineTarget(kind: DatabaseKind, settings: Settings, admin: postgres.Sql | null): Promise<RunningTarget> {
  const dir = mkdtempSync(join(os.tmpdir(), 'pagerless-bench-load-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const { url, dataDir } = await freshDatabase(kind, settings, admin, dir);
  const server = await startBaseline(url === null ? { driver: 'pglite', dataDir } : { driver: 'postgres', url, maxConnections: settings.poolSize });
  const stop = once(() => server.stop());
  cleanups.push(stop);
  return { target: { url: server.url, keys: { source: 'unused', person: 'unused', admin: 'unused' } }, metrics: null, probe: probeOf(url), stop };
}

async function startGatewayTarget(kind: DatabaseKind, settings: Settings, admin: postgres.Sql | null): Promise<RunningTarget> {
  const dir = mkdtempSync(join(os.tmpdir(), 'pagerless-bench-load-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const { url } = await freshDatabase(kind, settings, admin, dir);
  const { gateway, hospital } = await startDrillGateway({ dir, databaseUrl: url, stepSeconds, ladder: 'short', channels: createDevChannels({ clock: wallClock, keepRecords: false }).channels });
  const stop = once(() => gateway.stop());
  cleanups.push(stop);
  const db = gateway.database.db;
  const keys = {
    source: await issueToken(db, { kind: 'source', name: 'lab' }, wallClock()),
    // Acknowledgements come from the provider the drill hospital pages first.
    person: await issueToken(db, { kind: 'person', name: hospital.provider }, wallClock()),
    admin: await issueToken(db, { kind: 'admin', name: 'bench' }, wallClock()),
  };
  const target = { url: gateway.url, keys };
  await smokeTest(target);
  return {
    target,
    probe: probeOf(url),
    metrics: async () => {
      const res = await fetch(`${gateway.url}/metrics`);
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
      return res.text();
    },
    stop,
  };
}

/** One alert, its acknowledgement and a read, before any figure: a gateway that cannot do them should say so, not produce figures. */
async function smokeTest(target: Target): Promise<void> {
  const call = async (method: string, path: string, key: string, body: unknown, expected: number): Promise<unknown> => {
    const res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status} (not ${expected}): ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  };
  const opened = (await call('POST', '/v1/alerts', target.keys.source, { alert: { priority: 'stat', test: 'K', unit: 'U0', patient: { name: 'Jane Roe' } } }, 202)) as { page: { id: string } };
  await call('POST', `/v1/pages/${opened.page.id}/ack`, target.keys.person, { via: 'api' }, 200);
  await call('GET', `/v1/pages/${opened.page.id}`, target.keys.admin, undefined, 200);
}

// ── one scenario on one target ──────────────────────────────────────────────────────────────

/** Longest wait after the load for the gateway to dispatch every page it opened. */
const dispatchCapMs = 60_000;

/**
 * Waits until every page opened since `before` has handed its first notification to a channel
 * (/metrics: pages opened = first notifications observed), and the escalations due a step after
 * the last alerts have fired (the lateness count stops moving); at most `dispatchCapMs`.
 */
async function waitForDispatch(metrics: () => Promise<string>, before: string): Promise<{ waitedMs: number; settled: boolean }> {
  const start = monotonicMs();
  let lastLateness = -1;
  while (monotonicMs() - start < dispatchCapMs) {
    const figures = gatewayFigures(before, await metrics());
    const undispatched = figures.pagesOpened - figures.alertToFirstNotification.count;
    const lateness = figures.escalationLateness.count;
    if (undispatched <= 0 && monotonicMs() - start >= stepSeconds * 1000 + 500 && lateness === lastLateness) return { waitedMs: monotonicMs() - start, settled: true };
    lastLateness = lateness;
    await sleep(500);
  }
  return { waitedMs: monotonicMs() - start, settled: false };
}

/**
 * One scenario on a running target: the pages it acknowledges raised first (untimed, and left
 * out of the gateway's figures: their ladders settle before the first /metrics snapshot, as
 * k6/lib.js's setup does), its phases, then the gateway's figures once it has dispatched every
 * page, and the thresholds.
 */
async function runScenario(name: ScenarioName, settings: Settings, running: RunningTarget, runner: Runner): Promise<Omit<ScenarioResult, 'target' | 'database'>> {
  const scenario = scaleScenario(scenarios[name], settings.scale);
  let pages: string[] = [];
  if (scenario.ackPages !== undefined && !runner.raisesPages) {
    const beforePages = running.metrics === null ? null : await running.metrics();
    pages = await raisePages(running.target, scenario.ackPages);
    if (running.metrics !== null && beforePages !== null) await waitForDispatch(running.metrics, beforePages);
    await sleep(3 * stepSeconds * 1000);
  }
  const metrics = running.metrics;
  let before = metrics === null ? null : await metrics();
  // A warm-up's figures are left out of the gateway's too: the snapshot they start from is taken
  // when the warm-up's last request is due to leave, as the Node generator tells its start. A
  // request of the warm-up still in flight then is counted with the measured ones. k6 takes its
  // own snapshots, in setup and teardown, and counts the warm-up.
  const warmup = scenario.phases['warmup'];
  let warmedUp: Promise<void> | null = null;
  const warmupStarted =
    metrics === null || warmup?.executor !== 'constant-arrival-rate'
      ? undefined
      : (t0Ms: number): void => {
          const endsMs = t0Ms + durationMs(warmup.startTime ?? '0s') + durationMs(warmup.duration);
          warmedUp = sleep(Math.max(0, endsMs - monotonicMs())).then(async () => {
            before = await metrics();
          });
        };
  // The CPU counted from the generator's start (the Node generator tells it; k6 does not, and
  // its start is counted): a new process's boot would cost a short scenario's requests dearly.
  const beforeRun = cpuMark(running.probe);
  let fromStart: Promise<CpuMark> | null = null;
  const started = (t0Ms: number): void => {
    fromStart = cpuMark(running.probe);
    fromStart.catch(() => undefined);
    warmupStarted?.(t0Ms);
  };
  // Awaited once the run is over; a probe failing meanwhile must not end the process as unhandled first.
  beforeRun.catch(() => undefined);
  const run = await runner.run(name, scenario, running.target, pages, started);
  await warmedUp;
  // The baseline has no figures of its own: the gateway_* thresholds are the gateway's.
  let thresholds = running.metrics === null ? run.thresholds.filter((t) => !isGatewayMetric(t.metric)) : run.thresholds;
  let gateway: ScenarioResult['gateway'] = null;
  if (running.metrics !== null && before !== null) {
    const wait = await waitForDispatch(running.metrics, before);
    const figures = gatewayFigures(before, await running.metrics());
    const gauges = gatewayGaugeValues(figures);
    if (!thresholds.some((t) => isGatewayMetric(t.metric))) {
      // A figure nothing was observed for is left out, so that its threshold fails rather than passes on nothing.
      const values = new Map<string, MetricValues>();
      for (const [key, value] of Object.entries(gauges)) if (value !== null) values.set(key, { type: 'gauge', value });
      thresholds = [...thresholds, ...evaluateThresholds(Object.fromEntries(Object.entries(scenario.thresholds).filter(([key]) => isGatewayMetric(key))), values)];
    }
    gateway = { figures, gauges, dispatchWaitMs: wait.waitedMs, dispatched: wait.settled };
  }
  // Until the gateway has dispatched every page and its ladders have settled: a page's whole cost.
  const used = await cpuSince(await (fromStart ?? beforeRun), running.probe);
  const requests = run.phases.reduce((n, p) => n + p.requests, 0);
  const per = (cpuMs: number): number => (requests === 0 ? 0 : cpuMs / requests);
  return {
    scenario: name,
    description: scenario.description,
    phases: run.phases,
    thresholds,
    pagesRaised: scenario.ackPages === undefined || runner.raisesPages ? null : { asked: scenario.ackPages, raised: pages.length },
    alertsAccepted: run.alertsAccepted,
    gateway,
    cpu: {
      requests,
      wallMs: used.wallMs,
      machineMs: used.machineMs,
      postgresBackends: used.postgresBackends,
      perRequest: { server: per(used.serverMs), postgres: used.postgresMs === null ? null : per(used.postgresMs), generator: run.generatorCpuMs === null ? null : per(run.generatorCpuMs), machine: per(used.machineMs) },
    },
  };
}

// ── main ────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const started = monotonicMs();
  const asked = readSettings();
  const runner = chooseRunner(asked);
  // k6 runs the scenarios as scenarios.js writes them.
  const settings = runner.name === 'k6' && asked.scale !== 1 ? { ...asked, scale: 1 } : asked;
  if (settings !== asked) console.log(`warning: --scale ${asked.scale} is for the Node load generator; k6 runs the scenarios at full size (--runner node to scale them)`);

  const admin = settings.databases.includes('postgres') ? postgres(settings.server, { max: 1, onnotice: () => {} }) : null;
  if (admin !== null) cleanups.unshift(() => admin.end({ timeout: 5 }));
  process.once('SIGINT', () => {
    console.log('\ninterrupted: stopping the targets and dropping their databases…');
    void cleanUp().finally(() => process.exit(130));
  });

  const results: ScenarioResult[] = [];
  const breaks: string[] = [];
  let report: LoadReport;
  try {
    const idle = await backgroundShare();
    if (idle > 20) console.log(`warning: the machine was ${idle.toFixed(0)}% busy (of one core) before the run; the figures share it with that`);
    const postgresVersion = admin === null ? null : ((await admin<{ server_version: string }[]>`show server_version`)[0]?.server_version ?? 'unknown');
    const pgliteVersion = settings.databases.includes('pglite') ? await pgliteDescription() : null;
    console.log(
      `load from ${runner.name === 'node' ? 'the Node load generator' : 'k6'}; scenarios ${settings.scenarios.join(', ')}; scale ${settings.scale}; databases ${settings.databases.join(', ')}`,
    );

    for (const database of settings.databases) {
      for (const targetKind of ['baseline', 'gateway'] as const satisfies readonly TargetKind[]) {
        console.log(`${targetKind} on ${database}: starting on a fresh database…`);
        let running: RunningTarget;
        try {
          running = targetKind === 'baseline' ? await startBaselineTarget(database, settings, admin) : await startGatewayTarget(database, settings, admin);
        } catch (e) {
          breaks.push(`the ${targetKind} on ${database} would not start: ${(e as Error).message}`);
          console.error(breaks[breaks.length - 1]);
          continue;
        }
        try {
          for (const name of settings.scenarios) {
            const t = monotonicMs();
            const result = { target: targetKind, database, ...(await runScenario(name, settings, running, runner)) };
            results.push(result);
            const shown = result.phases.filter((p) => p.name !== 'warmup');
            console.log(
              `  ${name}: ${shown.map((p) => `${p.name} ${p.requests} requests, ${p.errors} errors, p99 ${p.latency.p99.toFixed(1)} ms, ${p.throughput.toFixed(0)}/s`).join('; ')} ` +
                `(${((monotonicMs() - t) / 1000).toFixed(1)} s)`,
            );
          }
        } catch (e) {
          breaks.push(`the ${targetKind} on ${database} broke during the scenarios: ${(e as Error).stack ?? String(e)}`);
          console.error(breaks[breaks.length - 1]);
        } finally {
          await running.stop();
        }
      }
    }
    const machine = {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      busyBefore: idle,
      node: process.version,
      // Flags the targets ran under (the young generation's size, from package.json's script): both targets share this process.
      nodeFlags: nodeFlags(),
      platform: `${os.platform()} ${os.arch()}`,
      postgres: postgresVersion,
      pglite: pgliteVersion,
      code: codeVersion(),
      date: new Date().toISOString(),
    };
    report = {
      machine,
      settings: { ...settings, server: new URL(settings.server).host, stepSeconds, runner: runner.name },
      results,
      ratios: ratiosOf(results),
      aims: aimsOf(results, settings.databases, machine.cores),
      breaks,
    };
  } finally {
    await cleanUp();
  }

  const md = markdown(report);
  console.log(`\n${md}`);
  const written = writeResults('load', report, md);
  console.log(`Wrote ${written}.{json,md} in ${((monotonicMs() - started) / 1000).toFixed(1)} s.`);
  if (breaks.length > 0) {
    console.error(`The run broke: ${breaks.join('; ')}`);
    process.exit(1);
  }
}

/** PGlite's version and the PostgreSQL it embeds. */
async function pgliteDescription(): Promise<string> {
  const { version } = JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string };
  const db = await PGlite.create();
  try {
    const { rows } = await db.query<{ server_version: string }>('show server_version');
    return `${version} (PostgreSQL ${rows[0]?.server_version ?? '?'})`;
  } finally {
    await db.close();
  }
}

await main();
