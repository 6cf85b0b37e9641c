// Opening a page: one transaction writes the alert (PHI sealed), the page with the rules version
// that routed it, the escalation row, the first step's notifications into the outbox, and the
// audit events. The HTTP answer goes out only after it commits.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { AlertRecord, RosterLookup, RouteMatch, RuleSet } from '../../grammar/index.js';
import { appendAuditEvents, type AuditEvent } from '../audit/index.js';
import type { Db, DbTransaction } from '../db/index.js';
import { tables } from '../db/index.js';
import { firstPosition, storedPosition } from './ladder.js';
import type { SendBatch } from './outbox.js';
import { sealPhi } from './phi-vault.js';
import { planDueSteps, queueNotifications } from './steps.js';

const { alerts, pages, escalations } = tables;

export interface OpenPageDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly phiKey: Buffer;
  readonly leaseMs: number;
}

export interface OpenPageInput {
  readonly source: string;
  readonly dedupKey: string | null;
  readonly idempotencyKey: string | null;
  readonly alert: AlertRecord;
  /** The rule set that matched, and what it decided. */
  readonly ruleSet: RuleSet;
  readonly match: RouteMatch;
  readonly roster: RosterLookup;
  readonly receivedAt: Date;
}

/** The page an alert went to, as the answer names it: the workflow and rules version that routed the page. */
export interface AlertOutcome {
  readonly alertId: string;
  readonly pageId: string;
  readonly workflow: string;
  readonly rulesVersion: string;
}

export type OpenPageResult =
  /** A new page: its first steps' notifications are in the outbox, to send at once. */
  | (AlertOutcome & { readonly kind: 'opened'; readonly send: SendBatch; readonly nextDueAt: Date | null })
  /** An unresolved page already had this dedup key: the alert is counted on it, nobody is paged again. */
  | (AlertOutcome & { readonly kind: 'repeated' })
  /** The same Idempotency-Key was seen before: the first answer, again. */
  | (AlertOutcome & { readonly kind: 'replayed' });

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

/** The alert a source sent before with this Idempotency-Key, and its page; null when it is new. */
export async function findIdempotent(db: Db, source: string, key: string): Promise<(AlertOutcome & { readonly kind: 'replayed' }) | null> {
  const [row] = await db
    .select({ alertId: alerts.id, pageId: pages.id, workflow: pages.workflow, rulesVersion: pages.rulesVersion })
    .from(alerts)
    .innerJoin(pages, eq(pages.id, alerts.pageId))
    .where(and(eq(alerts.source, source), eq(alerts.idempotencyKey, key)));
  return row === undefined ? null : { kind: 'replayed', ...row };
}

