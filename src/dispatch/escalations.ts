// The escalation worker: fires ladder steps as they fall due. Escalation rows are claimed with
// FOR UPDATE SKIP LOCKED inside the transaction that fires the step and moves the row on, so a
// step fires exactly once however many replicas are looking, and a replica that dies mid-way
// leaves the row as it was (its transaction rolls back) for another to fire.
import { and, asc, eq, isNotNull, lte, min } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { RosterLookup } from '../../grammar/index.js';
import { appendAuditEvents, type AuditEvent } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import type { DispatchMetrics } from './metrics.js';
import { fireDueSteps } from './steps.js';

const { escalations, pages } = tables;

export interface EscalatorDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly rules: RulesRegistry;
  readonly roster: () => RosterLookup;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics: DispatchMetrics;
  readonly sendGraceMs: number;
  readonly batchSize: number;
}

export interface Escalator {
  /** Fires every step due now; returns the notifications queued, to send after the commit. */
  fireDue(): Promise<number[]>;
  /** The earliest instant any step falls due, or null. */
  nextDueAt(): Promise<Date | null>;
}

/** A step that cannot be fired (its rules version no longer compiles) is tried again this much later. */
const failedStepRetryMs = 30_000;

export function createEscalator(deps: EscalatorDeps): Escalator {
  const { db } = deps;

  const fireBatch = async (): Promise<{ claimed: number; queued: number[] }> => {
    const now = deps.clock();
    const audit: AuditEvent[] = [];
    const queued: number[] = [];
    const lateness: number[] = [];
    const claimed = await db.transaction(async (tx) => {
      const due = await tx
        .select({ pageId: escalations.pageId, cycle: escalations.cycle, nextStep: escalations.nextStep, status: pages.status, routeOrder: pages.routeOrder, openedAt: pages.openedAt, rulesVersion: pages.rulesVersion })
        .from(escalations)
        .innerJoin(pages, eq(pages.id, escalations.pageId))
        .where(and(isNotNull(escalations.dueAt), lte(escalations.dueAt, now)))
        .orderBy(asc(escalations.dueAt))
        .limit(deps.batchSize)
        .for('update', { of: escalations, skipLocked: true });
      for (const row of due) {
        try {
          // A savepoint per page: one page that cannot fire does not hold back the others.
          await tx.transaction(async (sp) => {
            const ruleSet = await deps.rules.byVersion(row.rulesVersion, sp);
            const page = { id: row.pageId, routeOrder: row.routeOrder, openedAt: row.openedAt, acknowledged: row.status === 'acknowledged' };
            const events: AuditEvent[] = [];
            const fired = await fireDueSteps(sp, page, { cycle: row.cycle, step: row.nextStep }, now, { ruleSet, roster: deps.roster(), sendGraceMs: deps.sendGraceMs }, events);
            const route = ruleSet.routes[row.routeOrder]!;
            await sp
              .update(escalations)
              .set({ cycle: fired.next?.cycle ?? row.cycle, nextStep: fired.next?.step ?? route.steps.length, dueAt: fired.dueAt })
              .where(eq(escalations.pageId, row.pageId));
            audit.push(...events);
            queued.push(...fired.queued);
            lateness.push(...fired.fired.map((f) => f.lateMs));
          });
        } catch (e) {
          deps.log.error({ page: row.pageId, error: (e as Error).message }, 'could not fire an escalation step; trying again later');
          await tx.update(escalations).set({ dueAt: new Date(now.getTime() + failedStepRetryMs) }).where(eq(escalations.pageId, row.pageId));
        }
      }
      await appendAuditEvents(tx, deps.auditKey, audit, now);
      return due.length;
    });
    for (const ms of lateness) deps.metrics.escalationLateness.observe(ms / 1000);
    return { claimed, queued };
  };

  return {
    async fireDue() {
      const queued: number[] = [];
      for (;;) {
        const batch = await fireBatch();
        queued.push(...batch.queued);
        if (batch.claimed < deps.batchSize) return queued;
      }
    },
    async nextDueAt() {
      const [row] = await db.select({ at: min(escalations.dueAt) }).from(escalations).where(isNotNull(escalations.dueAt));
      return row?.at ?? null;
    },
  };
}
