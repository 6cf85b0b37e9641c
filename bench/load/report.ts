// What `npm run bench` found, as data (load.json) and as tables (load.md, and the printout):
// per scenario the requests of each target on each database, the gateway against its baseline,
// the gateway's own figures from /metrics, the thresholds, and the issue's aims.
import { ms, ratio, table } from '../dispatch-latency/stats.js';
import { nodeAndFlags } from '../machine.js';
import type { GatewayFigures, GatewayGaugeValues, LatencyFigures } from './prometheus.js';
import type { PhaseFigures, ScenarioName } from './scenario.js';
import type { ThresholdResult } from './thresholds.js';

export type DatabaseKind = 'postgres' | 'pglite';
export type TargetKind = 'baseline' | 'gateway';

export interface ScenarioResult {
  readonly target: TargetKind;
  readonly database: DatabaseKind;
  readonly scenario: ScenarioName;
  readonly description: string;
  readonly phases: readonly PhaseFigures[];
  readonly thresholds: readonly ThresholdResult[];
  /** Pages raised (untimed) before the scenario for its acknowledgements and reads. */
  readonly pagesRaised: { readonly asked: number; readonly raised: number } | null;
  /** Alerts of the scenario answered 2xx with a page. */
  readonly alertsAccepted: number;
  /** The gateway's own figures over the scenario (from /metrics); null for the baseline. */
  readonly gateway: {
    readonly figures: GatewayFigures;
    readonly gauges: GatewayGaugeValues;
    /** How long after the load the gateway took to dispatch every page it opened; `dispatched` false when the 60 s cap ran out first. */
    readonly dispatchWaitMs: number;
    readonly dispatched: boolean;
  } | null;
  /**
   * The CPU the scenario took, from its first request until its last answer (the gateway: until
   * it had dispatched every page and its ladders had settled, so a page's whole cost).
   */
  readonly cpu: {
    /** Every request of the scenario, warm-up included: what the CPU is divided by. */
    readonly requests: number;
    readonly wallMs: number;
    /** CPU ms the whole machine was busy. */
    readonly machineMs: number;
    /** The PostgreSQL backends whose CPU was counted (null on PGlite): /proc counts each in 10 ms ticks. */
    readonly postgresBackends: number | null;
    /**
     * CPU ms per request: this process (the server under test), the PostgreSQL backends serving
     * its database (null on PGlite, which runs in this process), the load generator (null under
     * k6), and the whole machine (the kernel's share of loopback networking included).
     */
    readonly perRequest: { readonly server: number; readonly postgres: number | null; readonly generator: number | null; readonly machine: number };
  };
}

export interface Ratio {
  readonly scenario: ScenarioName;
  readonly phase: string;
  readonly database: DatabaseKind;
  /** Gateway ÷ baseline. */
  readonly p50: number;
  readonly p99: number;
  readonly throughput: number;
  /** Gateway p99 − baseline p99, ms. */
  readonly p99DifferenceMs: number;
}

export interface Aim {
  readonly aim: string;
  readonly database: DatabaseKind;
  readonly measured: string;
  /** Null when the run has not the figures to judge it (the scenario was not run, or a target broke). */
  readonly met: boolean | null;
}

export interface LoadReport {
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    /** % of one core busy in the second before the run. */
    readonly busyBefore: number;
    readonly node: string;
    /** Node and V8 flags the process (both targets) ran under: `npm run bench` sets the young generation's size as `npm start` does. */
    readonly nodeFlags: readonly string[];
    readonly platform: string;
    readonly postgres: string | null;
    readonly pglite: string | null;
    readonly code: string;
    readonly date: string;
  };
  readonly settings: {
    readonly databases: readonly DatabaseKind[];
    readonly scenarios: readonly ScenarioName[];
    readonly scale: number;
    readonly server: string;
    readonly poolSize: number;
    readonly stepSeconds: number;
    readonly runner: 'node' | 'k6';
  };
  readonly results: readonly ScenarioResult[];
  readonly ratios: readonly Ratio[];
  readonly aims: readonly Aim[];
  /** What stopped part of the run (a target that would not start…): the run exits 1. */
  readonly breaks: readonly string[];
}

/** The phases the tables show: a warm-up is run but not reported. */
const shown = (p: PhaseFigures): boolean => p.name !== 'warmup';

const find = (results: readonly ScenarioResult[], target: TargetKind, database: DatabaseKind, scenario: ScenarioName): ScenarioResult | undefined =>
  results.find((r) => r.target === target && r.database === database && r.scenario === scenario);

