// Reading an importer's answer in tests: the accepted feed, its shifts, or its problems.
import type { FeedParse, FeedProblem, ImportedShift } from '../../src/roster/model.js';

export const HOUR = 3_600_000;

export function accepted(result: FeedParse): Extract<FeedParse, { ok: true }> {
  if (!result.ok) throw new Error(`expected the feed to be accepted: ${JSON.stringify(result.problems)}`);
  return result;
}

export function shiftsOf(result: FeedParse): readonly ImportedShift[] {
  return accepted(result).shifts;
}

export function problemsOf(result: FeedParse): readonly FeedProblem[] {
  if (result.ok) throw new Error('expected the feed to be rejected');
  return result.problems;
}

/** A shift's length in hours: 11 and 13 on the nights the clocks change. */
export function hours(shift: ImportedShift | undefined): number {
  if (!shift) throw new Error('no such shift');
  return (shift.end.getTime() - shift.start.getTime()) / HOUR;
}
