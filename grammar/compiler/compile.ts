// The compiler: rule files in, a RuleSet (or the reasons there is none) out. Pure: the files
// and the git facts are handed in; load.ts reads them from disk.
import { createHash } from 'node:crypto';
import type { RulesFile } from '../ast.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { parseRulesFile } from '../parse.js';
import type { RuleSet } from '../ruleset.js';
import { checkCalendars } from './check-calendars.js';
import { checkReachability } from './check-reachability.js';
import { checkSchema } from './check-schema.js';
import { checkTemplates } from './check-templates.js';
import { checkTests } from './check-tests.js';
import { checkUsage } from './check-usage.js';
import { checkWorkflows } from './check-workflows.js';
import { lowerRuleSet, lowerTests, type RuleTest } from './lower.js';
import { buildScope } from './scope.js';

export interface SourceFile {
  /** As diagnostics print it, e.g. `rules/lab.rules`. */
  readonly path: string;
  readonly text: string;
  /** The path the version hash uses: relative to the rules directory, so the version does not depend on where the command runs. */
  readonly hashPath?: string;
}

export interface CompileOptions {
  readonly gitCommit?: string | null;
  readonly gitDirty?: boolean;
  /** First year searched for daylight-saving edges; the caller's clock decides it. */
  readonly dstFromYear?: number;
}

export interface CompileResult {
  /** Null when there is any error. */
  readonly ruleSet: RuleSet | null;
  readonly tests: readonly RuleTest[];
  /** Errors and warnings in source order, each once. */
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, string>;
}

export function compileSources(files: readonly SourceFile[], options: CompileOptions = {}): CompileResult {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sources = new Map(sorted.map((f) => [f.path, f.text]));
  const diagnostics: Diagnostic[] = [];
  const asts: RulesFile[] = [];
  for (const file of sorted) {
    const parsed = parseRulesFile(file.path, file.text);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.ast !== null) asts.push(parsed.ast);
  }
  const done = (ruleSet: RuleSet | null, tests: readonly RuleTest[]): CompileResult => ({ ruleSet, tests, diagnostics: unique(sortDiagnostics(diagnostics)), sources });

  // Names and meaning are only checked once every file parses: a half-read file would make
  // every later reference look unknown.
  if (asts.length < sorted.length) return done(null, []);

  const scope = buildScope(asts, diagnostics);
  checkSchema(scope, sorted[0]?.path ?? '<rules>', diagnostics);
  if (scope.schema === null) return done(null, []);
  checkCalendars(scope, { dstFromYear: options.dstFromYear ?? 2026 }, diagnostics);
  checkWorkflows(scope, diagnostics);
  checkTemplates(scope, diagnostics);
  checkReachability(scope, diagnostics);
  checkUsage(scope, diagnostics);
  checkTests(scope, diagnostics);
  if (hasErrors(diagnostics)) return done(null, []);

  const version = { hash: versionHash(sorted), gitCommit: options.gitCommit ?? null, gitDirty: options.gitDirty ?? false };
  return done(
    lowerRuleSet(
      scope,
      version,
      sorted.map((f) => f.path),
    ),
    lowerTests(scope),
  );
}

/**
 * sha256 over the sources with what editors change without meaning to normalised away (byte
 * order mark, CRLF, trailing blanks), so the same rules always have the same version.
 */
export function versionHash(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  const named = files.map((f) => ({ name: f.hashPath ?? f.path, text: f.text }));
  for (const f of named.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const text = f.text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.trimEnd())
      .join('\n')
      .trimEnd();
    hash.update(`${f.name}\n${text}\n\0`);
  }
  return hash.digest('hex');
}

function unique(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.span.file}|${d.span.line}|${d.span.col}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
