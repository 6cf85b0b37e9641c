// Issuing a credential, from the command line or the API: the name checked, the token made and
// the issue audited in one transaction. The token is returned once and kept only as a hash.
import { eq } from 'drizzle-orm';
import { appendAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { issueToken, type TokenHolder } from './tokens.js';

export type IssueOutcome = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly code: 'invalid_name' | 'unknown_person'; readonly message: string };

const namePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export async function issueCredential(db: Db, auditKey: Buffer, holder: TokenHolder, by: string, now: Date): Promise<IssueOutcome> {
  if (holder.kind !== 'person' && !namePattern.test(holder.name)) {
    return { ok: false, code: 'invalid_name', message: `"${holder.name}" is not a name: lower-case letters, digits, - and _` };
  }
  if (holder.kind === 'person') {
    // A person is who a roster says: `<source>:<id>`, as in /v1/oncall and the page's notifications.
    const [person] = await db.select({ id: tables.people.id }).from(tables.people).where(eq(tables.people.id, holder.name));
    if (person === undefined) return { ok: false, code: 'unknown_person', message: `no person "${holder.name}" is in any roster (a person id is <source>:<id>, like amion:A-1004)` };
  }
  const token = await db.transaction(async (tx) => {
    const t = await issueToken(tx, holder, now);
    await appendAudit(tx, auditKey, { actor: by, kind: 'token.issued', subject: `token:${holder.kind}`, data: { name: holder.name } }, now);
    return t;
  });
  return { ok: true, token };
}
