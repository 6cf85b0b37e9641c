// Where a ladder goes next: steps in order, the repeats, and what acknowledgement leaves.
import { describe, expect, it } from 'vitest';
import { firstPosition, nextFiring, offsetOf, positionAfter, resumeFrom, type LadderPosition } from '../../src/dispatch/ladder.js';
import { compileOk } from '../support/rules.js';

const rules = compileOk(`
workflow w {
  stage legacy
  legacy-pager-group "W-1"
  push "Alert" / "{test}"
  sms "Alert {test}"
  route r when source = lab {
    notify provider via push  at 0m
    notify provider via sms   at 2m unless acked
    notify desk               at 4m
    notify director           at 6m unless acked
    repeat 2 every 10m
  }
  route once when source = radiology {
    notify provider at 0m
  }
}
`);
const ladder = rules.routes[0]!;

/** Every position from the first, following the ladder. */
function walk(acknowledged: boolean, from: LadderPosition | null = firstPosition(ladder)): string[] {
  const out: string[] = [];
  for (let p = from; p !== null; p = positionAfter(ladder, p, acknowledged)) out.push(`${p.cycle}.${p.step}@${offsetOf(ladder, p) / 60_000}m`);
  return out;
}

describe('the escalation ladder', () => {
  it('runs its steps in order, then again for each repeat, each cycle starting its interval later', () => {
    expect(walk(false)).toEqual(['0.0@0m', '0.1@2m', '0.2@4m', '0.3@6m', '1.0@10m', '1.1@12m', '1.2@14m', '1.3@16m', '2.0@20m', '2.1@22m', '2.2@24m', '2.3@26m']);
    expect(positionAfter(rules.routes[1]!, { cycle: 0, step: 0 }, false)).toBeNull();
  });

  it('once acknowledged, fires only the rest of this cycle’s steps without `unless acked`, and no more repeats', () => {
    expect(walk(true, nextFiring(ladder, { cycle: 0, step: 1 }, true))).toEqual(['0.2@4m']);
    expect(nextFiring(ladder, { cycle: 0, step: 1 }, true)).toEqual({ cycle: 0, step: 2 });
    expect(nextFiring(ladder, { cycle: 0, step: 3 }, true)).toBeNull();
    expect(nextFiring(ladder, { cycle: 1, step: 0 }, true)).toEqual({ cycle: 1, step: 0 });
    expect(walk(true, { cycle: 1, step: 0 })).toEqual(['1.0@10m', '1.2@14m']);
    expect(nextFiring(ladder, { cycle: 0, step: 1 }, false)).toEqual({ cycle: 0, step: 1 });
  });

  it('after an outage resumes where it was, unless a repeat interval behind: then at the latest repeat begun', () => {
    const minute = 60_000;
    const at = { cycle: 0, step: 1 }; // due at 2m
    expect(resumeFrom(ladder, at, 11 * minute, false)).toBe(at); // 9 minutes behind: within the 10-minute repeat
    expect(resumeFrom(ladder, at, 25 * minute, false)).toEqual({ cycle: 2, step: 0 });
    expect(resumeFrom(ladder, at, 25 * minute, true)).toBe(at); // acknowledged: no repeats to skip to
    expect(resumeFrom(rules.routes[1]!, { cycle: 0, step: 0 }, 60 * minute, false)).toEqual({ cycle: 0, step: 0 });
  });
});
