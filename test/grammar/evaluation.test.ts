import { describe, expect, it } from 'vitest';
import { alertOf, compileOk, roster, routeName } from '../support/rules.js';

const templates = `
  push "Page" / "{test} on {unit}"
  sms "Page {test} {link}"
  voice "Page on {unit}"
  pager "PAGE {unit}"
`;

describe('conditions', () => {
  const rules = compileOk(`
calendar daytime in "America/Chicago" { mon-fri 07:00-19:00 }
workflow w {
  ${templates}
  route crit when source = lab and flag in (HH, LL) and priority >= urgent { notify provider at 0m }
  route ranged when value > 10 and value <= 20 { notify provider at 0m }
  route regex when test matches /K|NA/i { notify provider at 0m }
  route negated when not (flag exists) and source != radiology { notify provider at 0m }
  route rad when source = radiology and not during daytime { notify provider at 0m }
  route notin when flag not in (N, H) { notify provider at 0m }
}`);
  const at = '2026-07-01T15:00:00Z'; // Wednesday 10:00 in Chicago

  it('first match wins, in the order routes are written', () => {
    expect(routeName(rules, { source: 'lab', flag: 'HH', priority: 'stat', test: 'K' }, at)).toBe('crit');
  });

  it('ordered comparisons follow the declared order of the enum', () => {
    expect(routeName(rules, { source: 'lab', flag: 'HH', priority: 'urgent' }, at)).toBe('crit');
    expect(routeName(rules, { source: 'lab', flag: 'HH', priority: 'routine' }, at)).toBe('notin');
  });

  it('number ranges include and exclude their ends as written', () => {
    expect(routeName(rules, { source: 'radiology', value: 10, flag: 'N' }, at)).toBe(null);
    expect(routeName(rules, { source: 'radiology', value: 20, flag: 'N' }, at)).toBe('ranged');
    expect(routeName(rules, { source: 'radiology', value: 20.5, flag: 'N' }, at)).toBe(null);
  });

  it('a regular expression must match the whole value', () => {
    expect(routeName(rules, { source: 'radiology', test: 'na', flag: 'N' }, at)).toBe('regex');
    expect(routeName(rules, { source: 'radiology', test: 'KNA', flag: 'N' }, at)).toBe(null);
    expect(routeName(rules, { source: 'radiology', test: 'xK', flag: 'N' }, at)).toBe(null);
  });

  it('a comparison on a missing field is false, and not turns it true', () => {
    // no flag: `not (flag exists)` holds, and source != radiology holds for lab
    expect(routeName(rules, { source: 'lab', test: 'X' }, at)).toBe('negated');
    // no source: `source != radiology` is false because source is missing, so `negated` fails;
    // `flag not in (N, H)` is `not (flag in (N, H))`, which a missing flag satisfies.
    expect(routeName(rules, { test: 'X' }, at)).toBe('notin');
  });

  it('during reads the calendar at the alert instant', () => {
    expect(routeName(rules, { source: 'radiology', flag: 'N' }, at)).toBe(null);
    expect(routeName(rules, { source: 'radiology', flag: 'N' }, '2026-07-02T03:00:00Z')).toBe('rad');
  });

  it('explains why each earlier route did not match, without showing PHI', () => {
    const d = rules.route(alertOf(rules, { source: 'lab', flag: 'N', priority: 'stat', test: 'x', 'patient.name': 'Jane Doe' }), new Date(at), roster(), { explain: true });
    expect(d.kind).toBe('unmatched');
    expect(d.misses.map((m) => m.route)).toEqual(['crit', 'ranged', 'regex', 'negated', 'rad', 'notin']);
    expect(d.misses[0]!.reasons).toEqual(['flag in (HH, LL) is false: flag is "N"']);
    expect(d.misses[1]!.reasons).toEqual(['value > 10 is false: the alert has no value']);
    expect(JSON.stringify(d)).not.toContain('Jane');
  });

  it('the route index and the full walk choose the same route for every alert', () => {
    const sources = ['lab', 'radiology', 'nursecall', undefined];
    const flags = ['N', 'H', 'HH', 'LL', undefined];
    const priorities = ['routine', 'urgent', 'stat', undefined];
    for (const source of sources)
      for (const flag of flags)
        for (const priority of priorities)
          for (const test of ['K', 'na', 'Q']) {
            const alert = alertOf(rules, { source, flag, priority, test, value: 15 });
            const fast = rules.route(alert, new Date(at), roster(), { explain: false });
            const slow = rules.route(alert, new Date(at), roster(), { explain: true });
            expect(fast.kind === 'matched' ? fast.match.route : null).toBe(slow.kind === 'matched' ? slow.match.route : null);
          }
  });
});

