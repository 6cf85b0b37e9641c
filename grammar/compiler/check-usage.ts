// Declarations nothing uses: a role no route pages is usually a typo somewhere else.
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { Scope } from './scope.js';

export function checkUsage(scope: Scope, diagnostics: Diagnostic[]): void {
  const used = new Set<string>();
  for (const route of scope.routes) for (const step of route.decl.steps) for (const t of step.targets) used.add(t.name);
  for (const decl of scope.who.values()) {
    if (decl.kind === 'role' && !used.has(decl.name.name)) {
      diagnostics.push(diagnostic('W207', decl.name.span, `role ${decl.name.name} is paged by no route`, 'notify it from a route, or remove it'));
    }
  }
}
