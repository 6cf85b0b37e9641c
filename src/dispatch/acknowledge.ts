// Acknowledging and resolving a page. Acknowledgement stops the escalation: steps marked
// `unless acked` no longer fire and their unsent messages are cancelled, the repeats end; steps
// without it still fire, as the rules say. Resolving ends everything still to come.
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { CompiledRoute } from '../../grammar/index.js';
import { appendAuditEvents, type AuditEvent } from '../audit/index.js';
import type { TokenHolder } from '../auth/tokens.js';
import type { Db, DbTransaction } from '../db/index.js';
import { tables } from '../db/index.js';
import { forgetTrendBuckets } from '../retirement/ack-trend.js';
import type { RulesRegistry } from '../rules/index.js';
import { nextFiring, positionAfter, storedPosition } from './ladder.js';
import type { DispatchMetrics } from './metrics.js';
import { dueAtOf } from './steps.js';

const { pages, escalations, notifications } = tables;

/** How someone acknowledged: through the API, the app, a channel's own reply (push action, SMS reply, key press), or the acknowledge link. */
export type AckVia = 'api' | 'app' | 'push' | 'sms' | 'voice' | 'link';

export interface AckDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly rules: RulesRegistry;
  readonly clock: () => Date;
  readonly metrics: DispatchMetrics;
}

export interface Acknowledgement {
  readonly by: string;
  readonly via: string;
  readonly at: Date;
  /** From the page opening to the acknowledgement: the figure pager retirement is judged by. */
  readonly afterMs: number;
}

export type AckResult =
  | { readonly kind: 'acknowledged'; readonly acknowledgement: Acknowledgement }
  /** Someone (this person or another) acknowledged first: their acknowledgement stands. */
  | { readonly kind: 'already-acknowledged'; readonly acknowledgement: Acknowledgement }
  | { readonly kind: 'not-found' }
  /** Only someone the page was sent to may acknowledge it. */
  | { readonly kind: 'not-paged' }
  | { readonly kind: 'resolved' };

export type ResolveResult =
  | { readonly kind: 'resolved'; readonly at: Date; readonly by: string }
  | { readonly kind: 'already-resolved'; readonly at: Date; readonly by: string }
  | { readonly kind: 'not-found' }
  /** Only operations, the system that raised the page, or a person it was sent to may resolve it. */
  | { readonly kind: 'forbidden' };

/** Who resolves: operations, a clinical system, or a person, as their token says. */
export type Resolver = TokenHolder;

type PageRow = typeof pages.$inferSelect;

/**
 * Locks the page against other changes of its state. NO KEY UPDATE, not UPDATE: the escalation
 * worker, holding the page's escalation row, inserts notifications whose foreign key takes a
 * KEY SHARE lock on the page; a full UPDATE lock here, waiting next for that escalation row,
 * would deadlock with it.
 */
async function lockPage(tx: DbTransaction, pageId: string): Promise<PageRow | undefined> {
  const [page] = await tx.select().from(pages).where(eq(pages.id, pageId)).for('no key update');
  return page;
}

/** Whether `personId` was sent anything for this page: the people who may acknowledge it. */
export async function wasPaged(db: Db | DbTransaction, pageId: string, personId: string): Promise<boolean> {
  const [row] = await db.select({ id: notifications.id }).from(notifications).where(and(eq(notifications.pageId, pageId), eq(notifications.personId, personId))).limit(1);
  return row !== undefined;
}

/** Whether anything for this page reached `personId` (was handed to a provider): who may see its PHI. */
export async function wasReached(db: Db | DbTransaction, pageId: string, personId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.pageId, pageId), eq(notifications.personId, personId), isNotNull(notifications.sentAt)))
    .limit(1);
  return row !== undefined;
}

/** A page's acknowledgement, or null when nobody has acknowledged it. */
export function acknowledgementOf(page: PageRow): Acknowledgement | null {
  if (page.acknowledgedAt === null) return null;
  return { by: page.acknowledgedBy!, via: page.acknowledgedVia ?? 'api', at: page.acknowledgedAt, afterMs: Math.max(0, page.acknowledgedAt.getTime() - page.openedAt.getTime()) };
}

