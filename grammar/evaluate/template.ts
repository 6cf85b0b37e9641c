// Renders a compiled template with an alert's values and the gateway's built-in values.
import { DateTime } from 'luxon';
import { applyFilters, type AlertRecord, type Builtins, type CompiledSchema, type CompiledTemplate } from '../ruleset.js';

/** What a placeholder shows when the alert lacks the field: visible, short enough for a pager. */
export const missingValue = '?';

export function renderTemplate(template: CompiledTemplate, alert: AlertRecord, builtins: Builtins, schema: CompiledSchema): string {
  let out = '';
  for (const part of template) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'builtin':
        out += applyFilters(builtins[part.name], part.filters);
        break;
      case 'field': {
        const value = alert[part.path];
        const text =
          value === undefined
            ? missingValue
            : schema.fields[part.path]?.type.kind === 'timestamp'
              ? DateTime.fromMillis(Number(value), { zone: 'utc' }).toISO()!
              : String(value);
        out += applyFilters(text, part.filters);
        break;
      }
    }
  }
  return out;
}
