// Voice calls over Twilio. The call's TwiML (served by the voice webhook) says the rules' voice
// template and gathers one key; this side places one call per phone of the person, no more than
// a few a minute to one phone (a ladder, its repeats and another page must not ring a phone
// without pause), with Twilio's answering-machine detection so a voicemail never counts as
// answered.
import type { Channel, OutboundNotification } from '../channel.js';
import type { ContactResult } from '../contact-results.js';
import { requestTwilio, toEachPhone, type TwilioChannelDeps } from './phones.js';
import { voiceWebhookPath } from './voice-call.js';

export interface CallRateLimit {
  readonly calls: number;
  readonly perMs: number;
}

/** Three calls a minute to one phone. */
export const defaultCallRateLimit: CallRateLimit = { calls: 3, perMs: 60_000 };

export interface VoiceChannelDeps extends TwilioChannelDeps {
  readonly rateLimit?: CallRateLimit;
}

export function createVoiceChannel(deps: VoiceChannelDeps): Channel {
  const limit = deps.rateLimit ?? defaultCallRateLimit;
  // Calls to one phone are placed one at a time in this process, so that the count of recent
  // calls a call is checked against includes the calls placed just before it. (Across replicas
  // the limit can be passed by a call or two at the same instant.)
  const placing = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(phone: string, work: () => Promise<T>): Promise<T> => {
    const result = (placing.get(phone) ?? Promise.resolve()).then(work, work);
    const settled = result.catch(() => undefined);
    placing.set(phone, settled);
    void settled.then(() => {
      if (placing.get(phone) === settled) placing.delete(phone);
    });
    return result;
  };

  const call = (n: OutboundNotification, phone: string, text: string): Promise<ContactResult> => oneAtATime(phone, () => place(n, phone, text));
  const place = async (n: OutboundNotification, phone: string, text: string): Promise<ContactResult> => {
    const now = deps.clock();
    const recent = await deps.deliveries.sentSince('voice', phone, new Date(now.getTime() - limit.perMs));
    if (recent.length >= limit.calls) {
      return { status: 'retry', error: `rate limit: ${limit.calls} calls to this phone within ${limit.perMs / 1000} s`, retryAfterMs: recent[0]!.getTime() + limit.perMs - now.getTime() + 1 };
    }
    const delivery = await deps.deliveries.begin({ notificationId: n.id, channel: 'voice', contact: phone, text });
    const base = deps.publicBaseUrl();
    return requestTwilio(deps.deliveries, delivery, 'voice', () =>
      deps.client.calls.create({
        to: phone,
        from: deps.config.from,
        url: `${base}${voiceWebhookPath(delivery, 'prompt', 0)}`,
        method: 'POST',
        statusCallback: `${base}/webhooks/twilio/status`,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        machineDetection: 'Enable',
        timeout: 30,
      }),
    );
  };

  return {
    kind: 'voice',
    async send(n) {
      if (n.message.channel !== 'voice') return { status: 'failed', error: 'not a voice message' };
      const text = n.message.text;
      return toEachPhone(deps, n, (_personId, phone) => call(n, phone, text));
    },
  };
}
