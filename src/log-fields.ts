// What of an error may go into a log. A database error's message quotes the statement and its
// parameters, which can be anything a clinical system sent (a dedup key may hold an MRN): of a
// database error, and of anything wrapping one (drizzle's "Failed query: …"), only the names and
// the SQLSTATE code are logged. Other errors are ours or the runtime's, and their messages say
// what went wrong.
export function errorFields(e: unknown): { readonly error: string; readonly code: string | null; readonly message?: string } {
  const name = e instanceof Error ? e.name : typeof e;
  let code: string | null = null;
  let fromDatabase = false;
  for (let err: unknown = e, depth = 0; typeof err === 'object' && err !== null && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const c = (err as { code?: unknown }).code;
    if (typeof c === 'string') code ??= c;
    if (typeof c === 'string' || (err instanceof Error && (err.name === 'DrizzleQueryError' || err.message.startsWith('Failed query')))) fromDatabase = true;
  }
  if (fromDatabase || !(e instanceof Error)) return { error: name, code };
  return { error: name, code, message: e.message };
}
