// The escalation worker: fires ladder steps as they fall due. Escalation rows are claimed with
// FOR UPDATE SKIP LOCKED inside the transaction that fires the step and moves the row on, so a
// step fires exactly once however many replicas are looking, and a replica that dies mid-way
// leaves the row as it was (its transaction rolls back) for another to fire.
import { and, asc, eq, isNotNull, lte, min, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { RosterLookup } from '../../grammar/index.js';
import { appendAuditEventsWith, type AuditEvent } from '../audit/index.js';
import type { Db, DbTransaction } from '../db/index.js';
import { anyOf, tables } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import type { DispatchMetrics } from './metrics.js';
import { pageContextColumns, type PageContext, type SendBatch } from './outbox.js';
import { isEnd, storedPosition } from './ladder.js';
import { planDueSteps, queueNotifications, type NotificationRow } from './steps.js';
import { errorFields } from '../log-fields.js';

const { escalations, pages, alerts } = tables;

export interface EscalatorDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly rules: RulesRegistry;
  readonly roster: () => RosterLookup;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics: DispatchMetrics;
  readonly leaseMs: number;
  readonly batchSize: number;
}

export interface Escalator {
  /**
   * Fires every step due now, a batch per transaction; after each commit, `onQueued` is told the
   * notifications it queued, so they can be sent while the next batch fires. `onClaimed` hears
   * how many steps a batch has claimed, before it writes them. Returns how many ladders it
   * moved on.
   */
  fireDue(onQueued: (batch: SendBatch) => void, onClaimed?: (steps: number) => void): Promise<number>;
  /** The earliest instant any step falls due, or null. */
  nextDueAt(): Promise<Date | null>;
}

/** A step that cannot be fired (its rules version no longer compiles) is tried again this much later. */
const failedStepRetryMs = 30_000;

export function createEscalator(deps: EscalatorDeps): Escalator {
  const { db } = deps;

  /** One batch of due ladders in one transaction: claimed, planned, written together. */
  const fireBatch = async (onClaimed?: (steps: number) => void): Promise<{ fired: number; send: SendBatch }> => {
    const now = deps.clock();
    const lateness: number[] = [];
    /** Workflows of the pages found missed, for the counter, and the pages. */
    const ranOut: string[] = [];
    const missed: string[] = [];
    const fellBack: string[] = [];
    const result = await db.transaction(async (tx) => {
      const due = await tx
        .select({ ...pageContextColumns, cycle: escalations.cycle, nextStep: escalations.nextStep, dueAt: escalations.dueAt })
        .from(escalations)
        .innerJoin(pages, eq(pages.id, escalations.pageId))
        .innerJoin(alerts, eq(alerts.id, pages.alertId))
        .where(and(isNotNull(escalations.dueAt), lte(escalations.dueAt, now)))
        .orderBy(asc(escalations.dueAt))
        .limit(deps.batchSize)
        .for('update', { of: escalations, skipLocked: true });
      if (due.length > 0) onClaimed?.(due.length);
      const rows: NotificationRow[] = [];
      const audit: AuditEvent[] = [];
      const moves: EscalationMove[] = [];
      for (const row of due) {
        try {
          const ruleSet = await deps.rules.byVersion(row.rulesVersion, tx);
          const route = ruleSet.routes[row.routeOrder]!;
          const page = { id: row.id, routeOrder: row.routeOrder, openedAt: row.openedAt, acknowledged: row.status === 'acknowledged' };
          if (isEnd(route, { cycle: row.cycle, step: row.nextStep })) {
            // The last people paged had their time and nobody acknowledged: the page is missed.
            // (Acknowledging or resolving it first takes the ladder's end off its row.)
            if (!page.acknowledged) {
              missed.push(row.id);
              ranOut.push(row.workflow);
              audit.push({ actor: 'system', kind: 'page.missed', subject: `page:${row.id}`, data: { cycle: row.cycle } });
            }
            moves.push({ pageId: row.id, cycle: row.cycle, nextStep: row.nextStep, dueAt: null });
            continue;
          }
          const planned = planDueSteps(page, { cycle: row.cycle, step: row.nextStep }, now, { ruleSet, roster: deps.roster(), leaseMs: deps.leaseMs }, row.dueAt);
          rows.push(...planned.rows);
          audit.push(...planned.events);
          lateness.push(...planned.lateMs);
          moves.push({ pageId: row.id, ...storedPosition(route, planned.next, row.cycle), dueAt: planned.dueAt });
          for (const e of planned.events) if (e.kind === 'step.fallback') fellBack.push(row.workflow);
        } catch (e) {
          // Planning is pure, so one page that cannot be planned leaves the rest of the batch alone.
          deps.log.error({ page: row.id, ...errorFields(e) }, 'could not fire an escalation step; trying again later');
          moves.push({ pageId: row.id, cycle: row.cycle, nextStep: row.nextStep, dueAt: new Date(now.getTime() + failedStepRetryMs) });
        }
      }
      const [queued] = await appendAuditEventsWith(tx, deps.auditKey, audit, now, [
        queueNotifications(tx, rows),
        missed.length === 0 ? Promise.resolve() : tx.update(pages).set({ missed: true }).where(anyOf(pages.id, missed)),
        moveEscalations(tx, moves, now),
      ]);
      return { fired: due.length, send: { rows: queued, pages: new Map<string, PageContext>(due.map((d) => [d.id, d])) } };
    });
    for (const ms of lateness) deps.metrics.escalationLateness.observe(ms / 1000);
    for (const workflow of ranOut) deps.metrics.missed.inc({ workflow });
    for (const workflow of fellBack) deps.metrics.fallbacks.inc({ workflow });
    return result;
  };

  return {
    async fireDue(onQueued, onClaimed) {
      let moved = 0;
      for (;;) {
        const batch = await fireBatch(onClaimed);
        moved += batch.fired;
        if (batch.send.rows.length > 0) onQueued(batch.send);
        if (batch.fired < deps.batchSize) return moved;
      }
    },
    async nextDueAt() {
      const [row] = await db.select({ at: min(escalations.dueAt) }).from(escalations).where(isNotNull(escalations.dueAt));
      return row?.at ?? null;
    },
  };
}

interface EscalationMove {
  readonly pageId: string;
  readonly cycle: number;
  readonly nextStep: number;
  readonly dueAt: Date | null;
}

/** Moves each ladder on, one statement for the whole batch; a ladder with nothing left to fire has run out now. */
async function moveEscalations(tx: DbTransaction, moves: readonly EscalationMove[], now: Date): Promise<void> {
  if (moves.length === 0) return;
  // One JSON parameter for every move: the statement's text is the same whatever their number.
  const values = JSON.stringify(moves.map((m) => ({ page_id: m.pageId, cycle: m.cycle, next_step: m.nextStep, due_at: m.dueAt?.toISOString() ?? null })));
  await tx.execute(sql`update ${escalations} set cycle = v.cycle, next_step = v.next_step, due_at = v.due_at,
      ran_out_at = case when v.due_at is null then ${now.toISOString()}::timestamptz else null end
    from jsonb_to_recordset(${values}::jsonb) as v(page_id uuid, cycle int, next_step int, due_at timestamptz) where ${escalations.pageId} = v.page_id`);
}
