// Route conditions, compiled once into closures for the hot path, and explained in words on
// the slow path ("flag in (HH, LL) is false: flag is N"). A comparison on a field the alert
// lacks is false; `not` turns that into true.
import type { Expr, Literal } from '../ast.js';
import type { AlertRecord, CompiledSchema, FieldValue } from '../ruleset.js';

export interface EvalContext {
  /** Whether the named calendar is open at the instant being evaluated. */
  during(calendar: string): boolean;
}

export type Predicate = (alert: AlertRecord, ctx: EvalContext) => boolean;

export function compileCondition(expr: Expr, schema: CompiledSchema): Predicate {
  switch (expr.kind) {
    case 'and': {
      const left = compileCondition(expr.left, schema);
      const right = compileCondition(expr.right, schema);
      return (a, c) => left(a, c) && right(a, c);
    }
    case 'or': {
      const left = compileCondition(expr.left, schema);
      const right = compileCondition(expr.right, schema);
      return (a, c) => left(a, c) || right(a, c);
    }
    case 'not': {
      const operand = compileCondition(expr.operand, schema);
      return (a, c) => !operand(a, c);
    }
    case 'during': {
      const name = expr.calendar.name;
      return (_, c) => c.during(name);
    }
    case 'exists': {
      const path = expr.field.name;
      return (a) => a[path] !== undefined;
    }
    case 'matches': {
      const path = expr.field.name;
      const re = new RegExp(`^(?:${expr.pattern.source})$`, expr.pattern.ignoreCase ? 'i' : '');
      return (a) => {
        const v = a[path];
        return typeof v === 'string' && re.test(v);
      };
    }
    case 'in': {
      const path = expr.field.name;
      const values = new Set(expr.values.map((v) => v.value));
      return (a) => {
        const v = a[path];
        return v !== undefined && values.has(v);
      };
    }
    case 'compare': {
      const path = expr.field.name;
      const target = expr.value.value;
      const rank = rankOf(schema, path);
      const op = expr.op;
      if (op === '=') return (a) => a[path] === target;
      if (op === '!=') return (a) => a[path] !== undefined && a[path] !== target;
      const t = rank(target);
      return (a) => {
        const v = a[path];
        if (v === undefined) return false;
        const r = rank(v);
        return op === '<' ? r < t : op === '<=' ? r <= t : op === '>' ? r > t : r >= t;
      };
    }
  }
}

/** Ordered enums compare by position; numbers by value. */
function rankOf(schema: CompiledSchema, path: string): (v: FieldValue) => number {
  const type = schema.fields[path]?.type;
  if (type?.kind === 'ordered') {
    const order = new Map(type.members.map((m, i) => [m, i]));
    return (v) => order.get(String(v)) ?? NaN;
  }
  return (v) => (typeof v === 'number' ? v : NaN);
}

/** The condition as written, for explanations. */
export function formatCondition(expr: Expr): string {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return `${wrap(expr.left, expr.kind)} ${expr.kind} ${wrap(expr.right, expr.kind)}`;
    case 'not':
      return `not ${wrap(expr.operand, 'not')}`;
    case 'during':
      return `during ${expr.calendar.name}`;
    case 'exists':
      return `${expr.field.name} exists`;
    case 'matches':
      return `${expr.field.name} matches /${expr.pattern.source}/${expr.pattern.ignoreCase ? 'i' : ''}`;
    case 'in':
      return `${expr.field.name} in (${expr.values.map(formatLiteral).join(', ')})`;
    case 'compare':
      return `${expr.field.name} ${expr.op} ${formatLiteral(expr.value)}`;
  }
}

function wrap(e: Expr, parent: string): string {
  const text = formatCondition(e);
  return (e.kind === 'and' || e.kind === 'or') && e.kind !== parent ? `(${text})` : text;
}

function formatLiteral(l: Literal): string {
  return l.kind === 'string' ? JSON.stringify(l.value) : String(l.value);
}

/**
 * Why a condition is false for this alert: the parts that failed, each with the value it saw.
 * Explanations end up in logs and API responses, so a part that tests a PHI field says only
 * that: its literals and outcome would tell the value (`patient.mrn != "M-1" is false`).
 */
export function explainFalse(expr: Expr, alert: AlertRecord, ctx: EvalContext, schema: CompiledSchema): string[] {
  const holds = (e: Expr): boolean => compileCondition(e, schema)(alert, ctx);
  const phi = expr.kind === 'and' || expr.kind === 'or' ? [] : phiFieldsIn(expr, schema);
  if (phi.length > 0) return [`a condition on PHI field ${phi.join(', ')} is false (not shown)`];
  switch (expr.kind) {
    case 'and':
      return holds(expr.left) ? explainFalse(expr.right, alert, ctx, schema) : explainFalse(expr.left, alert, ctx, schema);
    case 'or':
      return [...explainFalse(expr.left, alert, ctx, schema), ...explainFalse(expr.right, alert, ctx, schema)];
    case 'not':
      return [`${formatCondition(expr)} is false: ${formatCondition(expr.operand)} holds${describeValue(expr.operand, alert)}`];
    case 'during':
      return [`${formatCondition(expr)} is false: the calendar is closed then`];
    default:
      return [`${formatCondition(expr)} is false${describeValue(expr, alert)}`];
  }
}

function phiFieldsIn(expr: Expr, schema: CompiledSchema): string[] {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return [...new Set([...phiFieldsIn(expr.left, schema), ...phiFieldsIn(expr.right, schema)])];
    case 'not':
      return phiFieldsIn(expr.operand, schema);
    case 'during':
      return [];
    default:
      return schema.fields[expr.field.name]?.phi === true ? [expr.field.name] : [];
  }
}

function describeValue(expr: Expr, alert: AlertRecord): string {
  if (!('field' in expr)) return '';
  const path = expr.field.name;
  const value = alert[path];
  if (value === undefined) return `: the alert has no ${path}`;
  return `: ${path} is ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}
