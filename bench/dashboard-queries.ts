// Benchmark of the pager-retirement dashboard's queries (src/retirement: workflowFigures,
// ackTrend, ackPercentile, readinessOf) on a generated year of a 600-bed hospital's history on
// PostgreSQL: about a million pages with their alerts, escalations and notifications, and the
// legacy pager log of the year before. Baseline in the same run: a bare count of the pages in
// the same window.
//
// Run: npm run bench:dashboard   (= tsx bench/dashboard-queries.ts)
//      npm run bench:dashboard -- --pages 200000 --runs 10
// Settings also come from BENCH_PAGES, BENCH_LEGACY_PAGES, BENCH_RUNS, BENCH_WARMUPS; the
// PostgreSQL server from BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
// A fresh database is created, migrated and filled for the run and dropped at the end;
// BENCH_KEEP_DATABASE=1 keeps it (its name is printed), BENCH_REUSE_DATABASE=<name> measures a
// kept one again without generating.
// Writes bench/results/dashboard-queries.json and .md (or into BENCH_RESULTS_DIR). Exits 1
// when the generated history is not what was asked for (its size, or a figure that counts no page
// over the year: a column the figures read that the generator does not fill); 2 when rules/
// does not compile.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import postgres from 'postgres';
import { compileRulesDirectory, renderDiagnostics, type CompiledWorkflow } from '../grammar/index.js';
import { migrateDatabase, openDatabase, rowsOf, type Db } from '../src/db/index.js';
import { ackTrend } from '../src/retirement/ack-trend.js';
import { dashboardData } from '../src/retirement/dashboard-data.js';
import { ackPercentile, workflowFigures, type Period, type WorkflowFigures } from '../src/retirement/figures.js';
import { readinessOf } from '../src/retirement/readiness.js';
import { createRulesRegistry, type RulesRegistry } from '../src/rules/index.js';
import { explainAll, recordingDb, type StatementPlan } from './dashboard-queries/explain.js';
import { generateHistory, hospitalZone, type GenerationStep, type HistorySize } from './dashboard-queries/history.js';
import { ms, ratio, table } from './dispatch-latency/stats.js';
import { withDatabase } from './databases.js';
import { backgroundShare, codeVersion, writeResults } from './machine.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────

interface Settings {
  readonly size: HistorySize;
  /** Timed runs of each figure, after the warm-ups. */
  readonly runs: number;
  readonly warmups: number;
  /** A figure slower than this at p50 gets its statements explained. */
  readonly explainOverMs: number;
  /** The aim for the whole dashboard (issue 6: "well under a second"). */
  readonly dashboardAimMs: number;
  /** postgres.js connections: the gateway's default pool. */
  readonly poolSize: number;
}

