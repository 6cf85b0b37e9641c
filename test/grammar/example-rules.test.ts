import { describe, expect, it } from 'vitest';
import { compileRulesDirectory, runRuleTests } from '../../grammar/index.js';

describe('the example hospital (rules/)', () => {
  const result = compileRulesDirectory('rules', { dstFromYear: 2026 });

  it('compiles without errors or warnings', () => {
    expect(result.diagnostics.map((d) => `${d.code} ${d.span.file}:${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
    expect(result.ruleSet).not.toBeNull();
  });

  it('passes every test written in it', () => {
    const results = runRuleTests(result.ruleSet!, result.tests);
    expect(results.length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r.failures.length > 0).map((r) => ({ name: r.test.name, failures: r.failures }))).toEqual([]);
  });

  it('records the git commit the rules are at', () => {
    expect(result.ruleSet!.version.gitCommit).toMatch(/^[0-9a-f]{40}$/);
  });
});
