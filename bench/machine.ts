// What every benchmark says about where its figures came from, and how it files them: the
// version of the code measured, how busy the machine was, and the results in bench/results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The commit measured, with `+changes` when src/ or grammar/ differ from it: figures belong to a version of the code. */
export function codeVersion(): string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src', 'grammar') === '' ? '' : ' +changes'}`;
  } catch {
    return 'unknown';
  }
}

/**
 * The Node and V8 flags this process runs under (NODE_OPTIONS's too), loaders left out (tsx's
 * `--require` and `--import`): the garbage collector's settings move the figures.
 */
export function nodeFlags(): string[] {
  const given = [...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/), ...process.execArgv].filter((a) => a !== '');
  const flags: string[] = [];
  for (let i = 0; i < given.length; i++) {
    const flag = given[i]!;
    if (flag === '--require' || flag === '--import') i++;
    else if (!flag.startsWith('--require=') && !flag.startsWith('--import=') && !flags.includes(flag)) flags.push(flag);
  }
  return flags;
}

/** "v20.20.2 (--max-semi-space-size=64)": a report's Node, as its machine line states it. */
export function nodeAndFlags(machine: { readonly node: string; readonly nodeFlags: readonly string[] }): string {
  return machine.nodeFlags.length === 0 ? machine.node : `${machine.node} (${machine.nodeFlags.join(' ')})`;
}

/** CPU ms the whole machine has been busy: from /proc/stat on Linux (softirq included: loopback networking is counted there), else os.cpus(). */
export function machineBusyMs(): number {
  try {
    // cpu  user nice system idle iowait irq softirq steal …, in clock ticks (100 a second).
    const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) * 10;
  } catch {
    return os.cpus().reduce((t, c) => t + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  }
}

/** How busy the machine was over a second of the benchmark doing nothing, in % of one core: the figures share the cores with it. */
export async function backgroundShare(): Promise<number> {
  const busy = machineBusyMs();
  const start = performance.now();
  await new Promise((r) => setTimeout(r, 1000));
  return (100 * (machineBusyMs() - busy)) / (performance.now() - start);
}

/**
 * Writes `<name>.json` (every figure) and `<name>.md` (the tables) into bench/results/, or into
 * BENCH_RESULTS_DIR (the tests' runs of a benchmark, which must leave the checked-in figures alone).
 * Returns where, as `…/<name>` for the message that says so.
 */
export function writeResults(name: string, report: unknown, md: string): string {
  const out = process.env['BENCH_RESULTS_DIR'] || fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, `${name}.md`), md);
  const shown = relative(process.cwd(), join(out, name));
  return shown.startsWith('..') ? join(out, name) : shown;
}