export async function acknowledgePage(deps: AckDeps, input: { readonly pageId: string; readonly personId: string; readonly via: AckVia }): Promise<AckResult> {
  const result = await deps.db.transaction(async (tx): Promise<AckResult & { workflow?: string; escalated?: boolean }> => {
    const page = await lockPage(tx, input.pageId);
    if (page === undefined) return { kind: 'not-found' };
    if (!(await wasPaged(tx, page.id, input.personId))) return { kind: 'not-paged' };
    switch (page.status) {
      case 'resolved':
        return { kind: 'resolved' };
      case 'acknowledged':
        return { kind: 'already-acknowledged', acknowledgement: acknowledgementOf(page)! };
      case 'open':
        break;
    }
    const at = deps.clock();
    const acknowledged = { ...page, acknowledgedAt: at, acknowledgedBy: input.personId, acknowledgedVia: input.via };
    const acknowledgement = acknowledgementOf(acknowledged)!;
    const ruleSet = await deps.rules.byVersion(page.rulesVersion, tx);
    const route = ruleSet.routes[page.routeOrder]!;
    const [escalation] = await tx.select().from(escalations).where(eq(escalations.pageId, page.id)).for('update');
    const escalated = escalation !== undefined && hadEscalated(route, escalation);
    const [paged] = await tx.select({ target: notifications.target }).from(notifications).where(and(eq(notifications.pageId, page.id), eq(notifications.personId, input.personId))).orderBy(notifications.id).limit(1);
    await tx
      .update(pages)
      .set({ status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: input.personId, acknowledgedVia: input.via, escalated, acknowledgedAs: paged?.target ?? null })
      .where(eq(pages.id, page.id));
    // A page acknowledged long after it opened may be in the dashboard's kept weeks: they are worked out again.
    await forgetTrendBuckets(tx, page, at);
    const audit: AuditEvent[] = [];
    if (escalation !== undefined && escalation.dueAt !== null) {
      const next = nextFiring(route, { cycle: escalation.cycle, step: escalation.nextStep }, true);
      const dueAt = next === null ? null : dueAtOf(ruleSet, { ...page, acknowledged: true }, next);
      await tx
        .update(escalations)
        .set({ ...storedPosition(route, next, escalation.cycle), dueAt })
        .where(eq(escalations.pageId, page.id));
      audit.push({ actor: 'system', kind: next === null ? 'escalation.stopped' : 'escalation.narrowed', subject: `page:${page.id}`, data: { reason: 'acknowledged', ...(next === null ? {} : { cycle: next.cycle, step: next.step }) } });
    }
    const ackedSteps = route.steps.filter((s) => s.unlessAcked).map((s) => s.index);
    const cancelled =
      ackedSteps.length === 0
        ? []
        : await tx
            .update(notifications)
            .set({ status: 'cancelled', error: 'the page was acknowledged', updatedAt: at })
            .where(and(eq(notifications.pageId, page.id), eq(notifications.status, 'queued'), inArray(notifications.step, ackedSteps)))
            .returning({ id: notifications.id });
    audit.unshift({ actor: `person:${input.personId}`, kind: 'page.acknowledged', subject: `page:${page.id}`, data: { via: input.via, afterMs: acknowledgement.afterMs, cancelled: cancelled.length } });
    await appendAuditEvents(tx, deps.auditKey, audit, at);
    return { kind: 'acknowledged', acknowledgement, workflow: page.workflow, escalated };
  });
  if (result.kind === 'acknowledged') {
    const workflow = result.workflow ?? '';
    deps.metrics.acknowledgements.inc({ workflow, via: input.via });
    deps.metrics.ackTime.observe({ workflow }, result.acknowledgement.afterMs / 1000);
    if (result.escalated === true) deps.metrics.escalatedAcks.inc({ workflow });
  }
  return result;
}

/**
 * Whether the ladder had gone past its opening: a step due later than the first had fired (the
 * last position it passed is due after the first's), or a repeat had begun. Steps due with the
 * first (`at 0m` beside `at 0m`) are the opening, not an escalation.
 */
function hadEscalated(route: CompiledRoute, at: { readonly cycle: number; readonly nextStep: number }): boolean {
  if (at.cycle > 0) return true;
  const passed = route.steps[Math.min(at.nextStep, route.steps.length) - 1];
  return passed !== undefined && passed.delayMs > route.steps[0]!.delayMs;
}