describe('continue and catch-all', () => {
  const rules = compileOk(`
workflow w {
  ${templates}
  route also-desk when source = lab { notify desk at 0m  continue }
  route lab when source = lab { notify provider at 0m }
  route everything { notify desk at 0m }
}`);
  it('a route with continue lets later routes match too', () => {
    const d = rules.route(alertOf(rules, { source: 'lab' }), new Date('2026-07-01T15:00Z'), roster());
    expect(d.kind === 'matched' && [d.match.route, ...d.also.map((m) => m.route)]).toEqual(['also-desk', 'lab']);
  });
  it('a route with no condition takes whatever is left', () => {
    expect(routeName(rules, { source: 'radiology' }, '2026-07-01T15:00Z')).toBe('everything');
    expect(rules.hasCatchAll).toBe(true);
  });
});

describe('calendars', () => {
  const rules = compileOk(`
calendar daytime in "America/Chicago" { mon-fri 07:00-19:00  except holidays "US"  except holidays closures  except 2026-08-03 }
calendar nights in "America/Chicago" { daily 19:00-07:00 }
holidays closures { 2026-12-24 "Christmas Eve" }
workflow w {
  ${templates}
  route day when during daytime { notify provider at 0m }
  route night when during nights { notify provider at 0m }
}`);
  const route = (iso: string): string | null => routeName(rules, { source: 'lab' }, iso);

  it('opens on listed weekdays between the times, on the local wall clock', () => {
    expect(route('2026-07-01T12:00:00Z')).toBe('day'); // Wed 07:00 CDT: opens
    expect(route('2026-07-01T11:59:00Z')).toBe('night'); // Wed 06:59 CDT
    expect(route('2026-01-07T13:00:00Z')).toBe('day'); // Wed 07:00 CST (other offset, same wall time)
    expect(route('2026-07-02T00:00:00Z')).toBe('night'); // Wed 19:00 CDT: daytime closed, nights open
    expect(route('2026-07-04T17:00:00Z')).toBe(null); // Saturday noon: neither
  });

  it('an overnight window stays open past midnight into the next day', () => {
    expect(route('2026-07-04T06:00:00Z')).toBe('night'); // Sat 01:00 CDT, opened Friday 19:00
  });

  it('public holidays, named holiday sets and listed dates close the day', () => {
    expect(route('2026-12-25T17:00:00Z')).toBe(null); // Christmas (US)
    expect(route('2026-11-26T17:00:00Z')).toBe(null); // Thanksgiving (US)
    expect(route('2026-12-24T17:00:00Z')).toBe(null); // closures set
    expect(route('2026-08-03T17:00:00Z')).toBe(null); // listed date
    expect(route('2026-08-04T17:00:00Z')).toBe('day');
  });

  it('a window across the spring-forward night stays open through the skipped hour', () => {
    // 2026-03-08 in Chicago: 02:00 CST jumps to 03:00 CDT. 07:59Z is 01:59 CST; 08:00Z is 03:00 CDT.
    expect(route('2026-03-08T07:59:00Z')).toBe('night');
    expect(route('2026-03-08T08:00:00Z')).toBe('night');
    expect(route('2026-03-08T11:59:00Z')).toBe('night'); // 06:59 CDT
    expect(route('2026-03-08T12:00:00Z')).toBe(null); // 07:00 CDT Sunday: closed
  });

  it('on the fall-back night the repeated hour is inside the overnight window both times', () => {
    expect(route('2026-11-01T06:30:00Z')).toBe('night'); // 01:30 CDT
    expect(route('2026-11-01T07:30:00Z')).toBe('night'); // 01:30 CST
  });
});

