// Firing ladder steps: who is on call at the step's due instant, and one outbox row per person
// and channel. Opening a page and the escalation worker both come through here, inside their
// own transaction, so a step and its notifications commit together or not at all.
import type { RosterLookup, RuleSet } from '../../grammar/index.js';
import type { AuditEvent } from '../audit/index.js';
import type { DbTransaction } from '../db/index.js';
import { tables } from '../db/index.js';
import { offsetOf, positionAfter, type LadderPosition } from './ladder.js';

/** What firing needs to know of a page. */
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
  /** How long a new notification is left to the in-process sender before a sweeper may take it. */
  readonly sendGraceMs: number;
}

export interface FiredSteps {
  /** Where the ladder stands now, and when that falls due; null when it has run out. */
  readonly next: LadderPosition | null;
  readonly dueAt: Date | null;
  /** Outbox rows written, to send right after the commit. */
  readonly queued: readonly number[];
  /** Each position fired, with how late it fired (ms after its due instant). */
  readonly fired: readonly { readonly position: LadderPosition; readonly lateMs: number }[];
}

export function dueAtOf(ruleSet: RuleSet, page: LadderPage, p: LadderPosition): Date {
  return new Date(page.openedAt.getTime() + offsetOf(ruleSet.routes[page.routeOrder]!, p));
}

/** Fires every position from `from` on that is due by `now`; audit events go into `audit`. */
export async function fireDueSteps(tx: DbTransaction, page: LadderPage, from: LadderPosition | null, now: Date, ctx: StepContext, audit: AuditEvent[]): Promise<FiredSteps> {
  const route = ctx.ruleSet.routes[page.routeOrder]!;
  const subject = `page:${page.id}`;
  const queued: number[] = [];
  const fired: { position: LadderPosition; lateMs: number }[] = [];
  let position = from;
  while (position !== null) {
    const dueAt = dueAtOf(ctx.ruleSet, page, position);
    if (dueAt.getTime() > now.getTime()) break;
    const { cycle, step } = position;
    const resolved = ctx.ruleSet.resolveStep(page.routeOrder, step, dueAt, ctx.roster);
    if (!resolved.active) {
      audit.push({ actor: 'system', kind: 'step.skipped', subject, data: { cycle, step, reason: 'outside its time window' } });
    } else {
      const rows = resolved.notifications.flatMap((n) => {
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
            status: 'queued' as const,
            createdAt: now,
            standsInFor: n.standsInFor.map((s) => s.role).join(',') || null,
            nextAttemptAt: new Date(now.getTime() + ctx.sendGraceMs),
            updatedAt: now,
          })),
        );
      });
      const ids = rows.length === 0 ? [] : await tx.insert(tables.notifications).values(rows).onConflictDoNothing().returning({ id: tables.notifications.id });
      queued.push(...ids.map((r) => r.id));
      const lateMs = now.getTime() - dueAt.getTime();
      fired.push({ position, lateMs });
      audit.push({ actor: 'system', kind: 'step.fired', subject, data: { cycle, step, notifications: ids.length, channels: [...new Set(rows.map((r) => r.channel))], dueAt: dueAt.toISOString(), lateMs } });
      const fallbacks = resolved.notifications.flatMap((n) => n.standsInFor.map((s) => `${s.role}→${n.target.name} (${s.reason})`));
      if (fallbacks.length > 0) audit.push({ actor: 'system', kind: 'step.fallback', subject, data: { cycle, step, fallbacks } });
      const unstaffed = resolved.notifications.filter((n) => n.target.kind === 'role' && n.people.length === 0).map((n) => n.target.name);
      if (unstaffed.length > 0) audit.push({ actor: 'system', kind: 'step.unstaffed', subject, data: { cycle, step, roles: unstaffed } });
    }
    position = positionAfter(route, position, page.acknowledged);
  }
  return { next: position, dueAt: position === null ? null : dueAtOf(ctx.ruleSet, page, position), queued, fired };
}
