// The first pass: gather every declaration of every file into one table of names, reporting
// duplicates. Later passes look names up here.
import type * as A from '../ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';

export type WhoDecl = A.RoleDecl | A.TeamDecl | A.PersonDecl;

export interface ScopedRoute {
  /** The route's name, or `<workflow>#<n>` when it has none. */
  readonly name: string;
  readonly decl: A.RouteDecl;
  readonly workflow: A.WorkflowDecl;
}

export interface Scope {
  readonly schema: A.SchemaDecl | null;
  readonly fields: ReadonlyMap<string, A.FieldDecl>;
  readonly calendars: ReadonlyMap<string, A.CalendarDecl>;
  readonly holidaySets: ReadonlyMap<string, A.HolidaySetDecl>;
  readonly who: ReadonlyMap<string, WhoDecl>;
  readonly workflows: ReadonlyMap<string, A.WorkflowDecl>;
  /** Every route in first-match order: files in path order, then as written. */
  readonly routes: readonly ScopedRoute[];
  readonly routesByName: ReadonlyMap<string, ScopedRoute>;
  readonly tests: readonly A.TestDecl[];
}

/** The built-in target that pages a workflow's legacy pager group. */
export const legacyPagerTarget = 'legacy-pager';

export function buildScope(files: readonly A.RulesFile[], diagnostics: Diagnostic[]): Scope {
  const schemas: A.SchemaDecl[] = [];
  const calendars = new Map<string, A.CalendarDecl>();
  const holidaySets = new Map<string, A.HolidaySetDecl>();
  const who = new Map<string, WhoDecl>();
  const workflows = new Map<string, A.WorkflowDecl>();
  const routes: ScopedRoute[] = [];
  const routesByName = new Map<string, ScopedRoute>();
  const tests: A.TestDecl[] = [];
  const testNames = new Map<string, A.StringLit>();

  const declare = <T extends { name: A.Named }>(table: Map<string, T>, decl: T, what: string): void => {
    const earlier = table.get(decl.name.name);
    if (earlier !== undefined) {
      diagnostics.push(duplicate(decl.name, what, earlier.name.span));
      return;
    }
    table.set(decl.name.name, decl);
  };

  for (const file of files) {
    for (const decl of file.declarations) {
      switch (decl.kind) {
        case 'schema':
          schemas.push(decl);
          break;
        case 'calendar':
          declare(calendars, decl, 'calendar');
          break;
        case 'holidays':
          declare(holidaySets, decl, 'holiday set');
          break;
        case 'role':
        case 'team':
        case 'person':
          if (decl.name.name === legacyPagerTarget) {
            diagnostics.push(diagnostic('E101', decl.name.span, `"${legacyPagerTarget}" is the built-in target for a workflow's legacy pager group`, 'choose another name'));
            break;
          }
          declare(who, decl, 'role, team or person');
          break;
        case 'workflow':
          declare(workflows, decl, 'workflow');
          decl.routes.forEach((route, i) => {
            const name = route.name?.name ?? `${decl.name.name}#${i + 1}`;
            const scoped: ScopedRoute = { name, decl: route, workflow: decl };
            const earlier = routesByName.get(name);
            if (earlier !== undefined) {
              diagnostics.push(duplicate(route.name ?? { name, span: route.span }, 'route', earlier.decl.name?.span ?? earlier.decl.span));
            } else {
              routesByName.set(name, scoped);
            }
            routes.push(scoped);
          });
          break;
        case 'test': {
          const earlier = testNames.get(decl.name.value);
          if (earlier !== undefined) diagnostics.push(duplicate({ name: decl.name.value, span: decl.name.span }, 'test', earlier.span));
          else testNames.set(decl.name.value, decl.name);
          tests.push(decl);
          break;
        }
      }
    }
  }

  const schema = schemas[0] ?? null;
  for (const extra of schemas.slice(1)) {
    diagnostics.push(diagnostic('E112', extra.name.span, 'a rule set has one alert schema', `the schema is declared at ${at(schema!.name.span)}`));
  }
  const fields = new Map<string, A.FieldDecl>();
  for (const field of schema?.fields ?? []) {
    const earlier = fields.get(field.path.name);
    if (earlier !== undefined) diagnostics.push(duplicate(field.path, 'field', earlier.path.span));
    else fields.set(field.path.name, field);
  }

  return { schema, fields, calendars, holidaySets, who, workflows, routes, routesByName, tests };
}

function duplicate(name: A.Named, what: string, earlier: A.Span): Diagnostic {
  return diagnostic('E101', name.span, `${what} "${name.name}" is declared twice`, `the first declaration is at ${at(earlier)}`);
}

export function at(span: A.Span): string {
  return `${span.file}:${span.line}:${span.col}`;
}
