// PHI-free SMS over Twilio. The text is the rules' SMS template (checked by the compiler and the
// PHI guard before it gets here) with this phone's reply code filled in; one message per phone
// of the person, skipping phones a retried notification already reached and phones that texted
// STOP. Delivery is reported later by Twilio's status callbacks.
import { ackCodePlaceholder, type Channel, type OutboundNotification } from '../channel.js';
import type { ContactResult } from '../contact-results.js';
import { optedOut, phonesOf } from '../contacts.js';
import { requestTwilio, toEachPhone, type TwilioChannelDeps } from './phones.js';
import { replyCodeFor } from './reply-codes.js';

export function createSmsChannel(deps: TwilioChannelDeps): Channel {
  const sendTo = async (n: OutboundNotification, text: string, personId: string, phone: string, stopped: ReadonlySet<string>): Promise<ContactResult> => {
    if (stopped.has(phone)) return { status: 'failed', error: 'the phone texted STOP' };
    const code = await replyCodeFor(deps.db, { phone, pageId: n.pageId, personId, at: deps.clock() });
    const body = text.replaceAll(ackCodePlaceholder, String(code));
    const delivery = await deps.deliveries.begin({ notificationId: n.id, channel: 'sms', contact: phone, text: body });
    return requestTwilio(deps.deliveries, delivery, 'sms', () => deps.client.messages.create({ to: phone, from: deps.config.from, body, statusCallback: `${deps.publicBaseUrl()}/webhooks/twilio/status` }));
  };

  return {
    kind: 'sms',
    async send(n) {
      if (n.message.channel !== 'sms') return { status: 'failed', error: 'not an SMS message' };
      const text = n.message.text;
      const stopped = n.recipient.kind === 'person' ? await optedOut(deps.db, await phonesOf(deps.db, n.recipient.personId)) : new Set<string>();
      return toEachPhone(deps, n, (personId, phone) => sendTo(n, text, personId, phone, stopped));
    },
  };
}