export function ratiosOf(results: readonly ScenarioResult[]): Ratio[] {
  return results
    .filter((r) => r.target === 'gateway')
    .flatMap((g) => {
      const b = find(results, 'baseline', g.database, g.scenario);
      if (b === undefined) return [];
      return g.phases.filter(shown).flatMap((gp) => {
        const bp = b.phases.find((p) => p.name === gp.name);
        if (bp === undefined) return [];
        return [
          {
            scenario: g.scenario,
            phase: gp.name,
            database: g.database,
            p50: gp.latency.p50 / bp.latency.p50,
            p99: gp.latency.p99 / bp.latency.p99,
            throughput: gp.throughput / bp.throughput,
            p99DifferenceMs: gp.latency.p99 - bp.latency.p99,
          },
        ];
      });
    });
}

/** "Within a few ms": the steady aim's allowance, stated so the verdict can be checked. */
const fewMs = 5;
const stormThroughputShare = 0.7;
const stormLatenessP99Ms = 100;

const orDash = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : ms(v));

/** The issue's aims, judged per database from the figures; `cores`, the machine's. */
export function aimsOf(results: readonly ScenarioResult[], databases: readonly DatabaseKind[], cores: number): Aim[] {
  return databases.flatMap((database): Aim[] => {
    const aims: Aim[] = [];
    const gs = find(results, 'gateway', database, 'steady');
    const bs = find(results, 'baseline', database, 'steady');
    const gsp = gs?.phases.find((p) => p.name === 'steady');
    const bsp = bs?.phases.find((p) => p.name === 'steady');
    if (gsp !== undefined && bsp !== undefined) {
      const e2e = gs!.gateway?.figures.alertToFirstNotification.p99 ?? null;
      const httpDiff = gsp.latency.p99 - bsp.latency.p99;
      aims.push({
        aim: `steady: the gateway's p99 within a few ms (≤ ${fewMs}) of the baseline's`,
        database,
        measured:
          `request → answer p99 ${ms(gsp.latency.p99)} ms against ${ms(bsp.latency.p99)} ms (+${ms(httpDiff)} ms); ` +
          `alert → first notification p99 (/metrics) ${orDash(e2e)} ms${e2e === null ? '' : ` (+${ms(e2e - bsp.latency.p99)} ms)`}`,
        met: httpDiff <= fewMs && e2e !== null && e2e - bsp.latency.p99 <= fewMs,
      });
      aims.push({
        aim: 'steady: no errors',
        database,
        measured: `${gsp.errors} errors, ${gsp.dropped} dropped of ${gsp.requests + gsp.dropped}`,
        met: gsp.errors === 0 && gsp.dropped === 0,
      });
    }
    const gt = find(results, 'gateway', database, 'storm');
    const bt = find(results, 'baseline', database, 'storm');
    const gtp = gt?.phases.find((p) => p.name === 'storm');
    const btp = bt?.phases.find((p) => p.name === 'storm');
    if (gt !== undefined && gtp !== undefined) {
      const notDispatched = gt.gateway?.gauges.gateway_pages_not_dispatched ?? null;
      // Every iteration a page: the storm's requests, plus the ones maxDuration left unsent.
      const asked = stormIterations(gt);
      aims.push({
        aim: 'storm: every alert accepted and dispatched',
        database,
        measured: `${gt.alertsAccepted} of ${asked} accepted (${gtp.errors} errors); ${notDispatched ?? '?'} pages not dispatched`,
        met: gt.alertsAccepted === asked && notDispatched === 0,
      });
      if (btp !== undefined) {
        const share = gtp.throughput / btp.throughput;
        // However its work were spread over the cores, the gateway cannot keep up a rate faster
        // than the machine does a page's work, the generator's share of it included as the
        // baseline's is (a storm's answers may run ahead of it while escalations wait to fall
        // due): what the aim asks of the work itself.
        const ceiling = (cores * 1000) / gt.cpu.perRequest.machine;
        aims.push({
          aim: `storm: throughput ≥ ${stormThroughputShare * 100}% of the baseline's`,
          database,
          measured:
            `${gtp.throughput.toFixed(0)} against ${btp.throughput.toFixed(0)} req/s (${(share * 100).toFixed(0)}%); ` +
            `the machine's CPU a page (its whole work, and the generator's share): ${ms(gt.cpu.perRequest.machine)} ms, a baseline request ${ms(bt!.cpu.perRequest.machine)} ms; ` +
            `at that, all ${cores} cores could keep up at most ${ceiling.toFixed(0)} pages/s (${((ceiling / btp.throughput) * 100).toFixed(0)}% of the baseline's rate)`,
          met: share >= stormThroughputShare,
        });
      }
      const lateness = gt.gateway?.figures.escalationLateness ?? null;
      aims.push({
        aim: `storm: escalation lateness p99 < ${stormLatenessP99Ms} ms`,
        database,
        measured: lateness === null ? '–' : `${orDash(lateness.p99)} ms (${lateness.count} steps)`,
        met: lateness === null || lateness.p99 === null ? null : lateness.p99 < stormLatenessP99Ms,
      });
    }
    return aims;
  });
}

