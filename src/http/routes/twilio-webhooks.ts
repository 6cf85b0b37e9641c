// Twilio's callbacks: POST /webhooks/twilio/status (message and call status), /sms (texts people
// send back) and /voice (what a call says, and the keys pressed). Every one is checked with
// Twilio's request signature over the public URL it was sent to: a missing or wrong signature
// gets 403 and changes nothing.
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import twilio from 'twilio';
import { answerInboundSms } from '../../channels/twilio/inbound-sms.js';
import { providerStatusOf } from '../../channels/twilio/statuses.js';
import { answerVoiceWebhook } from '../../channels/twilio/voice-call.js';
import type { Db } from '../../db/index.js';
import type { Dispatcher } from '../../dispatch/index.js';
import { HttpError } from '../errors.js';
import { requestText } from '../body.js';

export interface TwilioWebhookDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly dispatcher: Dispatcher;
  readonly authToken: string;
  readonly publicBaseUrl: () => string;
}

type Env = { Variables: { params: Record<string, string> } };

const twiml = (xml: string) => new Response(xml, { headers: { 'content-type': 'text/xml; charset=utf-8' } });

export function twilioWebhookRoutes(deps: TwilioWebhookDeps): Hono<Env> {
  const signed = createMiddleware<Env>(async (c, next) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      throw new HttpError(415, 'unsupported_media_type', 'Twilio posts application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(await requestText(c));
    const params: Record<string, string> = {};
    for (const [k, v] of form) params[k] = v;
    const signature = c.req.header('x-twilio-signature');
    // Twilio signs the URL it was given: ours as configured, not the one this socket sees behind a proxy.
    const url = new URL(c.req.url);
    const publicUrl = `${deps.publicBaseUrl()}${url.pathname}${url.search}`;
    if (signature === undefined || !twilio.validateRequest(deps.authToken, signature, publicUrl, params)) {
      throw new HttpError(403, 'bad_signature', 'the X-Twilio-Signature header is missing or does not match this request');
    }
    c.set('params', params);
    await next();
  });

  return new Hono<Env>()
    .use('*', signed)
    .post('/status', async (c) => {
      const p = c.get('params');
      const sid = p['MessageSid'] ?? p['CallSid'];
      const status = p['MessageStatus'] ?? p['CallStatus'];
      if (sid === undefined || status === undefined) throw new HttpError(400, 'invalid_body', 'a status callback names MessageSid and MessageStatus, or CallSid and CallStatus');
      const kind = p['MessageSid'] !== undefined ? 'sms' : 'voice';
      // A call voicemail answered was heard by nobody: not delivered.
      const voicemail = kind === 'voice' && status === 'completed' && /^(machine|fax)/.test(p['AnsweredBy'] ?? '');
      const report = voicemail ? { status: 'failed' as const, providerStatus: `completed (${p['AnsweredBy']})`, rank: providerStatusOf('voice', 'completed', null).rank, error: 'voicemail answered' } : providerStatusOf(kind, status, p['ErrorCode'] ?? null);
      await deps.dispatcher.report({ providerId: sid, ...report });
      return c.body(null, 204);
    })
    .post('/sms', async (c) => {
      const p = c.get('params');
      const from = p['From'];
      if (from === undefined) throw new HttpError(400, 'invalid_body', 'an inbound SMS names From');
      const reply = await answerInboundSms({ db: deps.db, clock: deps.clock, acknowledge: (input) => deps.dispatcher.acknowledge(input) }, { from, body: p['Body'] ?? '' });
      const response = new twilio.twiml.MessagingResponse();
      response.message(reply);
      return twiml(response.toString());
    })
    .post('/voice', async (c) => {
      const p = c.get('params');
      const deliveryId = Number(c.req.query('delivery'));
      const stage = c.req.query('stage');
      const prompts = Number(c.req.query('prompts') ?? '0');
      if (!Number.isSafeInteger(deliveryId) || (stage !== 'prompt' && stage !== 'keys') || !Number.isSafeInteger(prompts)) {
        throw new HttpError(400, 'invalid_parameter', 'the voice webhook takes ?delivery=<id>&stage=prompt|keys&prompts=<n>');
      }
      const xml = await answerVoiceWebhook(
        { db: deps.db, publicBaseUrl: deps.publicBaseUrl, acknowledge: (input) => deps.dispatcher.acknowledge(input), decline: (input) => deps.dispatcher.decline(input) },
        { deliveryId, stage, prompts, callSid: p['CallSid'] ?? '', answeredBy: p['AnsweredBy'] ?? null, digits: p['Digits'] ?? null },
      );
      return twiml(xml);
    });
}
