// Web push to the physician's enrolled devices (RFC 8030, VAPID, aes128gcm through the real
// web-push library). What a lock screen shows is the rules' push template only; the payload also
// carries the page id and the acknowledge token for the notification's Acknowledge action.
// Urgency is high, the TTL ends when the ladder would page again, and the topic is the page, so a
// newer notification for a page replaces the older one on the device.
import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { Db } from '../../db/index.js';
import type { Channel, OutboundNotification } from '../channel.js';
import { combineContactResults, type ContactFailure, type ContactResult } from '../contact-results.js';
import { pushSubscriptionsOf, removePushSubscription, type PushSubscriptionRow } from '../contacts.js';
import type { DeliveryLog } from '../deliveries.js';
import type { VapidKeys } from '../gateway-keys.js';

export interface WebPushChannelDeps {
  readonly db: Db;
  readonly vapid: VapidKeys;
  /** Who push services may contact about our pushes (`mailto:` or `https:`), per RFC 8292. */
  readonly subject: string;
  readonly deliveries: DeliveryLog;
  /** An agent trusting a test push service's certificate; the default agent in production. */
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

/** What the service worker receives (decrypted). */
export interface PushPayload {
  readonly v: 1;
  readonly title: string;
  readonly body: string;
  readonly pageId: string;
  /** Where tapping the notification goes. */
  readonly open: string;
  /** For the Acknowledge action: POSTed to /v1/push/ack. */
  readonly ackToken: string;
}

export function createWebPushChannel(deps: WebPushChannelDeps): Channel {
  const sendTo = async (n: OutboundNotification, sub: PushSubscriptionRow, payload: PushPayload): Promise<ContactResult> => {
    const delivery = await deps.deliveries.begin({ notificationId: n.id, channel: 'push', contact: `subscription:${sub.id}`, text: `${payload.title} / ${payload.body}` });
    let answer: webpush.SendResult;
    try {
      answer = await webpush.sendNotification({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, JSON.stringify(payload), {
        vapidDetails: { subject: deps.subject, publicKey: deps.vapid.publicKey, privateKey: deps.vapid.privateKey },
        TTL: n.ttlSeconds,
        urgency: 'high',
        // A topic is at most 32 URL-safe characters: the page id without its dashes.
        topic: n.pageId.replaceAll('-', ''),
        timeout: deps.timeoutMs ?? 10_000,
        ...(deps.agent === undefined ? {} : { agent: deps.agent }),
      });
    } catch (e) {
      const failure = pushFailure(e);
      if (failure.gone) await removePushSubscription(deps.db, sub.id);
      await deps.deliveries.settle(delivery, { status: 'failed', error: failure.result.error });
      return failure.result;
    }
    const location = answer.headers['location'];
    const providerId = typeof location === 'string' && location !== '' ? location : `push-delivery-${delivery}`;
    await deps.deliveries.settle(delivery, { status: 'sent', providerId, providerStatus: 'accepted by the push service', rank: 1 });
    return { status: 'sent', providerId };
  };

  return {
    kind: 'push',
    async send(n) {
      // A team inbox is the gateway's own: the desk sees it in the web app.
      if (n.recipient.kind === 'team') return { status: 'delivered', providerId: `inbox:${n.recipient.team}` };
      if (n.recipient.kind !== 'person' || n.message.channel !== 'push') return { status: 'failed', error: 'push goes to people and team inboxes' };
      const subscriptions = await pushSubscriptionsOf(deps.db, n.recipient.personId);
      if (subscriptions.length === 0) return { status: 'failed', error: 'no device enrolled for push' };
      const reached = await deps.deliveries.reached(n.id);
      const payload: PushPayload = { v: 1, title: n.message.title, body: n.message.body, pageId: n.pageId, open: n.links.page, ackToken: n.links.ackToken };
      const results: ContactResult[] = [];
      for (const sub of subscriptions.filter((s) => !reached.has(`subscription:${s.id}`))) results.push(await sendTo(n, sub, payload));
      return combineContactResults(results, reached.size);
    },
  };
}

function pushFailure(e: unknown): { readonly gone: boolean; readonly result: ContactFailure } {
  if (e instanceof webpush.WebPushError) {
    if (e.statusCode === 404 || e.statusCode === 410) return { gone: true, result: { status: 'failed', error: `the push subscription is gone (${e.statusCode})` } };
    if (e.statusCode === 429) {
      const seconds = Number(e.headers['retry-after']);
      return { gone: false, result: { status: 'retry', error: 'the push service asks us to slow down (429)', ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}) } };
    }
    if (e.statusCode >= 400 && e.statusCode < 500) return { gone: false, result: { status: 'failed', error: `the push service refused the message (${e.statusCode})` } };
    return { gone: false, result: { status: 'retry', error: `the push service answered ${e.statusCode}` } };
  }
  return { gone: false, result: { status: 'retry', error: `the push service could not be reached (${(e as Error).name})` } };
}
