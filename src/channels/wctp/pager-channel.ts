// The legacy pager, over the paging vendor's WCTP gateway: for the rules' `pager` channel and the
// `legacy-pager` target of workflows in their parallel stage. The pager group is one recipient id
// at the vendor. Pager text is the rules' pager template (PHI-free), cut to what a pager shows.
import type { Channel } from '../channel.js';
import type { DeliveryLog } from '../deliveries.js';
import { submitWctp, type WctpConfig } from './wctp-client.js';

export function createPagerChannel(deps: { readonly config: WctpConfig; readonly deliveries: DeliveryLog; readonly clock: () => Date }): Channel {
  return {
    kind: 'pager',
    async send(n) {
      if (n.recipient.kind !== 'legacy-pager' || n.message.channel !== 'pager') return { status: 'failed', error: 'the pager channel pages a legacy pager group' };
      if (n.recipient.group === '') return { status: 'failed', error: 'the workflow names no legacy pager group' };
      const text = fitPager(n.message.text, deps.config.maxChars);
      const delivery = await deps.deliveries.begin({ notificationId: n.id, channel: 'pager', contact: n.recipient.group, text });
      // The notification's idempotency key is the WCTP message id: a resend after a crash is the same message to the vendor.
      const answer = await submitWctp(deps.config, { messageId: n.idempotencyKey, recipientId: n.recipient.group, text, at: deps.clock() });
      if (answer.ok) {
        await deps.deliveries.settle(delivery, { status: 'sent', providerId: `wctp:${n.idempotencyKey}:${delivery}`, providerStatus: `${answer.code} ${answer.text}`.trim(), rank: 1 });
        return { status: 'sent', providerId: n.idempotencyKey };
      }
      const error = `WCTP ${answer.code}: ${answer.text}`;
      await deps.deliveries.settle(delivery, { status: 'failed', error, providerStatus: String(answer.code) });
      return answer.retry ? { status: 'retry', error } : { status: 'failed', error };
    },
  };
}

/** Pagers show a few hundred characters at most: whitespace folded, cut with "...". */
export function fitPager(text: string, maxChars: number): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  return folded.length <= maxChars ? folded : `${folded.slice(0, maxChars - 3)}...`;
}
