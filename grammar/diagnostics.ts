// Diagnostics are data first: a code, a severity, a span, a message and a hint. They are
// rendered to text (for people in review) or JSON (for tools) only at the edge.
import type { Span } from './ast.js';

/** Every diagnostic the compiler can produce. grammar/README.md documents each one. */
export const diagnosticCatalog = {
  // syntax
  E001: { severity: 'error', title: 'unexpected character' },
  E002: { severity: 'error', title: 'unterminated string' },
  E003: { severity: 'error', title: 'syntax error' },
  // names and types
  E101: { severity: 'error', title: 'duplicate name' },
  E102: { severity: 'error', title: 'unknown field' },
  E103: { severity: 'error', title: 'unknown target' },
  E104: { severity: 'error', title: 'unknown calendar' },
  E105: { severity: 'error', title: 'unknown holidays' },
  E106: { severity: 'error', title: 'unknown channel' },
  E107: { severity: 'error', title: 'type mismatch' },
  E108: { severity: 'error', title: 'unknown enum member' },
  E109: { severity: 'error', title: 'invalid regular expression' },
  E110: { severity: 'error', title: 'invalid time zone' },
  E111: { severity: 'error', title: 'invalid date, time or window' },
  E112: { severity: 'error', title: 'invalid schema' },
  // what a page may say, and where
  E113: { severity: 'error', title: 'PHI in a channel not cleared for it' },
  E114: { severity: 'error', title: 'missing template' },
  E115: { severity: 'error', title: 'unknown placeholder or filter' },
  E116: { severity: 'error', title: 'invalid workflow setting' },
  E117: { severity: 'error', title: 'invalid escalation ladder' },
  E118: { severity: 'error', title: 'invalid rule test' },
  E119: { severity: 'error', title: 'circular let' },
  // warnings
  W201: { severity: 'warning', title: 'route shadowed by an earlier route' },
  W202: { severity: 'warning', title: 'route can never match' },
  W203: { severity: 'warning', title: 'ladder step can never fire' },
  W204: { severity: 'warning', title: 'calendar edge on a local time that does not exist' },
  W205: { severity: 'warning', title: 'calendar edge on a local time that occurs twice' },
  W206: { severity: 'warning', title: 'workflow with no route' },
  W207: { severity: 'warning', title: 'role used nowhere' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type Severity = 'error' | 'warning';
export type DiagnosticCode = keyof typeof diagnosticCatalog;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
}

export function diagnostic(code: DiagnosticCode, span: Span, message: string, hint?: string): Diagnostic {
  return hint === undefined
    ? { code, severity: diagnosticCatalog[code].severity, message, span }
    : { code, severity: diagnosticCatalog[code].severity, message, span, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Source order: by file, then position; the order people read them in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.line - b.span.line ||
      a.span.col - b.span.col ||
      a.code.localeCompare(b.code),
  );
}

/**
 * `file:line:col: error E102: message`, the source line with a caret under the span, and the
 * hint. `sources` maps a file path to its text; a file it lacks is rendered without the excerpt.
 */
export function renderDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, string>): string {
  const { span } = d;
  const lines = [`${span.file}:${span.line}:${span.col}: ${d.severity} ${d.code}: ${d.message}`];
  const sourceLine = sources.get(span.file)?.split(/\r?\n/)[span.line - 1];
  if (sourceLine !== undefined) {
    const gutter = String(span.line).length;
    const width = span.endLine === span.line ? Math.max(1, span.endCol - span.col + 1) : Math.max(1, sourceLine.length - span.col + 1);
    lines.push(`${' '.repeat(gutter)} |`);
    lines.push(`${span.line} | ${sourceLine}`);
    lines.push(`${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, span.col - 1))}${'^'.repeat(width)}`);
  }
  if (d.hint !== undefined) lines.push(`  = hint: ${d.hint}`);
  return lines.join('\n');
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const body = diagnostics.map((d) => renderDiagnostic(d, sources)).join('\n\n');
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return body === '' ? summary : `${body}\n\n${summary}`;
}

/** The JSON form tools read: one object per diagnostic, spans flattened. */
export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): object[] {
  return diagnostics.map((d) => ({
    file: d.span.file,
    line: d.span.line,
    column: d.span.col,
    endLine: d.span.endLine,
    endColumn: d.span.endCol,
    severity: d.severity,
    code: d.code,
    title: diagnosticCatalog[d.code].title,
    message: d.message,
    ...(d.hint === undefined ? {} : { hint: d.hint }),
  }));
}

/**
 * "did you mean …" from the known names, by edit distance (a swap of two letters counts once);
 * undefined when nothing is close. Ties go to a name the word starts with, or that starts it.
 */
export function didYouMean(word: string, known: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const related = w.startsWith(c) || c.startsWith(w) ? 0 : 0.5;
    const score = editDistance(w, c) + related;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && Math.floor(bestScore) <= allowed ? `did you mean "${best}"?` : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
