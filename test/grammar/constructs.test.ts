// Each construct of the language, compiled: what the gateway will read from the RuleSet.
import { describe, expect, it } from 'vitest';
import { compileSources } from '../../grammar/index.js';
import { codes, compile, compileOk } from '../support/rules.js';

describe('every construct compiles to what it says', () => {
  const rules = compileOk(`
# a comment
holidays closures { 2026-12-24 "Christmas Eve", 2026-12-31 }
calendar day in "America/Chicago" { mon-fri 07:00-19:00  sat, sun 09:00-12:00  except holidays "US-IL"  except holidays closures  except 2026-07-06, 2026-07-07 }
calendar night in "America/Chicago" { fri-mon 19:00-07:00 }
workflow crit {
  legacy-pager-group "LAB-CRIT-2231"
  stage parallel
  target ack p90 <= 5m, missed <= 1%, escalated <= 12.5% over 28d min 50 pages
  let where = "{unit | upper}"
  push "Critical" / "{test} on {where}"
  sms "Critical {test} on {where}: {link}"
  pager "LAB CRIT {where} {page}"
  fallback desk when roster empty
  route first when source = lab and observed_at exists {
    notify provider, director via push, sms at 0m
    notify legacy-pager at 1h30m unless acked outside day
    repeat 3 every 2h
  }
  route second when source = radiology {
    notify provider at 30s
    fallback director via sms when roster stale
    sms "Rad {test}: {link}"
  }
}
workflow routine { route catch-all { notify desk at 0m } push "P" / "{workflow}/{route}" }
test "t" { alert { source: lab, observed_at: 2026-03-08T02:30:00-06:00 } at 2026-03-08T08:30Z given provider stale expect route first }
`);

  it('schema: types, ordered members, nested names and PHI marks', () => {
    expect(rules.schema.fields['priority']).toEqual({ path: 'priority', type: { kind: 'ordered', members: ['routine', 'urgent', 'stat'] }, phi: false });
    expect(rules.schema.fields['flag']!.type).toEqual({ kind: 'enum', members: ['N', 'H', 'L', 'HH', 'LL', 'AA'] });
    expect(rules.schema.fields['value']!.type.kind).toBe('number');
    expect(rules.schema.fields['observed_at']!.type.kind).toBe('timestamp');
    expect(rules.schema.fields['patient.mrn']).toEqual({ path: 'patient.mrn', type: { kind: 'text' }, phi: true });
  });

  it('calendars: zone, day words, ranges that wrap the week, exceptions from every kind', () => {
    expect(rules.calendars['day']).toEqual({
      name: 'day',
      zone: 'America/Chicago',
      windows: [
        { days: [1, 2, 3, 4, 5], fromMinute: 420, toMinute: 1140 },
        { days: [6, 7], fromMinute: 540, toMinute: 720 },
      ],
      exceptDates: ['2026-07-06', '2026-07-07', '2026-12-24', '2026-12-31'],
      holidayCountries: ['US-IL'],
    });
    expect(rules.calendars['night']!.windows[0]!.days).toEqual([1, 5, 6, 7]);
  });

  it('roles, teams and people', () => {
    expect(rules.targets['provider']).toEqual({ kind: 'role', name: 'provider', roster: 'amion', service: 'Hospitalist', shifts: ['Day', 'Night'] });
    expect(rules.targets['desk']).toEqual({ kind: 'team', name: 'desk', inbox: 'Lab desk' });
    expect(rules.targets['director']).toEqual({ kind: 'person', name: 'director', roster: 'amion', id: 'A-1' });
  });

  it('workflows: legacy group, stage, targets; a workflow with no pager group is retired', () => {
    expect(rules.workflows.map((w) => [w.name, w.stage, w.legacyPagerGroup, w.routes])).toEqual([
      ['crit', 'parallel', 'LAB-CRIT-2231', ['first', 'second']],
      ['routine', 'retired', null, ['catch-all']],
    ]);
    expect(rules.workflows[0]!.targets).toEqual({ ack: { percentile: 90, withinMs: 300_000 }, missedAtMostPercent: 1, escalatedAtMostPercent: 12.5, overMs: 28 * 86_400_000, minPages: 50 });
  });

  it('ladders: delays in every unit, channels, windows, repeat; the legacy pager target pages the group', () => {
    const [first, second] = rules.routes;
    expect(first!.steps.map((s) => [s.delayMs, s.targets.map((t) => t.name), s.channels, s.unlessAcked, s.window])).toEqual([
      [0, ['provider', 'director'], ['push', 'sms'], false, null],
      [5_400_000, ['legacy-pager'], null, true, { mode: 'outside', calendar: 'day' }],
    ]);
    expect(first!.steps[1]!.targets[0]).toEqual({ kind: 'legacy-pager', name: 'legacy-pager', group: 'LAB-CRIT-2231' });
    expect(first!.repeat).toEqual({ times: 3, everyMs: 7_200_000 });
    expect(second!.steps[0]!.delayMs).toBe(30_000);
  });

  it('a route inherits its workflow’s templates, lets and fallback, and overrides them channel by channel', () => {
    const [first, second] = rules.routes;
    expect(first!.fallback).toEqual({ target: { kind: 'team', name: 'desk', inbox: 'Lab desk' }, channels: null, whenEmpty: true, whenStale: false });
    expect(second!.fallback).toMatchObject({ target: { name: 'director' }, channels: ['sms'], whenEmpty: false, whenStale: true });
    expect(first!.templates.sms).toEqual([
      { kind: 'text', text: 'Critical ' },
      { kind: 'field', path: 'test', filters: [] },
      { kind: 'text', text: ' on ' },
      { kind: 'field', path: 'unit', filters: ['upper'] },
      { kind: 'text', text: ': ' },
      { kind: 'builtin', name: 'link', filters: [] },
    ]);
    expect(second!.templates.sms).toEqual([{ kind: 'text', text: 'Rad ' }, { kind: 'field', path: 'test', filters: [] }, { kind: 'text', text: ': ' }, { kind: 'builtin', name: 'link', filters: [] }]);
    expect(second!.templates.push).toEqual(first!.templates.push);
  });

  it('a route with no name is named after its workflow and position', () => {
    const r = compileOk('workflow w { push "P" / "x" route { notify provider at 0m } }');
    expect(r.routes[0]!.name).toBe('w#1');
  });

  it('a template may write a literal brace as {{ or }}', () => {
    const r = compileOk('workflow w { push "{{x}}" / "{{{unit}}}" route { notify provider at 0m } }');
    expect(r.routes[0]!.templates.push!.body).toEqual([{ kind: 'text', text: '{' }, { kind: 'field', path: 'unit', filters: [] }, { kind: 'text', text: '}' }]);
  });

  it('names may reuse declaration keywords: a field called test, a role called pager-desk', () => {
    const r = compileSources([{ path: 'k.rules', text: 'schema s { test: text  stage: text } role pager-desk = roster "a" workflow w { push "{test}" / "{stage}" route r when test = "K" { notify pager-desk at 0m } }' }]);
    expect(codes(r.diagnostics)).toEqual([]);
  });

  it('reports many problems in one run', () => {
    const r = compile('workflow w { push "P" / "{unt}" route r when flg = HH and source = pharmacy { notify nobody via smss at 0m } }');
    expect(codes(r.diagnostics.filter((d) => d.severity === 'error'))).toEqual(['E115', 'E102', 'E108', 'E103', 'E106']);
  });
});

