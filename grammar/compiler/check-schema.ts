// The alert schema: one schema, unique enum members, no field that is also a group of fields,
// and no field named like a built-in template value.
import type * as A from '../ast.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { builtinNames } from '../ruleset.js';
import type { Scope } from './scope.js';

export function checkSchema(scope: Scope, firstFile: string, diagnostics: Diagnostic[]): void {
  if (scope.schema === null) {
    const span: A.Span = { file: firstFile, line: 1, col: 1, endLine: 1, endCol: 1 };
    diagnostics.push(diagnostic('E112', span, 'the rule set has no alert schema', 'declare one: schema alert { source: text  priority: ordered(routine, urgent, stat) }'));
    return;
  }
  for (const field of scope.fields.values()) {
    const path = field.path.name;
    if ((builtinNames as readonly string[]).includes(path)) {
      diagnostics.push(diagnostic('E112', field.path.span, `"${path}" is a built-in template value and cannot be a field`, 'rename the field'));
    }
    const parent = path.split('.').slice(0, -1);
    for (let i = 1; i <= parent.length; i++) {
      const prefix = parent.slice(0, i).join('.');
      if (scope.fields.has(prefix)) {
        diagnostics.push(diagnostic('E112', field.path.span, `"${path}" is inside "${prefix}", which is itself a field`, `make "${prefix}" a group (${prefix}.…) or rename one of them`));
      }
    }
    if (field.type.kind === 'enum' || field.type.kind === 'ordered') {
      const seen = new Set<string>();
      for (const member of field.type.members) {
        if (seen.has(member.name)) diagnostics.push(diagnostic('E101', member.span, `"${member.name}" is listed twice in ${path}`));
        seen.add(member.name);
      }
    }
  }
}
