// A small, sound (never wrong, sometimes silent) logic over conditions: does one condition imply
// another, and can a condition ever hold? Each atom becomes a constraint on one field's values.
import type * as A from '../ast.js';
import type { Scope } from './scope.js';

/**
 * The values a field may take for an atom to hold. `missingOk`: the atom also holds when the
 * alert lacks the field (only negations do: a comparison on a missing field is false).
 */
type Constraint =
  | { readonly kind: 'in'; readonly values: ReadonlySet<string>; readonly missingOk: boolean }
  | { readonly kind: 'not-in'; readonly values: ReadonlySet<string>; readonly missingOk: boolean }
  | { readonly kind: 'range'; readonly lo: number; readonly loIn: boolean; readonly hi: number; readonly hiIn: boolean }
  | { readonly kind: 'exists' };

const key = (l: A.Literal): string => (l.kind === 'number' ? `#${l.value}` : l.value);

type FieldConstraint = { readonly field: string; readonly c: Constraint } | null;

// The shadowing pass compares every route with every earlier one; an atom's constraint and
// printed form are worked out once per atom, not once per comparison.
const constraints = new WeakMap<A.Expr, FieldConstraint>();
const printed = new WeakMap<A.Expr, string>();

function constraintOf(e: A.Expr, scope: Scope): FieldConstraint {
  let found = constraints.get(e);
  if (found === undefined) {
    found = computeConstraint(e, scope);
    constraints.set(e, found);
  }
  return found;
}

function computeConstraint(e: A.Expr, scope: Scope): FieldConstraint {
  if (e.kind === 'not') {
    const inner = constraintOf(e.operand, scope);
    if (inner === null) return null;
    const { c } = inner;
    if (c.kind === 'in') return { field: inner.field, c: finite({ kind: 'not-in', values: c.values, missingOk: !c.missingOk }, inner.field, scope) };
    if (c.kind === 'not-in') return { field: inner.field, c: finite({ kind: 'in', values: c.values, missingOk: !c.missingOk }, inner.field, scope) };
    return null;
  }
  if (e.kind !== 'compare' && e.kind !== 'in' && e.kind !== 'exists') return null;
  const field = scope.fields.get(e.field.name);
  if (field === undefined) return null;
  const path = e.field.name;
  if (e.kind === 'exists') return { field: path, c: { kind: 'exists' } };
  if (e.kind === 'in') return { field: path, c: finite({ kind: 'in', values: new Set(e.values.map(key)), missingOk: false }, path, scope) };
  const v = e.value;
  switch (e.op) {
    case '=':
      return { field: path, c: { kind: 'in', values: new Set([key(v)]), missingOk: false } };
    case '!=':
      return { field: path, c: finite({ kind: 'not-in', values: new Set([key(v)]), missingOk: false }, path, scope) };
    default: {
      if (field.type.kind === 'ordered') {
        const members = field.type.members.map((m) => m.name);
        const at = members.indexOf(v.value as string);
        if (at < 0) return null;
        const keep = members.filter((_, i) => (e.op === '<' ? i < at : e.op === '<=' ? i <= at : e.op === '>' ? i > at : i >= at));
        return { field: path, c: { kind: 'in', values: new Set(keep), missingOk: false } };
      }
      if (v.kind !== 'number') return null;
      const n = v.value;
      return {
        field: path,
        c:
          e.op === '<' || e.op === '<='
            ? { kind: 'range', lo: -Infinity, loIn: false, hi: n, hiIn: e.op === '<=' }
            : { kind: 'range', lo: n, loIn: e.op === '>=', hi: Infinity, hiIn: false },
      };
    }
  }
}

/** On an enum, "not in" is an "in" over the rest of its members. */
function finite(c: Constraint, path: string, scope: Scope): Constraint {
  const type = scope.fields.get(path)?.type;
  if (c.kind !== 'not-in' || (type?.kind !== 'enum' && type?.kind !== 'ordered')) return c;
  return { kind: 'in', values: new Set(type.members.map((m) => m.name).filter((m) => !c.values.has(m))), missingOk: c.missingOk };
}

function inRange(value: string, r: Extract<Constraint, { kind: 'range' }>): boolean {
  if (!value.startsWith('#')) return false;
  const n = Number(value.slice(1));
  return (n > r.lo || (r.loIn && n === r.lo)) && (n < r.hi || (r.hiIn && n === r.hi));
}