describe('instants in rule tests', () => {
  it('a local time that happens twice means its first occurrence; one that does not exist lands after the jump (RFC 5545)', async () => {
    const { localToInstant } = await import('../../grammar/time/local-time.js');
    expect(localToInstant('2026-11-01T01:30', 'America/Chicago')!.toISOString()).toBe('2026-11-01T06:30:00.000Z'); // 01:30 CDT
    expect(localToInstant('2026-03-08T02:30', 'America/Chicago')!.toISOString()).toBe('2026-03-08T08:30:00.000Z'); // = 03:30 CDT
    expect(localToInstant('2026-07-01T10:00', 'America/Chicago')!.toISOString()).toBe('2026-07-01T15:00:00.000Z');
    expect(localToInstant('2026-10-25T01:30', 'Europe/London')!.toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 01:30 BST
  });

  it('a timestamp field cannot be compared in a condition, only tested with exists', () => {
    const r = compile('workflow w { push "P" / "x" route r when observed_at = "2026" { notify provider at 0m } }');
    expect(r.diagnostics.filter((d) => d.code === 'E107').map((d) => d.message)).toEqual(['observed_at is a timestamp; a condition can only ask whether it exists']);
  });
});

describe('what the compiler refuses instead of crashing or stalling', () => {
  const t = 'push "P" / "x" pager "PG"';
  const errors = (text: string) => compile(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);

  it('a fallback to the legacy pager of a workflow that has none, or is retired', () => {
    expect(errors(`workflow w { ${t} fallback legacy-pager when roster empty route r { notify provider at 0m } }`)).toEqual(['E117 workflow w has no legacy pager group to page']);
    expect(errors(`workflow w { legacy-pager-group "G" stage retired ${t} route r { notify provider at 0m fallback legacy-pager when roster empty } }`)).toEqual([
      'E117 workflow w is retired: its pagers are gone',
    ]);
  });

  it('a pattern that repeats a repeating group (catastrophic backtracking)', () => {
    expect(errors(`workflow w { ${t} route r when test matches /(\\w+\\s?)*done/ { notify provider at 0m } }`)[0]).toMatch(/^E109 this pattern repeats a group that itself repeats/);
    expect(errors(`workflow w { ${t} route r when test matches /(?:CT|MR) (head|neck)+/ { notify provider at 0m } }`)).toEqual([]);
  });

  it('ladders past a week, endless repeats and numbers too large to compare', () => {
    expect(errors(`workflow w { ${t} route r { notify provider at 999999999999999999999d } }`)[0]).toMatch(/^E117 a step 999999999999999999999d after the alert is past the week/);
    expect(errors(`workflow w { ${t} route r { notify provider at 0m repeat 99999999999999999999999 every 1h } }`)[0]).toMatch(/^E117 repeat takes a whole number of extra cycles, from 1 to 20/);
    expect(errors(`workflow w { ${t} route r when value > ${'9'.repeat(400)} { notify provider at 0m } }`)).toEqual(['E107 this number is too large to compare']);
  });
});