async function openOrRepeat(tx: DbTransaction, deps: OpenPageDeps, input: OpenPageInput): Promise<OpenPageResult> {
  const at = input.receivedAt;
  const alertId = randomUUID();
  const audit: AuditEvent[] = [];
  const actor = `source:${input.source}`;

  if (input.dedupKey !== null) {
    const [open] = await tx
      .select({ id: pages.id, workflow: pages.workflow, rulesVersion: pages.rulesVersion })
      .from(pages)
      .where(and(eq(pages.source, input.source), eq(pages.dedupKey, input.dedupKey), ne(pages.status, 'resolved')))
      // NO KEY UPDATE: the foreign keys of notifications being written for this page meanwhile need KEY SHARE.
      .for('no key update');
    if (open !== undefined) {
      await insertAlert(tx, deps, input, alertId, open.id, audit);
      await tx.update(pages).set({ alertCount: sql`${pages.alertCount} + 1` }).where(eq(pages.id, open.id));
      audit.push({ actor, kind: 'alert.repeated', subject: `page:${open.id}`, data: { alert: alertId } });
      await appendAuditEvents(tx, deps.auditKey, audit, at);
      return { kind: 'repeated', alertId, pageId: open.id, workflow: open.workflow, rulesVersion: open.rulesVersion };
    }
  }

  const pageId = randomUUID();
  const { match, ruleSet } = input;
  await tx.insert(pages).values({
    id: pageId,
    source: input.source,
    dedupKey: input.dedupKey,
    alertId,
    workflow: match.workflow,
    route: match.route,
    routeOrder: match.order,
    rulesVersion: ruleSet.version.hash,
    rulesGitCommit: ruleSet.version.gitCommit,
    status: 'open',
    openedAt: at,
    unit: typeof input.alert['unit'] === 'string' && input.ruleSet.schema.fields['unit']?.phi !== true ? input.alert['unit'] : null,
  });
  const { fields, phi } = await insertAlert(tx, deps, input, alertId, pageId, audit);
  audit.push({ actor, kind: 'page.opened', subject: `page:${pageId}`, data: { alert: alertId, workflow: match.workflow, route: match.route, rulesVersion: ruleSet.version.hash, rulesGitCommit: ruleSet.version.gitCommit } });

  // Every step due at once fires in this transaction; the escalation row points at the next.
  const page = { id: pageId, routeOrder: match.order, openedAt: at, acknowledged: false };
  const route = ruleSet.routes[match.order]!;
  const planned = planDueSteps(page, firstPosition(route), at, { ruleSet, roster: input.roster, leaseMs: deps.leaseMs });
  const rows = await queueNotifications(tx, planned.rows);
  await tx.insert(escalations).values({ pageId, ...storedPosition(route, planned.next, 0), dueAt: planned.dueAt, ranOutAt: planned.dueAt === null ? at : null });
  audit.push(...planned.events);
  await appendAuditEvents(tx, deps.auditKey, audit, at);
  const context = { id: pageId, status: 'open' as const, workflow: match.workflow, routeOrder: match.order, rulesVersion: ruleSet.version.hash, openedAt: at, fields, phi };
  return { kind: 'opened', alertId, pageId, workflow: match.workflow, rulesVersion: ruleSet.version.hash, send: { rows, pages: new Map([[pageId, context]]) }, nextDueAt: planned.dueAt };
}

/** The alert's fields, PHI apart from the rest. */
function splitFields(input: OpenPageInput): { clear: Record<string, string | number>; phi: Record<string, string | number> } {
  const clear: Record<string, string | number> = {};
  const phi: Record<string, string | number> = {};
  for (const [path, value] of Object.entries(input.alert)) {
    if (value === undefined) continue;
    (input.ruleSet.schema.fields[path]?.phi === true ? phi : clear)[path] = value;
  }
  return { clear, phi };
}

/** Writes the alert; returns its clear fields and its sealed PHI, as the page's context carries them. */
async function insertAlert(
  tx: DbTransaction,
  deps: OpenPageDeps,
  input: OpenPageInput,
  alertId: string,
  pageId: string,
  audit: AuditEvent[],
): Promise<{ fields: Record<string, string | number>; phi: string | null }> {
  const { clear, phi } = splitFields(input);
  const sealed = Object.keys(phi).length === 0 ? null : sealPhi(deps.phiKey, phi);
  await tx.insert(alerts).values({
    id: alertId,
    source: input.source,
    receivedAt: input.receivedAt,
    dedupKey: input.dedupKey,
    idempotencyKey: input.idempotencyKey,
    fields: clear,
    phi: sealed,
    pageId,
  });
  audit.push({ actor: `source:${input.source}`, kind: 'alert.received', subject: `alert:${alertId}`, data: { page: pageId, fields: Object.keys(clear).length, phiFields: Object.keys(phi).length } });
  return { fields: clear, phi: sealed };
}

function isUniqueViolation(e: unknown): boolean {
  for (let err: unknown = e; err instanceof Error || (typeof err === 'object' && err !== null); err = (err as { cause?: unknown }).cause) {
    if ((err as { code?: unknown }).code === '23505') return true;
    if ((err as { cause?: unknown }).cause === undefined) break;
  }
  return false;
}
