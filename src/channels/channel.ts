// The one interface every delivery channel sits behind. The dispatch core knows `Channel`, never
// twilio or web-push: the composition root picks the implementations.
import type { ChannelKind } from '../../grammar/index.js';

export type { ChannelKind };

/** Whom a notification is for. */
export type Recipient =
  | { readonly kind: 'person'; readonly personId: string }
  | { readonly kind: 'team'; readonly team: string; readonly inbox: string }
  | { readonly kind: 'legacy-pager'; readonly group: string };

/**
 * What a channel says: only the rules' templates for that channel, which carry no PHI (the
 * compiler proved it and the PHI guard looked again). An SMS text still holds `{ack_code}`: the
 * SMS channel gives each phone its own reply code.
 */
export type ChannelMessage =
  | { readonly channel: 'push'; readonly title: string; readonly body: string }
  | { readonly channel: 'sms'; readonly text: string }
  | { readonly channel: 'voice'; readonly text: string }
  | { readonly channel: 'pager'; readonly text: string };

export interface OutboundNotification {
  /** The outbox row's id. */
  readonly id: number;
  /**
   * The same for every attempt at this notification. A channel that can pass it to its provider
   * does, so a send retried after a crash between "sent" and "recorded" reaches nobody twice.
   */
  readonly idempotencyKey: string;
  readonly pageId: string;
  readonly workflow: string;
  readonly cycle: number;
  readonly step: number;
  readonly recipient: Recipient;
  readonly message: ChannelMessage;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly links: {
    /** The page in the physician's web app (PHI after sign-in). */
    readonly page: string;
    /** The signed, expiring, single-use acknowledge link (`/ack/<token>`). */
    readonly ack: string;
    /** The token alone, for a push notification's Acknowledge action. */
    readonly ackToken: string;
  };
  /** How long the message is worth delivering: until the next step of the ladder would page again. */
  readonly ttlSeconds: number;
}

/** The SMS reply code placeholder the SMS channel fills per phone. */
export const ackCodePlaceholder = '{ack_code}';

export type DeliveryResult =
  /** Handed to the provider; delivery is reported later (a status callback). */
  | { readonly status: 'sent'; readonly providerId: string }
  /** The provider confirmed delivery at once. */
  | { readonly status: 'delivered'; readonly providerId: string }
  /** Worth trying again: a timeout, a 5xx, a rate limit (with the provider's wait, if it said). */
  | { readonly status: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  /** Will never work as it stands: an unknown number, an expired subscription. */
  | { readonly status: 'failed'; readonly error: string };

export interface Channel {
  readonly kind: ChannelKind;
  /** Never throws for a delivery problem: it answers with a DeliveryResult. */
  send(notification: OutboundNotification): Promise<DeliveryResult>;
}

/** The channel for each kind the gateway can page on. */
export type ChannelSet = Readonly<Record<ChannelKind, Channel>>;
