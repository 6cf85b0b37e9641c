// The deliveries a channel makes of one notification: a row per phone, device or pager group,
// written before the provider is called and settled with its answer. Channels use it to skip
// contacts a retried notification already reached, and to rate-limit a phone.
import { and, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { ChannelKind } from './channel.js';

const { deliveries } = tables;

export type DeliverySettlement =
  | { readonly status: 'sent' | 'delivered'; readonly providerId: string; readonly providerStatus: string; readonly rank: number }
  | { readonly status: 'failed'; readonly error: string; readonly providerStatus?: string };

export interface DeliveryLog {
  /**
   * Contacts this notification was already handed to the provider for, or may have been: a
   * retry does not send to them again. A delivery still `requested` was left by a process that
   * died while asking the provider; whether the provider took it cannot be known, and texting a
   * physician twice for one step is what this prevents (the ladder's next step still comes).
   */
  reached(notificationId: number): Promise<ReadonlySet<string>>;
  /** Records that the provider is about to be asked; returns the delivery's id. */
  begin(input: { readonly notificationId: number; readonly channel: ChannelKind; readonly contact: string; readonly text: string }): Promise<number>;
  settle(id: number, outcome: DeliverySettlement): Promise<void>;
  /** When this contact was last sent to on this channel since `since`, oldest first (for rate limits). */
  sentSince(channel: ChannelKind, contact: string, since: Date): Promise<readonly Date[]>;
}

export function createDeliveryLog(db: Db, clock: () => Date): DeliveryLog {
  return {
    async reached(notificationId) {
      const rows = await db
        .select({ contact: deliveries.contact })
        .from(deliveries)
        .where(and(eq(deliveries.notificationId, notificationId), inArray(deliveries.status, ['requested', 'sent', 'delivered'])));
      return new Set(rows.map((r) => r.contact));
    },
    async begin(input) {
      const now = clock();
      const [row] = await db
        .insert(deliveries)
        .values({ ...input, status: 'requested', createdAt: now, updatedAt: now })
        .returning({ id: deliveries.id });
      return row!.id;
    },
    async settle(id, outcome) {
      const now = clock();
      await db
        .update(deliveries)
        .set(
          outcome.status === 'failed'
            ? { status: 'failed', error: outcome.error, providerStatus: outcome.providerStatus ?? null, updatedAt: now }
            : { status: outcome.status, providerId: outcome.providerId, providerStatus: outcome.providerStatus, rank: outcome.rank, updatedAt: now },
        )
        .where(eq(deliveries.id, id));
    },
    async sentSince(channel, contact, since) {
      const rows = await db
        .select({ at: deliveries.createdAt })
        .from(deliveries)
        .where(and(eq(deliveries.channel, channel), eq(deliveries.contact, contact), gt(deliveries.createdAt, since), inArray(deliveries.status, ['requested', 'sent', 'delivered'])))
        .orderBy(deliveries.createdAt);
      return rows.map((r) => r.at);
    },
  };
}
