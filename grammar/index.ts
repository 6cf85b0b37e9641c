// The rules language: what the rest of Pagerless imports. Internals stay behind this file.
export type * from './ast.js';
export { compileSources, versionHash, type CompileOptions, type CompileResult, type SourceFile } from './compiler/compile.js';
export type { RuleTest } from './compiler/lower.js';
export { diagnosticCatalog, diagnosticsToJson, didYouMean, hasErrors, renderDiagnostic, renderDiagnostics, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
export { validateAlert, type AlertIssue, type AlertValidation } from './evaluate/alert.js';
export type * from './evaluate/decision.js';
export type { RouteOptions, Router } from './evaluate/router.js';
export { compileRulesDirectory, gitState, readRulesDirectory } from './load.js';
export { parseRulesFile } from './parse.js';
export { runRuleTests, type RuleTestResult } from './rule-tests.js';
export * from './ruleset.js';
