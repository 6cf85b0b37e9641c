// What routing decides for one alert at one instant: the data the dispatch core acts on.
import type { ChannelKind, RoleBinding, Stage, TargetRef } from '../ruleset.js';

export interface OnCallPerson {
  readonly id: string;
  readonly name: string;
}

export interface OnCall {
  readonly people: readonly OnCallPerson[];
  /** The roster's source has not been refreshed within its window. */
  readonly stale: boolean;
}

/** Who is on call; the roster module implements it, tests fake it. Must be pure for an instant. */
export interface RosterLookup {
  onCall(role: RoleBinding, at: Date): OnCall;
}

export interface ResolvedNotification {
  /** Whom the step names (or the fallback that replaced it). */
  readonly target: TargetRef;
  readonly channels: readonly ChannelKind[];
  readonly people: readonly OnCallPerson[];
  /** How the role's roster looked; `fallback` when the fallback target stood in for it. */
  readonly roster: 'not-a-role' | 'ok' | 'empty' | 'stale';
  readonly fellBackFrom: { readonly role: string; readonly reason: 'empty' | 'stale' } | null;
}

export interface ResolvedStep {
  readonly index: number;
  readonly delayMs: number;
  readonly unlessAcked: boolean;
  /** False when the step's time window is closed at its due instant: it is skipped. */
  readonly active: boolean;
  readonly notifications: readonly ResolvedNotification[];
}

export interface RenderedMessages {
  readonly sms: string | null;
  readonly voice: string | null;
  readonly pager: string | null;
  readonly push: { readonly title: string; readonly body: string } | null;
  readonly detail: string | null;
}

export interface RouteMatch {
  readonly workflow: string;
  readonly route: string;
  readonly order: number;
  readonly stage: Stage;
  readonly legacyPagerGroup: string | null;
  readonly steps: readonly ResolvedStep[];
  readonly repeat: { readonly times: number; readonly everyMs: number } | null;
  readonly messages: RenderedMessages;
}

export interface RouteMiss {
  readonly workflow: string;
  readonly route: string;
  readonly reasons: readonly string[];
}

export type Decision =
  | { readonly kind: 'matched'; readonly rulesVersion: string; readonly match: RouteMatch; readonly also: readonly RouteMatch[]; readonly misses: readonly RouteMiss[] }
  | { readonly kind: 'unmatched'; readonly rulesVersion: string; readonly misses: readonly RouteMiss[] };
