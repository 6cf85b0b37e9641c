// What SMS and voice share: a notification goes to each phone of the person (less the phones a
// retried notification already reached), and each phone is one Twilio request recorded on its
// delivery row.
import type { Db } from '../../db/index.js';
import type { ChannelKind, DeliveryResult, OutboundNotification } from '../channel.js';
import { combineContactResults, type ContactResult } from '../contact-results.js';
import { phonesOf } from '../contacts.js';
import type { DeliveryLog } from '../deliveries.js';
import { twilioFailure, type TwilioClient, type TwilioConfig } from './client.js';
import { statusRank } from './statuses.js';

/** What the SMS and voice channels are made with. */
export interface TwilioChannelDeps {
  readonly db: Db;
  readonly client: TwilioClient;
  readonly config: TwilioConfig;
  readonly deliveries: DeliveryLog;
  readonly clock: () => Date;
  /** Absolute URLs for Twilio's callbacks. */
  readonly publicBaseUrl: () => string;
}

export async function toEachPhone(
  deps: { readonly db: Db; readonly deliveries: DeliveryLog },
  n: OutboundNotification,
  each: (personId: string, phone: string) => Promise<ContactResult>,
): Promise<DeliveryResult> {
  if (n.recipient.kind !== 'person') return { status: 'failed', error: `${n.message.channel} goes to people; a team inbox or pager group has no phone` };
  const phones = await phonesOf(deps.db, n.recipient.personId);
  if (phones.length === 0) return { status: 'failed', error: 'no phone number on file' };
  const reached = await deps.deliveries.reached(n.id);
  const results: ContactResult[] = [];
  for (const phone of phones.filter((p) => !reached.has(p))) results.push(await each(n.recipient.personId, phone));
  return combineContactResults(results, reached.size);
}

/** One Twilio request (a message or a call) for a delivery: its answer, or its error, recorded on the row. */
export async function requestTwilio(deliveries: DeliveryLog, delivery: number, kind: Extract<ChannelKind, 'sms' | 'voice'>, create: () => Promise<{ readonly sid: string; readonly status: string }>): Promise<ContactResult> {
  let created: { readonly sid: string; readonly status: string };
  try {
    created = await create();
  } catch (e) {
    const failure = twilioFailure(e);
    await deliveries.settle(delivery, { status: 'failed', error: failure.error });
    return failure;
  }
  // Outside the try: Twilio took it, so a failure to record that is not Twilio's failure (and must not send it again).
  await deliveries.settle(delivery, { status: 'sent', providerId: created.sid, providerStatus: created.status, rank: statusRank(kind, created.status) });
  return { status: 'sent', providerId: created.sid };
}
