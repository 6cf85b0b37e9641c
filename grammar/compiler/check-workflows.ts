// Workflows and their routes: stage and targets, conditions, and escalation ladders whose
// every target, channel and calendar exists and whose timing makes sense.
import type * as A from '../ast.js';
import { diagnostic, didYouMean, type Diagnostic } from '../diagnostics.js';
import { channelKinds, stages, type ChannelKind } from '../ruleset.js';
import { checkCalendarRef, checkCondition } from './check-conditions.js';
import { legacyPagerTarget, type Scope, type ScopedRoute } from './scope.js';

/** A ladder runs for at most a week: past that a page is lost, not escalating. */
const maxDelayMs = 7 * 86_400_000;
const maxRepeats = 20;

export type TargetKind = 'role' | 'team' | 'person' | 'legacy-pager';

/** What each kind of target can be reached on. A team inbox is a desk in the app, not a phone. */
const reachableOn: Readonly<Record<TargetKind, readonly ChannelKind[]>> = {
  role: channelKinds,
  person: channelKinds,
  team: ['push'],
  'legacy-pager': ['pager'],
};

export function targetKind(name: string, scope: Scope): TargetKind | undefined {
  return name === legacyPagerTarget ? 'legacy-pager' : scope.who.get(name)?.kind;
}

export function checkWorkflows(scope: Scope, diagnostics: Diagnostic[]): void {
  for (const workflow of scope.workflows.values()) {
    checkWorkflowSettings(workflow, diagnostics);
    if (workflow.routes.length === 0) {
      diagnostics.push(diagnostic('W206', workflow.name.span, `workflow ${workflow.name.name} has no route, so no alert can reach it`, 'add: route when … { notify … at 0m }'));
    }
    if (workflow.fallback !== null) checkFallback(workflow.fallback, workflow, scope, diagnostics);
  }
  for (const route of scope.routes) checkRoute(route, scope, diagnostics);
}

function checkWorkflowSettings(workflow: A.WorkflowDecl, diagnostics: Diagnostic[]): void {
  if (workflow.stage !== null && !(stages as readonly string[]).includes(workflow.stage.name)) {
    diagnostics.push(diagnostic('E116', workflow.stage.span, `"${workflow.stage.name}" is not a migration stage`, didYouMean(workflow.stage.name, stages) ?? `stages: ${stages.join(', ')}`));
  }
  if (workflow.stage?.name === 'parallel' && workflow.legacyPagerGroup === null) {
    diagnostics.push(diagnostic('E116', workflow.stage.span, `workflow ${workflow.name.name} runs in parallel with a legacy pager group it does not name`, 'add: legacy-pager-group "…"'));
  }
  const targets = workflow.targets;
  if (targets === null) return;
  for (const metric of targets.metrics) {
    if (!['ack', 'missed', 'escalated'].includes(metric.name)) {
      diagnostics.push(diagnostic('E116', metric.span, `"${metric.name}" is not a workflow target`, didYouMean(metric.name, ['ack', 'missed', 'escalated']) ?? 'targets: ack pNN <= time, missed <= N%, escalated <= N%'));
    }
  }
  if (targets.ackPercentile !== null && percentileOf(targets.ackPercentile.percentile.name) === null) {
    diagnostics.push(diagnostic('E116', targets.ackPercentile.percentile.span, `"${targets.ackPercentile.percentile.name}" is not a percentile`, 'write p50, p90, p95 or p99'));
  }
  for (const rate of [targets.missedAtMost, targets.escalatedAtMost]) {
    if (rate !== null && rate.percent > 100) diagnostics.push(diagnostic('E116', rate.span, `${rate.percent}% is more than all pages`));
  }
  if (targets.minPages !== null && targets.minPages.count < 1) {
    diagnostics.push(diagnostic('E116', targets.minPages.span, 'a readiness verdict needs at least one page'));
  }
}

export function percentileOf(word: string): number | null {
  const match = /^p(\d{1,2})$/.exec(word);
  const n = match === null ? 0 : Number(match[1]);
  return n >= 1 && n <= 99 ? n : null;
}

