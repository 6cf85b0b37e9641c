// The real twilio client, and what its errors mean for a page. The REST base URL is
// configuration for tests (a fake Twilio on loopback); unset, the client talks to Twilio.
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type { ContactFailure } from '../contact-results.js';

export interface TwilioConfig {
  readonly accountSid: string;
  readonly authToken: string;
  /** Our number (E.164) texts and calls come from. */
  readonly from: string;
  /** Where the REST API is, for a fake in tests; null in production. */
  readonly apiBaseUrl: string | null;
}

export type TwilioClient = ReturnType<typeof twilio>;

/** A request client that sends Twilio's REST requests to another base URL: the client's `httpClient` seam. */
function redirectedRequestClient(baseUrl: string): TwilioRequestClient {
  const inner = new twilio.RequestClient({ timeout: 10_000 });
  const request: TwilioRequestClient['request'] = (opts) => inner.request({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/, baseUrl) });
  return Object.assign(Object.create(inner) as TwilioRequestClient, { request });
}

export function createTwilioClient(config: TwilioConfig): TwilioClient {
  const httpClient = config.apiBaseUrl === null ? new twilio.RequestClient({ timeout: 10_000 }) : redirectedRequestClient(config.apiBaseUrl.replace(/\/+$/, ''));
  return twilio(config.accountSid, config.authToken, { httpClient });
}

/** Twilio errors that say this number will never take this message. */
const permanent = new Set([
  21211, // not a valid phone number
  21214, // not a reachable phone number
  21217, // not a valid phone number for voice
  21610, // the recipient replied STOP
  21612, // cannot route to this number
  21614, // not a mobile number
]);

/** What a failed Twilio request means: never try this contact again, or try later. */
export function twilioFailure(e: unknown): ContactFailure {
  const err = e as { status?: number; code?: number; name?: string };
  if (typeof err.code === 'number' && permanent.has(err.code)) return { status: 'failed', error: `Twilio refused the number (error ${err.code})` };
  if (err.status === 429) return { status: 'retry', error: 'Twilio rate-limited us (429)' };
  if (typeof err.status === 'number') return { status: 'retry', error: `Twilio answered ${err.status}${typeof err.code === 'number' ? ` (error ${err.code})` : ''}` };
  return { status: 'retry', error: `Twilio could not be reached (${err.name ?? 'error'})` };
}
