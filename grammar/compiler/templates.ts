// Templates and lets: resolving `{placeholders}`, expanding lets, and tracing where PHI flows.
// One expansion serves the checks (unknown names, cycles, PHI) and the compiled output.
import type * as A from '../ast.js';
import { diagnostic, didYouMean, type Diagnostic } from '../diagnostics.js';
import { applyFilters, builtinNames, templateFilters, type BuiltinName, type CompiledTemplate, type TemplatePart } from '../ruleset.js';
import type { Scope } from './scope.js';

/** The lets visible at one place: a route's own, then its workflow's. */
export interface LetEnv {
  readonly lets: ReadonlyMap<string, A.LetDecl>;
  readonly parent: LetEnv | null;
}

/** A PHI field that reaches a template, and the lets it travelled through. */
export interface PhiFlow {
  readonly field: string;
  readonly via: readonly string[];
  /** The placeholder in the template where it enters. */
  readonly span: A.Span;
}

export interface Expansion {
  readonly parts: CompiledTemplate;
  readonly phi: readonly PhiFlow[];
}

export function letEnv(lets: readonly A.LetDecl[], parent: LetEnv | null): LetEnv {
  return { lets: new Map(lets.map((l) => [l.name.name, l])), parent };
}

function findLet(env: LetEnv | null, name: string): { decl: A.LetDecl; env: LetEnv } | undefined {
  for (let e = env; e !== null; e = e.parent) {
    const decl = e.lets.get(name);
    if (decl !== undefined) return { decl, env: e };
  }
  return undefined;
}

function visibleLets(env: LetEnv | null): string[] {
  const names: string[] = [];
  for (let e = env; e !== null; e = e.parent) names.push(...e.lets.keys());
  return names;
}

/**
 * Expands a template: fields and built-ins stay placeholders, lets are inlined (their own
 * filters applied after). Problems are reported into `diagnostics` when given.
 */
export function expandTemplate(text: A.TemplateText, env: LetEnv | null, scope: Scope, diagnostics: Diagnostic[] | null): Expansion {
  const parts: TemplatePart[] = [];
  const phi: PhiFlow[] = [];
  expandInto(text, env, scope, diagnostics, parts, phi, [], null);
  return { parts: mergeText(parts), phi };
}

function expandInto(
  text: A.TemplateText,
  env: LetEnv | null,
  scope: Scope,
  diagnostics: Diagnostic[] | null,
  parts: TemplatePart[],
  phi: PhiFlow[],
  letStack: readonly string[],
  entry: A.Span | null,
): void {
  for (const segment of text.segments) {
    if (segment.kind === 'text') {
      parts.push({ kind: 'text', text: segment.text });
      continue;
    }
    const filters: string[] = [];
    for (const filter of segment.filters) {
      if ((templateFilters as readonly string[]).includes(filter.name)) filters.push(filter.name);
      else diagnostics?.push(diagnostic('E115', filter.span, `"${filter.name}" is not a template filter`, didYouMean(filter.name, templateFilters) ?? `filters: ${templateFilters.join(', ')}`));
    }
    const where = entry ?? segment.span;
    const field = scope.fields.get(segment.path);
    if (field !== undefined) {
      parts.push({ kind: 'field', path: segment.path, filters });
      if (field.phi) phi.push({ field: segment.path, via: letStack, span: where });
      continue;
    }
    if ((builtinNames as readonly string[]).includes(segment.path)) {
      parts.push({ kind: 'builtin', name: segment.path as BuiltinName, filters });
      continue;
    }
    const found = findLet(env, segment.path);
    if (found === undefined) {
      diagnostics?.push(
        diagnostic('E115', segment.span, `"{${segment.path}}" is not a field, a let or a built-in value`, didYouMean(segment.path, [...scope.fields.keys(), ...visibleLets(env), ...builtinNames]) ?? `built-ins: ${builtinNames.join(', ')}`),
      );
      continue;
    }
    if (letStack.includes(segment.path)) {
      diagnostics?.push(diagnostic('E119', segment.span, `let ${segment.path} uses itself: ${[...letStack, segment.path].join(' → ')}`, 'a let may use fields and other lets, but not go round in a circle'));
      continue;
    }
    const inner: TemplatePart[] = [];
    // Problems inside a let point into the let itself; the compiler drops the repeats.
    expandInto(found.decl.value, found.env, scope, diagnostics, inner, phi, [...letStack, segment.path], where);
    parts.push(...(filters.length === 0 ? inner : inner.map((p) => (p.kind === 'text' ? { kind: 'text' as const, text: applyFilters(p.text, filters) } : { ...p, filters: [...p.filters, ...filters] }))));
  }
}

function mergeText(parts: TemplatePart[]): TemplatePart[] {
  const merged: TemplatePart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (part.kind === 'text' && last?.kind === 'text') merged[merged.length - 1] = { kind: 'text', text: last.text + part.text };
    else merged.push(part);
  }
  return merged;
}

/** The templates of one scope, by channel; a later template for the same channel is an error. */
export function templatesByChannel(templates: readonly A.TemplateDecl[], diagnostics: Diagnostic[] | null): Map<A.TemplateChannel, A.TemplateDecl> {
  const map = new Map<A.TemplateChannel, A.TemplateDecl>();
  for (const t of templates) {
    const earlier = map.get(t.channel);
    if (earlier !== undefined) {
      diagnostics?.push(diagnostic('E101', t.span, `a second ${t.channel} template here`, `the first is at ${earlier.span.file}:${earlier.span.line}:${earlier.span.col}`));
      continue;
    }
    map.set(t.channel, t);
  }
  return map;
}

export function templateTexts(t: A.TemplateDecl): A.TemplateText[] {
  return t.channel === 'push' ? [t.title, t.body] : [t.text];
}
