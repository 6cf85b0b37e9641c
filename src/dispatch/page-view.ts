// What a page looks like from outside: its state, where its ladder stands, each notification's
// delivery, and its timeline (the audit events about it). No PHI: the alert's PHI stays sealed.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { AuditData } from '../db/schema.js';
import { acknowledgementOf, type Acknowledgement } from './acknowledge.js';

const { pages, escalations, notifications, auditEvents, deliveries } = tables;

export type PageState =
  | { readonly status: 'open' }
  | ({ readonly status: 'acknowledged' } & Acknowledgement)
  | { readonly status: 'resolved'; readonly by: string; readonly at: Date; readonly acknowledged: Acknowledgement | null };

export type DeliveryState =
  | { readonly status: 'queued'; readonly attempts: number; readonly nextAttemptAt: Date; readonly lastError: string | null }
  | { readonly status: 'sending'; readonly attempts: number; readonly leaseUntil: Date }
  | { readonly status: 'sent'; readonly providerId: string; readonly at: Date }
  | { readonly status: 'delivered'; readonly providerId: string; readonly at: Date }
  | { readonly status: 'failed'; readonly error: string; readonly attempts: number }
  | { readonly status: 'cancelled'; readonly reason: string };

export interface PageView {
  readonly page: {
    readonly id: string;
    readonly source: string;
    readonly dedupKey: string | null;
    readonly workflow: string;
    readonly route: string;
    readonly rulesVersion: string;
    readonly rulesGitCommit: string | null;
    readonly openedAt: Date;
    readonly alertCount: number;
  };
  readonly state: PageState;
  readonly escalation: { readonly cycle: number; readonly nextStep: number; readonly dueAt: Date | null } | null;
  readonly notifications: readonly {
    readonly id: number;
    readonly cycle: number;
    readonly step: number;
    readonly target: string;
    readonly personId: string | null;
    readonly channel: string;
    readonly standsInFor: string | null;
    readonly createdAt: Date;
    readonly delivery: DeliveryState;
    /** What each phone, device or pager group got, as the provider reported it. */
    readonly deliveries: readonly { readonly status: string; readonly providerStatus: string | null; readonly error: string | null; readonly at: Date }[];
  }[];
  readonly timeline: readonly { readonly at: Date; readonly kind: string; readonly actor: string; readonly data: AuditData }[];
}

type PageRow = typeof pages.$inferSelect;
type NotificationRow = typeof notifications.$inferSelect;

export async function loadPageView(db: Db, pageId: string): Promise<PageView | null> {
  const [page] = await db.select().from(pages).where(eq(pages.id, pageId));
  if (page === undefined) return null;
  const [escalation] = await db.select().from(escalations).where(eq(escalations.pageId, pageId));
  const rows = await db.select().from(notifications).where(eq(notifications.pageId, pageId)).orderBy(asc(notifications.id));
  const sent = await db
    .select({ notificationId: deliveries.notificationId, status: deliveries.status, providerStatus: deliveries.providerStatus, error: deliveries.error, at: deliveries.updatedAt })
    .from(deliveries)
    .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
    .where(eq(notifications.pageId, pageId))
    .orderBy(asc(deliveries.id));
  const events = await db.select().from(auditEvents).where(eq(auditEvents.subject, `page:${pageId}`)).orderBy(asc(auditEvents.seq));
  return {
    page: {
      id: page.id,
      source: page.source,
      dedupKey: page.dedupKey,
      workflow: page.workflow,
      route: page.route,
      rulesVersion: page.rulesVersion,
      rulesGitCommit: page.rulesGitCommit,
      openedAt: page.openedAt,
      alertCount: page.alertCount,
    },
    state: stateOf(page),
    escalation: escalation === undefined ? null : { cycle: escalation.cycle, nextStep: escalation.nextStep, dueAt: escalation.dueAt },
    notifications: rows.map((n) => ({
      id: n.id,
      cycle: n.cycle,
      step: n.step,
      target: n.target,
      personId: n.personId === '' ? null : n.personId,
      channel: n.channel,
      standsInFor: n.standsInFor,
      createdAt: n.createdAt,
      delivery: deliveryOf(n),
      deliveries: sent.filter((d) => d.notificationId === n.id).map(({ status, providerStatus, error, at }) => ({ status, providerStatus, error, at })),
    })),
    timeline: events.map((e) => ({ at: e.at, kind: e.kind, actor: e.actor, data: e.data })),
  };
}

function stateOf(page: PageRow): PageState {
  const acknowledged = acknowledgementOf(page);
  switch (page.status) {
    case 'open':
      return { status: 'open' };
    case 'acknowledged':
      return { status: 'acknowledged', ...acknowledged! };
    case 'resolved':
      return { status: 'resolved', by: page.resolvedBy ?? 'system', at: page.resolvedAt!, acknowledged };
  }
}

function deliveryOf(n: NotificationRow): DeliveryState {
  switch (n.status) {
    case 'queued':
      return { status: 'queued', attempts: n.attempts, nextAttemptAt: n.nextAttemptAt, lastError: n.error };
    case 'sending':
      return { status: 'sending', attempts: n.attempts, leaseUntil: n.leaseUntil! };
    case 'sent':
      return { status: 'sent', providerId: n.providerId!, at: n.sentAt! };
    case 'delivered':
      return { status: 'delivered', providerId: n.providerId!, at: n.deliveredAt! };
    case 'failed':
      return { status: 'failed', error: n.error ?? 'unknown', attempts: n.attempts };
    case 'cancelled':
      return { status: 'cancelled', reason: n.error ?? 'cancelled' };
  }
}
