// `pagerless audit verify`: checks the audit trail's chain end to end.
import { AuditKeyError, loadAuditKey, verifyAudit } from '../audit/index.js';
import { databaseConfigFromEnv, migrateDatabase, openDatabase } from '../db/index.js';
import type { CliIo } from './io.js';

export interface AuditCliContext {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Where a local install keeps its audit key when PAGERLESS_AUDIT_KEY is not set. */
export function auditKeyFile(env: Readonly<Record<string, string | undefined>>): string {
  return `${env['PAGERLESS_DATA_DIR'] ?? '.data/pglite'}.audit-key`;
}

/** Exit 0 when the chain verifies, 1 when it does not, 2 when it cannot be checked. */
export async function auditVerify(ctx: AuditCliContext): Promise<number> {
  let key: Buffer;
  try {
    key = loadAuditKey(ctx.env, auditKeyFile(ctx.env), false);
  } catch (e) {
    if (!(e instanceof AuditKeyError)) throw e;
    ctx.io.err(e.message);
    return 2;
  }
  const database = await openDatabase(databaseConfigFromEnv(ctx.env));
  try {
    await migrateDatabase(database);
    const result = await verifyAudit(database.db, key);
    if (result.ok) {
      ctx.io.out(`audit trail verified: ${result.checked} events, chain intact`);
      return 0;
    }
    ctx.io.out(`audit trail FAILED verification (${result.checked} events checked):`);
    for (const p of result.problems) ctx.io.out(`  ${p.seq === null ? 'chain' : `event ${p.seq}`}: ${p.problem}`);
    return 1;
  } finally {
    await database.close();
  }
}