function setting(flag: string, envName: string, fallback: number): number {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  const raw = at < 0 ? process.env[envName] : args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${flag} / ${envName} must be a whole number, not "${raw}"`);
  return value;
}

function readSettings(): Settings {
  return {
    size: { pages: setting('pages', 'BENCH_PAGES', 1_000_000), legacyPages: setting('legacy', 'BENCH_LEGACY_PAGES', 300_000), days: 365, seed: 0.42 },
    runs: Math.max(1, setting('runs', 'BENCH_RUNS', 20)),
    warmups: setting('warmups', 'BENCH_WARMUPS', 3),
    explainOverMs: 300,
    dashboardAimMs: 1000,
    poolSize: 10,
  };
}

const defaultServer = 'postgres://postgres@127.0.0.1:5432/test';
const rulesDir = fileURLToPath(new URL('../rules/', import.meta.url));
const dayMs = 86_400_000;
/**
 * Where the history stops, and the "now" the dashboard's queries are given (nothing in them reads
 * the clock): a fixed instant, Monday 00:00 in Chicago, so that with the fixed seed every run
 * generates the same rows and weekly buckets fall on whole weeks.
 */
const historyEnd = new Date('2026-11-30T06:00:00.000Z');

/** Above this much background CPU (% of one core) the report warns that the figures shared the machine. */
const busyShare = 20;

// ── the figures ─────────────────────────────────────────────────────────────────────────────

interface Figure {
  readonly key: string;
  readonly label: string;
  /** How many days of pages it reads (the widest window), for the ratio to the baseline of the same span. */
  readonly days: number;
  readonly run: (db: Db) => Promise<unknown>;
  /** Composite figures (several of the others at once) are not explained again. */
  readonly explain: boolean;
}

function figures(workflows: readonly CompiledWorkflow[], rules: RulesRegistry, now: Date): Figure[] {
  const last = (days: number): Period => ({ from: new Date(now.getTime() - days * dayMs), to: now });
  const names = workflows.map((w) => w.name);
  const count = (days: number) => async (db: Db) => rowsOf(await db.execute(sql`select count(*) from pages where opened_at >= ${last(days).from.toISOString()}::timestamptz`));
  const all = (days: number, by?: 'unit') => (db: Db) => workflowFigures(db, { period: last(days), zone: hospitalZone, workflows: names, ...(by === undefined ? {} : { by }) });
  const trend = (workflow: string) => (db: Db) => ackTrend(db, { period: last(365), zone: hospitalZone, workflow, bucket: 'week', now });
  /** Before each run the kept weeks are deleted: the first load after a deploy, or after a week ends (one week to work out, not 52). */
  const cold = (run: (db: Db) => Promise<unknown>) => async (db: Db) => {
    await db.execute(sql`delete from ack_trend_buckets`);
    return run(db);
  };
  const windowDays = (w: CompiledWorkflow): number => Math.round((w.targets.overMs ?? 28 * dayMs) / dayMs);
  const dashboard = (db: Db) => dashboardData({ db, rules }, { period: last(28), zone: hospitalZone, now });
  return [
    { key: 'baseline-28d', label: 'baseline: count(*) of pages, last 28 days', days: 28, run: count(28), explain: true },
    { key: 'baseline-365d', label: 'baseline: count(*) of pages, last 365 days', days: 365, run: count(365), explain: true },
    { key: 'a', label: '(a) workflowFigures, all workflows, 28 days', days: 28, run: all(28), explain: true },
    { key: 'b', label: '(b) workflowFigures, all workflows, 365 days', days: 365, run: all(365), explain: true },
    { key: 'c', label: "(c) workflowFigures by: 'unit', 28 days", days: 28, run: all(28, 'unit'), explain: true },
    { key: 'd', label: '(d) ackTrend by week, 365 days, critical-results', days: 365, run: trend('critical-results'), explain: true },
    { key: 'd-cold', label: '(d) the same with no week kept yet', days: 365, run: cold(trend('critical-results')), explain: false },
    ...workflows.map((w) => ({ key: `e:${w.name}`, label: `(e) readinessOf ${w.name} (${windowDays(w)} days)`, days: windowDays(w), run: (db: Db) => readinessOf(db, w, now), explain: true })),
    { key: 'e', label: '(e) readinessOf, all five at once', days: 28, run: (db: Db) => Promise.all(workflows.map((w) => readinessOf(db, w, now))), explain: false },
    { key: 'p99', label: 'ackPercentile p99, critical-results, 28 days', days: 28, run: (db: Db) => ackPercentile(db, last(28), 'critical-results', 0.99), explain: true },
    { key: 'f', label: '(f) one GET /dashboard load (dashboardData)', days: 365, run: dashboard, explain: false },
    { key: 'f-cold', label: '(f) the same with no week kept yet', days: 365, run: cold(dashboard), explain: false },
  ];
}

interface Timing {
  readonly key: string;
  readonly label: string;
  readonly days: number;
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  /** p50 ÷ the baseline count's p50 over 28 and over 365 days. */
  readonly vsCount28: number;
  readonly vsCount365: number;
  readonly statements: number;
}

/** Nearest rank: the smallest sample with at least `q` of the samples at or below it. */
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function time(fn: () => Promise<unknown>, settings: Settings): Promise<number[]> {
  for (let i = 0; i < settings.warmups; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < settings.runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

// ── the database ────────────────────────────────────────────────────────────────────────────

interface TableSize {
  readonly table: string;
  readonly rows: number;
  readonly totalMb: number;
  readonly indexesMb: number;
}

async function tableSizes(admin: postgres.Sql): Promise<TableSize[]> {
  const out: TableSize[] = [];
  for (const t of ['pages', 'alerts', 'escalations', 'notifications', 'legacy_pages']) {
    const [row] = await admin.unsafe<{ rows: string; total: string; indexes: string }[]>(
      `select (select count(*) from ${t})::text as rows, pg_total_relation_size('${t}')::text as total, pg_indexes_size('${t}')::text as indexes`,
    );
    out.push({ table: t, rows: Number(row!.rows), totalMb: Number(row!.total) / 2 ** 20, indexesMb: Number(row!.indexes) / 2 ** 20 });
  }
  return out;
}

async function serverSettings(admin: postgres.Sql): Promise<Record<string, string>> {
  const names = ['server_version', 'shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather', 'jit', 'random_page_cost'];
  const rows = await admin<{ name: string; setting: string }[]>`select name, current_setting(name) as setting from pg_settings where name = any(${names})`;
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

/** What the kept database's comment says about its history (BENCH_REUSE_DATABASE). */
interface HistoryNote {
  readonly end: string;
  readonly size: HistorySize;
  readonly generationMs: number;
}

// ── report ──────────────────────────────────────────────────────────────────────────────────

interface Report {
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly platform: string;
    readonly postgres: Record<string, string>;
    readonly code: string;
    readonly date: string;
    /** CPU busy (% of one core) in the second before measuring, and the 1-minute load average before and after: work the queries shared the machine with. */
    readonly background: { readonly busyBefore: number; readonly loadBefore: number; readonly loadAfter: number };
  };
  readonly settings: Omit<Settings, 'size'> & { readonly server: string };
  readonly history: {
    readonly size: HistorySize;
    readonly end: string;
    readonly zone: string;
    /** Null when the database was reused. */
    readonly generation: { readonly totalMs: number; readonly steps: readonly GenerationStep[] } | null;
    readonly tables: readonly TableSize[];
    /** The year's figures per workflow, as (b) computes them, and the legacy log of the year before: what the generated history looks like. */
    readonly year: readonly WorkflowFigures[];
    readonly legacyYearBefore: readonly WorkflowFigures[];
    /** Distinct units the breakdown by unit found over the last 28 days ('(none)' left out). */
    readonly unitsSeen: number;
  };
  readonly timings: readonly Timing[];
  readonly explained: readonly { readonly key: string; readonly label: string; readonly p50: number; readonly statements: readonly StatementPlan[] }[];
  readonly aim: { readonly dashboardP50: number; readonly dashboardP95: number; readonly aimMs: number; readonly met: boolean };
}

const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const sec = (v: number | undefined): string => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function markdown(r: Report): string {
  const h = r.history;
  const pg = r.machine.postgres;
  const timingRows = r.timings.map((t) => [t.label, String(t.statements), ms(t.p50), ms(t.p95), ms(t.min), ms(t.max), ratio(t.vsCount28), ratio(t.vsCount365)]);
  const legacy = new Map(h.legacyYearBefore.map((w) => [w.workflow, w.legacy]));
  const lines = [
    '## Dashboard queries on PostgreSQL',
    '',
    `Machine: ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node}, ${r.machine.platform}; PostgreSQL ${pg['server_version']} on the same machine ` +
      `(shared_buffers ${pg['shared_buffers']}, work_mem ${pg['work_mem']}, effective_cache_size ${pg['effective_cache_size']}, max_parallel_workers_per_gather ${pg['max_parallel_workers_per_gather']}, jit ${pg['jit']}); ` +
      `code ${r.machine.code}; run ${r.machine.date}.`,
    '',
    `History: ${h.tables.find((t) => t.table === 'pages')?.rows.toLocaleString('en-US')} pages over the ${h.size.days} days before ${h.end} (${h.zone} rhythm), ` +
      `${h.tables.find((t) => t.table === 'legacy_pages')?.rows.toLocaleString('en-US')} legacy pager log rows for the year before; setseed(${h.size.seed}). ` +
      (h.generation === null ? 'Reused a database generated earlier.' : `Generated in **${(h.generation.totalMs / 1000).toFixed(1)} s** with set-based SQL, then VACUUM ANALYZE.`),
    '',
    table(
      ['table', 'rows', 'MB with indexes', 'of which indexes'],
      h.tables.map((t) => [t.table, t.rows.toLocaleString('en-US'), t.totalMb.toFixed(0), t.indexesMb.toFixed(0)]),
    ),
    '',
    ...(r.machine.background.busyBefore > busyShare
      ? [
          `**Warning**: the machine was shared: ${r.machine.background.busyBefore.toFixed(0)}% of a core busy in the second before measuring (load average ${r.machine.background.loadBefore.toFixed(1)} before, ${r.machine.background.loadAfter.toFixed(1)} after, this run's own load included; ${r.machine.cores} cores). The times are longer than on a quiet machine.`,
          '',
        ]
      : [`The machine was quiet before measuring (${r.machine.background.busyBefore.toFixed(0)}% of a core busy; load average ${r.machine.background.loadBefore.toFixed(1)} before, ${r.machine.background.loadAfter.toFixed(1)} after, this run's own load included).`, '']),
    `### Query times (wall ms in this process, ${r.settings.runs} runs after ${r.settings.warmups} warm-ups, one after another)`,
    '',
    `Each figure is the src/retirement function as the gateway calls it, through the gateway's own database handle (postgres.js, ${r.settings.poolSize} connections), so it includes the driver and the mapping of rows; *statements* is how many SQL statements one call sends (they run concurrently where the function uses Promise.all). The ratios divide the p50 by the p50 of a bare \`select count(*) from pages where opened_at >= now − N days\`.`,
    '',
    table(['figure', 'statements', 'p50', 'p95', 'min', 'max', '÷ count 28 d', '÷ count 365 d'], timingRows),
    '',
    `The whole dashboard (f): p50 **${ms(r.aim.dashboardP50)} ms**, p95 ${ms(r.aim.dashboardP95)} ms. Aim (issue 6): well under ${r.aim.aimMs} ms (here: p95 under it): **${r.aim.met ? 'met' : 'not met'}**.`,
    '',
  ];
  if (r.explained.length > 0) {
    lines.push(
      `### Over ${r.settings.explainOverMs} ms at p50: where the time goes`,
      '',
      'EXPLAIN (ANALYZE, BUFFERS) of each statement the figure sends, run once on its own. *self ms* is a plan node\'s time less its children\'s, summed over its loops (and over the parallel workers, whose times PostgreSQL averages); *JIT* is the time PostgreSQL spent compiling the plan\'s expressions, part of the execution time.',
      '',
    );
    for (const e of r.explained) {
      lines.push(`#### ${e.label}: p50 ${ms(e.p50)} ms`, '');
      lines.push(
        table(
          ['statement', 'execution ms', 'JIT ms', 'buffers hit / read', 'heaviest nodes (self ms)'],
          e.statements.map((s) => [
            s.label,
            ms(s.executionMs),
            s.jitMs === null ? '–' : ms(s.jitMs),
            `${s.sharedHit} / ${s.sharedRead}`,
            s.heaviest.slice(0, 3).map((n) => `${n.node} ${ms(n.selfMs)}${n.loops > 1 ? ` (${n.loops.toLocaleString('en-US')} loops)` : ''}`).join('; '),
          ]),
        ),
        '',
      );
    }
  }
  lines.push(
    '### The generated year, as (b) computes it',
    '',
    'Acknowledgement seconds; the legacy columns are the pager log of the year before, from the same function.',
    '',
    table(
      ['workflow', 'pages', 'ack p50 s', 'p90 s', 'p95 s', 'missed', 'escalated', 'fell back', 'pager before ack', 'failed deliveries', 'legacy pages', 'legacy ack p50 s', 'legacy p90 s'],
      h.year.map((w) => {
        const f = w.figures;
        const l = legacy.get(w.workflow) ?? null;
        return [
          w.workflow,
          f.pages.toLocaleString('en-US'),
          sec(f.ackSeconds?.p50),
          sec(f.ackSeconds?.p90),
          sec(f.ackSeconds?.p95),
          pct(f.missedRate),
          pct(f.escalationRate),
          f.fellBack.toLocaleString('en-US'),
          f.pagerPaged.toLocaleString('en-US'),
          Object.values(w.failedDeliveries).reduce((a, b) => a + b, 0).toLocaleString('en-US'),
          l === null ? '0' : l.pages.toLocaleString('en-US'),
          sec(l?.ackSeconds?.p50),
          sec(l?.ackSeconds?.p90),
        ];
      }),
    ),
    '',
  );
  if (r.explained.length > 0) {
    lines.push('### Plans', '');
    for (const e of r.explained) {
      for (const s of e.statements) lines.push(`${e.label}: ${s.label}`, '', '```', s.plan, '```', '');
    }
  }
  return lines.join('\n');
}

