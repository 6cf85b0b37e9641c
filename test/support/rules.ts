// Shared setup for rules-language tests: a small hospital schema, compile helpers and roster fakes.
import { compileSources, validateAlert, type CompileResult, type Diagnostic, type OnCall, type RosterLookup, type RuleSet } from '../../grammar/index.js';

export const baseSchema = `
schema alert {
  source:   enum(lab, radiology, nursecall)
  priority: ordered(routine, urgent, stat)
  test:     text
  value:    number
  flag:     enum(N, H, L, HH, LL, AA)
  unit:     text
  observed_at: timestamp
  patient.name: text phi
  patient.mrn:  text phi
}
role provider = roster "amion" service "Hospitalist" shift "Day" | "Night"
role nocturnist = roster "amion" service "Hospitalist" shift "Nocturnist"
team desk = inbox "Lab desk"
person director = roster "amion" id "A-1"
`;

/** Compiles `text` as one file (after the base schema unless `withBase` is false). */
export function compile(text: string, options: { withBase?: boolean } = {}): CompileResult {
  const files = [{ path: 'test.rules', text }];
  if (options.withBase !== false) files.unshift({ path: '00-base.rules', text: baseSchema });
  return compileSources(files, { dstFromYear: 2026 });
}

/** Compiles and insists on no errors; returns the rule set. */
export function compileOk(text: string): RuleSet {
  const result = compile(text);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.ruleSet === null || errors.length > 0) {
    throw new Error(`expected the rules to compile:\n${errors.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`).join('\n')}`);
  }
  return result.ruleSet;
}

export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => d.code);
}

/** A roster where every role has one person on call, except as `overrides` say. */
export function roster(overrides: Record<string, 'empty' | 'stale'> = {}): RosterLookup & { calls: { role: string; at: Date }[] } {
  const calls: { role: string; at: Date }[] = [];
  return {
    calls,
    onCall(role, at): OnCall {
      calls.push({ role: role.name, at });
      const state = overrides[role.name];
      if (state === 'empty') return { people: [], stale: false };
      return { people: [{ id: `p-${role.name}`, name: `Dr ${role.name}` }], stale: state === 'stale' };
    },
  };
}

export function alertOf(ruleSet: RuleSet, json: unknown) {
  const v = validateAlert(ruleSet.schema, json);
  if (!v.ok) throw new Error(`invalid alert: ${v.issues.map((i) => i.message).join('; ')}`);
  return v.alert;
}

/** Routes an alert and returns the matched route's name, or null. */
export function routeName(ruleSet: RuleSet, json: unknown, at: string, lookup: RosterLookup = roster()): string | null {
  const d = ruleSet.route(alertOf(ruleSet, json), new Date(at), lookup);
  return d.kind === 'matched' ? d.match.route : null;
}
