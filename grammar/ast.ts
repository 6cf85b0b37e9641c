// The abstract syntax of a rules file: what the parser understood, with a span on everything a
// diagnostic may point at. Nothing here is checked yet; the passes in compiler/ do that.

/** Where something is in a source file. Lines and columns are 1-based, `end*` inclusive. */
export interface Span {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

export interface Named {
  readonly name: string;
  readonly span: Span;
}

export interface StringLit {
  readonly value: string;
  readonly span: Span;
}

// ── schema ──────────────────────────────────────────────────────────────────────────────────

export type FieldType =
  | { readonly kind: 'text' }
  | { readonly kind: 'number' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'enum'; readonly members: readonly Named[] }
  | { readonly kind: 'ordered'; readonly members: readonly Named[] };

export interface FieldDecl {
  readonly path: Named; // dotted: `patient.mrn`
  readonly type: FieldType;
  readonly typeSpan: Span;
  readonly phi: boolean;
}

export interface SchemaDecl {
  readonly kind: 'schema';
  readonly name: Named;
  readonly fields: readonly FieldDecl[];
}

// ── calendars and holidays ──────────────────────────────────────────────────────────────────

export interface TimeOfDay {
  /** Minutes after local midnight; 24:00 is 1440. */
  readonly minutes: number;
  readonly text: string;
  readonly span: Span;
}

export interface WindowDecl {
  /** Day words as written: `mon-fri`, `sat`, `daily`, `weekdays`, `weekends`. */
  readonly days: readonly Named[];
  readonly from: TimeOfDay;
  readonly to: TimeOfDay;
  readonly span: Span;
}

export interface DateLit {
  readonly value: string; // YYYY-MM-DD
  readonly span: Span;
}

export type CalendarException =
  | { readonly kind: 'dates'; readonly dates: readonly DateLit[] }
  | { readonly kind: 'country-holidays'; readonly code: StringLit }
  | { readonly kind: 'holiday-set'; readonly set: Named };

export interface CalendarDecl {
  readonly kind: 'calendar';
  readonly name: Named;
  readonly zone: StringLit;
  readonly windows: readonly WindowDecl[];
  readonly exceptions: readonly CalendarException[];
}

export interface HolidaySetDecl {
  readonly kind: 'holidays';
  readonly name: Named;
  readonly dates: readonly { readonly date: DateLit; readonly label: StringLit | null }[];
}

// ── who can be paged ────────────────────────────────────────────────────────────────────────

export interface RoleDecl {
  readonly kind: 'role';
  readonly name: Named;
  readonly roster: StringLit;
  readonly service: StringLit | null;
  readonly shifts: readonly StringLit[];
}

export interface TeamDecl {
  readonly kind: 'team';
  readonly name: Named;
  readonly inbox: StringLit;
}

export interface PersonDecl {
  readonly kind: 'person';
  readonly name: Named;
  readonly roster: StringLit;
  readonly id: StringLit;
}

// ── conditions ──────────────────────────────────────────────────────────────────────────────

export type Literal =
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'number'; readonly value: number; readonly span: Span }
  /** A bare word: an enum member, checked against the field's type. */
  | { readonly kind: 'word'; readonly value: string; readonly span: Span };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'not'; readonly operand: Expr; readonly span: Span }
  | { readonly kind: 'compare'; readonly field: Named; readonly op: CompareOp; readonly value: Literal; readonly span: Span }
  | { readonly kind: 'in'; readonly field: Named; readonly values: readonly Literal[]; readonly span: Span }
  | { readonly kind: 'matches'; readonly field: Named; readonly pattern: RegexLit; readonly span: Span }
  | { readonly kind: 'exists'; readonly field: Named; readonly span: Span }
  | { readonly kind: 'during'; readonly calendar: Named; readonly span: Span };

export interface RegexLit {
  readonly source: string;
  readonly ignoreCase: boolean;
  readonly span: Span;
}

// ── templates ───────────────────────────────────────────────────────────────────────────────

export type TemplateSegment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ref'; readonly path: string; readonly filters: readonly Named[]; readonly span: Span };

export interface TemplateText {
  readonly raw: string;
  readonly segments: readonly TemplateSegment[];
  readonly span: Span;
}

