// Twilio's message and call statuses, in the order they happen. Callbacks arrive out of order
// and more than once; a delivery only ever moves to a higher rank.

const smsRanks: Readonly<Record<string, number>> = { accepted: 1, scheduled: 1, queued: 1, sending: 2, sent: 3, delivered: 5, undelivered: 5, failed: 5, canceled: 5, read: 6 };
const callRanks: Readonly<Record<string, number>> = { queued: 1, initiated: 2, ringing: 3, 'in-progress': 4, completed: 5, busy: 5, 'no-answer': 5, failed: 5, canceled: 5 };

export type TwilioKind = 'sms' | 'voice';

/** A provider's status as our delivery states it. */
export interface ProviderStatus {
  readonly status: 'sent' | 'delivered' | 'failed';
  /** Twilio's own word. */
  readonly providerStatus: string;
  readonly rank: number;
  readonly error: string | null;
}

export function statusRank(kind: TwilioKind, status: string): number {
  return (kind === 'sms' ? smsRanks : callRanks)[status] ?? 0;
}

export function providerStatusOf(kind: TwilioKind, status: string, errorCode: string | null): ProviderStatus {
  const rank = statusRank(kind, status);
  const failed = kind === 'sms' ? ['undelivered', 'failed', 'canceled'] : ['busy', 'no-answer', 'failed', 'canceled'];
  if (failed.includes(status)) return { status: 'failed', providerStatus: status, rank, error: `Twilio: ${status}${errorCode === null ? '' : ` (error ${errorCode})`}` };
  // A call picked up (by a person; voicemail hangs up at once) is delivered.
  const delivered = kind === 'sms' ? ['delivered', 'read'] : ['in-progress', 'completed'];
  return { status: delivered.includes(status) ? 'delivered' : 'sent', providerStatus: status, rank, error: null };
}
