// One rules file from text to AST: lex, parse with recovery (many errors per run), and build
// the AST when the syntax is sound.
import type { IToken } from 'chevrotain';
import type { RulesFile, Span } from './ast.js';
import { AstBuilder } from './build-ast.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { rulesParser } from './parser.js';
import { syntaxHints } from './syntax-errors.js';
import { rulesLexer, StringLiteral, UnterminatedString } from './tokens.js';

export interface ParsedFile {
  /** Null when the file has syntax errors: semantic checks on a half-understood file mislead. */
  readonly ast: RulesFile | null;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseRulesFile(file: string, text: string): ParsedFile {
  const diagnostics: Diagnostic[] = [];
  const lexed = rulesLexer.tokenize(text);
  const lines = text.split(/\r?\n/);

  for (const e of lexed.errors) {
    const line = e.line ?? 1;
    const col = e.column ?? 1;
    const ch = text.slice(e.offset, e.offset + 1);
    const span: Span = { file, line, col, endLine: line, endCol: col + Math.max(0, e.length - 1) };
    diagnostics.push(
      diagnostic('E001', span, `unexpected character ${JSON.stringify(ch)}`, lexerHint(ch)),
    );
  }

  for (const t of lexed.tokens) {
    if (t.tokenType !== UnterminatedString) continue;
    diagnostics.push(diagnostic('E002', spanOf(file, t), 'this string has no closing quote', 'strings end on the line they start: add a closing "'));
    // Parse on as if it were closed, so the rest of the file still gets checked.
    t.tokenType = StringLiteral;
    t.tokenTypeIdx = StringLiteral.tokenTypeIdx!;
    t.image += '"';
  }

  syntaxHints.clear();
  rulesParser.input = lexed.tokens;
  const cst = rulesParser.rulesFile();
  for (const e of rulesParser.errors) {
    const span = isNaN(e.token.startOffset) || e.token.image === '' ? endOfFile(file, lines) : spanOf(file, e.token);
    diagnostics.push(diagnostic('E003', span, e.message, syntaxHints.get(e.token)));
  }
  syntaxHints.clear();

  if (diagnostics.length > 0) return { ast: null, diagnostics };
  const builder = new AstBuilder(file);
  const ast = builder.rulesFile(cst);
  return { ast, diagnostics: builder.diagnostics };
}

function spanOf(file: string, t: IToken): Span {
  return { file, line: t.startLine ?? 1, col: t.startColumn ?? 1, endLine: t.endLine ?? 1, endCol: t.endColumn ?? 1 };
}

function endOfFile(file: string, lines: readonly string[]): Span {
  let line = lines.length;
  while (line > 1 && lines[line - 1]!.trim() === '') line--;
  const col = (lines[line - 1]?.length ?? 0) + 1;
  return { file, line, col, endLine: line, endCol: col };
}

function lexerHint(ch: string): string | undefined {
  if (ch === "'") return 'strings use double quotes: "…"';
  if (ch === '/') return 'a regular expression comes right after "matches": test matches /K|NA/';
  if (ch === '!') return 'write "!=" for "not equal", or "not" before a condition';
  if (ch === '&') return 'write "and"';
  return undefined;
}
