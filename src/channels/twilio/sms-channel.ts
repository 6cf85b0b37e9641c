// PHI-free SMS over Twilio. The text is the rules' SMS template (checked by the compiler and the
// PHI guard before it gets here) with this phone's reply code filled in; one message per phone
// of the person, skipping phones a retried notification already reached and phones that texted
// STOP. Delivery is reported later by Twilio's status callbacks.
import type { Db } from '../../db/index.js';
import { ackCodePlaceholder, type Channel, type OutboundNotification } from '../channel.js';
import { combineContactResults, type ContactResult } from '../contact-results.js';
import { optedOut, phonesOf } from '../contacts.js';
import type { DeliveryLog } from '../deliveries.js';
import { twilioFailure, type TwilioClient, type TwilioConfig } from './client.js';
import { replyCodeFor } from './reply-codes.js';
import { statusRank } from './statuses.js';

export interface SmsChannelDeps {
  readonly db: Db;
  readonly client: TwilioClient;
  readonly config: TwilioConfig;
  readonly deliveries: DeliveryLog;
  readonly clock: () => Date;
  /** Absolute URLs for Twilio's callbacks. */
  readonly publicBaseUrl: () => string;
}

export function createSmsChannel(deps: SmsChannelDeps): Channel {
  const sendTo = async (n: OutboundNotification, personId: string, phone: string, text: string): Promise<ContactResult> => {
    const code = await replyCodeFor(deps.db, { phone, pageId: n.pageId, personId, at: deps.clock() });
    const body = text.replaceAll(ackCodePlaceholder, String(code));
    const delivery = await deps.deliveries.begin({ notificationId: n.id, channel: 'sms', contact: phone, text: body });
    try {
      const message = await deps.client.messages.create({ to: phone, from: deps.config.from, body, statusCallback: `${deps.publicBaseUrl()}/webhooks/twilio/status` });
      await deps.deliveries.settle(delivery, { status: 'sent', providerId: message.sid, providerStatus: message.status, rank: statusRank('sms', message.status) });
      return { status: 'sent', providerId: message.sid };
    } catch (e) {
      const failure = twilioFailure(e);
      await deps.deliveries.settle(delivery, { status: 'failed', error: failure.error });
      return failure;
    }
  };

  return {
    kind: 'sms',
    async send(n) {
      if (n.recipient.kind !== 'person' || n.message.channel !== 'sms') return { status: 'failed', error: 'SMS goes to people; a team inbox or pager group has no phone' };
      const phones = await phonesOf(deps.db, n.recipient.personId);
      if (phones.length === 0) return { status: 'failed', error: 'no phone number on file' };
      const reached = await deps.deliveries.reached(n.id);
      const stopped = await optedOut(deps.db, phones);
      const results: ContactResult[] = [];
      for (const phone of phones.filter((p) => !reached.has(p))) {
        results.push(stopped.has(phone) ? { status: 'failed', error: 'the phone texted STOP' } : await sendTo(n, n.recipient.personId, phone, n.message.text));
      }
      return combineContactResults(results, reached.size);
    },
  };
}
