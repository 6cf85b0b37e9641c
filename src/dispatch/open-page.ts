// Opening a page: one transaction writes the alert (PHI sealed), the page with the rules version
// that routed it, the escalation row, the first step's notifications into the outbox, and the
// audit events. The HTTP answer goes out only after it commits.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AlertRecord, CompiledRoute, CompiledSchema, RouteMatch, RulesVersion } from '../../grammar/index.js';
import { appendAudit } from '../audit/index.js';
import type { Db, DbTransaction } from '../db/index.js';
import { tables } from '../db/index.js';
import { sealPhi } from './phi-vault.js';

const { alerts, pages, escalations, notifications } = tables;

export interface OpenPageDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly phiKey: Buffer;
}

export interface OpenPageInput {
  readonly source: string;
  readonly dedupKey: string | null;
  readonly idempotencyKey: string | null;
  readonly alert: AlertRecord;
  readonly schema: CompiledSchema;
  readonly match: RouteMatch;
  readonly route: CompiledRoute;
  readonly rulesVersion: RulesVersion;
  readonly receivedAt: Date;
}

export type OpenPageResult =
  /** A new page, with its first step in the outbox. */
  | { readonly kind: 'opened'; readonly alertId: string; readonly pageId: string }
  /** An open page already had this dedup key: the alert is counted on it, nobody is paged again. */
  | { readonly kind: 'repeated'; readonly alertId: string; readonly pageId: string }
  /** The same Idempotency-Key was seen before: the first answer, again. */
  | { readonly kind: 'replayed'; readonly alertId: string; readonly pageId: string };

/** Where the ladder goes after (cycle, step): the next step, its offset from the page opening. */
export function stepAfter(route: CompiledRoute, cycle: number, step: number): { cycle: number; step: number; offsetMs: number } | null {
  const at = (c: number, s: number) => ({ cycle: c, step: s, offsetMs: c * (route.repeat?.everyMs ?? 0) + route.steps[s]!.delayMs });
  if (step + 1 < route.steps.length) return at(cycle, step + 1);
  if (route.repeat !== null && cycle < route.repeat.times) return at(cycle + 1, 0);
  return null;
}

export async function openPage(deps: OpenPageDeps, input: OpenPageInput): Promise<OpenPageResult> {
  if (input.idempotencyKey !== null) {
    const seen = await findIdempotent(deps.db, input.source, input.idempotencyKey);
    if (seen !== null) return seen;
  }
  try {
    return await deps.db.transaction((tx) => openOrRepeat(tx, deps, input));
  } catch (e) {
    // Two requests raced: one with the same Idempotency-Key, or the same dedup key, committed
    // first. Their answer is ours now.
    if (!isUniqueViolation(e)) throw e;
    if (input.idempotencyKey !== null) {
      const seen = await findIdempotent(deps.db, input.source, input.idempotencyKey);
      if (seen !== null) return seen;
    }
    return deps.db.transaction((tx) => openOrRepeat(tx, deps, input));
  }
}

async function findIdempotent(db: Db, source: string, key: string): Promise<OpenPageResult | null> {
  const [row] = await db.select({ id: alerts.id, pageId: alerts.pageId }).from(alerts).where(and(eq(alerts.source, source), eq(alerts.idempotencyKey, key)));
  return row === undefined ? null : { kind: 'replayed', alertId: row.id, pageId: row.pageId! };
}