/**
 * What would make the timings meaningless: a history of another size, or one that leaves a
 * figure at zero (a column the figures read that the generator does not fill, say after a
 * migration added it).
 */
function historyProblems(r: Report): string[] {
  const problems: string[] = [];
  const pages = r.history.tables.find((t) => t.table === 'pages')!.rows;
  if (Math.abs(pages - r.history.size.pages) > 0.02 * r.history.size.pages) problems.push(`${pages} pages, not about ${r.history.size.pages}`);
  const sum = (f: (w: WorkflowFigures) => number): number => r.history.year.reduce((t, w) => t + f(w), 0);
  const counted: [string, number][] = [
    ['acknowledged', sum((w) => w.figures.acknowledged)],
    ['missed', sum((w) => w.figures.missed)],
    ['escalated', sum((w) => w.figures.escalated)],
    ['fell back', sum((w) => w.figures.fellBack)],
    ['pager before acknowledgement', sum((w) => w.figures.pagerPaged)],
    ['failed deliveries', sum((w) => Object.values(w.failedDeliveries).reduce((a, b) => a + b, 0))],
    ['legacy pages', r.history.legacyYearBefore.reduce((t, w) => t + (w.legacy?.pages ?? 0), 0)],
  ];
  for (const [what, n] of counted) if (n === 0) problems.push(`no page counts as ${what} over the year`);
  if (r.history.unitsSeen < 2) problems.push(`the breakdown by unit found ${r.history.unitsSeen} units`);
  return problems;
}

