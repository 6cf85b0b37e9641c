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
  /** Whom the step names, or the fallback that replaced a role; each target once per step. */
  readonly target: TargetRef;
  readonly channels: readonly ChannelKind[];
  readonly people: readonly OnCallPerson[];
  /** How the role's roster looked when the step was resolved (`not-a-role` for teams, people, the pager). */
  readonly roster: 'not-a-role' | 'ok' | 'empty' | 'stale';
  /** The roles this target stands in for as their fallback; empty when the step names it. */
  readonly standsInFor: readonly { readonly role: string; readonly reason: 'empty' | 'stale' }[];
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
}

export interface RouteMatch {
  readonly workflow: string;
  readonly route: string;
  readonly order: number;
  readonly stage: Stage;
  readonly legacyPagerGroup: string | null;
  readonly steps: readonly ResolvedStep[];
  readonly repeat: { readonly times: number; readonly everyMs: number } | null;
  /** Texts for the channels; the compiler has proved they carry no PHI. */
  readonly messages: RenderedMessages;
  /**
   * The in-app detail text, which may carry PHI. A function so it is rendered only when the app
   * shows it to a signed-in person: printing, logging or serialising a decision never holds it.
   */
  renderDetail(): string | null;
}

export interface RouteMiss {
  readonly workflow: string;
  readonly route: string;
  readonly reasons: readonly string[];
}

export type Decision =
  | { readonly kind: 'matched'; readonly rulesVersion: string; readonly match: RouteMatch; readonly also: readonly RouteMatch[]; readonly misses: readonly RouteMiss[] }
  | { readonly kind: 'unmatched'; readonly rulesVersion: string; readonly misses: readonly RouteMiss[] };
