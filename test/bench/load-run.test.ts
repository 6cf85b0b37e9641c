// `npm run bench` itself, at a fiftieth of its size on the suite's database: it starts the
// baseline and the gateway, runs every scenario on both with the Node load generator (k6 is not
// installed where the suite runs), reads the gateway's figures back from /metrics, and files the
// report where it is told, leaving the checked-in figures in bench/results/ alone. The figures of
// so short a run on a shared machine mean nothing; what is checked is that every request the
// scenarios plan is accounted for and every page the gateway opened was seen dispatched.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../bench/load/report.js';
import { ms } from '../../bench/dispatch-latency/stats.js';
import { plannedIterations, scaleScenario } from '../../bench/load/scenario.js';
import { scenarios } from '../../bench/load/scenarios.js';
import { testDatabaseUrl, testDriver } from '../support/db.js';

const repoRoot = new URL('../..', import.meta.url);
const scale = 0.02;
const out = mkdtempSync(join(tmpdir(), 'pagerless-bench-run-'));
let running: ChildProcess | null = null;
afterAll(async () => {
  // A run the test gave up on (its timeout) is stopped as Ctrl-C stops it: the bench stops its
  // targets and drops its databases before it exits.
  const child = running;
  if (child !== null && child.exitCode === null && child.pid !== undefined) {
    const closed = new Promise((resolve) => child.once('close', resolve));
    process.kill(-child.pid, 'SIGINT');
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  }
  rmSync(out, { recursive: true, force: true });
}, 40_000);

