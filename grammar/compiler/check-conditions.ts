// Type-checks conditions against the alert schema: every field exists, every operator fits the
// field's type, every value is of that type, every regular expression compiles.
import type * as A from '../ast.js';
import { diagnostic, didYouMean, type Diagnostic } from '../diagnostics.js';
import type { Scope } from './scope.js';

export function checkCondition(expr: A.Expr, scope: Scope, diagnostics: Diagnostic[]): void {
  switch (expr.kind) {
    case 'and':
    case 'or':
      checkCondition(expr.left, scope, diagnostics);
      checkCondition(expr.right, scope, diagnostics);
      return;
    case 'not':
      checkCondition(expr.operand, scope, diagnostics);
      return;
    case 'during':
      checkCalendarRef(expr.calendar, scope, diagnostics);
      return;
    case 'exists':
      lookupField(expr.field, scope, diagnostics);
      return;
    case 'matches': {
      const field = lookupField(expr.field, scope, diagnostics);
      if (field !== undefined && field.type.kind !== 'text') {
        diagnostics.push(diagnostic('E107', expr.span, `"matches" needs a text field; ${field.path.name} is ${describeType(field.type)}`, field.type.kind === 'enum' || field.type.kind === 'ordered' ? `use: ${field.path.name} in (…)` : undefined));
      }
      if (nestedRepetition(expr.pattern.source)) {
        diagnostics.push(
          diagnostic('E109', expr.pattern.span, 'this pattern repeats a group that itself repeats, which can take exponential time on some alerts and stall routing', 'repeat the group once, e.g. /(\\w+\\s)*/ → /[\\w\\s]*/'),
        );
        return;
      }
      try {
        new RegExp(expr.pattern.source, expr.pattern.ignoreCase ? 'i' : '');
        new RegExp(`^(?:${expr.pattern.source})$`);
      } catch (e) {
        const reason = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
        diagnostics.push(diagnostic('E109', expr.pattern.span, `this regular expression does not compile: ${reason}`, 'escape characters that have a meaning in patterns, like \\( or \\+'));
      }
      return;
    }
    case 'compare': {
      const field = lookupField(expr.field, scope, diagnostics);
      if (field === undefined || timestampCompared(field, expr.span, diagnostics)) return;
      const ordered = expr.op !== '=' && expr.op !== '!=';
      if (ordered && field.type.kind !== 'number' && field.type.kind !== 'ordered') {
        diagnostics.push(
          diagnostic('E107', expr.span, `"${expr.op}" needs a number or an ordered field; ${field.path.name} is ${describeType(field.type)}`, field.type.kind === 'enum' ? `declare it ordered(…) if its values have an order` : undefined),
        );
        return;
      }
      checkLiteral(field, expr.value, diagnostics);
      return;
    }
    case 'in': {
      const field = lookupField(expr.field, scope, diagnostics);
      if (field === undefined || timestampCompared(field, expr.span, diagnostics)) return;
      for (const value of expr.values) checkLiteral(field, value, diagnostics);
      return;
    }
  }
}

/**
 * A quantified group whose body also holds a quantifier, like `(\w+\s?)*`: the shape behind
 * catastrophic backtracking. Routing runs every pattern on every alert, so one such pattern
 * could stall all paging.
 */
export function nestedRepetition(source: string): boolean {
  const open: boolean[] = []; // per open group: does its body repeat something?
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      if (/[*+{?]/.test(source[i + 1] ?? '') && open.length > 0) open[open.length - 1] = true;
      continue;
    }
    if (ch === '(') open.push(false);
    else if (ch === ')') {
      const bodyRepeats = open.pop() ?? false;
      const next = source[i + 1] ?? '';
      const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(source.slice(i + 1)) && !/^\{\d+\}/.test(source.slice(i + 1)));
      if (bodyRepeats && quantified) return true;
      if (quantified && open.length > 0) open[open.length - 1] = true;
      if (bodyRepeats && open.length > 0) open[open.length - 1] = true;
    } else if ((ch === '*' || ch === '+' || (ch === '{' && !/^\{\d+\}/.test(source.slice(i)))) && open.length > 0) open[open.length - 1] = true;
  }
  return false;
}

/** Conditions read an alert as it is, not against a clock: a timestamp can only be tested with `exists`. */
function timestampCompared(field: A.FieldDecl, span: A.Span, diagnostics: Diagnostic[]): boolean {
  if (field.type.kind !== 'timestamp') return false;
  diagnostics.push(diagnostic('E107', span, `${field.path.name} is a timestamp; a condition can only ask whether it exists`, `write: ${field.path.name} exists; to route by time of day use a calendar: during <calendar>`));
  return true;
}

export function lookupField(name: A.Named, scope: Scope, diagnostics: Diagnostic[]): A.FieldDecl | undefined {
  const field = scope.fields.get(name.name);
  if (field === undefined) {
    diagnostics.push(diagnostic('E102', name.span, `the alert schema has no field "${name.name}"`, didYouMean(name.name, scope.fields.keys())));
  }
  return field;
}

export function checkCalendarRef(name: A.Named, scope: Scope, diagnostics: Diagnostic[]): void {
  if (!scope.calendars.has(name.name)) {
    diagnostics.push(diagnostic('E104', name.span, `no calendar is called "${name.name}"`, didYouMean(name.name, scope.calendars.keys())));
  }
}

/** A value written in a rule file, checked against the field it is compared with. */
export function checkLiteral(field: A.FieldDecl, value: A.Literal | A.DateTimeLit, diagnostics: Diagnostic[]): void {
  const type = field.type;
  const path = field.path.name;
  const mismatch = (hint?: string): void => {
    diagnostics.push(diagnostic('E107', value.span, `${path} is ${describeType(type)}, but ${describeLiteral(value)} is not`, hint));
  };
  switch (type.kind) {
    case 'text':
      if (value.kind === 'word') mismatch(`text values are quoted: "${value.value}"`);
      else if (value.kind !== 'string') mismatch();
      return;
    case 'number':
      if (value.kind !== 'number') mismatch();
      else if (!Number.isFinite(value.value)) diagnostics.push(diagnostic('E107', value.span, 'this number is too large to compare'));
      return;
    case 'timestamp':
      if (value.kind !== 'datetime') mismatch('write a date-time like 2026-03-08T02:30Z');
      return;
    case 'enum':
    case 'ordered': {
      if (value.kind !== 'word' && value.kind !== 'string') {
        mismatch(`one of: ${type.members.map((m) => m.name).join(', ')}`);
        return;
      }
      const members = type.members.map((m) => m.name);
      if (!members.includes(value.value)) {
        diagnostics.push(
          diagnostic('E108', value.span, `"${value.value}" is not one of ${path}'s values (${members.join(', ')})`, didYouMean(value.value, members)),
        );
      }
      return;
    }
  }
}

export function describeType(type: A.FieldType): string {
  switch (type.kind) {
    case 'text':
      return 'text';
    case 'number':
      return 'a number';
    case 'timestamp':
      return 'a timestamp';
    case 'enum':
      return `an enum (${type.members.map((m) => m.name).join(', ')})`;
    case 'ordered':
      return `ordered (${type.members.map((m) => m.name).join(' < ')})`;
  }
}

function describeLiteral(value: A.Literal | A.DateTimeLit): string {
  switch (value.kind) {
    case 'string':
      return `the text "${value.value}"`;
    case 'number':
      return `the number ${value.value}`;
    case 'word':
      return `the word ${value.value}`;
    case 'datetime':
      return `the date-time ${value.text}`;
  }
}