// ── main ────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const started = performance.now();
  // The modules measured are the ones loaded now: the version is taken now too.
  const code = codeVersion();
  const settings = readSettings();
  const server = process.env['BENCH_DATABASE_URL'] ?? defaultServer;
  const reuse = process.env['BENCH_REUSE_DATABASE'];
  const keep = reuse !== undefined || process.env['BENCH_KEEP_DATABASE'] === '1';

  const compiled = compileRulesDirectory(rulesDir);
  if (compiled.ruleSet === null) {
    console.error(renderDiagnostics(compiled.diagnostics, compiled.sources));
    process.exit(2);
  }
  const workflows = compiled.ruleSet.workflows;

  const name = reuse ?? `pagerless_bench_dashboard_${randomBytes(4).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  const url = withDatabase(server, name);
  const drop = async (): Promise<void> => {
    if (!keep) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
  };
  process.once('SIGINT', () => {
    void drop().finally(() => process.exit(130));
  });

  let report: Report;
  try {
    let end: Date;
    let size = settings.size;
    let generation: Report['history']['generation'] = null;
    if (reuse === undefined) {
      await admin.unsafe(`create database "${name}"`);
      console.log(`database ${name}: migrating…`);
      const fresh = await openDatabase({ driver: 'postgres', url, maxConnections: 2 });
      await migrateDatabase(fresh);
      await fresh.close();
      end = historyEnd;
      console.log(`generating ${size.pages.toLocaleString('en-US')} pages and ${size.legacyPages.toLocaleString('en-US')} legacy pager rows up to ${end.toISOString()}…`);
      const session = postgres(url, { max: 1, onnotice: () => {} });
      const t0 = performance.now();
      let steps: GenerationStep[];
      try {
        steps = await generateHistory(session, size, end, (line) => console.log(line));
      } finally {
        await session.end({ timeout: 5 });
      }
      generation = { totalMs: performance.now() - t0, steps };
      console.log(`generated in ${(generation.totalMs / 1000).toFixed(1)} s`);
      const note: HistoryNote = { end: end.toISOString(), size, generationMs: generation.totalMs };
      await admin.unsafe(`comment on database "${name}" is '${JSON.stringify(note)}'`);
    } else {
      const [row] = await admin<{ note: string | null }[]>`select shobj_description(oid, 'pg_database') as note from pg_database where datname = ${name}`;
      if (row?.note === null || row?.note === undefined) throw new Error(`database ${name} has no history note: was it made by BENCH_KEEP_DATABASE=1?`);
      const note = JSON.parse(row.note) as HistoryNote;
      end = new Date(note.end);
      size = note.size;
      console.log(`reusing database ${name}: history up to ${note.end}`);
    }

    const probe = postgres(url, { max: 1, onnotice: () => {} });
    const database = await openDatabase({ driver: 'postgres', url, maxConnections: settings.poolSize });
    const recording = recordingDb(url);
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const tables = await tableSizes(probe);
      const pg = await serverSettings(probe);
      // The dashboard reads the workflows and their stage history through the rules registry, as the gateway does.
      const rules = await createRulesRegistry({ database, rulesDir, clock: () => end, auditKey: randomBytes(32), log: pino({ level: 'silent' }) });
      cleanups.push(() => rules.stop());
      const list = figures(workflows, rules, end);
      const busyBefore = await backgroundShare();
      const loadBefore = os.loadavg()[0]!;
      if (busyBefore > busyShare) console.log(`warning: the machine was ${busyBefore.toFixed(0)}% busy (of one core) before measuring; the figures share it with that`);
      const timings: Timing[] = [];
      const samples = new Map<string, number[]>();
      for (const f of list) {
        const statements = (await recording.record(f.run)).length;
        const s = await time(() => f.run(database.db), settings);
        samples.set(f.key, s);
        const base = (key: string): number => quantile(samples.get(key) ?? [Number.NaN], 0.5);
        timings.push({
          key: f.key,
          label: f.label,
          days: f.days,
          runs: s.length,
          p50: quantile(s, 0.5),
          p95: quantile(s, 0.95),
          min: s[0]!,
          max: s[s.length - 1]!,
          vsCount28: quantile(s, 0.5) / base('baseline-28d'),
          vsCount365: quantile(s, 0.5) / base('baseline-365d'),
          statements,
        });
        console.log(`  ${f.label.padEnd(66)} p50 ${ms(quantile(s, 0.5)).padStart(6)} ms   p95 ${ms(quantile(s, 0.95)).padStart(6)} ms`);
      }

      const explained: Report['explained'][number][] = [];
      for (const f of list.filter((x) => x.explain)) {
        const t = timings.find((x) => x.key === f.key)!;
        if (t.p50 <= settings.explainOverMs) continue;
        console.log(`explaining ${f.label}…`);
        explained.push({ key: f.key, label: f.label, p50: t.p50, statements: await explainAll(recording.sql, await recording.record(f.run)) });
      }

      const year = await workflowFigures(database.db, { period: { from: new Date(end.getTime() - 365 * dayMs), to: end }, zone: hospitalZone, workflows: workflows.map((w) => w.name) });
      const legacyYearBefore = await workflowFigures(database.db, { period: { from: new Date(end.getTime() - 730 * dayMs), to: new Date(end.getTime() - 365 * dayMs) }, zone: hospitalZone, workflows: workflows.map((w) => w.name) });
      const byUnit = await workflowFigures(database.db, { period: { from: new Date(end.getTime() - 28 * dayMs), to: end }, zone: hospitalZone, workflows: workflows.map((w) => w.name), by: 'unit' });
      const unitsSeen = new Set(byUnit.flatMap((w) => w.by?.rows.map((r) => r.key) ?? []).filter((k) => k !== '(none)')).size;
      const f = timings.find((t) => t.key === 'f')!;
      report = {
        machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`, postgres: pg, code, date: new Date().toISOString(), background: { busyBefore, loadBefore, loadAfter: os.loadavg()[0]! } },
        settings: { runs: settings.runs, warmups: settings.warmups, explainOverMs: settings.explainOverMs, dashboardAimMs: settings.dashboardAimMs, poolSize: settings.poolSize, server: new URL(server).host },
        history: { size, end: end.toISOString(), zone: hospitalZone, generation, tables, year, legacyYearBefore, unitsSeen },
        timings,
        explained,
        aim: { dashboardP50: f.p50, dashboardP95: f.p95, aimMs: settings.dashboardAimMs, met: f.p95 < settings.dashboardAimMs },
      };
    } finally {
      for (const cleanup of cleanups) await cleanup();
      await recording.close();
      await database.close();
      await probe.end({ timeout: 5 });
    }
  } finally {
    await drop();
  }
  const codeAtEnd = codeVersion();
  if (codeAtEnd !== code) console.log(`warning: the code changed during the run (${code} → ${codeAtEnd}); the figures are of ${code}, loaded at the start`);
  if (keep) console.log(`kept database ${name}: BENCH_REUSE_DATABASE=${name} measures it again; drop it with: drop database "${name}"`);

  const md = markdown(report);
  console.log(`\n${md.split('\n### Plans')[0]}`);
  const written = writeResults('dashboard-queries', report, md);
  console.log(`Wrote ${written}.{json,md} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  const problems = historyProblems(report);
  if (problems.length > 0) {
    console.error(`The figures are not of the history asked for: ${problems.join('; ')}.`);
    process.exit(1);
  }
}

await main();