/** Runs the command in a process group of its own; resolves with its exit code and what it printed. */
function run(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'bench', '--', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe(`npm run bench (${testDriver}, scale ${scale})`, () => {
  it('runs every scenario on the baseline and the gateway, accounts for every planned request, and files JSON and Markdown where it is told', async () => {
    const checkedIn = statSync(new URL('bench/results/load.json', repoRoot)).mtimeMs;
    const { code, output } = await run(['--scale', String(scale), '--db', testDriver, '--runner', 'node'], {
      BENCH_RESULTS_DIR: out,
      ...(testDatabaseUrl === undefined ? {} : { BENCH_DATABASE_URL: testDatabaseUrl }),
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/^Wrote .*load\.\{json,md\} in /m);
    expect([existsSync(join(out, 'load.json')), existsSync(join(out, 'load.md'))]).toEqual([true, true]);
    expect(statSync(new URL('bench/results/load.json', repoRoot)).mtimeMs).toBe(checkedIn);

    const report = JSON.parse(readFileSync(join(out, 'load.json'), 'utf8')) as LoadReport;
    expect(report.breaks).toEqual([]);
    expect(report.settings).toMatchObject({ runner: 'node', scale, databases: [testDriver] });
    // Both targets ran under the young generation `npm start` gives the gateway (package.json), and the report says so.
    expect(report.machine.nodeFlags).toContain('--max-semi-space-size=64');
    expect(readFileSync(join(out, 'load.md'), 'utf8')).toMatch(/Node v[\d.]+ \([^)]*--max-semi-space-size=64[^)]*\)/);
    const names = Object.keys(scenarios) as (keyof typeof scenarios)[];
    expect(report.results.map((r) => `${r.target} ${r.database} ${r.scenario}`)).toEqual(
      (['baseline', 'gateway'] as const).flatMap((target) => names.map((name) => `${target} ${testDriver} ${name}`)),
    );

    for (const result of report.results) {
      const planned = scaleScenario(scenarios[result.scenario], scale);
      expect(result.phases.map((p) => p.name).sort(), result.scenario).toEqual(Object.keys(planned.phases).sort());
      for (const phase of result.phases) {
        const where = `${result.target} ${result.scenario} ${phase.name}: ${JSON.stringify(phase.errorExamples)}`;
        expect(phase.errors, where).toBe(0);
        // Every planned iteration was sent, or dropped by an open loop whose maxVUs were all waiting.
        expect(phase.requests + phase.dropped, where).toBe(plannedIterations(planned.phases[phase.name]!));
        expect(phase.latency.n, where).toBe(phase.requests);
      }
      // What each request cost, and who spent it: every request counted; the server and the
      // generator worked for them; the PostgreSQL backends too, read from /proc, when they are a
      // server of their own; and the machine at least as much as the parts measured on it.
      const where = `${result.target} ${result.scenario}: ${JSON.stringify(result.cpu)}`;
      const cpu = result.cpu.perRequest;
      expect(result.cpu.requests, where).toBe(result.phases.reduce((n, p) => n + p.requests, 0));
      expect(cpu.server, where).toBeGreaterThan(0);
      expect(cpu.generator, where).toBeGreaterThan(0);
      // /proc counts a backend's CPU in 10 ms ticks: a short scenario's can read 0 (the whole run's cannot, below).
      if (testDriver === 'postgres') expect([cpu.postgres! >= 0, result.cpu.postgresBackends! > 0], where).toEqual([true, true]);
      else expect([cpu.postgres, result.cpu.postgresBackends], where).toEqual([null, null]);
      // /proc counts the machine and each backend in clock ticks (10 ms): one of slack for each core and each backend.
      const ticksMs = 10 * (report.machine.cores + (result.cpu.postgresBackends ?? 0));
      expect(cpu.machine * result.cpu.requests + ticksMs, where).toBeGreaterThanOrEqual((cpu.server + (cpu.postgres ?? 0) + cpu.generator!) * result.cpu.requests);
      if (result.target === 'baseline') {
        expect(result.gateway).toBeNull();
        continue;
      }
      // Each page opened over the scenario had its first notification seen on /metrics: every alert
      // the gateway took, but those of a warm-up answered before it ended (left out of the figures;
      // the first notifications of the warm-up's last pages may fall after, and count).
      const figures = result.gateway!.figures;
      expect(result.gateway?.dispatched, result.scenario).toBe(true);
      expect(result.gateway?.gauges['gateway_pages_not_dispatched'], result.scenario).toBe(0);
      if (result.phases.every((p) => p.name !== 'warmup')) {
        expect([figures.pagesOpened, figures.alertToFirstNotification.count], result.scenario).toEqual([result.alertsAccepted, result.alertsAccepted]);
      } else {
        const measured = result.phases.filter((p) => p.name !== 'warmup' && planned.phases[p.name]?.exec === 'alert').reduce((n, p) => n + p.requests, 0);
        expect(figures.pagesOpened, result.scenario).toBeGreaterThanOrEqual(measured);
        expect(figures.pagesOpened, result.scenario).toBeLessThan(result.alertsAccepted);
        expect(figures.alertToFirstNotification.count, result.scenario).toBeGreaterThanOrEqual(figures.pagesOpened);
      }
    }
    if (testDriver === 'postgres') {
      const backendsMs = report.results.reduce((t, r) => t + r.cpu.perRequest.postgres! * r.cpu.requests, 0);
      expect(backendsMs, 'the PostgreSQL backends over the whole run').toBeGreaterThan(0);
    }
    expect(report.ratios.map((r) => `${r.scenario} ${r.phase}`).sort()).toEqual(
      report.results.filter((r) => r.target === 'gateway').flatMap((r) => r.phases.filter((p) => p.name !== 'warmup').map((p) => `${r.scenario} ${p.name}`)).sort(),
    );
    expect(report.aims.map((a) => `${a.database} ${a.aim.split(':')[0]}`)).toEqual([
      `${testDriver} steady`,
      `${testDriver} steady`,
      `${testDriver} storm`,
      `${testDriver} storm`,
      `${testDriver} storm`,
    ]);
    for (const aim of report.aims) expect(typeof aim.met, aim.aim).toBe('boolean');
    // The storm's throughput aim says what a page's work costs the machine against a baseline request, and the rate that allows.
    const stormGateway = report.results.find((r) => r.target === 'gateway' && r.scenario === 'storm')!;
    expect(report.aims.find((a) => a.aim.startsWith('storm: throughput'))?.measured).toContain(
      `the machine's CPU a page (its whole work, and the generator's share): ${ms(stormGateway.cpu.perRequest.machine)} ms`,
    );

    const md = readFileSync(join(out, 'load.md'), 'utf8');
    expect(md).toContain('## Load: the scenarios against the gateway and a one-row baseline');
    for (const result of report.results) {
      for (const phase of result.phases.filter((p) => p.name !== 'warmup')) {
        expect(md).toMatch(new RegExp(`^\\| ${result.target} +\\| +${testDriver} \\| +${phase.name} \\| +${phase.requests} \\| +0 \\|`, 'm'));
      }
    }
    expect(md).toContain('### Aims');
    for (const result of report.results) {
      expect(md).toMatch(new RegExp(`^\\| ${result.target} +\\| +${testDriver} \\| +${result.cpu.requests} \\| +${ms(result.cpu.perRequest.server).replace('.', '\\.')} \\|`, 'm'));
    }
  }, 240_000);
});
