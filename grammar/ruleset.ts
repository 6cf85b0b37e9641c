// The compiled rule set: what the gateway runs. Immutable (deeply frozen) and free of I/O.
import type { Expr, Span, TemplateChannel } from './ast.js';
import type { Router } from './evaluate/router.js';

/** The channels a page can leave on. The in-app detail view is not a channel, it is a place. */
export type ChannelKind = 'push' | 'sms' | 'voice' | 'pager';
export const channelKinds: readonly ChannelKind[] = ['push', 'sms', 'voice', 'pager'];

/**
 * Which text may carry PHI. Lock screens, texts, calls and pagers are seen or heard by whoever
 * holds the device; only the in-app detail view, behind sign-in, is cleared for PHI.
 */
export const phiClearance: Readonly<Record<TemplateChannel, boolean>> = {
  push: false,
  sms: false,
  voice: false,
  pager: false,
  detail: true,
};

export type Stage = 'legacy' | 'parallel' | 'retired';
export const stages: readonly Stage[] = ['legacy', 'parallel', 'retired'];

export type CompiledFieldType =
  | { readonly kind: 'text' }
  | { readonly kind: 'number' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'enum'; readonly members: readonly string[] }
  | { readonly kind: 'ordered'; readonly members: readonly string[] };

export interface CompiledField {
  readonly path: string;
  readonly type: CompiledFieldType;
  readonly phi: boolean;
}

export interface CompiledSchema {
  readonly name: string;
  readonly fields: Readonly<Record<string, CompiledField>>;
}

/** Alert field values after validation: text and enum members as strings, numbers and timestamps (epoch ms) as numbers. */
export type FieldValue = string | number;
export type AlertRecord = Readonly<Record<string, FieldValue | undefined>>;

export interface CompiledWindow {
  /** ISO weekdays (1 = Monday … 7 = Sunday) on which the window opens. */
  readonly days: readonly number[];
  readonly fromMinute: number;
  readonly toMinute: number;
}

export interface CompiledCalendar {
  readonly name: string;
  readonly zone: string;
  readonly windows: readonly CompiledWindow[];
  /** Local dates (YYYY-MM-DD) on which windows opening that day stay closed. */
  readonly exceptDates: readonly string[];
  /** Country (and optional state) holiday sets, e.g. "US" or "US-IL", public holidays only. */
  readonly holidayCountries: readonly string[];
}

export type TargetRef =
  | { readonly kind: 'role'; readonly name: string; readonly roster: string; readonly service: string | null; readonly shifts: readonly string[] }
  | { readonly kind: 'team'; readonly name: string; readonly inbox: string }
  | { readonly kind: 'person'; readonly name: string; readonly roster: string; readonly id: string }
  | { readonly kind: 'legacy-pager'; readonly name: 'legacy-pager'; readonly group: string };

export type RoleBinding = Extract<TargetRef, { kind: 'role' }>;

/** Channels a target gets when a step names none: the app for people and desks, the pager for the pager. */
export function defaultChannels(kind: TargetRef['kind']): ChannelKind[] {
  return kind === 'legacy-pager' ? ['pager'] : ['push'];
}

export interface CompiledStep {
  /** 0-based position in the ladder. */
  readonly index: number;
  readonly delayMs: number;
  readonly targets: readonly TargetRef[];
  /** Null: each target on its own default channels (see defaultChannels). */
  readonly channels: readonly ChannelKind[] | null;
  readonly unlessAcked: boolean;
  readonly window: { readonly mode: 'during' | 'outside'; readonly calendar: string } | null;
  readonly span: Span;
}

export interface CompiledFallback {
  readonly target: Exclude<TargetRef, { kind: 'role' }>;
  readonly channels: readonly ChannelKind[] | null;
  readonly whenEmpty: boolean;
  readonly whenStale: boolean;
}

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly path: string; readonly filters: readonly string[] }
  | { readonly kind: 'builtin'; readonly name: BuiltinName; readonly filters: readonly string[] };

export type CompiledTemplate = readonly TemplatePart[];

export interface CompiledTemplates {
  readonly sms: CompiledTemplate | null;
  readonly voice: CompiledTemplate | null;
  readonly pager: CompiledTemplate | null;
  readonly push: { readonly title: CompiledTemplate; readonly body: CompiledTemplate } | null;
  readonly detail: CompiledTemplate | null;
}

/** Values the gateway supplies when it renders a message; not alert fields. */
export const builtinNames = ['link', 'ack_code', 'page', 'workflow', 'route'] as const;
export type BuiltinName = (typeof builtinNames)[number];
export type Builtins = Readonly<Record<BuiltinName, string>>;

export const templateFilters = ['upper', 'lower', 'trim'] as const;
export type TemplateFilter = (typeof templateFilters)[number];

export function applyFilters(value: string, filters: readonly string[]): string {
  return filters.reduce((v, f) => (f === 'upper' ? v.toUpperCase() : f === 'lower' ? v.toLowerCase() : f === 'trim' ? v.trim() : v), value);
}


export interface CompiledRoute {
  /** Position in first-match order across the whole rule set. */
  readonly order: number;
  readonly name: string;
  readonly workflow: string;
  /** Null: matches every alert (a catch-all). */
  readonly condition: Expr | null;
  readonly steps: readonly CompiledStep[];
  readonly repeat: { readonly times: number; readonly everyMs: number } | null;
  readonly fallback: CompiledFallback | null;
  readonly templates: CompiledTemplates;
  /** Evaluation goes on to later routes after this one matches. */
  readonly continues: boolean;
  readonly span: Span;
}

export interface WorkflowTargets {
  readonly ack: { readonly percentile: number; readonly withinMs: number } | null;
  readonly missedAtMostPercent: number | null;
  readonly escalatedAtMostPercent: number | null;
  readonly overMs: number | null;
  readonly minPages: number | null;
}

export interface CompiledWorkflow {
  readonly name: string;
  readonly legacyPagerGroup: string | null;
  readonly stage: Stage;
  readonly targets: WorkflowTargets;
  readonly routes: readonly string[];
  readonly span: Span;
}

export interface RulesVersion {
  /** sha256 (hex) of the normalised sources. */
  readonly hash: string;
  /** The git commit of the rules directory, when it is in a git work tree. */
  readonly gitCommit: string | null;
  /** True when the files differ from that commit. */
  readonly gitDirty: boolean;
}

export interface RuleSet extends Router {
  readonly version: RulesVersion;
  readonly files: readonly string[];
  readonly schema: CompiledSchema;
  readonly calendars: Readonly<Record<string, CompiledCalendar>>;
  readonly targets: Readonly<Record<string, TargetRef>>;
  readonly workflows: readonly CompiledWorkflow[];
  readonly routes: readonly CompiledRoute[];
  readonly hasCatchAll: boolean;
}
