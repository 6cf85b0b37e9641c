// Who-is-on-call lookups over a year of shifts for 200 roles: the router asks this once per
// ladder step, so it must answer in microseconds. Baseline in the same run: a linear scan of
// every shift, which is what a lookup without the index would cost.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { RoleBinding } from '../grammar/index.js';
import { OnCallIndex } from '../src/roster/on-call-index.js';
import type { StoredShift } from '../src/roster/store.js';
import { writeResults } from './machine.js';

const ROLES = 200;
const DAYS = 365;
const LOOKUPS = 20_000;
const start = Date.UTC(2026, 0, 1, 13); // 07:00 CST

// A seeded PRNG, so every run measures the same roster.
let seed = 42;
const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

const shifts: StoredShift[] = [];
const roles: RoleBinding[] = [];
for (let r = 0; r < ROLES; r++) {
  const service = `Service ${r}`;
  roles.push({ kind: 'role', name: `role-${r}`, roster: 'bench', service, shifts: ['Day', 'Night'] });
  for (let d = 0; d < DAYS; d++) {
    for (const [shift, offsetH] of [['Day', 0], ['Night', 12]] as const) {
      const s = start + d * 86_400_000 + offsetH * 3_600_000;
      shifts.push({
        source: 'bench', sourceId: `${r}-${d}-${shift}`, personId: `p-${r}-${(d + offsetH) % 7}`, personName: `Person ${r}/${d % 7}`,
        service, shift, start: new Date(s), end: new Date(s + 12 * 3_600_000), zone: 'America/Chicago',
        kind: random() < 0.02 ? 'override' : 'base',
      });
    }
  }
}
const sources = new Map([['bench', { lastSuccessAt: new Date(start), staleAfterMs: 26 * 3_600_000 }]]);
const now = () => new Date(start);

const t0 = performance.now();
const index = new OnCallIndex(shifts, sources, now);
const buildMs = performance.now() - t0;

const probes = Array.from({ length: LOOKUPS }, () => ({ role: roles[Math.floor(random() * ROLES)]!, at: new Date(start + random() * DAYS * 86_400_000) }));

function linearScan(role: RoleBinding, at: Date): string[] {
  const t = at.getTime();
  return shifts.filter((s) => s.source === role.roster && s.service === role.service && role.shifts.includes(s.shift) && s.start.getTime() <= t && s.end.getTime() > t).map((s) => s.personId);
}

function measure(label: string, fn: (p: (typeof probes)[number]) => unknown, count: number): { label: string; p50: number; p95: number; p99: number; max: number } {
  for (let i = 0; i < Math.min(2000, count); i++) fn(probes[i % probes.length]!);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = probes[i % probes.length]!;
    const a = performance.now();
    fn(p);
    samples.push((performance.now() - a) * 1000);
  }
  samples.sort((x, y) => x - y);
  const q = (f: number): number => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))]!;
  return { label, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: samples[samples.length - 1]! };
}

// The index must agree with the scan before its speed means anything.
for (const p of probes.slice(0, 500)) {
  const fast = index.onCall(p.role, p.at).people.map((x) => x.id).sort().join();
  const slow = [...new Set(linearScan(p.role, p.at))].sort().join();
  const overridden = shifts.some((s) => s.kind === 'override' && s.service === p.role.service && s.start <= p.at && s.end > p.at);
  if (!overridden && fast !== slow) throw new Error(`index and scan disagree for ${p.role.name} at ${p.at.toISOString()}: ${fast} vs ${slow}`);
}

const indexed = measure('index.onCall', (p) => index.onCall(p.role, p.at), LOOKUPS);
const scanned = measure('linear scan (baseline)', (p) => linearScan(p.role, p.at), 300);
const gaps = measure('index.gaps (14 days)', (p) => index.gaps(p.role, p.at, new Date(p.at.getTime() + 14 * 86_400_000)), 5000);

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const lines = [
  `## Who is on call: ${ROLES} roles, ${DAYS} days, ${shifts.length.toLocaleString('en')} shifts`,
  '',
  `Machine: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores), Node ${process.version}; run ${new Date().toISOString()}. Index built in ${fmt(buildMs)} ms.`,
  '',
  '| lookup | p50 µs | p95 µs | p99 µs | max µs |',
  '|---|---:|---:|---:|---:|',
  ...[indexed, gaps, scanned].map((r) => `| ${r.label} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} |`),
  '',
  `The index answers in ${fmt(indexed.p99)} µs at p99, ${fmt(scanned.p50 / indexed.p50)}× faster than scanning every shift (p50 ratio); aim: well under a millisecond per lookup.`,
];
console.log(lines.join('\n'));
console.log(`Wrote ${writeResults('roster-oncall', { roles: ROLES, days: DAYS, shifts: shifts.length, buildMs, indexed, gaps, scanned }, `${lines.join('\n')}\n`)}.{json,md}.`);
