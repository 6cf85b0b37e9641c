// Lowers a checked AST into the compiled RuleSet. Runs only when the checks found no error, so
// every name resolves; what it cannot resolve is an internal error, not a user's.
import type * as A from '../ast.js';
import { createRouter } from '../evaluate/router.js';
import type {
  AlertRecord,
  ChannelKind,
  CompiledCalendar,
  CompiledFallback,
  CompiledField,
  CompiledRoute,
  CompiledSchema,
  CompiledTemplate,
  CompiledTemplates,
  CompiledWorkflow,
  FieldValue,
  RuleSet,
  RulesVersion,
  Stage,
  TargetRef,
} from '../ruleset.js';
import { parseDays } from '../time/days.js';
import { localToInstant, offsetInstant } from '../time/local-time.js';
import { percentileOf } from './check-workflows.js';
import { legacyPagerTarget, type Scope, type ScopedRoute } from './scope.js';
import { expandTemplate, letEnv, templatesByChannel, type LetEnv } from './templates.js';

/** A test from a rule file, ready to run against the compiled rules. */
export interface RuleTest {
  readonly name: string;
  readonly span: A.Span;
  readonly alert: AlertRecord;
  readonly at: Date;
  readonly given: ReadonlyMap<string, 'empty' | 'stale'>;
  readonly expectations: readonly A.Expectation[];
}

export function lowerRuleSet(scope: Scope, version: RulesVersion, files: readonly string[]): RuleSet {
  const schema = lowerSchema(scope);
  const calendars = Object.fromEntries([...scope.calendars.values()].map((c) => [c.name.name, lowerCalendar(c, scope)]));
  const targets: Record<string, TargetRef> = Object.fromEntries([...scope.who.values()].map((d) => [d.name.name, lowerWho(d)]));
  const workflowEnvs = new Map([...scope.workflows.values()].map((w) => [w.name.name, letEnv(w.lets, null)]));
  const routes = scope.routes.map((r, order) => lowerRoute(r, order, scope, targets, workflowEnvs.get(r.workflow.name.name)!));
  const workflows = [...scope.workflows.values()].map((w) => lowerWorkflow(w, routes));
  const data = { versionHash: version.hash, schema, calendars, workflows, routes };
  const router = createRouter(data);
  return deepFreeze({
    version,
    files,
    schema,
    calendars,
    targets,
    workflows,
    routes,
    hasCatchAll: routes.some((r) => r.condition === null),
    route: router.route,
    resolveStep: router.resolveStep,
    renderMessages: router.renderMessages,
  });
}

function lowerSchema(scope: Scope): CompiledSchema {
  const fields: Record<string, CompiledField> = Object.create(null) as Record<string, CompiledField>;
  for (const f of scope.fields.values()) {
    const type = f.type.kind === 'enum' || f.type.kind === 'ordered' ? { kind: f.type.kind, members: f.type.members.map((m) => m.name) } : { kind: f.type.kind };
    fields[f.path.name] = { path: f.path.name, type, phi: f.phi };
  }
  return { name: scope.schema!.name.name, fields };
}

function lowerCalendar(c: A.CalendarDecl, scope: Scope): CompiledCalendar {
  const exceptDates: string[] = [];
  const holidayCountries: string[] = [];
  for (const e of c.exceptions) {
    if (e.kind === 'dates') exceptDates.push(...e.dates.map((d) => d.value));
    else if (e.kind === 'country-holidays') holidayCountries.push(e.code.value);
    else exceptDates.push(...scope.holidaySets.get(e.set.name)!.dates.map((d) => d.date.value));
  }
  return {
    name: c.name.name,
    zone: c.zone.value,
    windows: c.windows.map((w) => ({
      days: [...new Set(w.days.flatMap((d) => parseDays(d.name)!))].sort(),
      fromMinute: w.from.minutes,
      toMinute: w.to.minutes,
    })),
    exceptDates: [...new Set(exceptDates)].sort(),
    holidayCountries,
  };
}

function lowerWho(d: A.RoleDecl | A.TeamDecl | A.PersonDecl): TargetRef {
  switch (d.kind) {
    case 'role':
      return { kind: 'role', name: d.name.name, roster: d.roster.value, service: d.service?.value ?? null, shifts: d.shifts.map((s) => s.value) };
    case 'team':
      return { kind: 'team', name: d.name.name, inbox: d.inbox.value };
    case 'person':
      return { kind: 'person', name: d.name.name, roster: d.roster.value, id: d.id.value };
  }
}