/** The storm's iteration count, from its `http_reqs … count==N` threshold (scaled with the run). */
function stormIterations(r: ScenarioResult): number {
  const t = r.thresholds.find((x) => x.metric === 'http_reqs{scenario:storm}' && x.expression.startsWith('count=='));
  return t === undefined ? r.phases.find((p) => p.name === 'storm')!.requests : Number(t.expression.replace(/^count==+/, ''));
}

// ── Markdown ────────────────────────────────────────────────────────────────────────────────

const latencyCells = (l: LatencyFigures): string[] => [String(l.count), orDash(l.p50), orDash(l.p95), orDash(l.p99)];
const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'met' : '**not met**');

export function markdown(r: LoadReport): string {
  const m = r.machine;
  const s = r.settings;
  const scenarioNames = [...new Set(r.results.map((x) => x.scenario))];
  const lines: string[] = [
    '## Load: the scenarios against the gateway and a one-row baseline (`npm run bench`)',
    '',
    `Machine: ${m.cpu} (${m.cores} cores, ${m.busyBefore.toFixed(0)}% of one core busy before the run), Node ${nodeAndFlags(m)}, ${m.platform}` +
      `${m.postgres === null ? '' : `, PostgreSQL ${m.postgres}`}${m.pglite === null ? '' : `, PGlite ${m.pglite}`}; code ${m.code}; run ${m.date}.`,
    '',
    `Load: ${s.runner === 'k6' ? 'k6' : 'the Node load generator (k6 is not on PATH): open loops for constant-arrival-rate, closed loops for shared-iterations, in a child process, node:http with keep-alive'}; ` +
      `scale ${s.scale}${s.scale === 1 ? '' : ' (durations, iterations and pages to acknowledge multiplied: a quick look, not the figures)'}. ` +
      `Each target on a fresh database (PostgreSQL at ${s.server}, ${s.poolSize} connections each; PGlite in a fresh data directory), the scenarios one after another. ` +
      `The gateway: the drill hospital's short ladder (push and SMS at once, the backup ${s.stepSeconds} s later unless acknowledged), development channels. ` +
      'The baseline: a bare Hono route that commits one row per POST (reads one per GET) on the same database.',
    '',
  ];
  if (r.breaks.length > 0) lines.push('**The run broke:**', '', ...r.breaks.map((b) => `- ${b.split('\n')[0]}`), '');

  lines.push('### Aims', '', table(['aim', 'database', 'measured', 'verdict'], r.aims.map((a) => [a.aim, a.database, a.measured, verdict(a.met)])), '');

  for (const name of scenarioNames) {
    const rows = r.results.filter((x) => x.scenario === name);
    lines.push(`### ${name}: ${rows[0]!.description}`, '');
    lines.push(
      table(
        ['target', 'database', 'phase', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'req/s'],
        rows.flatMap((x) =>
          x.phases.filter(shown).map((p) => [x.target, x.database, p.name, String(p.requests), String(p.errors), ms(p.latency.p50), ms(p.latency.p95), ms(p.latency.p99), ms(p.latency.max), p.throughput.toFixed(0)]),
        ),
      ),
      '',
    );
    const notes = rows.flatMap((x) => [
      ...x.phases.filter((p) => p.dropped > 0).map((p) => `${x.target} on ${x.database}, ${p.name}: ${p.dropped} iterations dropped (maxVUs requests were waiting already).`),
      ...x.phases.filter((p) => p.errorExamples.length > 0).map((p) => `${x.target} on ${x.database}, ${p.name}: errors such as ${p.errorExamples.map((e) => `\`${e.replaceAll('`', "'").replaceAll('|', '/')}\``).join('; ')}.`),
      ...(x.pagesRaised !== null && x.pagesRaised.raised < x.pagesRaised.asked ? [`${x.target} on ${x.database}: only ${x.pagesRaised.raised} of the ${x.pagesRaised.asked} pages to acknowledge were raised.`] : []),
      ...(x.gateway !== null && !x.gateway.dispatched ? [`gateway on ${x.database}: not every page was dispatched ${(x.gateway.dispatchWaitMs / 1000).toFixed(0)} s after the load.`] : []),
    ]);
    if (notes.length > 0) lines.push(...notes.map((n) => `- ${n}`), '');
    lines.push(
      table(
        ['target', 'database', 'requests', 'CPU ms a request: server', 'postgres', 'generator', 'machine', 'machine busy % of a core'],
        rows.map((x) => {
          const c = x.cpu.perRequest;
          return [x.target, x.database, String(x.cpu.requests), ms(c.server), orDash(c.postgres), orDash(c.generator), ms(c.machine), ((100 * x.cpu.machineMs) / x.cpu.wallMs).toFixed(0)];
        }),
      ),
      '',
    );
  }
  lines.push(
    'Latency is request sent → whole answer received, every request (as k6\'s http_req_duration); errors are k6\'s http_req_failed (no answer, or a status outside 200–399); ' +
      'req/s is answers per second from the phase\'s start to its last answer. Percentiles are nearest-rank; the thresholds interpolate as k6 does. ' +
      'CPU: every request of the scenario (warm-up included), from its first request to its last answer, and for the gateway on until it had dispatched every page and its ladders had settled (a page\'s whole cost, escalation included); ' +
      'server is the process the target runs in (the benchmark\'s own bookkeeping with it, and PGlite when that is the database), postgres the backends serving the target\'s database, ' +
      `generator the load generator (– under k6), machine the whole machine (the kernel's loopback networking and anything else running included; ${r.machine.cores * 100}% of a core is all of it).`,
    '',
  );

  lines.push(
    '### Gateway ÷ baseline',
    '',
    table(
      ['scenario', 'phase', 'database', 'p50 ×', 'p99 ×', 'throughput ×', 'p99 difference ms'],
      r.ratios.map((x) => [x.scenario, x.phase, x.database, ratio(x.p50), ratio(x.p99), ratio(x.throughput), ms(x.p99DifferenceMs)]),
    ),
    '',
  );

  const gateways = r.results.filter((x) => x.gateway !== null);
  lines.push(
    '### The gateway\'s own figures (from /metrics, over each scenario, ms)',
    '',
    table(
      ['scenario', 'database', 'alert → first notification n', 'p50', 'p95', 'p99', 'escalation lateness n', 'p50', 'p95', 'p99', 'pages opened', 'not dispatched', 'dispatched after s'],
      gateways.map((x) => {
        const g = x.gateway!;
        return [x.scenario, x.database, ...latencyCells(g.figures.alertToFirstNotification), ...latencyCells(g.figures.escalationLateness), String(g.figures.pagesOpened), String(g.gauges.gateway_pages_not_dispatched), (g.dispatchWaitMs / 1000).toFixed(1)];
      }),
    ),
    '',
    'Alert received (the request reaching the gateway) → its first notification handed to a channel, and a step\'s due instant → its firing: the gateway\'s Prometheus histograms ' +
      '(`pagerless_alert_to_first_notification_seconds`, `pagerless_escalation_lateness_seconds`), the difference of a snapshot taken as the scenario\'s load starts (after the pages raised for its acknowledgements were dispatched and their ladders settled; with the Node generator, as a warm-up ends) ' +
      'and one after every page it opened was dispatched, percentiles interpolated within buckets as Prometheus does. "Not dispatched": pages opened less first notifications observed.',
    '',
  );

  lines.push(
    '### Thresholds',
    '',
    table(
      ['scenario', 'database', 'target', 'metric', 'threshold', 'actual', 'result'],
      r.results.flatMap((x) => x.thresholds.map((t) => [x.scenario, x.database, x.target, t.metric, t.expression, t.actual === null ? '–' : thresholdActual(t), t.ok ? 'pass' : '**fail**'])),
    ),
    '',
    'Thresholds are aims: a failure is reported, and the run still exits 0. The gateway_* ones are the gateway\'s figures above; the baseline has none.',
    '',
  );
  return lines.join('\n');
}

function thresholdActual(t: ThresholdResult): string {
  const v = t.actual!;
  if (t.metric.startsWith('http_req_failed')) return `${(v * 100).toFixed(2)}%`;
  return Number.isInteger(v) ? String(v) : ms(v);
}
