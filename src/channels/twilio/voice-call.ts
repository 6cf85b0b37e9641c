// What a call says and does, as TwiML for Twilio's voice webhook: the rules' voice template,
// then one key: 1 acknowledges, 2 declines and escalates now, anything else says it again. A call
// voicemail picks up hangs up at once (it counts as not acknowledged: nobody heard it), and a
// call nobody answers keys on says the prompt again twice, then ends.
import twilio from 'twilio';
import type { Db } from '../../db/index.js';
import { deliveryForCall, type AckResult, type DeclineResult } from '../../dispatch/index.js';

/** How many times the prompt is said before the call gives up. */
const maxPrompts = 3;

export interface VoiceCallDeps {
  readonly db: Db;
  readonly publicBaseUrl: () => string;
  readonly acknowledge: (input: { readonly pageId: string; readonly personId: string; readonly via: 'voice' }) => Promise<AckResult>;
  readonly decline: (input: { readonly pageId: string; readonly personId: string; readonly via: 'voice'; readonly cycle: number; readonly step: number }) => Promise<DeclineResult>;
}

export interface VoiceWebhook {
  readonly deliveryId: number;
  /** `prompt`: the call was answered (or the prompt is said again); `keys`: the Gather's action. */
  readonly stage: 'prompt' | 'keys';
  /** How many times the prompt has been said. */
  readonly prompts: number;
  readonly callSid: string;
  readonly answeredBy: string | null;
  readonly digits: string | null;
}

const sayOptions = { voice: 'Polly.Joanna', language: 'en-US' } as const;

export function voiceWebhookPath(deliveryId: number, stage: 'prompt' | 'keys', prompts: number): string {
  return `/webhooks/twilio/voice?delivery=${deliveryId}&stage=${stage}&prompts=${prompts}`;
}

export async function answerVoiceWebhook(deps: VoiceCallDeps, hook: VoiceWebhook): Promise<string> {
  const response = new twilio.twiml.VoiceResponse();
  const found = await deliveryForCall(deps.db, hook.deliveryId);
  if (found === null || (found.delivery.providerId !== null && found.delivery.providerId !== hook.callSid)) {
    response.say(sayOptions, 'This Pagerless call is no longer valid. Goodbye.');
    response.hangup();
    return response.toString();
  }
  const { notification, delivery } = found;
  const page = { pageId: notification.pageId, personId: notification.personId, via: 'voice' as const };
  const url = (stage: 'prompt' | 'keys', prompts: number) => `${deps.publicBaseUrl()}${voiceWebhookPath(hook.deliveryId, stage, prompts)}`;
  const prompt = (prompts: number, before: string | null): string => {
    if (prompts >= maxPrompts) {
      response.say(sayOptions, 'No key was pressed. The page stays open. Goodbye.');
      response.hangup();
      return response.toString();
    }
    if (before !== null) response.say(sayOptions, before);
    const gather = response.gather({ numDigits: 1, timeout: 8, action: url('keys', prompts + 1), method: 'POST' });
    gather.say(sayOptions, `${delivery.text} Press 1 to acknowledge. Press 2 to decline and page the next person now.`);
    response.redirect({ method: 'POST' }, url('prompt', prompts + 1));
    return response.toString();
  };

  if (hook.stage === 'prompt') {
    if (hook.answeredBy !== null && /^(machine|fax)/.test(hook.answeredBy)) {
      response.hangup();
      return response.toString();
    }
    return prompt(hook.prompts, null);
  }
  switch (hook.digits) {
    case '1': {
      const result = await deps.acknowledge(page);
      response.say(sayOptions, result.kind === 'acknowledged' ? 'Acknowledged. Thank you.' : result.kind === 'already-acknowledged' ? 'This page was already acknowledged. Thank you.' : 'This page is closed. Thank you.');
      break;
    }
    case '2': {
      const result = await deps.decline({ ...page, cycle: notification.cycle, step: notification.step });
      response.say(
        sayOptions,
        result.kind !== 'declined' ? 'This page is no longer open. Thank you.' : result.escalatesAt === null ? 'Noted. Nobody else is left to page now: the page stays open.' : 'Declined. The next person is being paged now.',
      );
      break;
    }
    default:
      return prompt(hook.prompts, 'Sorry, that key is not an option.');
  }
  response.hangup();
  return response.toString();
}
