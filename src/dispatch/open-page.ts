// Opening a page: one transaction writes the alert (PHI sealed), the page with the rules version
// that routed it, the escalation row, the first step's notifications into the outbox, and the
// audit events; for a batch of alerts at once (intake.ts). The HTTP answer goes out only after
// it commits.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, sql, type Column, type SQL } from 'drizzle-orm';
import type { AlertRecord, RosterLookup, RouteMatch, RuleSet } from '../../grammar/index.js';
import { appendAuditEventsWith, type AuditEvent } from '../audit/index.js';
import type { DbExecutor, DbTransaction } from '../db/index.js';
import { anyOf, tables, writeRows } from '../db/index.js';
import { firstPosition, storedPosition } from './ladder.js';
import type { ClaimedNotification, PageContext, SendBatch } from './outbox.js';
import { sealPhi } from './phi-vault.js';
import { planDueSteps, queueNotifications, type NotificationRow } from './steps.js';

const { alerts, pages, escalations } = tables;

export interface OpenPageDeps {
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

/**
 * Opens pages for several alerts in one transaction: a few multi-row statements and one audit
 * append, however many alerts. Answers in the order of `inputs`. The caller keeps two alerts
 * with the same dedup key or Idempotency-Key out of one batch (the second is the first's repeat
 * or replay, which only a later transaction can see); a unique violation means a concurrent
 * transaction took a key first, and the caller opens each alert again on its own.
 */
export async function openPages(tx: DbTransaction, deps: OpenPageDeps, inputs: readonly OpenPageInput[]): Promise<OpenPageResult[]> {
  const [replays, openByKey] = await Promise.all([findReplays(tx, inputs), lockOpenDuplicates(tx, inputs)]);
  const fresh = inputs.filter((input) => !replays.has(input));
  const audit: AuditEvent[] = [];
  const results = new Map<OpenPageInput, OpenPageResult>(replays);
  const pageRows: (typeof pages.$inferInsert)[] = [];
  const alertRows: (typeof alerts.$inferInsert)[] = [];
  const escalationRows: (typeof escalations.$inferInsert)[] = [];
  const notificationRows: NotificationRow[] = [];
  const repeatedPages: string[] = [];
  const opened: { input: OpenPageInput; pageId: string; alertId: string; context: PageContext; nextDueAt: Date | null }[] = [];

  for (const input of fresh) {
    const at = input.receivedAt;
    // This alert's events, appended with the batch's but each at this alert's own instant.
    const events: AuditEvent[] = [];
    const alertId = randomUUID();
    const actor = `source:${input.source}`;
    const open = input.dedupKey === null ? undefined : openByKey.get(sourceKey(input.source, input.dedupKey));
    if (open !== undefined) {
      alertRows.push(alertRow(deps, input, alertId, open.id, events).row);
      repeatedPages.push(open.id);
      events.push({ actor, kind: 'alert.repeated', subject: `page:${open.id}`, data: { alert: alertId } });
      audit.push(...events.map((e) => ({ ...e, at })));
      results.set(input, { kind: 'repeated', alertId, pageId: open.id, workflow: open.workflow, rulesVersion: open.rulesVersion });
      continue;
    }
    const pageId = randomUUID();
    const { match, ruleSet } = input;
    pageRows.push({
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
      unit: typeof input.alert['unit'] === 'string' && ruleSet.schema.fields['unit']?.phi !== true ? input.alert['unit'] : null,
    });
    const alert = alertRow(deps, input, alertId, pageId, events);
    alertRows.push(alert.row);
    events.push({ actor, kind: 'page.opened', subject: `page:${pageId}`, data: { alert: alertId, workflow: match.workflow, route: match.route, rulesVersion: ruleSet.version.hash, rulesGitCommit: ruleSet.version.gitCommit } });

    // Every step due at once fires in this transaction; the escalation row points at the next.
    const page = { id: pageId, routeOrder: match.order, openedAt: at, acknowledged: false };
    const route = ruleSet.routes[match.order]!;
    const planned = planDueSteps(page, firstPosition(route), at, { ruleSet, roster: input.roster, leaseMs: deps.leaseMs });
    notificationRows.push(...planned.rows);
    escalationRows.push({ pageId, ...storedPosition(route, planned.next, 0), dueAt: planned.dueAt, ranOutAt: planned.dueAt === null ? at : null });
    events.push(...planned.events);
    audit.push(...events.map((e) => ({ ...e, at })));
    const context = { id: pageId, status: 'open' as const, workflow: match.workflow, routeOrder: match.order, rulesVersion: ruleSet.version.hash, openedAt: at, fields: alert.fields, phi: alert.phi };
    opened.push({ input, pageId, alertId, context, nextDueAt: planned.dueAt });
  }

  // Sent together (the pages first: the other rows refer to them), the batch's one audit append
  // pipelined behind them. Of these writes only the inserts can wait on another transaction (a
  // dedup key or Idempotency-Key it is writing too), and they go before the append; those sent
  // after it (the repeated pages' count, the fallen-back pages' flag) touch pages this
  // transaction holds already, locked above or new.
  const written = await appendAuditEventsWith(
    tx,
    deps.auditKey,
    audit,
    inputs[0]!.receivedAt,
    [
      writeRows(tx, pages, pageRows),
      writeRows(tx, alerts, alertRows),
      repeatedPages.length === 0 ? Promise.resolve() : tx.update(pages).set({ alertCount: sql`${pages.alertCount} + 1` }).where(anyOf(pages.id, repeatedPages)),
      queueNotifications(tx, notificationRows),
      writeRows(tx, escalations, escalationRows),
    ],
    { pipelined: true },
  );
  const queued = written[3];

  const queuedByPage = new Map<string, ClaimedNotification[]>();
  for (const n of queued) {
    const ofPage = queuedByPage.get(n.pageId) ?? [];
    ofPage.push(n);
    queuedByPage.set(n.pageId, ofPage);
  }
  for (const o of opened) {
    results.set(o.input, {
      kind: 'opened',
      alertId: o.alertId,
      pageId: o.pageId,
      workflow: o.input.match.workflow,
      rulesVersion: o.input.ruleSet.version.hash,
      send: { rows: queuedByPage.get(o.pageId) ?? [], pages: new Map([[o.pageId, o.context]]) },
      nextDueAt: o.nextDueAt,
    });
  }
  return inputs.map((input) => results.get(input)!);
}

/** The alert a source sent before with this Idempotency-Key, and its page; null when it is new. */
export async function findIdempotent(db: DbExecutor, source: string, key: string): Promise<(AlertOutcome & { readonly kind: 'replayed' }) | null> {
  const [row] = await db
    .select({ alertId: alerts.id, pageId: pages.id, workflow: pages.workflow, rulesVersion: pages.rulesVersion })
    .from(alerts)
    .innerJoin(pages, eq(pages.id, alerts.pageId))
    .where(and(eq(alerts.source, source), eq(alerts.idempotencyKey, key)));
  return row === undefined ? null : { kind: 'replayed', ...row };
}

/** The inputs whose Idempotency-Key was seen before, with the first answer. One statement. */
async function findReplays(tx: DbTransaction, inputs: readonly OpenPageInput[]): Promise<Map<OpenPageInput, OpenPageResult>> {
  const keyed = inputs.filter((i) => i.idempotencyKey !== null);
  if (keyed.length === 0) return new Map();
  const seen = await tx
    .select({ source: alerts.source, key: alerts.idempotencyKey, alertId: alerts.id, pageId: pages.id, workflow: pages.workflow, rulesVersion: pages.rulesVersion })
    .from(alerts)
    .innerJoin(pages, eq(pages.id, alerts.pageId))
    .where(sourceKeyIn(alerts.source, alerts.idempotencyKey, keyed.map((i) => [i.source, i.idempotencyKey!])));
  const byKey = new Map(seen.map(({ source, key, ...outcome }) => [sourceKey(source, key ?? ''), outcome]));
  const replays = new Map<OpenPageInput, OpenPageResult>();
  for (const input of keyed) {
    const outcome = byKey.get(sourceKey(input.source, input.idempotencyKey!));
    if (outcome !== undefined) replays.set(input, { kind: 'replayed', ...outcome });
  }
  return replays;
}

/** The unresolved pages that already carry these inputs' dedup keys, locked until the commit. */
async function lockOpenDuplicates(tx: DbTransaction, inputs: readonly OpenPageInput[]): Promise<Map<string, { id: string; workflow: string; rulesVersion: string }>> {
  const keyed = inputs.filter((i) => i.dedupKey !== null);
  if (keyed.length === 0) return new Map();
  const open = await tx
    .select({ id: pages.id, source: pages.source, dedupKey: pages.dedupKey, workflow: pages.workflow, rulesVersion: pages.rulesVersion })
    .from(pages)
    .where(and(sourceKeyIn(pages.source, pages.dedupKey, keyed.map((i) => [i.source, i.dedupKey!])), ne(pages.status, 'resolved')))
    // Locked in one order, so two batches that share pages cannot wait on each other.
    .orderBy(pages.id)
    // NO KEY UPDATE: the foreign keys of notifications being written for this page meanwhile need KEY SHARE.
    .for('no key update');
  return new Map(open.map(({ source, dedupKey, ...page }) => [sourceKey(source, dedupKey ?? ''), page]));
}

/**
 * `(source, key) in ((…), …)`: the rows of these sources' keys, one statement for the batch.
 * The list is padded to a power of two with its last pair repeated, so that batches of every
 * size share a few statement texts, each prepared once per connection (src/db/prepared-statements.ts).
 * A list of equalities, not a join on a JSON recordset: it is what lets the partial unique
 * indexes on these keys serve the lookup. Exported for its test.
 */
export function sourceKeyIn(source: Column, key: Column, pairs: readonly (readonly [string, string])[]): SQL {
  const padded = [...pairs];
  while ((padded.length & (padded.length - 1)) !== 0) padded.push(pairs[pairs.length - 1]!);
  return sql`(${source}, ${key}) in (${sql.join(
    padded.map(([s, k]) => sql`(${s}, ${k})`),
    sql`, `,
  )})`;
}

/** One string per (source, dedup key or Idempotency-Key): the same key from two sources is two keys. */
export function sourceKey(source: string, key: string): string {
  return JSON.stringify([source, key]);
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

/** The alert's row, its audit event, and its clear fields and sealed PHI, as the page's context carries them. */
function alertRow(
  deps: OpenPageDeps,
  input: OpenPageInput,
  alertId: string,
  pageId: string,
  audit: AuditEvent[],
): { row: typeof alerts.$inferInsert; fields: Record<string, string | number>; phi: string | null } {
  const { clear, phi } = splitFields(input);
  const sealed = Object.keys(phi).length === 0 ? null : sealPhi(deps.phiKey, phi);
  audit.push({ actor: `source:${input.source}`, kind: 'alert.received', subject: `alert:${alertId}`, data: { page: pageId, fields: Object.keys(clear).length, phiFields: Object.keys(phi).length } });
  return {
    row: { id: alertId, source: input.source, receivedAt: input.receivedAt, dedupKey: input.dedupKey, idempotencyKey: input.idempotencyKey, fields: clear, phi: sealed, pageId },
    fields: clear,
    phi: sealed,
  };
}
