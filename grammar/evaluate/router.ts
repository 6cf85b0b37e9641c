// route(alert, at, rosterLookup): the pure decision of which route takes an alert, who each
// step of its ladder pages, over which channels, and with which words. No I/O, no clock.
import type {
  AlertRecord,
  Builtins,
  ChannelKind,
  CompiledCalendar,
  CompiledRoute,
  CompiledSchema,
  CompiledStep,
  CompiledWorkflow,
  TargetRef,
} from '../ruleset.js';
import { defaultChannels } from '../ruleset.js';
import { isCalendarOpen } from './calendar.js';
import { compileCondition, explainFalse, type EvalContext, type Predicate } from './condition.js';
import type { Decision, RenderedMessages, ResolvedNotification, ResolvedStep, RosterLookup, RouteMatch, RouteMiss } from './decision.js';
import { buildRouteIndex } from './route-index.js';
import { renderTemplate } from './template.js';

export interface RouteOptions {
  /** Values the gateway knows once a page exists; rendered as `{link}` etc. when absent. */
  readonly builtins?: Partial<Pick<Builtins, 'link' | 'ack_code' | 'page'>>;
  /** Say why each earlier route did not match. Off by default: it walks every route instead of the index. */
  readonly explain?: boolean;
}

export interface Router {
  route(alert: AlertRecord, at: Date, roster: RosterLookup, options?: RouteOptions): Decision;
  /** One step of a route's ladder, resolved at the instant it fires (who is on call then). */
  resolveStep(routeOrder: number, stepIndex: number, at: Date, roster: RosterLookup): ResolvedStep;
  /**
   * A route's channel texts for an alert, with the gateway's built-ins filled in: what a step's
   * notifications say when they are sent. Rendered from the alert's non-PHI fields alone is
   * enough, because these templates may not use PHI fields (the compiler refuses them).
   */
  renderMessages(routeOrder: number, alert: AlertRecord, builtins: NonNullable<RouteOptions['builtins']>): RenderedMessages;
}

export interface RouterInput {
  readonly versionHash: string;
  readonly schema: CompiledSchema;
  readonly calendars: Readonly<Record<string, CompiledCalendar>>;
  readonly workflows: readonly CompiledWorkflow[];
  readonly routes: readonly CompiledRoute[];
}