/** Whether a page is this holder's business: operations see every page, a clinical system its own, a person those sent to them. */
export async function concerns(db: Db | DbTransaction, holder: Resolver, page: { readonly id: string; readonly source: string }): Promise<boolean> {
  switch (holder.kind) {
    case 'admin':
      return true;
    case 'source':
      return page.source === holder.name;
    case 'person':
      return wasPaged(db, page.id, holder.name);
    case 'manager':
      return false;
  }
}

/** Resolves a page (the condition is dealt with): nothing more is sent or fired for it. */
export async function resolvePage(deps: Omit<AckDeps, 'rules' | 'metrics'>, input: { readonly pageId: string; readonly by: Resolver }): Promise<ResolveResult> {
  return deps.db.transaction(async (tx): Promise<ResolveResult> => {
    const page = await lockPage(tx, input.pageId);
    if (page === undefined) return { kind: 'not-found' };
    if (!(await concerns(tx, input.by, page))) return { kind: 'forbidden' };
    if (page.status === 'resolved') return { kind: 'already-resolved', at: page.resolvedAt!, by: page.resolvedBy! };
    const at = deps.clock();
    const by = `${input.by.kind}:${input.by.name}`;
    await tx.update(pages).set({ status: 'resolved', resolvedAt: at, resolvedBy: by }).where(eq(pages.id, page.id));
    await tx.update(escalations).set({ dueAt: null }).where(eq(escalations.pageId, page.id));
    const cancelled = await tx
      .update(notifications)
      .set({ status: 'cancelled', error: 'the page was resolved', updatedAt: at })
      .where(and(eq(notifications.pageId, page.id), eq(notifications.status, 'queued')))
      .returning({ id: notifications.id });
    await appendAuditEvents(tx, deps.auditKey, [{ actor: by, kind: 'page.resolved', subject: `page:${page.id}`, data: { previously: page.status, cancelled: cancelled.length } }], at);
    return { kind: 'resolved', at, by };
  });
}


export type DeclineResult =
  /** The ladder's next step fires now instead of at its time; null: there was none to bring forward (the ladder ran out, or it had moved on already). */
  | { readonly kind: 'declined'; readonly escalatesAt: Date | null }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-paged' }
  /** Acknowledged or resolved already: there is nothing to hand on. */
  | { readonly kind: 'not-open' };

/**
 * Someone paged says they cannot take it (a key press on the call): the step after the one that
 * paged them is brought forward to now, so the next person is paged without waiting it out. Only
 * that step: a second decline of the same call, or from a step the ladder has left, brings
 * nothing else forward.
 */
export async function declinePage(
  deps: Omit<AckDeps, 'metrics'>,
  input: { readonly pageId: string; readonly personId: string; readonly via: AckVia; readonly cycle: number; readonly step: number },
): Promise<DeclineResult> {
  return deps.db.transaction(async (tx): Promise<DeclineResult> => {
    const page = await lockPage(tx, input.pageId);
    if (page === undefined) return { kind: 'not-found' };
    if (!(await wasPaged(tx, page.id, input.personId))) return { kind: 'not-paged' };
    if (page.status !== 'open') return { kind: 'not-open' };
    const at = deps.clock();
    const route = (await deps.rules.byVersion(page.rulesVersion, tx)).routes[page.routeOrder]!;
    const after = positionAfter(route, { cycle: input.cycle, step: input.step }, false);
    const [escalation] = await tx.select().from(escalations).where(eq(escalations.pageId, page.id)).for('update');
    const pointsAfter = escalation !== undefined && after !== null && escalation.cycle === after.cycle && escalation.nextStep === after.step;
    const escalatesAt = pointsAfter && escalation.dueAt !== null && escalation.dueAt > at ? at : null;
    if (escalatesAt !== null) await tx.update(escalations).set({ dueAt: escalatesAt }).where(eq(escalations.pageId, page.id));
    await appendAuditEvents(tx, deps.auditKey, [{ actor: `person:${input.personId}`, kind: 'page.declined', subject: `page:${page.id}`, data: { via: input.via, cycle: input.cycle, step: input.step, escalatesNow: escalatesAt !== null } }], at);
    return { kind: 'declined', escalatesAt };
  });
}