function lowerWorkflow(w: A.WorkflowDecl, routes: readonly CompiledRoute[]): CompiledWorkflow {
  const t = w.targets;
  return {
    name: w.name.name,
    legacyPagerGroup: w.legacyPagerGroup?.value ?? null,
    // A workflow that names no stage has no pagers to retire: it is fully on Pagerless.
    stage: (w.stage?.name as Stage | undefined) ?? (w.legacyPagerGroup === null ? 'retired' : 'legacy'),
    targets: {
      ack: t === null || t.ackPercentile === null ? null : { percentile: percentileOf(t.ackPercentile.percentile.name)!, withinMs: t.ackPercentile.within.ms },
      missedAtMostPercent: t?.missedAtMost?.percent ?? null,
      escalatedAtMostPercent: t?.escalatedAtMost?.percent ?? null,
      overMs: t?.over?.ms ?? null,
      minPages: t?.minPages?.count ?? null,
    },
    routes: routes.filter((r) => r.workflow === w.name.name).map((r) => r.name),
    span: w.name.span,
  };
}

function lowerRoute(r: ScopedRoute, order: number, scope: Scope, targets: Readonly<Record<string, TargetRef>>, workflowEnv: LetEnv): CompiledRoute {
  const workflow = r.workflow;
  const target = (name: string): TargetRef =>
    name === legacyPagerTarget ? { kind: 'legacy-pager', name: legacyPagerTarget, group: workflow.legacyPagerGroup!.value } : targets[name]!;
  const fallbackDecl = r.decl.fallback ?? workflow.fallback;
  let fallback: CompiledFallback | null = null;
  if (fallbackDecl !== null) {
    const t = target(fallbackDecl.target.name);
    if (t.kind === 'role') throw new Error('internal: a role as fallback passed the checks');
    const when = fallbackDecl.conditions.map((c) => c.name);
    fallback = { target: t, channels: channelsOf(fallbackDecl.channels), whenEmpty: when.includes('empty'), whenStale: when.includes('stale') };
  }
  return {
    order,
    name: r.name,
    workflow: workflow.name.name,
    condition: r.decl.condition,
    steps: r.decl.steps.map((s, index) => {
      const stepTargets = s.targets.map((t) => target(t.name));
      return {
        index,
        delayMs: s.delay.ms,
        targets: stepTargets,
        channels: channelsOf(s.channels),
        unlessAcked: s.unlessAcked,
        window: s.window === null ? null : { mode: s.window.mode, calendar: s.window.calendar.name },
        span: s.span,
      };
    }),
    repeat: r.decl.repeat === null ? null : { times: r.decl.repeat.times, everyMs: r.decl.repeat.every!.ms },
    fallback,
    templates: lowerTemplates(r, scope, workflowEnv),
    continues: r.decl.continueSpan !== null,
    span: r.decl.name?.span ?? r.decl.span,
  };
}

function channelsOf(list: readonly A.Named[] | null): ChannelKind[] | null {
  return list === null ? null : list.map((c) => c.name as ChannelKind);
}

/** A route's templates: its own, else its workflow's, channel by channel. */
function lowerTemplates(r: ScopedRoute, scope: Scope, workflowEnv: LetEnv): CompiledTemplates {
  const routeEnv = letEnv(r.decl.lets, workflowEnv);
  const own = templatesByChannel(r.decl.templates, null);
  const inherited = templatesByChannel(r.workflow.templates, null);
  const pick = (channel: A.TemplateChannel): { t: A.TemplateDecl; env: LetEnv } | null => {
    const t = own.get(channel);
    if (t !== undefined) return { t, env: routeEnv };
    const w = inherited.get(channel);
    return w === undefined ? null : { t: w, env: workflowEnv };
  };
  const expand = (text: A.TemplateText, env: LetEnv): CompiledTemplate => expandTemplate(text, env, scope, null).parts;
  const single = (channel: 'sms' | 'voice' | 'pager' | 'detail'): CompiledTemplate | null => {
    const found = pick(channel);
    return found === null || found.t.channel === 'push' ? null : expand(found.t.text, found.env);
  };
  const push = pick('push');
  return {
    sms: single('sms'),
    voice: single('voice'),
    pager: single('pager'),
    detail: single('detail'),
    push: push === null || push.t.channel !== 'push' ? null : { title: expand(push.t.title, push.env), body: expand(push.t.body, push.env) },
  };
}

export function lowerTests(scope: Scope): RuleTest[] {
  return scope.tests.map((t) => {
    const alert: Record<string, FieldValue> = {};
    for (const entry of t.alert) {
      const v = entry.value;
      alert[entry.field.name] = v.kind === 'datetime' ? instantOf(v).getTime() : v.value;
    }
    return {
      name: t.name.value,
      span: t.name.span,
      alert,
      at: instantOf(t.at!),
      given: new Map(t.given.map((g) => [g.role.name, g.state.name as 'empty' | 'stale'])),
      expectations: t.expectations,
    };
  });
}

/** A rule file's date-time as an instant: with its own offset, or read in its zone (RFC 5545). */
export function instantOf(dt: A.DateTimeLit): Date {
  return offsetInstant(dt.text) ?? localToInstant(dt.text, dt.zone?.value ?? 'UTC')!;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
