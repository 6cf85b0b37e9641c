// Validates an incoming alert against the rule set's schema, producing the flat record the
// router reads. Alerts may nest (`{"patient": {"mrn": …}}`) or use dotted keys.
import { offsetInstant } from '../time/local-time.js';
import type { AlertRecord, CompiledSchema, FieldValue } from '../ruleset.js';

export interface AlertIssue {
  readonly field: string;
  readonly message: string;
}

export type AlertValidation = { readonly ok: true; readonly alert: AlertRecord } | { readonly ok: false; readonly issues: readonly AlertIssue[] };

/** Longest text value accepted, so a runaway client cannot fill a page with megabytes. */
export const maxTextLength = 4096;

export function validateAlert(schema: CompiledSchema, input: unknown): AlertValidation {
  const issues: AlertIssue[] = [];
  // No prototype: an alert key like "constructor" must not find Object's own properties.
  const alert: Record<string, FieldValue> = Object.create(null) as Record<string, FieldValue>;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ field: '', message: 'an alert is a JSON object' }] };
  }
  const flat = new Map<string, unknown>();
  flatten(input as Record<string, unknown>, '', flat, schema);
  for (const [path, raw] of flat) {
    const field = Object.hasOwn(schema.fields, path) ? schema.fields[path] : undefined;
    if (field === undefined) {
      issues.push({ field: path, message: `the alert schema has no field "${path}"` });
      continue;
    }
    if (raw === null || raw === undefined) continue;
    const type = field.type;
    switch (type.kind) {
      case 'text':
        if (typeof raw !== 'string') issues.push({ field: path, message: `${path} must be text` });
        else if (raw.length > maxTextLength) issues.push({ field: path, message: `${path} is longer than ${maxTextLength} characters` });
        else alert[path] = raw;
        break;
      case 'number':
        if (typeof raw !== 'number' || !Number.isFinite(raw)) issues.push({ field: path, message: `${path} must be a number` });
        else alert[path] = raw;
        break;
      case 'timestamp': {
        const instant = typeof raw === 'string' ? offsetInstant(raw) : null;
        if (instant === null) issues.push({ field: path, message: `${path} must be an ISO 8601 date-time with a zone offset` });
        else alert[path] = instant.getTime();
        break;
      }
      case 'enum':
      case 'ordered':
        if (typeof raw !== 'string' || !type.members.includes(raw)) {
          issues.push({ field: path, message: `${path} must be one of ${type.members.join(', ')}` });
        } else {
          alert[path] = raw;
        }
        break;
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, alert: Object.freeze(alert) };
}

function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>, schema: CompiledSchema): void {
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    // A nested object is a group of fields unless the schema has a field of that exact name.
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(schema.fields, path)) {
      flatten(value as Record<string, unknown>, path, out, schema);
    } else {
      out.set(path, value);
    }
  }
}
