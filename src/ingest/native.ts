// The native alert format: `{ "dedupKey"?: "…", "alert": { field: value, … } }`. The envelope
// is checked here; the alert's fields are checked against the rules' schema by the caller.
import { z } from 'zod';

const envelope = z
  .object({
    dedupKey: z.string().min(1).max(200).optional(),
    alert: z.record(z.string(), z.unknown()),
  })
  .strict();

export type NativeAlert = z.infer<typeof envelope>;

export type NativeParse = { readonly ok: true; readonly value: NativeAlert } | { readonly ok: false; readonly issues: readonly { field: string; message: string }[] };

export function parseNativeAlert(json: unknown): NativeParse {
  const parsed = envelope.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) };
}
