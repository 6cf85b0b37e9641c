// Which ladder steps fire, and what they send: who is on call at each step's due instant, and
// one outbox row per person and channel. Pure: opening a page and the escalation worker both
// plan here, and write what is planned in their own transaction (a batch of pages at a time),
// so a step and its notifications commit together or not at all.
import type { RosterLookup, RuleSet } from '../../grammar/index.js';
import type { AuditEvent } from '../audit/index.js';
import type { DbTransaction } from '../db/index.js';
import { anyOf, insertRows, tables } from '../db/index.js';
import { answerWindowMs, endOf, offsetOf, positionAfter, resumeFrom, type LadderPosition } from './ladder.js';
import type { ClaimedNotification } from './outbox.js';

/** What planning needs to know of a page. */
export interface LadderPage {
  readonly id: string;
  readonly routeOrder: number;
  readonly openedAt: Date;
  readonly acknowledged: boolean;
}

export interface StepContext {
  /** The rule set that routed the page. */
  readonly ruleSet: RuleSet;
  readonly roster: RosterLookup;
  /**
   * New notifications are born claimed by the process that writes them (it sends them right
   * after the commit), under a lease this long; a sweeper takes over if that process dies.
   */
  readonly leaseMs: number;
}

export type NotificationRow = typeof tables.notifications.$inferInsert;

export interface PlannedSteps {
  /**
   * Where the ladder stands after them, and when that falls due: the next step, or the ladder's
   * end while an unacknowledged page's last people have their time to answer; null when it has
   * run out.
   */
  readonly next: LadderPosition | null;
  readonly dueAt: Date | null;
  /** Outbox rows to write. */
  readonly rows: readonly NotificationRow[];
  /** What to audit. */
  readonly events: readonly AuditEvent[];
  /** How late each position fires (ms after its due instant). */
  readonly lateMs: readonly number[];
}

export function dueAtOf(ruleSet: RuleSet, page: LadderPage, p: LadderPosition): Date {
  return new Date(page.openedAt.getTime() + offsetOf(ruleSet.routes[page.routeOrder]!, p));
}

/**
 * Plans every position from `from` on that is due by `now`. `storedDueAt` is when the escalation
 * row says `from` falls due: earlier than the ladder's own time when someone declined the page
 * (the next step fires now; the ones after it keep their times).
 */
export function planDueSteps(page: LadderPage, from: LadderPosition | null, now: Date, ctx: StepContext, storedDueAt: Date | null = null): PlannedSteps {
  const route = ctx.ruleSet.routes[page.routeOrder]!;
  const subject = `page:${page.id}`;
  const rows: NotificationRow[] = [];
  const events: AuditEvent[] = [];
  const lateMs: number[] = [];
  let position = from === null ? null : resumeFrom(route, from, now.getTime() - page.openedAt.getTime(), page.acknowledged);
  if (from !== null && position !== from) {
    events.push({ actor: 'system', kind: 'step.skipped', subject, data: { cycle: from.cycle, step: from.step, untilCycle: position!.cycle, reason: 'behind: a later repeat has begun' } });
  }
  let lastDueAt: Date | null = null;
  while (position !== null) {
    const ladderDueAt = dueAtOf(ctx.ruleSet, page, position);
    const dueAt = position === from && storedDueAt !== null && storedDueAt < ladderDueAt ? storedDueAt : ladderDueAt;
    if (dueAt.getTime() > now.getTime()) break;
    lastDueAt = dueAt;
    const { cycle, step } = position;
    const resolved = ctx.ruleSet.resolveStep(page.routeOrder, step, dueAt, ctx.roster);
    if (!resolved.active) {
      events.push({ actor: 'system', kind: 'step.skipped', subject, data: { cycle, step, reason: 'outside its time window' } });
    } else {
      const stepRows = resolved.notifications.flatMap((n) => {
        // A role's notification goes to each person on call; a team inbox or the pager group is one recipient.
        const people = n.target.kind === 'role' || n.target.kind === 'person' ? n.people.map((p) => p.id) : [''];
        return people.flatMap((personId) =>
          n.channels.map((channel) => ({
            pageId: page.id,
            cycle,
            step,
            target: n.target.name,
            personId,
            channel,
            status: 'sending' as const,
            attempts: 1,
            leaseUntil: new Date(now.getTime() + ctx.leaseMs),
            createdAt: now,
            standsInFor: n.standsInFor.map((s) => s.role).join(',') || null,
            nextAttemptAt: now,
            updatedAt: now,
          })),
        );
      });
      rows.push(...stepRows);
      const late = now.getTime() - dueAt.getTime();
      lateMs.push(late);
      events.push({ actor: 'system', kind: 'step.fired', subject, data: { cycle, step, notifications: stepRows.length, channels: [...new Set(stepRows.map((r) => r.channel))], dueAt: dueAt.toISOString(), lateMs: late } });
      const fallbacks = resolved.notifications.flatMap((n) => n.standsInFor.map((s) => `${s.role}→${n.target.name} (${s.reason})`));
      if (fallbacks.length > 0) events.push({ actor: 'system', kind: 'step.fallback', subject, data: { cycle, step, fallbacks } });
      const unstaffed = resolved.notifications.filter((n) => n.target.kind === 'role' && n.people.length === 0).map((n) => n.target.name);
      if (unstaffed.length > 0) events.push({ actor: 'system', kind: 'step.unstaffed', subject, data: { cycle, step, roles: unstaffed } });
    }
    const after = positionAfter(route, position, page.acknowledged);
    if (after === null && !page.acknowledged) {
      return { next: endOf(route, position.cycle), dueAt: new Date(lastDueAt.getTime() + answerWindowMs(route)), rows, events, lateMs };
    }
    position = after;
  }
  return { next: position, dueAt: position === null ? null : dueAtOf(ctx.ruleSet, page, position), rows, events, lateMs };
}

/** Writes planned outbox rows (one statement, whatever the number of pages), claimed by this process to send. */
export async function queueNotifications(tx: DbTransaction, rows: readonly NotificationRow[]): Promise<ClaimedNotification[]> {
  if (rows.length === 0) return [];
  // The unique key (page, cycle, step, target, person, channel) makes a step's message happen once.
  const written = await insertRows(tx, tables.notifications, rows, { onConflictDoNothing: true });
  const fellBack = [...new Set(written.filter((n) => n.standsInFor !== null).map((n) => n.pageId))];
  if (fellBack.length > 0) await tx.update(tables.pages).set({ fellBack: true }).where(anyOf(tables.pages.id, fellBack));
  return written;
}
