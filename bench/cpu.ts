// Who used the CPU while a benchmark ran: this process (the server under test, which the
// benchmarks run in-process) and the PostgreSQL backends serving its database, read from /proc.
// With the machine's busy time (machine.ts) and the load generator's own, what a request cost.
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';
import { monotonicMs } from './dispatch-latency/clock.js';
import { machineBusyMs } from './machine.js';

/** CPU ms used so far by each PostgreSQL backend connected to the probe's database (but the probe's), or null when /proc cannot tell. */
async function backendsCpuMs(probe: postgres.Sql): Promise<Map<number, number> | null> {
  const rows = await probe<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  const used = new Map<number, number>();
  try {
    for (const { pid } of rows) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100 a second on Linux).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      used.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    return null;
  }
  return used;
}

/** The clock, the machine's busy time, and the CPU used by this process and by the database's PostgreSQL backends, at a moment. */
export interface CpuMark {
  readonly atMs: number;
  readonly machineMs: number;
  readonly own: NodeJS.CpuUsage;
  readonly backends: Map<number, number> | null;
}

/** `probe` null: no PostgreSQL server to look at (PGlite runs inside this process, and is counted with it). */
export async function cpuMark(probe: postgres.Sql | null): Promise<CpuMark> {
  const atMs = monotonicMs();
  const machineMs = machineBusyMs();
  return { atMs, machineMs, own: process.cpuUsage(), backends: probe === null ? null : await backendsCpuMs(probe) };
}

/**
 * Since `mark`: the wall time, and the CPU ms of the whole machine, of this process, and of the
 * backends (null when they could not be read), and how many backends were counted. The parts are
 * read before the machine here, as the mark read them after it: their span lies inside the
 * machine's, so the machine's busy time is at least theirs, but for the clock ticks /proc counts
 * in (10 ms for each backend and for each core).
 */
export async function cpuSince(mark: CpuMark, probe: postgres.Sql | null): Promise<{ wallMs: number; machineMs: number; serverMs: number; postgresMs: number | null; postgresBackends: number | null }> {
  const after = probe === null ? null : await backendsCpuMs(probe);
  const used = process.cpuUsage(mark.own);
  const machineMs = machineBusyMs() - mark.machineMs;
  const wallMs = monotonicMs() - mark.atMs;
  const before = mark.backends;
  const backends = before === null || after === null ? null : { before, after };
  return {
    wallMs,
    machineMs,
    serverMs: (used.user + used.system) / 1000,
    postgresMs: backends === null ? null : [...backends.after].reduce((t, [pid, cpuMs]) => t + cpuMs - (backends.before.get(pid) ?? 0), 0),
    postgresBackends: backends === null ? null : backends.after.size,
  };
}