/** Every value allowed by `b` is allowed by `a`. */
function subsumes(a: Constraint, b: Constraint): boolean {
  if (a.kind === 'exists') return b.kind !== 'exists' ? !('missingOk' in b && b.missingOk) : true;
  if (b.kind === 'exists') return false;
  if ('missingOk' in b && b.missingOk && !('missingOk' in a && a.missingOk)) return false;
  if (a.kind === 'range') {
    if (b.kind === 'in') return [...b.values].every((v) => inRange(v, a));
    if (b.kind !== 'range') return false;
    const loOk = b.lo > a.lo || (b.lo === a.lo && (a.loIn || !b.loIn));
    const hiOk = b.hi < a.hi || (b.hi === a.hi && (a.hiIn || !b.hiIn));
    return loOk && hiOk;
  }
  if (b.kind === 'range') return false;
  if (a.kind === 'in') return b.kind === 'in' && [...b.values].every((v) => a.values.has(v));
  // a is not-in
  return b.kind === 'in' ? [...b.values].every((v) => !a.values.has(v)) : [...a.values].every((v) => b.values.has(v));
}

function sameExpr(a: A.Expr, b: A.Expr): boolean {
  return print(a) === print(b);
}

function print(e: A.Expr): string {
  let text = printed.get(e);
  if (text === undefined) {
    text = JSON.stringify(e, dropSpans);
    printed.set(e, text);
  }
  return text;
}

function dropSpans(k: string, v: unknown): unknown {
  return k === 'span' ? undefined : v;
}

/** Whether `b` holding guarantees `a` holds. Null means "always" (a route with no condition). */
export function implies(b: A.Expr | null, a: A.Expr | null, scope: Scope): boolean {
  if (a === null) return true;
  if (b === null) return false;
  if (a.kind === 'and') return implies(b, a.left, scope) && implies(b, a.right, scope);
  if (b.kind === 'or') return implies(b.left, a, scope) && implies(b.right, a, scope);
  if (a.kind === 'or' && (implies(b, a.left, scope) || implies(b, a.right, scope))) return true;
  if (b.kind === 'and') return implies(b.left, a, scope) || implies(b.right, a, scope);
  if (sameExpr(a, b)) return true;
  const ca = constraintOf(a, scope);
  const cb = constraintOf(b, scope);
  return ca !== null && cb !== null && ca.field === cb.field && subsumes(ca.c, cb.c);
}

export function conjuncts(e: A.Expr | null): A.Expr[] {
  if (e === null) return [];
  return e.kind === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** Whether the ranges on one field leave no number between them. */
function emptyRange(constraints: readonly Constraint[]): boolean {
  let lo = -Infinity;
  let loIn = false;
  let hi = Infinity;
  let hiIn = false;
  for (const c of constraints) {
    if (c.kind !== 'range') continue;
    if (c.lo > lo || (c.lo === lo && !c.loIn)) [lo, loIn] = [c.lo, c.loIn];
    if (c.hi < hi || (c.hi === hi && !c.hiIn)) [hi, hiIn] = [c.hi, c.hiIn];
  }
  return lo > hi || (lo === hi && !(loIn && hiIn));
}

/** A reason the condition can never hold, or null when it might. */
export function contradiction(e: A.Expr | null, scope: Scope): string | null {
  const parts = conjuncts(e);
  const byField = new Map<string, Constraint[]>();
  for (const part of parts) {
    const c = constraintOf(part, scope);
    if (c !== null) byField.set(c.field, [...(byField.get(c.field) ?? []), c.c]);
    if (part.kind === 'during' && parts.some((p) => p.kind === 'not' && p.operand.kind === 'during' && p.operand.calendar.name === part.calendar.name)) {
      return `it asks for both during and outside ${part.calendar.name}`;
    }
  }
  for (const [field, constraints] of byField) {
    // When every test on the field also holds for an alert without it, that alert matches.
    if (constraints.every((c) => 'missingOk' in c && c.missingOk)) continue;
    if (emptyRange(constraints)) return `no number is in every range given for ${field}`;
    const sets = constraints.filter((c): c is Extract<Constraint, { kind: 'in' }> => c.kind === 'in');
    if (sets.length === 0) continue;
    const allowed = [...sets[0]!.values].filter((v) =>
      constraints.every((c) => (c.kind === 'in' ? c.values.has(v) : c.kind === 'not-in' ? !c.values.has(v) : c.kind === 'range' ? inRange(v, c) : true)),
    );
    if (allowed.length === 0) return `no value of ${field} satisfies all of its tests`;
  }
  return null;
}
