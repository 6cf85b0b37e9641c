// Narrows the routes worth evaluating for an alert. Most routes start with an equality on a
// discriminating field (`source = "lab"`, `test in ("K", "NA")`); each route is filed under its
// most selective such field, so an alert skips every route whose key cannot match and
// evaluation time follows the routes that could match rather than the length of the files.
import type { Expr } from '../ast.js';
import type { AlertRecord, CompiledRoute } from '../ruleset.js';

export interface RouteIndex {
  /** Route orders to evaluate, ascending, each once: never misses a route that could match. */
  candidates(alert: AlertRecord): Iterable<number>;
  readonly indexedFields: readonly string[];
}

const keyOf = (v: string | number): string => (typeof v === 'number' ? `#${v}` : `$${v}`);

/** Top-level `field = literal` / `field in (…)` conjuncts: each a necessary condition. */
function equalityKeys(expr: Expr | null): Map<string, ReadonlySet<string>> {
  const keys = new Map<string, ReadonlySet<string>>();
  const visit = (e: Expr): void => {
    if (e.kind === 'and') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'compare' && e.op === '=') {
      keys.set(e.field.name, new Set([keyOf(e.value.value)]));
    } else if (e.kind === 'in') {
      keys.set(e.field.name, new Set(e.values.map((v) => keyOf(v.value))));
    }
  };
  if (expr !== null) visit(expr);
  return keys;
}

export function buildRouteIndex(routes: readonly CompiledRoute[]): RouteIndex {
  const perRoute = routes.map((r) => equalityKeys(r.condition));
  // Selectivity of a field: how many distinct values routes test it for. `test` (hundreds of
  // values) narrows far more than `source` (a handful).
  const distinct = new Map<string, Set<string>>();
  for (const keys of perRoute) {
    for (const [field, values] of keys) {
      const seen = distinct.get(field) ?? new Set<string>();
      for (const v of values) seen.add(v);
      distinct.set(field, seen);
    }
  }
  const selectivity = (field: string): number => distinct.get(field)!.size;

  const byField = new Map<string, Map<string, number[]>>();
  const always: number[] = [];
  perRoute.forEach((keys, order) => {
    const field = [...keys.keys()].sort((a, b) => selectivity(b) - selectivity(a) || a.localeCompare(b))[0];
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
      const lists: (readonly number[])[] = always.length > 0 ? [always] : [];
      for (const field of fields) {
        const v = alert[field];
        const hit = v === undefined ? undefined : byField.get(field)!.get(keyOf(v));
        if (hit !== undefined) lists.push(hit);
      }
      return lists.length === 1 ? lists[0]! : mergeAscending(lists);
    },
  };
}

/**
 * The union of ascending lists, ascending, produced lazily: the router usually stops at the
 * first match, so most of the lists are never read. A route sits in one list only.
 */
function* mergeAscending(lists: readonly (readonly number[])[]): Generator<number> {
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const v = lists[i]![at[i]!];
      if (v !== undefined && (best < 0 || v < lists[best]![at[best]!]!)) best = i;
    }
    if (best < 0) return;
    yield lists[best]![at[best]!++]!;
  }
}