function checkRoute(route: ScopedRoute, scope: Scope, diagnostics: Diagnostic[]): void {
  const { decl, workflow } = route;
  if (decl.condition !== null) checkCondition(decl.condition, scope, diagnostics);
  if (decl.steps.length === 0) {
    diagnostics.push(diagnostic('E117', decl.name?.span ?? decl.span, `route ${route.name} notifies nobody`, 'add a step: notify <role> via push at 0m'));
  }
  let previousDelay = 0;
  for (const step of decl.steps) {
    for (const target of step.targets) checkTarget(target, step.channels, workflow, scope, diagnostics);
    if (step.window !== null) checkCalendarRef(step.window.calendar, scope, diagnostics);
    if (step.delay.ms > maxDelayMs) {
      diagnostics.push(diagnostic('E117', step.delay.span, `a step ${step.delay.text} after the alert is past the week a ladder may last`, 'page within 7d, or let a later alert start a new page'));
    }
    if (step.delay.ms < previousDelay) {
      diagnostics.push(diagnostic('E117', step.delay.span, `this step fires at ${step.delay.text}, before the step above it`, 'list steps in the order they fire'));
    }
    previousDelay = Math.max(previousDelay, step.delay.ms);
  }
  if (decl.repeat !== null) {
    const { repeat } = decl;
    if (repeat.times < 1 || repeat.times > maxRepeats || !Number.isInteger(repeat.times)) {
      const hint = repeat.times > maxRepeats ? 'a page nobody answers after that many cycles needs a fallback, not more cycles' : 'to run the ladder once, leave out the repeat line';
      diagnostics.push(diagnostic('E117', repeat.span, `repeat takes a whole number of extra cycles, from 1 to ${maxRepeats}`, hint));
    } else if (repeat.every === null) {
      diagnostics.push(diagnostic('E117', repeat.span, 'say how long each cycle of the ladder lasts', `write: repeat ${repeat.times} every 15m`));
    } else if (repeat.every.ms > maxDelayMs) {
      diagnostics.push(diagnostic('E117', repeat.every.span, `a cycle of ${repeat.every.text} is longer than the week a ladder may last`));
    } else if (repeat.every.ms <= previousDelay) {
      diagnostics.push(diagnostic('E117', repeat.every.span, `a cycle of ${repeat.every.text} ends before its last step (at ${formatDelay(previousDelay)}) fires`, 'make each cycle longer than the ladder'));
    }
  }
  if (decl.fallback !== null) checkFallback(decl.fallback, workflow, scope, diagnostics);
}

function checkTarget(target: A.Named, channels: readonly A.Named[] | null, workflow: A.WorkflowDecl, scope: Scope, diagnostics: Diagnostic[]): void {
  const kind = targetKind(target.name, scope);
  if (kind === undefined) {
    diagnostics.push(diagnostic('E103', target.span, `no role, team or person is called "${target.name}"`, didYouMean(target.name, [...scope.who.keys(), legacyPagerTarget])));
    // Still check the channel names: a role reaches every channel, so only unknown names show.
    checkChannels(channels, 'role', target.name, diagnostics);
    return;
  }
  if (kind === 'legacy-pager') checkLegacyPager(target, workflow, diagnostics);
  checkChannels(channels, kind, target.name, diagnostics);
}

/** The legacy pager group can be paged only by a workflow that names one and still has pagers. */
function checkLegacyPager(target: A.Named, workflow: A.WorkflowDecl, diagnostics: Diagnostic[]): void {
  if (workflow.legacyPagerGroup === null) {
    diagnostics.push(diagnostic('E117', target.span, `workflow ${workflow.name.name} has no legacy pager group to page`, 'add: legacy-pager-group "…"'));
  } else if (workflow.stage?.name === 'retired') {
    diagnostics.push(diagnostic('E117', target.span, `workflow ${workflow.name.name} is retired: its pagers are gone`, 'remove this step, or set the stage back to parallel'));
  }
}

function checkChannels(channels: readonly A.Named[] | null, kind: TargetKind, targetName: string, diagnostics: Diagnostic[]): void {
  for (const channel of channels ?? []) {
    if (!(channelKinds as readonly string[]).includes(channel.name)) {
      diagnostics.push(diagnostic('E106', channel.span, `"${channel.name}" is not a channel`, didYouMean(channel.name, channelKinds) ?? `channels: ${channelKinds.join(', ')}`));
    } else if (!reachableOn[kind].includes(channel.name as ChannelKind)) {
      const why = kind === 'team' ? 'a team inbox is a desk in the app and gets push only' : 'the legacy pager group is reached by pager only';
      diagnostics.push(diagnostic('E117', channel.span, `${targetName} cannot be reached by ${channel.name}: ${why}`, kind === 'team' ? 'send the desk push, or notify a role or person by text or call' : 'send the legacy pager group its pager only'));
    }
  }
}

function checkFallback(fallback: A.FallbackDecl, workflow: A.WorkflowDecl, scope: Scope, diagnostics: Diagnostic[]): void {
  const kind = targetKind(fallback.target.name, scope);
  if (kind === 'legacy-pager') checkLegacyPager(fallback.target, workflow, diagnostics);
  if (kind === undefined) {
    diagnostics.push(diagnostic('E103', fallback.target.span, `no team or person is called "${fallback.target.name}"`, didYouMean(fallback.target.name, scope.who.keys())));
  } else if (kind === 'role') {
    diagnostics.push(diagnostic('E117', fallback.target.span, `the fallback ${fallback.target.name} is a role, and a role's roster can be empty too`, 'fall back to a staffed team inbox or a person'));
  } else {
    checkChannels(fallback.channels, kind, fallback.target.name, diagnostics);
  }
  for (const condition of fallback.conditions) {
    if (condition.name !== 'empty' && condition.name !== 'stale') {
      diagnostics.push(diagnostic('E117', condition.span, `"${condition.name}" is not a roster condition`, didYouMean(condition.name, ['empty', 'stale']) ?? 'write: when roster empty or stale'));
    }
  }
}

export function formatDelay(ms: number): string {
  if (ms === 0) return '0m';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