describe('ladders', () => {
  const rules = compileOk(`
calendar nights in "America/Chicago" { daily 19:00-07:00 }
workflow w {
  legacy-pager-group "LAB-1"
  stage parallel
  ${templates}
  detail "{patient.name}"
  route r when source = lab {
    notify provider via push, sms at 0m
    notify provider via voice at 2m unless acked
    notify nocturnist via push at 5m unless acked during nights
    notify desk, director at 10m unless acked
    notify legacy-pager at 15m unless acked
    repeat 2 every 20m
    fallback desk when roster empty or stale
  }
}`);
  const at = new Date('2026-07-01T15:00:00Z'); // 10:00 CDT

  it('resolves every step with its delay, channels and targets; the first cycle is listed and the repeat given', () => {
    const d = rules.route(alertOf(rules, { source: 'lab' }), at, roster());
    expect(d.kind).toBe('matched');
    if (d.kind !== 'matched') return;
    const steps = d.match.steps.map((s) => ({
      delay: s.delayMs / 60_000,
      unless: s.unlessAcked,
      active: s.active,
      who: s.notifications.map((n) => `${n.target.name}:${n.channels.join('+')}`),
    }));
    expect(steps).toEqual([
      { delay: 0, unless: false, active: true, who: ['provider:push+sms'] },
      { delay: 2, unless: true, active: true, who: ['provider:voice'] },
      { delay: 5, unless: true, active: false, who: ['nocturnist:push'] },
      { delay: 10, unless: true, active: true, who: ['desk:push', 'director:push'] },
      { delay: 15, unless: true, active: true, who: ['legacy-pager:pager'] },
    ]);
    expect(d.match.repeat).toEqual({ times: 2, everyMs: 20 * 60_000 });
    expect(d.match.stage).toBe('parallel');
    expect(d.match.legacyPagerGroup).toBe('LAB-1');
  });

  it('asks the roster who is on call at the instant each step fires', () => {
    const lookup = roster();
    rules.route(alertOf(rules, { source: 'lab' }), at, lookup);
    expect(lookup.calls.map((c) => [c.role, (c.at.getTime() - at.getTime()) / 60_000])).toEqual([
      ['provider', 0],
      ['provider', 2],
      ['nocturnist', 5],
    ]);
  });

  it('an empty or stale roster hands the step to the fallback team, saying why', () => {
    for (const state of ['empty', 'stale'] as const) {
      const d = rules.route(alertOf(rules, { source: 'lab' }), at, roster({ provider: state }));
      if (d.kind !== 'matched') throw new Error('expected a match');
      const first = d.match.steps[0]!.notifications[0]!;
      expect(first.target.name).toBe('desk');
      expect(first.channels).toEqual(['push']);
      expect(first.standsInFor).toEqual([{ role: 'provider', reason: state }]);
    }
  });

  it('resolveStep re-resolves one step at the instant it fires', () => {
    const fired = new Date(at.getTime() + 5 * 60_000 + 9 * 3_600_000); // 19:05 CDT: nights open
    const step = rules.resolveStep(0, 2, fired, roster());
    expect(step.active).toBe(true);
    expect(step.notifications[0]!.target.name).toBe('nocturnist');
  });

  it('renders each channel from its template, leaving built-ins the gateway fills', () => {
    const d = rules.route(alertOf(rules, { source: 'lab', test: 'K', unit: '5W', 'patient.name': 'Jane' }), at, roster(), { builtins: { link: 'https://p/ack/abc' } });
    if (d.kind !== 'matched') throw new Error('expected a match');
    expect(d.match.messages).toEqual({
      sms: 'Page K https://p/ack/abc',
      voice: 'Page on 5W',
      pager: 'PAGE 5W',
      push: { title: 'Page', body: 'K on 5W' },
    });
    expect(d.match.renderDetail()).toBe('Jane');
    expect(JSON.stringify(d)).not.toContain('Jane');
  });

  it('a missing field renders as ?', () => {
    const d = rules.route(alertOf(rules, { source: 'lab' }), at, roster());
    if (d.kind !== 'matched') throw new Error('expected a match');
    expect(d.match.messages.push).toEqual({ title: 'Page', body: '? on ?' });
  });
});

describe('the compiled rule set', () => {
  it('is frozen all the way down', () => {
    const rules = compileOk(`workflow w { ${templates} route r { notify provider at 0m } }`);
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(rules.routes[0]!.steps[0])).toBe(true);
    expect(() => {
      (rules.routes as unknown as unknown[]).push({});
    }).toThrow();
  });

  it('is versioned by a hash of the normalised sources', () => {
    const a = compileOk(`workflow w { ${templates} route r { notify provider at 0m } }`);
    const b = compileOk(`workflow w { ${templates} route r { notify provider at 0m } }   \r\n`);
    const c = compileOk(`workflow w { ${templates} route r { notify provider at 1m } }`);
    expect(a.version.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.version.hash).toBe(a.version.hash);
    expect(c.version.hash).not.toBe(a.version.hash);
  });
});

