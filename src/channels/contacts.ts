// Where a person can be reached: phones from the rosters, push subscriptions from their devices.
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

const { contactPoints, pushSubscriptions, smsOptOuts, devices } = tables;

export async function phonesOf(db: Db, personId: string): Promise<string[]> {
  const rows = await db
    .select({ value: contactPoints.value })
    .from(contactPoints)
    .where(and(eq(contactPoints.personId, personId), eq(contactPoints.kind, 'phone')))
    .orderBy(contactPoints.value);
  return rows.map((r) => r.value);
}

/** Of these phones, the ones that texted STOP. */
export async function optedOut(db: Db, phones: readonly string[]): Promise<ReadonlySet<string>> {
  if (phones.length === 0) return new Set();
  const rows = await db.select({ phone: smsOptOuts.phone }).from(smsOptOuts).where(inArray(smsOptOuts.phone, [...phones]));
  return new Set(rows.map((r) => r.phone));
}

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;

/** The person's push subscriptions, less those of devices revoked. */
export async function pushSubscriptionsOf(db: Db, personId: string): Promise<PushSubscriptionRow[]> {
  const rows = await db
    .select({ s: pushSubscriptions })
    .from(pushSubscriptions)
    .leftJoin(devices, eq(devices.id, pushSubscriptions.deviceId))
    .where(and(eq(pushSubscriptions.personId, personId), isNull(devices.revokedAt)))
    .orderBy(pushSubscriptions.id);
  return rows.map((r) => r.s);
}

/** The push service said the subscription is gone (404, 410): nothing will reach it again. */
export async function removePushSubscription(db: Db, id: number): Promise<void> {
  await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id));
}
