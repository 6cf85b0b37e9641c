// What of an error may go into a log. A database error's message quotes the statement's
// parameters, which can be anything a clinical system sent; only its name and SQLSTATE code are
// logged. Other errors are ours or the runtime's, and their messages say what went wrong.
export function errorFields(e: unknown): { readonly error: string; readonly code: string | null; readonly message?: string } {
  const name = e instanceof Error ? e.name : typeof e;
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : null;
  if (code !== null || !(e instanceof Error)) return { error: name, code };
  return { error: name, code, message: e.message };
}