async function openOrRepeat(tx: DbTransaction, deps: OpenPageDeps, input: OpenPageInput): Promise<OpenPageResult> {
  const at = input.receivedAt;
  const alertId = randomUUID();
  const audit = (kind: string, subject: string, data: Parameters<typeof appendAudit>[2]['data']) =>
    appendAudit(tx, deps.auditKey, { actor: `source:${input.source}`, kind, subject, data }, at);

  if (input.dedupKey !== null) {
    const [open] = await tx
      .select({ id: pages.id })
      .from(pages)
      .where(and(eq(pages.source, input.source), eq(pages.dedupKey, input.dedupKey), eq(pages.status, 'open')))
      .for('update');
    if (open !== undefined) {
      await insertAlert(tx, deps, input, alertId, open.id);
      await tx.update(pages).set({ alertCount: sql`${pages.alertCount} + 1` }).where(eq(pages.id, open.id));
      await audit('alert.repeated', `page:${open.id}`, { alert: alertId });
      return { kind: 'repeated', alertId, pageId: open.id };
    }
  }

  const pageId = randomUUID();
  const { match, route } = input;
  await tx.insert(pages).values({
    id: pageId,
    source: input.source,
    dedupKey: input.dedupKey,
    workflow: match.workflow,
    route: match.route,
    routeOrder: match.order,
    rulesVersion: input.rulesVersion.hash,
    rulesGitCommit: input.rulesVersion.gitCommit,
    status: 'open',
    openedAt: at,
  });
  await insertAlert(tx, deps, input, alertId, pageId);
  await audit('page.opened', `page:${pageId}`, { alert: alertId, workflow: match.workflow, route: match.route, rulesVersion: input.rulesVersion.hash, rulesGitCommit: input.rulesVersion.gitCommit });

  // Fire every first-cycle step due at once; the escalation row points at the next one.
  let next: { cycle: number; step: number; offsetMs: number } | null = route.steps.length === 0 ? null : { cycle: 0, step: 0, offsetMs: route.steps[0]!.delayMs };
  while (next !== null && next.offsetMs === 0) {
    const step = match.steps[next.step]!;
    if (!step.active) {
      await audit('step.skipped', `page:${pageId}`, { cycle: 0, step: next.step, reason: 'outside its time window' });
    } else {
      const rows = step.notifications.flatMap((n) => {
        const people = n.people.length > 0 ? n.people.map((p) => p.id) : n.target.kind === 'role' ? [] : [''];
        return people.flatMap((personId) =>
          n.channels.map((channel) => ({
            pageId,
            cycle: 0,
            step: next!.step,
            target: n.target.name,
            personId,
            channel,
            status: 'queued' as const,
            createdAt: at,
            standsInFor: n.standsInFor.map((s) => s.role).join(',') || null,
          })),
        );
      });
      if (rows.length > 0) await tx.insert(notifications).values(rows).onConflictDoNothing();
      await audit('step.fired', `page:${pageId}`, { cycle: 0, step: next.step, notifications: rows.length, channels: [...new Set(rows.map((r) => r.channel))] });
      const unstaffed = step.notifications.filter((n) => n.target.kind === 'role' && n.people.length === 0).map((n) => n.target.name);
      if (unstaffed.length > 0) await audit('step.unstaffed', `page:${pageId}`, { cycle: 0, step: next.step, roles: unstaffed });
    }
    next = stepAfter(route, next.cycle, next.step);
  }
  await tx.insert(escalations).values({
    pageId,
    cycle: next?.cycle ?? 0,
    nextStep: next?.step ?? route.steps.length,
    dueAt: next === null ? null : new Date(at.getTime() + next.offsetMs),
  });
  return { kind: 'opened', alertId, pageId };
}

async function insertAlert(tx: DbTransaction, deps: OpenPageDeps, input: OpenPageInput, alertId: string, pageId: string): Promise<void> {
  const clear: Record<string, string | number> = {};
  const phi: Record<string, string | number> = {};
  for (const [path, value] of Object.entries(input.alert)) {
    if (value === undefined) continue;
    (input.schema.fields[path]?.phi === true ? phi : clear)[path] = value;
  }
  await tx.insert(alerts).values({
    id: alertId,
    source: input.source,
    receivedAt: input.receivedAt,
    dedupKey: input.dedupKey,
    idempotencyKey: input.idempotencyKey,
    fields: clear,
    phi: Object.keys(phi).length === 0 ? null : sealPhi(deps.phiKey, phi),
    pageId,
  });
  await appendAudit(tx, deps.auditKey, { actor: `source:${input.source}`, kind: 'alert.received', subject: `alert:${alertId}`, data: { page: pageId, fields: Object.keys(clear).length, phiFields: Object.keys(phi).length } }, input.receivedAt);
}

function isUniqueViolation(e: unknown): boolean {
  for (let err: unknown = e; err instanceof Error || (typeof err === 'object' && err !== null); err = (err as { cause?: unknown }).cause) {
    if ((err as { code?: unknown }).code === '23505') return true;
    if ((err as { cause?: unknown }).cause === undefined) break;
  }
  return false;
}
