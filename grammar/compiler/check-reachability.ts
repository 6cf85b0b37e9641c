// Warnings about rules that look right but do nothing: a route every alert of which an earlier
// route takes first, a route whose condition cannot hold, a ladder step that cannot fire.
import type * as A from '../ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { conjuncts, contradiction, implies } from './conditions-logic.js';
import { at, type Scope, type ScopedRoute } from './scope.js';

export function checkReachability(scope: Scope, diagnostics: Diagnostic[]): void {
  const stopping: ScopedRoute[] = [];
  for (const route of scope.routes) {
    const span = route.decl.name?.span ?? route.decl.span;
    const reason = contradiction(route.decl.condition, scope);
    if (reason !== null) {
      diagnostics.push(diagnostic('W202', span, `route ${route.name} can never match: ${reason}`));
    } else {
      const shadow = stopping.find((earlier) => implies(route.decl.condition, earlier.decl.condition, scope));
      if (shadow !== undefined) {
        diagnostics.push(
          diagnostic(
            'W201',
            span,
            `route ${route.name} is shadowed: every alert it matches is taken first by route ${shadow.name} (${at(shadow.decl.name?.span ?? shadow.decl.span)})`,
            shadow.decl.condition === null ? `${shadow.name} has no condition; move it last` : `move ${route.name} above ${shadow.name}, narrow ${shadow.name}, or add "continue" to ${shadow.name}`,
          ),
        );
      }
    }
    if (route.decl.continueSpan === null) stopping.push(route);
    checkSteps(route, scope, diagnostics);
  }
}

function checkSteps(route: ScopedRoute, scope: Scope, diagnostics: Diagnostic[]): void {
  const routeParts = conjuncts(route.decl.condition);
  const requires = (mode: 'during' | 'outside', calendar: string): boolean =>
    routeParts.some((p) =>
      mode === 'during' ? p.kind === 'during' && p.calendar.name === calendar : p.kind === 'not' && p.operand.kind === 'during' && p.operand.calendar.name === calendar,
    );
  route.decl.steps.forEach((step, i) => {
    const w = step.window;
    if (w !== null) {
      const opposite = w.mode === 'during' ? 'outside' : 'during';
      // The route's calendar is read when the alert arrives, the step's when it falls due; only
      // a step due at once is read at the same instant. A later one may well fire after the edge.
      if (step.delay.ms === 0 && requires(opposite, w.calendar.name)) {
        diagnostics.push(diagnostic('W203', step.span, `this step is ${w.mode} ${w.calendar.name}, but route ${route.name} only matches ${opposite} it`, 'remove the step or its time window'));
        return;
      }
      const calendar = scope.calendars.get(w.calendar.name);
      if (w.mode === 'during' && calendar !== undefined && calendar.windows.length === 0) {
        diagnostics.push(diagnostic('W203', step.span, `calendar ${w.calendar.name} has no window, so this step never fires`));
        return;
      }
    }
    const twin = route.decl.steps.slice(0, i).findIndex((earlier) => sameStep(earlier, step));
    if (twin >= 0) diagnostics.push(diagnostic('W203', step.span, `this step repeats step ${twin + 1} of route ${route.name}; it adds nothing`, 'remove it'));
  });
}

function sameStep(a: A.StepDecl, b: A.StepDecl): boolean {
  const names = (list: readonly A.Named[] | null): string => (list === null ? '' : list.map((n) => n.name).sort().join(','));
  return (
    a.delay.ms === b.delay.ms &&
    a.unlessAcked === b.unlessAcked &&
    names(a.targets) === names(b.targets) &&
    names(a.channels) === names(b.channels) &&
    a.window?.mode === b.window?.mode &&
    a.window?.calendar.name === b.window?.calendar.name
  );
}
