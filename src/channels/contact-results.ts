// A notification to a person is one delivery per phone or device; the notification's result is
// what those deliveries came to together.
import type { DeliveryResult } from './channel.js';

export type ContactResult =
  | { readonly status: 'sent'; readonly providerId: string }
  | { readonly status: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly status: 'failed'; readonly error: string };

/** A contact not reached this time: worth another try, or never. */
export type ContactFailure = Exclude<ContactResult, { readonly status: 'sent' }>;

/**
 * Sent when any contact was reached (this attempt or an earlier one); else worth retrying when
 * any contact may still work; else failed, with every contact's reason.
 */
export function combineContactResults(results: readonly ContactResult[], reachedBefore: number): DeliveryResult {
  const sent = results.find((r) => r.status === 'sent');
  if (sent !== undefined) return { status: 'sent', providerId: sent.providerId };
  if (reachedBefore > 0 && results.length === 0) return { status: 'sent', providerId: 'reached-on-an-earlier-attempt' };
  const retries = results.filter((r): r is Extract<ContactResult, { status: 'retry' }> => r.status === 'retry');
  if (retries.length > 0) {
    const waits = retries.flatMap((r) => (r.retryAfterMs === undefined ? [] : [r.retryAfterMs]));
    return { status: 'retry', error: retries.map((r) => r.error).join('; '), ...(waits.length === 0 ? {} : { retryAfterMs: Math.max(...waits) }) };
  }
  return { status: 'failed', error: results.map((r) => (r.status === 'failed' ? r.error : '')).join('; ') || 'nowhere to send it' };
}
