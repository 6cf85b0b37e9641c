// Tests inside rule files: their alert fits the schema, their instant is a real instant, and
// everything their expectations name exists.
import { IANAZone } from 'luxon';
import type * as A from '../ast.js';
import { diagnostic, didYouMean, type Diagnostic } from '../diagnostics.js';
import { channelKinds } from '../ruleset.js';
import { localToInstant, offsetInstant } from '../time/local-time.js';
import { checkLiteral, lookupField } from './check-conditions.js';
import { legacyPagerTarget, type Scope } from './scope.js';

export function checkTests(scope: Scope, diagnostics: Diagnostic[]): void {
  for (const test of scope.tests) {
    const where = test.name.span;
    const seen = new Set<string>();
    for (const entry of test.alert) {
      if (seen.has(entry.field.name)) diagnostics.push(diagnostic('E101', entry.field.span, `the test's alert sets ${entry.field.name} twice`));
      seen.add(entry.field.name);
      const field = lookupField(entry.field, scope, diagnostics);
      if (field !== undefined) checkLiteral(field, entry.value, diagnostics);
      if (entry.value.kind === 'datetime') checkDateTime(entry.value, diagnostics);
    }
    if (test.at === null) diagnostics.push(diagnostic('E118', where, `test "${test.name.value}" has no instant`, 'add: at 2026-03-08T02:30 in "America/Chicago"'));
    else checkDateTime(test.at, diagnostics);
    for (const given of test.given) {
      const decl = scope.who.get(given.role.name);
      if (decl === undefined) diagnostics.push(diagnostic('E103', given.role.span, `no role is called "${given.role.name}"`, didYouMean(given.role.name, scope.who.keys())));
      else if (decl.kind !== 'role') diagnostics.push(diagnostic('E118', given.role.span, `${given.role.name} is a ${decl.kind}; only a role has a roster to be empty or stale`));
      if (given.state.name !== 'empty' && given.state.name !== 'stale') {
        diagnostics.push(diagnostic('E118', given.state.span, `"${given.state.name}" is not a roster state`, didYouMean(given.state.name, ['empty', 'stale']) ?? 'write: given <role> empty, or given <role> stale'));
      }
    }
    if (test.expectations.length === 0) diagnostics.push(diagnostic('E118', where, `test "${test.name.value}" expects nothing`, 'add: expect workflow …, expect no match, …'));
    const noMatch = test.expectations.find((e) => e.kind === 'no-match');
    for (const e of test.expectations) {
      if (noMatch !== undefined && e !== noMatch) {
        diagnostics.push(diagnostic('E118', e.span, 'a test that expects no match cannot expect anything of the match'));
      }
      checkExpectation(e, scope, diagnostics);
    }
  }
}

function checkExpectation(e: A.Expectation, scope: Scope, diagnostics: Diagnostic[]): void {
  switch (e.kind) {
    case 'workflow':
      if (!scope.workflows.has(e.name.name)) diagnostics.push(diagnostic('E118', e.name.span, `no workflow is called "${e.name.name}"`, didYouMean(e.name.name, scope.workflows.keys())));
      return;
    case 'route':
      if (!scope.routesByName.has(e.name.name)) diagnostics.push(diagnostic('E118', e.name.span, `no route is called "${e.name.name}"`, didYouMean(e.name.name, scope.routesByName.keys())));
      return;
    case 'first-notify':
      for (const t of e.targets) {
        if (t.name !== legacyPagerTarget && !scope.who.has(t.name)) {
          diagnostics.push(diagnostic('E103', t.span, `no role, team or person is called "${t.name}"`, didYouMean(t.name, scope.who.keys())));
        }
      }
      for (const c of e.channels ?? []) {
        if (!(channelKinds as readonly string[]).includes(c.name)) diagnostics.push(diagnostic('E106', c.span, `"${c.name}" is not a channel`, didYouMean(c.name, channelKinds)));
      }
      return;
    case 'no-match':
    case 'text':
      return;
  }
}

function checkDateTime(dt: A.DateTimeLit, diagnostics: Diagnostic[]): void {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(dt.text);
  if (dt.zone !== null && !IANAZone.isValidZone(dt.zone.value)) {
    diagnostics.push(diagnostic('E110', dt.zone.span, `"${dt.zone.value}" is not an IANA time zone`, didYouMean(dt.zone.value, Intl.supportedValuesOf('timeZone'))));
    return;
  }
  if (!hasOffset && dt.zone === null) {
    diagnostics.push(diagnostic('E118', dt.span, `${dt.text} is a local time without a zone`, `add the zone: at ${dt.text} in "America/Chicago", or write UTC with Z`));
    return;
  }
  if ((hasOffset ? offsetInstant(dt.text) : localToInstant(dt.text, dt.zone!.value)) === null) {
    diagnostics.push(diagnostic('E111', dt.span, `${dt.text} is not a real date and time`));
  }
}
