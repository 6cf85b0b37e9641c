// Who is on call, answered from memory. The router asks once per ladder step and must not wait
// on the database, so the roster of a window of time is loaded into this index, which answers
// in microseconds and is rebuilt after every import.
import type { OnCall, OnCallPerson, RoleBinding, RosterLookup } from '../../grammar/index.js';
import type { StoredShift } from './store.js';

export interface OnCallEntry extends OnCallPerson {
  readonly shift: { readonly service: string; readonly shift: string; readonly start: Date; readonly end: Date; readonly kind: StoredShift['kind']; readonly sourceId: string };
  readonly source: string;
}

export interface Freshness {
  readonly source: string;
  readonly lastSuccessAt: Date | null;
  readonly staleAfterMs: number;
  readonly stale: boolean;
}

export interface OnCallAnswer extends OnCall {
  readonly people: readonly OnCallEntry[];
  readonly freshness: Freshness;
}

export interface SourceFreshnessInput {
  readonly lastSuccessAt: Date | null;
  /** Past this long since the last successful import, the source's roster is stale. */
  readonly staleAfterMs: number;
}

/** Unconfigured sources are stale after a day and a bit: rosters are published at least daily. */
export const defaultStaleAfterMs = 26 * 3_600_000;

interface Bucket {
  /** Sorted by start. */
  readonly shifts: readonly StoredShift[];
  /** maxEnd[i]: the latest end among shifts[0..i], so a lookup can stop walking back early. */
  readonly maxEnd: readonly number[];
}

export class OnCallIndex implements RosterLookup {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    shifts: readonly StoredShift[],
    private readonly sources: ReadonlyMap<string, SourceFreshnessInput>,
    private readonly now: () => Date,
  ) {
    const grouped = new Map<string, StoredShift[]>();
    for (const s of shifts) {
      const key = bucketKey(s.source, s.service);
      let list = grouped.get(key);
      if (list === undefined) grouped.set(key, (list = []));
      list.push(s);
    }
    for (const [key, list] of grouped) {
      list.sort((a, b) => a.start.getTime() - b.start.getTime());
      const maxEnd: number[] = [];
      let max = -Infinity;
      for (const s of list) maxEnd.push((max = Math.max(max, s.end.getTime())));
      this.buckets.set(key, { shifts: list, maxEnd });
    }
  }

  freshness(source: string): Freshness {
    const state = this.sources.get(source);
    const staleAfterMs = state?.staleAfterMs ?? defaultStaleAfterMs;
    const lastSuccessAt = state?.lastSuccessAt ?? null;
    const stale = lastSuccessAt === null || this.now().getTime() - lastSuccessAt.getTime() > staleAfterMs;
    return { source, lastSuccessAt, staleAfterMs, stale };
  }

  /** The people on call for a role at an instant, each with the shift that puts them there. */
  onCall(role: RoleBinding, at: Date): OnCallAnswer {
    const t = at.getTime();
    const covering = this.matching(role, t, t + 1);
    // An override (swap, cover) replaces the base schedule of its service and shift while it lasts.
    const overridden = new Set(covering.filter((s) => s.kind === 'override').map((s) => `${s.service}\u0000${s.shift}`));
    const inForce = covering.filter((s) => s.kind === 'override' || !overridden.has(`${s.service}\u0000${s.shift}`));
    const seen = new Set<string>();
    const people: OnCallEntry[] = [];
    for (const s of inForce.sort((a, b) => a.start.getTime() - b.start.getTime() || a.personId.localeCompare(b.personId))) {
      if (seen.has(s.personId)) continue;
      seen.add(s.personId);
      people.push({
        id: s.personId,
        name: s.personName,
        source: s.source,
        shift: { service: s.service, shift: s.shift, start: s.start, end: s.end, kind: s.kind, sourceId: s.sourceId },
      });
    }
    const freshness = this.freshness(role.roster);
    return { people, stale: freshness.stale, freshness };
  }

  /** Intervals within [from, to) when nobody is on call for the role. */
  gaps(role: RoleBinding, from: Date, to: Date): { from: Date; to: Date }[] {
    const covering = this.matching(role, from.getTime(), to.getTime()).sort((a, b) => a.start.getTime() - b.start.getTime());
    const gaps: { from: Date; to: Date }[] = [];
    let cursor = from.getTime();
    for (const s of covering) {
      if (s.start.getTime() > cursor) gaps.push({ from: new Date(cursor), to: s.start });
      cursor = Math.max(cursor, s.end.getTime());
      if (cursor >= to.getTime()) break;
    }
    if (cursor < to.getTime()) gaps.push({ from: new Date(cursor), to });
    return gaps;
  }

  /** Shifts of the role's roster, service and shift names that overlap [from, to). */
  private matching(role: RoleBinding, from: number, to: number): StoredShift[] {
    const keys =
      role.service === null ? [...this.buckets.keys()].filter((k) => k.startsWith(`${role.roster}\u0000`)) : [bucketKey(role.roster, role.service)];
    const out: StoredShift[] = [];
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) continue;
      // The last shift starting before `to`, then back while some earlier shift may still run at `from`.
      let i = upperBound(bucket.shifts, to) - 1;
      for (; i >= 0 && bucket.maxEnd[i]! > from; i--) {
        const s = bucket.shifts[i]!;
        if (s.end.getTime() > from && (role.shifts.length === 0 || role.shifts.includes(s.shift))) out.push(s);
      }
    }
    return out;
  }
}

function bucketKey(source: string, service: string): string {
  return `${source}\u0000${service}`;
}

/** The number of shifts starting before `t`. */
function upperBound(shifts: readonly StoredShift[], t: number): number {
  let lo = 0;
  let hi = shifts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (shifts[mid]!.start.getTime() < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
