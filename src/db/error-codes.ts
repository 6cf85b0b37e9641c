// The codes a database error carries: drizzle wraps the driver's error (its `cause`), which holds
// PostgreSQL's SQLSTATE, or postgres.js's own code when the connection went.

/** The codes on an error and its causes: SQLSTATEs from the database, postgres.js's own for its connection. */
export function errorCodesOf(e: unknown): string[] {
  const codes: string[] = [];
  for (let err: unknown = e; typeof err === 'object' && err !== null; err = (err as { cause?: unknown }).cause) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** in_failed_sql_transaction: what every statement sent after the one that failed answers. */
export function onlyFoundTransactionAborted(e: unknown): boolean {
  return errorCodesOf(e).includes('25P02');
}