describe('alert validation', () => {
  const rules = compileOk(`workflow w { ${templates} route r { notify provider at 0m } }`);
  it('accepts nested and dotted names alike', () => {
    expect(alertOf(rules, { patient: { mrn: '1' }, 'patient.name': 'x', observed_at: '2026-03-08T02:30:00-06:00' })).toEqual({
      'patient.mrn': '1',
      'patient.name': 'x',
      observed_at: Date.parse('2026-03-08T08:30:00Z'),
    });
  });
  it('names every field that is wrong', async () => {
    const { validateAlert } = await import('../../grammar/index.js');
    const v = validateAlert(rules.schema, { source: 'pharmacy', value: '7', observed_at: '2026-03-08T02:30', extra: 1 });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.issues.map((i) => i.field)).toEqual(['source', 'value', 'observed_at', 'extra']);
  });
});

describe('the route index', () => {
  it('lists a route once even when its in (…) repeats a value, and keeps continue semantics', () => {
    const rules = compileOk(`workflow w { push "P" / "x"
  route a when test in ("K", "K") and source = lab { notify provider at 0m continue }
  route b when test = "Z" { notify provider at 0m }
  route c when test = "Y" { notify provider at 0m }
  route d when source = lab { notify provider at 0m } }`);
    for (const explain of [false, true]) {
      const d = rules.route(alertOf(rules, { source: 'lab', test: 'K' }), new Date('2026-07-01T15:00Z'), roster(), { explain });
      expect(d.kind === 'matched' && [d.match.route, ...d.also.map((m) => m.route)]).toEqual(['a', 'd']);
    }
  });
});

describe('review findings, pinned', () => {
  const t = 'push "P" / "x" sms "S {link}" voice "V"';

  it('a named target that is also a role’s fallback gets every channel either asked for', () => {
    const rules = compileOk(`workflow w { ${t} route r { notify provider, director via voice, sms at 0m  fallback director when roster empty } }`);
    const d = rules.route(alertOf(rules, {}), new Date('2026-07-01T15:00Z'), roster({ provider: 'empty' }));
    if (d.kind !== 'matched') throw new Error('expected a match');
    const [only, ...rest] = d.match.steps[0]!.notifications;
    expect(rest).toEqual([]);
    expect(only!.target.name).toBe('director');
    expect([...only!.channels].sort()).toEqual(['push', 'sms', 'voice']);
    expect(only!.standsInFor).toEqual([{ role: 'provider', reason: 'empty' }]);
  });

  it('an empty roster from a stale feed falls back under "when roster stale"', () => {
    const rules = compileOk(`workflow w { ${t} route r { notify provider at 0m  fallback desk when roster stale } }`);
    const emptyAndStale = { onCall: () => ({ people: [], stale: true }) };
    const d = rules.route(alertOf(rules, {}), new Date('2026-07-01T15:00Z'), emptyAndStale);
    if (d.kind !== 'matched') throw new Error('expected a match');
    expect(d.match.steps[0]!.notifications[0]).toMatchObject({ target: { name: 'desk' }, standsInFor: [{ role: 'provider', reason: 'stale' }] });
  });

  it('an explanation never tells a PHI value, not even through the literal it was compared with', () => {
    const rules = compileOk(`workflow w { ${t}
      route a when patient.mrn != "MRN-0001" { notify provider at 0m }
      route b when not patient.mrn in ("MRN-0001", "MRN-0002") { notify provider at 0m }
      route c when source = radiology { notify provider at 0m } }`);
    const d = rules.route(alertOf(rules, { source: 'lab', 'patient.mrn': 'MRN-0001' }), new Date('2026-07-01T15:00Z'), roster(), { explain: true });
    expect(d.kind).toBe('unmatched');
    expect(d.misses.map((m) => m.reasons)).toEqual([
      ['a condition on PHI field patient.mrn is false (not shown)'],
      ['a condition on PHI field patient.mrn is false (not shown)'],
      ['source = radiology is false: source is "lab"'],
    ]);
    expect(JSON.stringify(d)).not.toContain('MRN-000');
  });

  it('alert keys named like Object’s own properties are unknown fields, not a crash', async () => {
    const { validateAlert } = await import('../../grammar/index.js');
    const rules = compileOk(`workflow w { ${t} route r { notify provider at 0m } }`);
    for (const json of [{ constructor: 'x' }, { toString: 1 }, { hasOwnProperty: 'y' }, JSON.parse('{"__proto__": {"a": 1}}') as unknown]) {
      const v = validateAlert(rules.schema, json);
      expect(v.ok).toBe(false);
    }
  });
});
