// Narrows the routes worth evaluating for an alert. Most routes start with an equality on a
// discriminating field (`source = "lab"`, `test in ("K", "NA")`); indexing each route under one
// such field lets an alert skip every route whose key cannot match, so evaluation time follows
// the routes that could match rather than the length of the file.
import type { Expr } from '../ast.js';
import type { AlertRecord, CompiledRoute } from '../ruleset.js';

export interface RouteIndex {
  /** Route orders to evaluate, ascending: never misses a route that could match. */
  candidates(alert: AlertRecord): readonly number[];
  readonly indexedFields: readonly string[];
}

const keyOf = (v: string | number): string => (typeof v === 'number' ? `#${v}` : `$${v}`);

/** Top-level `field = literal` / `field in (…)` conjuncts: each a necessary condition. */
function equalityKeys(expr: Expr | null): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  const visit = (e: Expr): void => {
    if (e.kind === 'and') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'compare' && e.op === '=') {
      keys.set(e.field.name, [keyOf(e.value.value)]);
    } else if (e.kind === 'in') {
      keys.set(e.field.name, e.values.map((v) => keyOf(v.value)));
    }
  };
  if (expr !== null) visit(expr);
  return keys;
}

export function buildRouteIndex(routes: readonly CompiledRoute[]): RouteIndex {
  const perRoute = routes.map((r) => equalityKeys(r.condition));
  const popularity = new Map<string, number>();
  for (const keys of perRoute) for (const field of keys.keys()) popularity.set(field, (popularity.get(field) ?? 0) + 1);

  const byField = new Map<string, Map<string, number[]>>();
  const always: number[] = [];
  perRoute.forEach((keys, order) => {
    // The field most routes share: fewest index lookups per alert.
    const field = [...keys.keys()].sort((a, b) => popularity.get(b)! - popularity.get(a)! || a.localeCompare(b))[0];
    if (field === undefined) {
      always.push(order);
      return;
    }
    const values = byField.get(field) ?? new Map<string, number[]>();
    for (const key of keys.get(field)!) values.set(key, [...(values.get(key) ?? []), order]);
    byField.set(field, values);
  });
  const fields = [...byField.keys()];

  return {
    indexedFields: fields,
    candidates(alert) {
      const lists: (readonly number[])[] = [always];
      for (const field of fields) {
        const v = alert[field];
        const hit = v === undefined ? undefined : byField.get(field)!.get(keyOf(v));
        if (hit !== undefined) lists.push(hit);
      }
      if (lists.length === 1) return always;
      return lists.flat().sort((a, b) => a - b);
    },
  };
}
