// Failover: a channel that fails for a person (no device enrolled, a subscription gone, a number
// that cannot take texts, a text undelivered) moves to their next channel in the step. Per-person
// channel preferences are not kept yet, so "next" is the app, then a text, then a call; a channel
// the step already uses for that person is not added twice (the outbox's unique key).
import type { ChannelKind } from '../../grammar/index.js';
import type { NotificationRow } from './steps.js';

export const failoverOrder: readonly ChannelKind[] = ['push', 'sms', 'voice'];

interface FailedNotification {
  readonly pageId: string;
  readonly cycle: number;
  readonly step: number;
  readonly target: string;
  readonly personId: string;
  readonly channel: ChannelKind;
  readonly standsInFor: string | null;
}

/** The channel that takes over from a failed notification, or null. */
export function failoverChannel(failed: Pick<FailedNotification, 'personId' | 'channel'>): ChannelKind | null {
  if (failed.personId === '') return null;
  const at = failoverOrder.indexOf(failed.channel);
  return at === -1 ? null : (failoverOrder[at + 1] ?? null);
}

/**
 * The outbox row that takes over from a failed notification, or null when there is no channel
 * after it (or it was not for a person). Claimed by the writer when `leaseMs` is given (it sends
 * it at once), else queued for the sweeper.
 */
export function failoverRow(failed: FailedNotification, now: Date, leaseMs: number | null): NotificationRow | null {
  const next = failoverChannel(failed);
  if (next === null) return null;
  return {
    pageId: failed.pageId,
    cycle: failed.cycle,
    step: failed.step,
    target: failed.target,
    personId: failed.personId,
    channel: next,
    standsInFor: failed.standsInFor,
    createdAt: now,
    nextAttemptAt: now,
    updatedAt: now,
    ...(leaseMs === null ? { status: 'queued' as const, attempts: 0 } : { status: 'sending' as const, attempts: 1, leaseUntil: new Date(now.getTime() + leaseMs) }),
  };
}
