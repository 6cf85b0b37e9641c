// `pagerless token issue --source <name> | --person <id> | --admin <name>`: a new API token, shown once.
import { AuditKeyError, loadAuditKey, sealAuditHeads } from '../audit/index.js';
import { issueCredential } from '../auth/credentials.js';
import type { TokenHolder } from '../auth/tokens.js';
import { databaseConfigFromEnv, migrateDatabase, openDatabase } from '../db/index.js';
import { auditKeyFile } from './audit.js';
import type { CliIo } from './io.js';

export async function tokenIssue(holder: TokenHolder, ctx: { io: CliIo; env: Readonly<Record<string, string | undefined>>; now: Date }): Promise<number> {
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
    await sealAuditHeads(database.db, key);
    const issued = await issueCredential(database.db, key, holder, 'admin', ctx.now);
    if (!issued.ok) {
      ctx.io.err(issued.message);
      return 2;
    }
    ctx.io.out(issued.token);
    ctx.io.err(`a ${holder.kind} token for ${holder.name}: shown this once, stored only as a hash`);
    return 0;
  } finally {
    await database.close();
  }
}