export type TemplateChannel = 'sms' | 'voice' | 'pager' | 'push' | 'detail';

export type TemplateDecl =
  | { readonly channel: 'sms' | 'voice' | 'pager' | 'detail'; readonly text: TemplateText; readonly span: Span }
  | { readonly channel: 'push'; readonly title: TemplateText; readonly body: TemplateText; readonly span: Span };

export interface LetDecl {
  readonly name: Named;
  readonly value: TemplateText;
}

// ── workflows, routes, ladders ──────────────────────────────────────────────────────────────

export interface StepDecl {
  readonly targets: readonly Named[];
  readonly channels: readonly Named[] | null;
  readonly delay: DurationLit;
  readonly unlessAcked: boolean;
  readonly window: { readonly mode: 'during' | 'outside'; readonly calendar: Named } | null;
  readonly span: Span;
}

export interface DurationLit {
  readonly ms: number;
  readonly text: string;
  readonly span: Span;
}

export interface RepeatDecl {
  readonly times: number;
  readonly every: DurationLit | null;
  readonly span: Span;
}

export interface FallbackDecl {
  readonly target: Named;
  readonly channels: readonly Named[] | null;
  /** Words after `when roster`: `empty`, `stale`. */
  readonly conditions: readonly Named[];
  readonly span: Span;
}

/** What a workflow may set for all its routes and a route may override. */
export interface RouteSettings {
  readonly templates: readonly TemplateDecl[];
  readonly lets: readonly LetDecl[];
  readonly fallback: FallbackDecl | null;
}

export interface RouteDecl extends RouteSettings {
  readonly name: Named | null;
  readonly condition: Expr | null;
  readonly steps: readonly StepDecl[];
  readonly repeat: RepeatDecl | null;
  readonly continueSpan: Span | null;
  readonly span: Span;
}

export interface TargetsDecl {
  readonly ackPercentile: { readonly percentile: Named; readonly within: DurationLit } | null;
  readonly missedAtMost: { readonly percent: number; readonly span: Span } | null;
  readonly escalatedAtMost: { readonly percent: number; readonly span: Span } | null;
  readonly over: DurationLit | null;
  readonly minPages: { readonly count: number; readonly span: Span } | null;
  /** Metric words as written, for "unknown metric" diagnostics. */
  readonly metrics: readonly Named[];
  readonly span: Span;
}

export interface WorkflowDecl extends RouteSettings {
  readonly kind: 'workflow';
  readonly name: Named;
  readonly legacyPagerGroup: StringLit | null;
  readonly stage: Named | null;
  readonly targets: TargetsDecl | null;
  readonly routes: readonly RouteDecl[];
}

// ── tests ───────────────────────────────────────────────────────────────────────────────────

export type Expectation =
  | { readonly kind: 'workflow'; readonly name: Named; readonly span: Span }
  | { readonly kind: 'route'; readonly name: Named; readonly span: Span }
  | { readonly kind: 'no-match'; readonly span: Span }
  | { readonly kind: 'first-notify'; readonly targets: readonly Named[]; readonly channels: readonly Named[] | null; readonly span: Span }
  | { readonly kind: 'text'; readonly channel: TemplateChannel; readonly texts: readonly StringLit[]; readonly span: Span };

export interface TestDecl {
  readonly kind: 'test';
  readonly name: StringLit;
  readonly alert: readonly { readonly field: Named; readonly value: Literal | DateTimeLit }[];
  readonly at: DateTimeLit | null;
  readonly given: readonly { readonly role: Named; readonly state: Named }[];
  readonly expectations: readonly Expectation[];
  readonly span: Span;
}

export interface DateTimeLit {
  readonly kind: 'datetime';
  /** As written: local (`2026-03-08T02:30`) or with a zone offset / `Z`. */
  readonly text: string;
  readonly zone: StringLit | null;
  readonly span: Span;
}

export type Declaration =
  | SchemaDecl
  | CalendarDecl
  | HolidaySetDecl
  | RoleDecl
  | TeamDecl
  | PersonDecl
  | WorkflowDecl
  | TestDecl;

export interface RulesFile {
  readonly path: string;
  readonly declarations: readonly Declaration[];
}
