// `pagerless token issue --source <name> | --admin`: a new API token, shown once.
import { appendAudit, AuditKeyError, loadAuditKey } from '../audit/index.js';
import { issueToken, type TokenHolder } from '../auth/tokens.js';
import { databaseConfigFromEnv, migrateDatabase, openDatabase } from '../db/index.js';
import { auditKeyFile } from './audit.js';
import type { CliIo } from './io.js';

export async function tokenIssue(holder: TokenHolder, ctx: { io: CliIo; env: Readonly<Record<string, string | undefined>>; now: Date }): Promise<number> {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(holder.name)) {
    ctx.io.err(`"${holder.name}" is not a name: lower-case letters, digits, - and _`);
    return 2;
  }
  const config = databaseConfigFromEnv(ctx.env);
  let key: Buffer;
  try {
    key = loadAuditKey(ctx.env, auditKeyFile(ctx.env), config.driver === 'pglite');
  } catch (e) {
    if (!(e instanceof AuditKeyError)) throw e;
    ctx.io.err(e.message);
    return 2;
  }
  const database = await openDatabase(config);
  try {
    await migrateDatabase(database);
    const token = await database.db.transaction(async (tx) => {
      const t = await issueToken(tx, holder, ctx.now);
      await appendAudit(tx, key, { actor: 'admin', kind: 'token.issued', subject: `token:${holder.kind}`, data: { name: holder.name } }, ctx.now);
      return t;
    });
    ctx.io.out(token);
    ctx.io.err(`a ${holder.kind} token for ${holder.name}: shown this once, stored only as a hash`);
    return 0;
  } finally {
    await database.close();
  }
}
