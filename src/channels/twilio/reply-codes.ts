// SMS reply codes: "reply 1 to acknowledge". A phone holds one small number per page, so a reply
// is matched by the sender's number and the code. A page no longer open frees its number only
// after the acknowledge links of its texts have expired: until then a late "1" still means that
// page (and gets "already acknowledged"), never a newer page its sender has not read.
import { and, asc, eq, inArray, lt, ne } from 'drizzle-orm';
import { ackLinkLifetimeMs } from '../ack-links.js';
import type { Db } from '../../db/index.js';
import { tables } from '../../db/index.js';

const { smsReplyCodes, pages } = tables;

export interface ReplyCodeMatch {
  readonly code: number;
  readonly pageId: string;
  readonly personId: string;
  readonly workflow: string;
  readonly status: 'open' | 'acknowledged' | 'resolved';
}

/** Frees the codes of this phone's pages that are no longer open and were texted long enough ago. */
async function freeStale(db: Db, phone: string, now: Date): Promise<void> {
  const stale = db.select({ id: pages.id }).from(pages).where(ne(pages.status, 'open'));
  await db
    .delete(smsReplyCodes)
    .where(and(eq(smsReplyCodes.phone, phone), inArray(smsReplyCodes.pageId, stale), lt(smsReplyCodes.createdAt, new Date(now.getTime() - ackLinkLifetimeMs))));
}

/** The code this phone replies with for this page: the one it has, or the smallest free one. */
export async function replyCodeFor(db: Db, input: { readonly phone: string; readonly pageId: string; readonly personId: string; readonly at: Date }): Promise<number> {
  await freeStale(db, input.phone, input.at);
  for (;;) {
    const held = await db.select().from(smsReplyCodes).where(eq(smsReplyCodes.phone, input.phone)).orderBy(asc(smsReplyCodes.code));
    const mine = held.find((h) => h.pageId === input.pageId);
    if (mine !== undefined) return mine.code;
    let code = 1;
    for (const h of held) if (h.code === code) code++;
    const inserted = await db.insert(smsReplyCodes).values({ phone: input.phone, code, pageId: input.pageId, personId: input.personId, createdAt: input.at }).onConflictDoNothing().returning();
    // Another send to this phone took the number (or gave this page one) at the same moment: look again.
    if (inserted.length === 1) return code;
  }
}

/** The codes this phone holds, with their pages as they stand now (stale ones included, for a helpful answer). */
export async function replyCodesOf(db: Db, phone: string): Promise<ReplyCodeMatch[]> {
  return db
    .select({ code: smsReplyCodes.code, pageId: smsReplyCodes.pageId, personId: smsReplyCodes.personId, workflow: pages.workflow, status: pages.status })
    .from(smsReplyCodes)
    .innerJoin(pages, eq(pages.id, smsReplyCodes.pageId))
    .where(eq(smsReplyCodes.phone, phone))
    .orderBy(asc(smsReplyCodes.code));
}
