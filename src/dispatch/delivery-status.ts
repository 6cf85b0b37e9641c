// What providers report after a send: a text delivered or undelivered, a call ringing, answered
// or not. Each report moves its delivery forward (never back: callbacks come late, out of order
// and more than once), rolls up into the notification, and goes on the page's timeline. A
// notification whose every delivery failed fails over to the person's next channel.
import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import { appendAuditEvents, type AuditEvent } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { failoverRow } from './failover.js';
import { openPages } from './outbox.js';
import { queueNotifications } from './steps.js';

const { deliveries, notifications } = tables;

export interface ProviderReport {
  readonly providerId: string;
  readonly status: 'sent' | 'delivered' | 'failed';
  /** The provider's own word for it. */
  readonly providerStatus: string;
  readonly rank: number;
  readonly error: string | null;
}

export type ReportOutcome =
  | { readonly kind: 'recorded'; readonly notificationId: number; readonly failedOver: boolean }
  /** Older than what is known (or a repeat): nothing changes. */
  | { readonly kind: 'stale' }
  | { readonly kind: 'unknown' };

export async function recordProviderReport(deps: { readonly db: Db; readonly auditKey: Buffer; readonly clock: () => Date }, report: ProviderReport): Promise<ReportOutcome> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const [moved] = await tx
      .update(deliveries)
      .set({ status: report.status, providerStatus: report.providerStatus, rank: report.rank, error: report.error, updatedAt: now })
      .where(and(eq(deliveries.providerId, report.providerId), lt(deliveries.rank, report.rank)))
      .returning();
    if (moved === undefined) {
      const [known] = await tx.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.providerId, report.providerId));
      return { kind: known === undefined ? 'unknown' : 'stale' };
    }
    const [n] = await tx.select().from(notifications).where(eq(notifications.id, moved.notificationId)).for('update');
    const audit: AuditEvent[] = [
      { actor: 'system', kind: `delivery.${report.status}`, subject: `page:${n!.pageId}`, data: { notification: n!.id, channel: moved.channel, providerStatus: report.providerStatus, ...(report.error === null ? {} : { error: report.error }) } },
    ];
    let failedOver = false;
    if (report.status === 'delivered') {
      await tx
        .update(notifications)
        .set({ deliveredAt: sql`coalesce(${notifications.deliveredAt}, ${now.toISOString()}::timestamptz)`, status: sql`case when ${notifications.status} = 'sent' then 'delivered' else ${notifications.status} end`, updatedAt: now })
        .where(eq(notifications.id, n!.id));
    } else if (report.status === 'failed' && (n!.status === 'sent' || n!.status === 'delivered')) {
      const [alive] = await tx
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(eq(deliveries.notificationId, n!.id), ne(deliveries.status, 'failed')))
        .limit(1);
      if (alive === undefined) {
        await tx.update(notifications).set({ status: 'failed', error: report.error, updatedAt: now }).where(eq(notifications.id, n!.id));
        const failover = (await openPages(tx, [n!.pageId])).has(n!.pageId) ? failoverRow(n!, now, null) : null;
        const [queued] = failover === null ? [] : await queueNotifications(tx, [failover]);
        if (queued !== undefined) {
          failedOver = true;
          audit.push({ actor: 'system', kind: 'notification.failed-over', subject: `page:${n!.pageId}`, data: { notification: queued.id, channel: queued.channel, person: queued.personId, cycle: queued.cycle, step: queued.step } });
        }
      }
    }
    await appendAuditEvents(tx, deps.auditKey, audit, now);
    return { kind: 'recorded', notificationId: n!.id, failedOver };
  });
}

/** The delivery a voice webhook is about, with its notification: what the call says, and for whom. */
export async function deliveryForCall(db: Db, deliveryId: number) {
  const [row] = await db
    .select({ delivery: deliveries, notification: notifications })
    .from(deliveries)
    .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
    .where(and(eq(deliveries.id, deliveryId), inArray(deliveries.channel, ['voice'])));
  return row ?? null;
}
