// Where a page's escalation ladder goes next. Pure arithmetic over a compiled route: the
// escalation row stores a position, and these functions say what follows it and when.
import type { CompiledRoute } from '../../grammar/index.js';

/** A step of a route's ladder in one of its cycles (cycle 0 is the first run, then each repeat). */
export interface LadderPosition {
  readonly cycle: number;
  readonly step: number;
}

/** How long after the page opened a position falls due. */
export function offsetOf(route: CompiledRoute, p: LadderPosition): number {
  return p.cycle * (route.repeat?.everyMs ?? 0) + route.steps[p.step]!.delayMs;
}

/**
 * What the escalation row stores for where a ladder stands: the next position, or, once it has
 * run out, one past its last step in the cycle it ended in (the row's due instant is null then,
 * or the ladder's end while the last people paged still have their time to answer).
 */
export function storedPosition(route: CompiledRoute, next: LadderPosition | null, endedInCycle: number): { cycle: number; nextStep: number } {
  return next === null ? { cycle: endedInCycle, nextStep: route.steps.length } : { cycle: next.cycle, nextStep: next.step };
}

/**
 * The ladder's end: one past the last step. Nothing is sent there; falling due there
 * unacknowledged is what makes a page missed.
 */
export function endOf(route: CompiledRoute, cycle: number): LadderPosition {
  return { cycle, step: route.steps.length };
}

export function isEnd(route: CompiledRoute, p: LadderPosition): boolean {
  return p.step >= route.steps.length;
}

/**
 * How long the last people paged have to answer before the ladder has run out: as long as the
 * longest wait the ladder gives anyone between two of its firings (repeats included), and
 * `minimumAnswerMs` for a ladder that pages everyone at once (or waits less than that).
 */
export function answerWindowMs(route: CompiledRoute): number {
  const offsets: number[] = [];
  for (let cycle = 0; cycle <= (route.repeat?.times ?? 0); cycle++) {
    for (let step = 0; step < route.steps.length; step++) offsets.push(offsetOf(route, { cycle, step }));
  }
  offsets.sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < offsets.length; i++) longest = Math.max(longest, offsets[i]! - offsets[i - 1]!);
  return Math.max(longest, minimumAnswerMs);
}

/** Five minutes: what a ladder that pages everyone at once still gives them to answer before the page counts as missed. */
export const minimumAnswerMs = 5 * 60_000;

/** The first position of a ladder, or null for a route without steps. */
export function firstPosition(route: CompiledRoute): LadderPosition | null {
  return route.steps.length === 0 ? null : { cycle: 0, step: 0 };
}

/**
 * Where a ladder due at `p` resumes `elapsedMs` after the page opened: at `p`, unless it is
 * behind by more than a repeat interval (the gateway was down), when it resumes at the start of
 * the latest repeat that has begun; the earlier cycles' steps would only page the same people
 * again, all at once. Returns `p` itself when it resumes there.
 */
export function resumeFrom(route: CompiledRoute, p: LadderPosition, elapsedMs: number, acknowledged: boolean): LadderPosition {
  if (route.repeat === null || acknowledged || elapsedMs - offsetOf(route, p) <= route.repeat.everyMs) return p;
  const latest = Math.min(route.repeat.times, Math.floor((elapsedMs - route.steps[0]!.delayMs) / route.repeat.everyMs));
  return latest > p.cycle ? { cycle: latest, step: 0 } : p;
}

/**
 * The position after `p`. Once the page is acknowledged, only what is left of the current cycle
 * can fire, and only its steps without `unless acked`: acknowledgement ends the repeats.
 */
export function positionAfter(route: CompiledRoute, p: LadderPosition, acknowledged: boolean): LadderPosition | null {
  if (isEnd(route, p)) return null;
  return nextFiring(route, successor(route, p), acknowledged, p.cycle);
}

/**
 * The first position at or after `p` that can still fire: `p` itself when it can. Used when a
 * page is acknowledged, to skip what acknowledgement cancels.
 */
export function nextFiring(route: CompiledRoute, p: LadderPosition | null, acknowledged: boolean, cycle = p?.cycle ?? 0): LadderPosition | null {
  for (let q = p; q !== null && !isEnd(route, q); q = successor(route, q)) {
    if (!acknowledged) return q;
    if (q.cycle !== cycle) return null;
    if (!route.steps[q.step]!.unlessAcked) return q;
  }
  return null;
}

function successor(route: CompiledRoute, p: LadderPosition): LadderPosition | null {
  if (p.step + 1 < route.steps.length) return { cycle: p.cycle, step: p.step + 1 };
  if (route.repeat !== null && p.cycle < route.repeat.times) return { cycle: p.cycle + 1, step: 0 };
  return null;
}
