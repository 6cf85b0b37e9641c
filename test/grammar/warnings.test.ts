import { describe, expect, it } from 'vitest';
import { codes, compile } from '../support/rules.js';

const t = 'push "P" / "{unit}"';

function warnings(text: string, code: string) {
  return compile(text).diagnostics.filter((d) => d.code === code);
}

describe('shadowed routes (W201)', () => {
  it.each([
    ['a catch-all above', 'route a { notify provider at 0m }', 'route b when source = lab { notify provider at 0m }'],
    ['a broader in (…)', 'route a when flag in (HH, LL, AA) { notify provider at 0m }', 'route b when flag = HH and source = lab { notify provider at 0m }'],
    ['an ordered comparison that covers it', 'route a when priority >= urgent { notify provider at 0m }', 'route b when priority = stat { notify provider at 0m }'],
    ['a number range that covers it', 'route a when value > 5 { notify provider at 0m }', 'route b when value >= 6 and value < 9 { notify provider at 0m }'],
    ['one side of an or', 'route a when source = lab or source = radiology { notify provider at 0m }', 'route b when source = radiology { notify provider at 0m }'],
    ['the same condition', 'route a when test matches /K/ { notify provider at 0m }', 'route b when test matches /K/ { notify provider at 0m }'],
  ])('warns when %s takes every alert first', (_, first, second) => {
    const found = warnings(`workflow w { ${t} ${first} ${second} }`, 'W201');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^route b is shadowed: every alert it matches is taken first by route a \(test\.rules:1:/);
  });

  it.each([
    ['a narrower earlier route', 'route a when flag = HH { notify provider at 0m }', 'route b when flag in (HH, LL) { notify provider at 0m }'],
    ['an earlier route that continues', 'route a { notify provider at 0m continue }', 'route b when source = lab { notify provider at 0m }'],
    ['a negation that also admits a missing field', 'route a when flag != HH { notify provider at 0m }', 'route b when not flag = HH { notify provider at 0m }'],
    ['disjoint ranges', 'route a when value < 5 { notify provider at 0m }', 'route b when value >= 5 { notify provider at 0m }'],
    ['an overlapping range', 'route a when value > 5 { notify provider at 0m }', 'route b when value >= 5 and value <= 9 { notify provider at 0m }'],
  ])('stays quiet for %s', (_, first, second) => {
    expect(warnings(`workflow w { ${t} ${first} ${second} }`, 'W201')).toEqual([]);
  });
});

describe('routes that can never match (W202)', () => {
  it.each([
    ['flag = HH and flag = LL'],
    ['priority > stat'],
    ['value > 5 and value in (1, 2)'],
    ['value > -5 and value < -10'],
    ['value >= 3 and value < 3'],
    ['during day and not during day'],
  ])('%s', (condition) => {
    const found = warnings(`calendar day in "UTC" { daily 08:00-17:00 } workflow w { ${t} route r when ${condition} { notify provider at 0m } }`, 'W202');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^route r can never match: /);
  });
});

describe('ladder steps that can never fire (W203)', () => {
  const cal = 'calendar day in "UTC" { daily 08:00-17:00 } calendar never in "UTC" { }';
  it('a step outside a calendar on a route that only matches during it', () => {
    const found = warnings(`${cal} workflow w { ${t} route r when during day { notify provider at 0m  notify nocturnist at 0m outside day } }`, 'W203');
    expect(found.map((d) => d.message)).toEqual(['this step is outside day, but route r only matches during it']);
  });
  it('a step during a calendar with no window', () => {
    expect(warnings(`${cal} workflow w { ${t} route r { notify provider at 0m during never } }`, 'W203')).toHaveLength(1);
  });
  it('a step that repeats an earlier one', () => {
    const found = warnings(`${cal} workflow w { ${t} route r { notify provider at 0m  notify provider at 0m } }`, 'W203');
    expect(found[0]!.message).toBe('this step repeats step 1 of route r; it adds nothing');
  });
});

describe('calendar edges at daylight-saving changes (W204, W205)', () => {
  it('a window opening at 02:30 on Sundays in Chicago opens at a time that does not exist on spring-forward day', () => {
    const text = `calendar c in "America/Chicago" { sun 02:30-06:00 } workflow w { ${t} route r when during c { notify provider at 0m } }`;
    const found = warnings(text, 'W204');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe('calendar c opens at 02:30, a local time that does not exist in America/Chicago on 2026-03-08 (clocks jump from 02:00 to 03:00)');
    expect(found[0]!.span).toMatchObject({ line: 1, col: text.indexOf('02:30') + 1, endCol: text.indexOf('02:30') + 5 });
  });

  it('a window closing at 01:30 closes at a time that happens twice on fall-back day', () => {
    const found = warnings(`calendar c in "America/New_York" { daily 22:00-01:30 } workflow w { ${t} route r when during c { notify provider at 0m } }`, 'W205');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe('calendar c closes at 01:30, a local time that happens twice in America/New_York on 2026-11-01 (clocks go back from 02:00 to 01:00)');
  });

  it('knows each zone has its own changes: 02:30 is fine in Europe/London, 01:30 is not', () => {
    const check = (time: string): string[] => codes(compile(`calendar c in "Europe/London" { sun ${time}-06:00 } workflow w { ${t} route r when during c { notify provider at 0m } }`).diagnostics);
    expect(check('02:30')).not.toContain('W204');
    expect(check('01:30')).toContain('W204');
  });

  it('says nothing for a weekday-only window when the change falls on a Sunday', () => {
    expect(warnings(`calendar c in "America/Chicago" { mon-fri 02:30-06:00 } workflow w { ${t} route r when during c { notify provider at 0m } }`, 'W204')).toEqual([]);
  });
});

describe('other warnings', () => {
  it('a workflow with no route (W206) and a role nothing pages (W207)', () => {
    const result = compile(`workflow empty { } workflow w { ${t} route r { notify provider at 0m } }`);
    expect(codes(result.diagnostics)).toEqual(['W207', 'W206']);
    expect(result.ruleSet).not.toBeNull();
  });
});

describe('warnings that must not fire on routes that work', () => {
  it('W202 stays quiet when an alert without the field matches', () => {
    for (const condition of ['not source = lab and not source = radiology and not source = nursecall', 'not flag in (N, H, L, HH, LL, AA)']) {
      expect(warnings(`workflow w { ${t} route r when ${condition} { notify provider at 0m } }`, 'W202')).toEqual([]);
    }
  });

  it('W203 stays quiet for a later step outside the calendar the route matched during: it fires after the edge', () => {
    const text = `calendar day in "America/Chicago" { daily 07:00-19:00 } workflow w { ${t} route r when source = lab and during day { notify provider at 0m  notify nocturnist at 30m unless acked outside day } }`;
    expect(warnings(text, 'W203')).toEqual([]);
  });
});