export function createRouter(rules: RouterInput): Router {
  const predicates: Predicate[] = rules.routes.map((r) => (r.condition === null ? () => true : compileCondition(r.condition, rules.schema)));
  const index = buildRouteIndex(rules.routes);
  const allOrders = rules.routes.map((r) => r.order);
  const workflows = new Map(rules.workflows.map((w) => [w.name, w]));

  const calendarContext = (atMs: number): EvalContext => {
    const seen = new Map<string, boolean>();
    return {
      during(name) {
        let open = seen.get(name);
        if (open === undefined) {
          const calendar = rules.calendars[name];
          open = calendar !== undefined && isCalendarOpen(calendar, atMs);
          seen.set(name, open);
        }
        return open;
      },
    };
  };

  const resolveStep = (route: CompiledRoute, step: CompiledStep, startMs: number, roster: RosterLookup): ResolvedStep => {
    const dueMs = startMs + step.delayMs;
    const open = step.window === null ? true : calendarContext(dueMs).during(step.window.calendar);
    const active = step.window?.mode === 'outside' ? !open : open;
    const notifications: ResolvedNotification[] = [];
    for (const target of step.targets) {
      const n = resolveTarget(route, target, step.channels, new Date(dueMs), roster);
      const i = notifications.findIndex((m) => m.target.name === n.target.name);
      if (i < 0) notifications.push(n);
      // The same target twice (named, and fallback for an empty role): one notification over
      // every channel either asked for, so nothing that was asked for is dropped.
      else notifications[i] = mergeNotifications(notifications[i]!, n);
    }
    return { index: step.index, delayMs: step.delayMs, unlessAcked: step.unlessAcked, active, notifications };
  };

  const builtinsFor = (route: CompiledRoute, given: RouteOptions['builtins']): Builtins => ({
    link: given?.link ?? '{link}',
    ack_code: given?.ack_code ?? '{ack_code}',
    page: given?.page ?? '{page}',
    workflow: route.workflow,
    route: route.name,
  });

  const render = (route: CompiledRoute, alert: AlertRecord, builtins: Builtins, t: CompiledRoute['templates']['sms']): string | null =>
    t === null ? null : renderTemplate(t, alert, builtins, rules.schema);

  const renderMessages = (route: CompiledRoute, alert: AlertRecord, builtins: Builtins): RenderedMessages => {
    const { templates } = route;
    return {
      sms: render(route, alert, builtins, templates.sms),
      voice: render(route, alert, builtins, templates.voice),
      pager: render(route, alert, builtins, templates.pager),
      push: templates.push === null ? null : { title: render(route, alert, builtins, templates.push.title)!, body: render(route, alert, builtins, templates.push.body)! },
    };
  };

  const resolveMatch = (route: CompiledRoute, alert: AlertRecord, atMs: number, roster: RosterLookup, options: RouteOptions): RouteMatch => {
    const workflow = workflows.get(route.workflow)!;
    const builtins = builtinsFor(route, options.builtins);
    return {
      workflow: route.workflow,
      route: route.name,
      order: route.order,
      stage: workflow.stage,
      legacyPagerGroup: workflow.legacyPagerGroup,
      steps: route.steps.map((s) => resolveStep(route, s, atMs, roster)),
      repeat: route.repeat,
      messages: renderMessages(route, alert, builtins),
      renderDetail: () => render(route, alert, builtins, route.templates.detail),
    };
  };

  return {
    route(alert, at, roster, options = {}) {
      const atMs = at.getTime();
      const ctx = calendarContext(atMs);
      const explain = options.explain ?? false;
      const misses: RouteMiss[] = [];
      const matches: RouteMatch[] = [];
      for (const order of explain ? allOrders : index.candidates(alert)) {
        const route = rules.routes[order]!;
        if (predicates[order]!(alert, ctx)) {
          matches.push(resolveMatch(route, alert, atMs, roster, options));
          if (!route.continues) break;
        } else if (explain && matches.length === 0) {
          misses.push({ workflow: route.workflow, route: route.name, reasons: explainFalse(route.condition!, alert, ctx, rules.schema) });
        }
      }
      const [match, ...also] = matches;
      return match === undefined
        ? { kind: 'unmatched', rulesVersion: rules.versionHash, misses }
        : { kind: 'matched', rulesVersion: rules.versionHash, match, also, misses };
    },
    resolveStep(routeOrder, stepIndex, at, roster) {
      const route = rules.routes[routeOrder];
      const step = route?.steps[stepIndex];
      if (route === undefined || step === undefined) throw new RangeError(`no step ${stepIndex} in route ${routeOrder}`);
      return resolveStep(route, step, at.getTime() - step.delayMs, roster);
    },
    renderMessages(routeOrder, alert, builtins) {
      const route = rules.routes[routeOrder];
      if (route === undefined) throw new RangeError(`no route ${routeOrder}`);
      return renderMessages(route, alert, builtinsFor(route, builtins));
    },
  };
}

function mergeNotifications(a: ResolvedNotification, b: ResolvedNotification): ResolvedNotification {
  return {
    ...a,
    channels: [...new Set([...a.channels, ...b.channels])],
    people: [...a.people, ...b.people.filter((p) => !a.people.some((q) => q.id === p.id))],
    standsInFor: [...a.standsInFor, ...b.standsInFor],
  };
}

function resolveTarget(route: CompiledRoute, target: TargetRef, channels: readonly ChannelKind[] | null, at: Date, roster: RosterLookup): ResolvedNotification {
  switch (target.kind) {
    case 'team':
    case 'legacy-pager':
      return { target, channels: channels ?? defaultChannels(target.kind), people: [], roster: 'not-a-role', standsInFor: [] };
    case 'person':
      return { target, channels: channels ?? defaultChannels(target.kind), people: [{ id: `${target.roster}:${target.id}`, name: target.name }], roster: 'not-a-role', standsInFor: [] };
    case 'role': {
      const onCall = roster.onCall(target, at);
      const empty = onCall.people.length === 0;
      const state = empty ? 'empty' : onCall.stale ? 'stale' : 'ok';
      const fallback = route.fallback;
      // An empty roster from a stale feed is both: either condition the rules name hands over.
      const reason = fallback === null ? null : empty && fallback.whenEmpty ? 'empty' : onCall.stale && fallback.whenStale ? 'stale' : null;
      if (fallback !== null && reason !== null) {
        const people = fallback.target.kind === 'person' ? [{ id: `${fallback.target.roster}:${fallback.target.id}`, name: fallback.target.name }] : [];
        return {
          target: fallback.target,
          channels: fallback.channels ?? defaultChannels(fallback.target.kind),
          people,
          roster: state,
          standsInFor: [{ role: target.name, reason }],
        };
      }
      return { target, channels: channels ?? defaultChannels(target.kind), people: onCall.people, roster: state, standsInFor: [] };
    }
  }
}
