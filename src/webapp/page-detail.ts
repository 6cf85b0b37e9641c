// A page as its recipient sees it in the web app, PHI included: read only for a signed-in person
// the page was sent to.
import { and, asc, eq, isNotNull, ne } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { openPhi } from '../dispatch/index.js';
import type { PageDetailView, PageListItem } from './views.js';

const { pages, alerts, notifications, deliveries, people } = tables;

export async function loadPageDetail(db: Db, phiKey: Buffer, pageId: string, personId: string): Promise<PageDetailView | null> {
  const [row] = await db.select({ page: pages, fields: alerts.fields, phi: alerts.phi }).from(pages).innerJoin(alerts, eq(alerts.id, pages.alertId)).where(eq(pages.id, pageId));
  if (row === undefined) return null;
  const sent = await db
    .select({ channel: notifications.channel, status: notifications.status, providerStatus: deliveries.providerStatus, deliveryStatus: deliveries.status, at: notifications.updatedAt, deliveredAt: deliveries.updatedAt })
    .from(notifications)
    .leftJoin(deliveries, eq(deliveries.notificationId, notifications.id))
    .where(and(eq(notifications.pageId, pageId), eq(notifications.personId, personId)))
    .orderBy(asc(notifications.id));
  const { page } = row;
  const [by] = page.acknowledgedBy === null ? [] : await db.select({ name: people.displayName }).from(people).where(eq(people.id, page.acknowledgedBy));
  return {
    id: page.id,
    workflow: page.workflow,
    route: page.route,
    status: page.status,
    openedAt: page.openedAt,
    fields: row.fields,
    phi: row.phi === null ? {} : openPhi(phiKey, row.phi),
    acknowledgement: page.acknowledgedAt === null ? null : { byName: by?.name ?? page.acknowledgedBy ?? 'someone', via: page.acknowledgedVia ?? 'api', at: page.acknowledgedAt },
    // Ours first (sent, delivered, failed); the provider's own word when it says more.
    deliveries: sent.map((s) => {
      const ours = s.deliveryStatus ?? s.status;
      return { channel: s.channel, status: s.providerStatus === null || s.providerStatus === ours ? ours : `${ours} (${s.providerStatus})`, at: s.deliveredAt ?? s.at };
    }),
  };
}

/** The pages that reached a person and are not resolved, oldest first. */
export async function openPagesOf(db: Db, personId: string): Promise<PageListItem[]> {
  return db
    .selectDistinct({ id: pages.id, workflow: pages.workflow, status: pages.status, openedAt: pages.openedAt })
    .from(pages)
    .innerJoin(notifications, eq(notifications.pageId, pages.id))
    .where(and(eq(notifications.personId, personId), isNotNull(notifications.sentAt), ne(pages.status, 'resolved')))
    .orderBy(pages.openedAt)
    .limit(100);
}
