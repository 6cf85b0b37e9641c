// Runs the tests written in rule files against the compiled rules, and says for each failure
// what was expected and what the rules decided.
import type { Expectation } from './ast.js';
import type { RuleTest } from './compiler/lower.js';
import type { Decision, OnCall, ResolvedNotification, RosterLookup } from './evaluate/decision.js';
import type { RuleSet } from './ruleset.js';

export interface RuleTestResult {
  readonly test: RuleTest;
  /** Empty when the test passed. */
  readonly failures: readonly { readonly expectation: Expectation; readonly expected: string; readonly actual: string }[];
}

/** In a rule test every role has one person on call, unless the test says `given <role> empty|stale`. */
function testRoster(test: RuleTest): RosterLookup {
  return {
    onCall(role): OnCall {
      const state = test.given.get(role.name);
      if (state === 'empty') return { people: [], stale: false };
      return { people: [{ id: `test:${role.name}`, name: `on call for ${role.name}` }], stale: state === 'stale' };
    },
  };
}

export function runRuleTests(ruleSet: RuleSet, tests: readonly RuleTest[]): RuleTestResult[] {
  return tests.map((test) => {
    const decision = ruleSet.route(test.alert, test.at, testRoster(test), { explain: true });
    const failures = test.expectations.flatMap((expectation) => {
      const outcome = check(expectation, decision);
      return outcome === null ? [] : [{ expectation, ...outcome }];
    });
    return { test, failures };
  });
}

function check(e: Expectation, d: Decision): { expected: string; actual: string } | null {
  const matched = d.kind === 'matched' ? d.match : null;
  const none = (): string => `no match${d.misses.length > 0 ? ` (${d.misses.map((m) => `${m.route}: ${m.reasons.join('; ')}`).join(' | ')})` : ''}`;
  switch (e.kind) {
    case 'no-match':
      return matched === null ? null : { expected: 'no match', actual: `workflow ${matched.workflow}, route ${matched.route}` };
    case 'workflow':
      if (matched?.workflow === e.name.name) return null;
      return { expected: `workflow ${e.name.name}`, actual: matched === null ? none() : `workflow ${matched.workflow} (route ${matched.route})` };
    case 'route':
      if (matched?.route === e.name.name) return null;
      return { expected: `route ${e.name.name}`, actual: matched === null ? none() : `route ${matched.route} (workflow ${matched.workflow})` };
    case 'first-notify': {
      const expected = `first notify ${e.targets.map((t) => t.name).join(', ')}${e.channels === null ? '' : ` via ${e.channels.map((c) => c.name).join(', ')}`}`;
      if (matched === null) return { expected, actual: none() };
      const active = matched.steps.filter((s) => s.active);
      const firstDelay = Math.min(...active.map((s) => s.delayMs));
      const first = active.filter((s) => s.delayMs === firstDelay).flatMap((s) => s.notifications);
      const sameTargets = sameSet(first.map((n) => n.target.name), e.targets.map((t) => t.name));
      const sameChannels = e.channels === null || first.every((n) => sameSet(n.channels, e.channels!.map((c) => c.name)));
      return sameTargets && sameChannels ? null : { expected, actual: `first notify ${first.map(describeNotification).join(', ') || 'nobody'}` };
    }
    case 'text': {
      const expected = e.texts.map((t) => JSON.stringify(t.value)).join(' / ');
      if (matched === null) return { expected: `${e.channel} ${expected}`, actual: none() };
      const m = matched.messages;
      const single = e.channel === 'detail' ? matched.renderDetail() : e.channel === 'push' ? null : m[e.channel];
      const actualTexts = e.channel === 'push' ? (m.push === null ? null : [m.push.title, m.push.body]) : single === null ? null : [single];
      const actual = actualTexts === null ? `no ${e.channel} template` : actualTexts.map((t) => JSON.stringify(t)).join(' / ');
      return actual === expected ? null : { expected: `${e.channel} ${expected}`, actual: `${e.channel} ${actual}` };
    }
  }
}

function describeNotification(n: ResolvedNotification): string {
  const fallback = n.standsInFor.map((s) => ` (fallback for ${s.role}: roster ${s.reason})`).join('');
  return `${n.target.name} via ${n.channels.join(', ')}${fallback}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}
