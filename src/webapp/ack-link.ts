// Redeeming an acknowledge link: from the browser (the link in a text or a tapped notification)
// or from the service worker (a push notification's Acknowledge action). The link names the
// notification, so the page and the person; it works once.
import { eq } from 'drizzle-orm';
import { checkAckLinkToken } from '../channels/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { AckResult, Dispatcher } from '../dispatch/index.js';

const { notifications, ackLinkUses, pages } = tables;

export type LinkLookup =
  | { readonly ok: true; readonly notificationId: number; readonly pageId: string; readonly personId: string; readonly used: boolean; readonly page: typeof pages.$inferSelect }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' | 'team' };

export async function lookUpAckLink(deps: { readonly db: Db; readonly ackLinkKey: Buffer; readonly clock: () => Date }, token: string): Promise<LinkLookup> {
  const check = checkAckLinkToken(deps.ackLinkKey, token, deps.clock());
  if (!check.ok) return check;
  const [row] = await deps.db
    .select({ n: notifications, page: pages, usedAt: ackLinkUses.usedAt })
    .from(notifications)
    .innerJoin(pages, eq(pages.id, notifications.pageId))
    .leftJoin(ackLinkUses, eq(ackLinkUses.notificationId, notifications.id))
    .where(eq(notifications.id, check.notificationId));
  // Signed by us but for no notification: only a link from another installation's key would be.
  if (row === undefined) return { ok: false, reason: 'forged' };
  // A desk's inbox is acknowledged by a person signed in, not by a shared link.
  if (row.n.personId === '') return { ok: false, reason: 'team' };
  return { ok: true, notificationId: row.n.id, pageId: row.n.pageId, personId: row.n.personId, used: row.usedAt !== null, page: row.page };
}

export type RedeemResult = { readonly kind: 'used' } | { readonly kind: 'invalid'; readonly reason: 'malformed' | 'forged' | 'expired' | 'team' } | AckResult;

export async function redeemAckLink(
  deps: { readonly db: Db; readonly ackLinkKey: Buffer; readonly clock: () => Date; readonly dispatcher: Dispatcher },
  token: string,
  via: 'link' | 'push',
): Promise<RedeemResult> {
  const link = await lookUpAckLink(deps, token);
  if (!link.ok) return { kind: 'invalid', reason: link.reason };
  if (link.used) return { kind: 'used' };
  // Acknowledge first: a link is spent only by an acknowledgement that happened (two taps at
  // once both acknowledge, harmlessly; the second finds it acknowledged).
  const result = await deps.dispatcher.acknowledge({ pageId: link.pageId, personId: link.personId, via });
  if (result.kind !== 'acknowledged' && result.kind !== 'already-acknowledged') return result;
  const used = await deps.db.insert(ackLinkUses).values({ notificationId: link.notificationId, usedAt: deps.clock() }).onConflictDoNothing().returning();
  return used.length === 0 ? { kind: 'used' } : result;
}
