// The outbox: notifications written by a step's transaction, sent to the channels after it
// commits. They are born claimed by the process that wrote them (status `sending`, a lease), and
// it sends them at once, with what it already knows of the page; a sweeper on every replica
// takes what nobody sent: a dead process's leftovers once their lease passes, retries that fell
// due. The sweeper claims with SKIP LOCKED (attempts + 1, a new lease), so two replicas never
// claim the same row. Results are written only while the claim is still the claimer's (same
// attempt, still `sending`), so a late answer never overwrites a newer one.
import { and, eq, inArray, isNull, lt, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { RuleSet } from '../../grammar/index.js';
import { appendAuditEventsWith, type AuditEvent } from '../audit/index.js';
import { ackCodePlaceholder, ackLinkLifetimeMs, ackLinkToken, phiGuard, type ChannelMessage, type ChannelSet, type DeliveryResult, type OutboundNotification, type PhiLeak, type Recipient } from '../channels/index.js';
import { rowsOf, type Db, type DbTransaction } from '../db/index.js';
import { anyOf, tables } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import type { DispatchMetrics } from './metrics.js';
import { errorFields } from '../log-fields.js';
import { failoverChannel, failoverRow } from './failover.js';
import { positionAfter, offsetOf } from './ladder.js';
import { openPhi } from './phi-vault.js';
import { queueNotifications } from './steps.js';

const { notifications, pages, alerts } = tables;

export interface RetryPolicy {
  readonly maxAttempts: number;
  /** Wait before attempt `n + 1` after attempt `n` failed. */
  backoffMs(attempt: number): number;
}

/** 5 s, 15 s, 45 s, 2¼ min, 5 min: six attempts over about nine minutes, then failed. */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  backoffMs: (attempt) => Math.min(5_000 * 3 ** (attempt - 1), 300_000),
};

export interface OutboxDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  /** Opens the alert's PHI for the PHI guard's look at each text. */
  readonly phiKey: Buffer;
  /** Signs the acknowledge links in texts and push notifications. */
  readonly ackLinkKey: Buffer;
  readonly channels: ChannelSet;
  readonly rules: RulesRegistry;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics: DispatchMetrics;
  readonly publicBaseUrl: () => string;
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  /** A record of outcomes starts this long after the one before at the soonest (DispatchTuning.writeSpacingMs). */
  readonly writeSpacingMs: number;
}

export interface Outbox {
  /** Sends notifications this process has just written, claimed. */
  sendClaimed(batch: SendBatch): Promise<number>;
  /** Claims and sends what is due: retries, and rows a dead process left. Returns how many it took. */
  sweep(): Promise<number>;
  /** When the sweeper next has something to do, or null. */
  nextDueAt(): Promise<Date | null>;
}

/** An outbox row this process holds the lease of: it is the one to send it. */
export type ClaimedNotification = typeof notifications.$inferSelect;
type Claimed = ClaimedNotification;
/** What became of one send: the channel's answer, or cancelled before it was sent. */
type SendResult = DeliveryResult | { readonly status: 'cancelled'; readonly reason: string };

/** The columns a PageContext is read from (pages joined with their opening alert). */
export const pageContextColumns = {
  id: pages.id,
  status: pages.status,
  workflow: pages.workflow,
  routeOrder: pages.routeOrder,
  rulesVersion: pages.rulesVersion,
  openedAt: pages.openedAt,
  fields: alerts.fields,
  phi: alerts.phi,
};

/** Notifications a transaction wrote, claimed, with what their sender needs to know of their pages. */
export interface SendBatch {
  readonly rows: readonly ClaimedNotification[];
  readonly pages: ReadonlyMap<string, PageContext>;
}

/** What sending needs to know of a page. */
export interface PageContext {
  readonly id: string;
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly workflow: string;
  readonly routeOrder: number;
  readonly rulesVersion: string;
  readonly openedAt: Date;
  /** The alert's non-PHI fields: all the channels' templates may use. */
  readonly fields: Record<string, string | number>;
  /** The alert's PHI, sealed: opened only for the PHI guard. */
  readonly phi: string | null;
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { db } = deps;

  const claim = async (where: ReturnType<typeof and>): Promise<Claimed[]> => {
    const now = deps.clock();
    const candidates = db.select({ id: notifications.id }).from(notifications).where(where).orderBy(notifications.nextAttemptAt).limit(deps.batchSize).for('update', { skipLocked: true });
    return db
      .update(notifications)
      .set({ status: 'sending', attempts: sql`${notifications.attempts} + 1`, leaseUntil: new Date(now.getTime() + deps.leaseMs), updatedAt: now })
      .where(inArray(notifications.id, candidates))
      .returning();
  };

  type Outcome = {
    readonly n: Claimed;
    readonly result: SendResult;
    readonly handedAt: Date | null;
    /** The PHI guard refused the text: recorded as an incident. */
    readonly leak?: PhiLeak;
  };

  /**
   * Records outcomes and audits them, in one transaction and one UPDATE. An outcome is written
   * only while the claim is still its sender's (still `sending`, same attempt): a send that
   * outlived its lease does not overwrite the attempt that took over.
   */
  const writeOutcomes = async (outcomes: readonly Outcome[]): Promise<Claimed[]> => {
    const now = deps.clock();
    const planned = outcomes.map(({ n, result, leak }) => ({ n, leak, set: resultColumns(n, result, now, deps.retry) }));
    const iso = (d: Date | undefined) => d?.toISOString() ?? null;
    // One JSON parameter for every outcome: the statement's text is the same whatever their number.
    const values = JSON.stringify(
      planned.map(({ n, set }) => ({
        id: n.id,
        attempts: n.attempts,
        status: set.status,
        provider_id: set.providerId ?? null,
        error: set.error,
        sent_at: iso('sentAt' in set ? set.sentAt : undefined),
        delivered_at: iso('deliveredAt' in set ? set.deliveredAt : undefined),
        next_attempt_at: iso('nextAttemptAt' in set ? set.nextAttemptAt : undefined),
      })),
    );
    return db.transaction(async (tx) => {
      // A status callback that came while the send was still being recorded has its say: one
      // that reported delivery keeps the notification delivered, and one that reported every
      // delivery failed makes it failed (and so fail over), however the channel answered.
      const result = await tx.execute(sql`update ${notifications} as n set
          status = case when v.status = 'sent' and f.all_failed then 'failed' when v.status = 'sent' and n.delivered_at is not null then 'delivered' else v.status end,
          provider_id = coalesce(v.provider_id, n.provider_id),
          error = case when v.status = 'sent' and f.all_failed then 'every delivery failed, as the provider reported' else v.error end,
          sent_at = coalesce(v.sent_at, n.sent_at), delivered_at = coalesce(v.delivered_at, n.delivered_at),
          next_attempt_at = coalesce(v.next_attempt_at, n.next_attempt_at), lease_until = null, updated_at = ${now.toISOString()}::timestamptz
        from jsonb_to_recordset(${values}::jsonb) as v(id bigint, attempts int, status text, provider_id text, error text, sent_at timestamptz, delivered_at timestamptz, next_attempt_at timestamptz)
          cross join lateral (select coalesce(bool_and(d.status = 'failed'), false) as all_failed from ${tables.deliveries} d where d.notification_id = v.id) as f
        where n.id = v.id and n.status = 'sending' and n.attempts = v.attempts
        returning n.id, n.status`);
      const writtenRows = rowsOf<{ id: string | number; status: string }>(result);
      const written = new Set(writtenRows.map((r) => Number(r.id)));
      const failedAfterAll = new Set(writtenRows.filter((r) => r.status === 'failed').map((r) => Number(r.id)));
      const audit: AuditEvent[] = [];
      // The legacy pager going off before anyone acknowledged: how much the parallel stage still leans on it.
      const pagerPages = [...new Set(planned.filter(({ n, set }) => n.channel === 'pager' && written.has(n.id) && (set.status === 'sent' || set.status === 'delivered')).map(({ n }) => n.pageId))];
      const pagerWrite = pagerPages.length === 0 ? Promise.resolve() : tx.update(pages).set({ pagerBeforeAck: true }).where(and(anyOf(pages.id, pagerPages), isNull(pages.acknowledgedAt)));
      const takeOver: NonNullable<ReturnType<typeof failoverRow>>[] = [];
      for (const { n, set, leak } of planned) {
        if (!written.has(n.id)) {
          deps.log.warn({ notification: n.id }, 'a send finished after its lease passed; the newer attempt stands');
          continue;
        }
        if (leak !== undefined) {
          // The field's name, never its value: the audit trail carries no PHI either.
          audit.push({ actor: 'system', kind: 'phi.guard.refused', subject: `page:${n.pageId}`, data: { notification: n.id, channel: n.channel, field: leak.field } });
          deps.log.warn({ notification: n.id, channel: n.channel, field: leak.field }, 'the PHI guard refused a message');
          deps.metrics.phiGuardRefusals.inc({ channel: n.channel });
        }
        const failover = set.status === 'failed' || failedAfterAll.has(n.id) ? failoverRow(n, now, deps.leaseMs) : null;
        if (failover !== null) takeOver.push(failover);
        audit.push({
          actor: 'system',
          kind: `notification.${failedAfterAll.has(n.id) ? 'failed' : set.status === 'queued' ? 'retrying' : set.status}`,
          subject: `page:${n.pageId}`,
          data: {
            notification: n.id,
            channel: n.channel,
            attempt: n.attempts,
            ...(set.providerId === undefined ? {} : { providerId: set.providerId }),
            ...(set.error === null ? {} : { error: set.error }),
          },
        });
      }
      // Only a page still open fails over: after an acknowledgement nobody else needs calling.
      const open = takeOver.length === 0 ? new Set<string>() : await openPages(tx, takeOver.map((f) => f.pageId));
      const failovers = await queueNotifications(tx, takeOver.filter((f) => open.has(f.pageId)));
      for (const f of failovers) audit.push({ actor: 'system', kind: 'notification.failed-over', subject: `page:${f.pageId}`, data: { notification: f.id, channel: f.channel, person: f.personId, cycle: f.cycle, step: f.step } });
      await appendAuditEventsWith(tx, deps.auditKey, audit, now, [pagerWrite]);
      return failovers;
    });
  };

  // Each outcome is recorded as soon as its send returns, so a crash loses the record of the
  // sends in flight only, not of a whole batch waiting for its slowest send. Outcomes share a
  // transaction when they arrive together: within one turn of the event loop, while the
  // previous write is still committing (group commit: the busier, the bigger the batches), or
  // within `writeSpacingMs` of its start (a steady rate, where each would otherwise commit alone).
  let waiting: { outcome: Outcome; done: (e: unknown, failovers: readonly Claimed[]) => void }[] = [];
  let writing = false;
  /** When the last write started, on the monotonic clock: spacing is about load, not the hospital's time. */
  let lastWriteAt = -Infinity;
  let spaced: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (writing || waiting.length === 0 || spaced !== null) return;
    const wait = lastWriteAt + deps.writeSpacingMs - performance.now();
    if (wait > 0) {
      // Timers count whole milliseconds: when it goes off, the spacing is what it waited.
      spaced = setTimeout(() => {
        spaced = null;
        write();
      }, wait);
      return;
    }
    write();
  };
  const write = (): void => {
    lastWriteAt = performance.now();
    writing = true;
    const batch = waiting;
    waiting = [];
    writeOutcomes(batch.map((w) => w.outcome))
      .then(
        (failovers) => batch.forEach((w) => w.done(undefined, failovers.filter((f) => takesOverFrom(f, w.outcome.n)))),
        (e: unknown) => batch.forEach((w) => w.done(e ?? new Error('recording outcomes failed'), [])),
      )
      .finally(() => {
        writing = false;
        flush();
      });
  };
  /** Records an outcome; answers the notifications that take over from it when it failed. */
  const record = (outcome: Outcome): Promise<readonly Claimed[]> =>
    new Promise<readonly Claimed[]>((resolve, reject) => {
      waiting.push({ outcome, done: (e, failovers) => (e === undefined ? resolve(failovers) : reject(e)) });
      if (waiting.length === 1) setImmediate(flush);
    });

  const sendOne = async (n: Claimed, page: PageContext): Promise<Outcome> => {
    try {
      const ruleSet = await deps.rules.byVersion(page.rulesVersion);
      const route = ruleSet.routes[page.routeOrder]!;
      if (page.status === 'resolved') return { n, result: { status: 'cancelled', reason: 'the page was resolved' }, handedAt: null };
      if (page.status === 'acknowledged' && route.steps[n.step]!.unlessAcked) return { n, result: { status: 'cancelled', reason: 'the page was acknowledged' }, handedAt: null };
      const { outbound, ownText } = toOutbound(ruleSet, page, n, deps.publicBaseUrl(), deps.ackLinkKey, deps.clock());
      const leak = page.phi === null ? null : phiGuard(openPhi(deps.phiKey, page.phi))(ownText);
      if (leak !== null) return { n, result: { status: 'failed', error: `refused by the PHI guard: the ${n.channel} text holds the value of a PHI field (${leak.field})` }, handedAt: null, leak };
      const handedAt = deps.clock();
      return { n, result: await deps.channels[n.channel].send(outbound), handedAt };
    } catch (e) {
      // A channel that throws broke its promise; treat it as worth retrying, and say so.
      deps.log.error({ notification: n.id, channel: n.channel, ...errorFields(e) }, 'channel threw');
      return { n, result: { status: 'retry', error: `the channel failed: ${(e as Error).name}` }, handedAt: null };
    }
  };

  const loadPages = async (claimed: readonly Claimed[]): Promise<Map<string, PageContext>> => {
    const context = await db
      .select(pageContextColumns)
      .from(pages)
      .innerJoin(alerts, eq(alerts.id, pages.alertId))
      .where(anyOf(pages.id, [...new Set(claimed.map((n) => n.pageId))]));
    return new Map(context.map((p) => [p.id, p]));
  };

  const deliver = async (claimed: readonly Claimed[], byPage: ReadonlyMap<string, PageContext>): Promise<number> => {
    if (claimed.length === 0) return 0;

    const outcomes = await Promise.all(
      claimed.map(async (n) => {
        const outcome = await sendOne(n, byPage.get(n.pageId)!);
        const failovers = await record(outcome);
        // The next channel goes out at once, by the same hands, with what is known of the page.
        if (failovers.length > 0) await deliver(failovers, byPage);
        return outcome;
      }),
    );

    // The figure physicians wait on: from the alert's arrival to its first notification handed to a channel.
    const firstOfPage = new Map<string, Date>();
    for (const { n, result, handedAt } of outcomes) {
      deps.metrics.notifications.inc({ channel: n.channel, outcome: result.status });
      if (handedAt === null || n.attempts !== 1 || n.cycle !== 0) continue;
      const page = byPage.get(n.pageId)!;
      if (n.createdAt.getTime() !== page.openedAt.getTime()) continue;
      const seen = firstOfPage.get(n.pageId);
      if (seen === undefined || handedAt < seen) firstOfPage.set(n.pageId, handedAt);
    }
    for (const [pageId, handedAt] of firstOfPage) deps.metrics.alertToChannel.observe((handedAt.getTime() - byPage.get(pageId)!.openedAt.getTime()) / 1000);
    return claimed.length;
  };

  return {
    sendClaimed: (batch) => deliver(batch.rows, batch.pages),
    async sweep() {
      const now = deps.clock();
      let taken = 0;
      for (;;) {
        const due = await claim(and(eq(notifications.status, 'queued'), lte(notifications.nextAttemptAt, now)));
        const abandoned = due.length < deps.batchSize ? await claim(and(eq(notifications.status, 'sending'), lt(notifications.leaseUntil, now))) : [];
        for (const n of abandoned) deps.log.warn({ notification: n.id, attempt: n.attempts }, 'taking over a send whose lease passed');
        const batch = [...due, ...abandoned];
        taken += batch.length === 0 ? 0 : await deliver(batch, await loadPages(batch));
        if (batch.length < deps.batchSize) return taken;
      }
    },
    async nextDueAt() {
      // The earliest retry or lease, each read from its own partial index.
      const result = await db.execute(sql`select least(
          (select min(${notifications.nextAttemptAt}) from ${notifications} where ${notifications.status} = 'queued'),
          (select min(${notifications.leaseUntil}) from ${notifications} where ${notifications.status} = 'sending')) as at`);
      const at = rowsOf<{ at: string | Date | null }>(result)[0]?.at ?? null;
      return at === null ? null : new Date(at);
    },
  };
}

/** Which of these pages are open (neither acknowledged nor resolved). */
export async function openPages(tx: DbTransaction, ids: readonly string[]): Promise<Set<string>> {
  const rows = await tx.select({ id: pages.id }).from(pages).where(and(anyOf(pages.id, [...new Set(ids)]), eq(pages.status, 'open')));
  return new Set(rows.map((r) => r.id));
}

/** Whether `f` is the failover row written for the failed notification `n` (the outbox's unique key says which). */
function takesOverFrom(f: Claimed, n: Claimed): boolean {
  return f.pageId === n.pageId && f.cycle === n.cycle && f.step === n.step && f.target === n.target && f.personId === n.personId && f.channel === failoverChannel(n);
}

type ResultColumns =
  | { readonly status: 'sent' | 'delivered'; readonly providerId: string; readonly error: null; readonly sentAt: Date; readonly deliveredAt?: Date }
  | { readonly status: 'queued'; readonly providerId?: undefined; readonly error: string; readonly nextAttemptAt: Date }
  | { readonly status: 'failed' | 'cancelled'; readonly providerId?: undefined; readonly error: string };

function resultColumns(n: Claimed, result: SendResult, now: Date, retry: RetryPolicy): ResultColumns {
  switch (result.status) {
    case 'sent':
      return { status: 'sent', providerId: result.providerId, error: null, sentAt: now };
    case 'delivered':
      return { status: 'delivered', providerId: result.providerId, error: null, sentAt: now, deliveredAt: now };
    case 'failed':
      return { status: 'failed', error: result.error };
    case 'cancelled':
      return { status: 'cancelled', error: result.reason };
    case 'retry': {
      if (n.attempts >= retry.maxAttempts) return { status: 'failed', error: `${result.error} (gave up after ${n.attempts} attempts)` };
      const wait = Math.max(retry.backoffMs(n.attempts), result.retryAfterMs ?? 0);
      return { status: 'queued', error: result.error, nextAttemptAt: new Date(now.getTime() + wait) };
    }
  }
}


/** The texts of a message, as the PHI guard reads them. */
function textOf(message: ChannelMessage): string {
  return message.channel === 'push' ? `${message.title}\n${message.body}` : message.text;
}

const linkPlaceholder = '{link}';

/**
 * What the channel gets: the recipient, and the channel's template rendered from the alert's
 * non-PHI fields. The link is the signed acknowledge link; `{ack_code}` stays for the SMS
 * channel to fill per phone (elsewhere it is the page's reference). `ownText` is the text
 * before the gateway's link went in: what the PHI guard reads (a random token's digits are not
 * a patient's).
 */
function toOutbound(ruleSet: RuleSet, page: PageContext, n: Claimed, publicBaseUrl: string, ackLinkKey: Buffer, now: Date): { outbound: OutboundNotification; ownText: string } {
  const reference = page.id.slice(0, 8);
  const ackToken = ackLinkToken(ackLinkKey, n.id, new Date(now.getTime() + ackLinkLifetimeMs));
  const links = { page: `${publicBaseUrl}/pages/${page.id}`, ack: `${publicBaseUrl}/ack/${ackToken}`, ackToken };
  const messages = ruleSet.renderMessages(page.routeOrder, page.fields, { link: linkPlaceholder, page: reference, ack_code: n.channel === 'sms' ? ackCodePlaceholder : reference });
  const fallbackText = `Pagerless: a ${page.workflow} page. Open ${linkPlaceholder}`;
  const unlinked: ChannelMessage =
    n.channel === 'push'
      ? { channel: 'push', title: messages.push?.title ?? 'Pagerless', body: messages.push?.body ?? fallbackText }
      : { channel: n.channel, text: messages[n.channel] ?? fallbackText };
  // A call does not read a token aloud: it names where the link is.
  const link = (t: string): string => t.replaceAll(linkPlaceholder, n.channel === 'voice' ? 'the link in your Pagerless text' : links.ack);
  const message: ChannelMessage = unlinked.channel === 'push' ? { ...unlinked, title: link(unlinked.title), body: link(unlinked.body) } : { ...unlinked, text: link(unlinked.text) };
  return { ownText: textOf(unlinked), outbound: {
    id: n.id,
    idempotencyKey: `notification-${n.id}`,
    pageId: page.id,
    workflow: page.workflow,
    cycle: n.cycle,
    step: n.step,
    recipient: recipientOf(ruleSet, page.workflow, n),
    message,
    attempt: n.attempts,
    links,
    ttlSeconds: ttlOf(ruleSet, page, n),
  } };
}

/** A message is worth delivering until the ladder would page again; an hour after its last step. */
function ttlOf(ruleSet: RuleSet, page: PageContext, n: Claimed): number {
  const route = ruleSet.routes[page.routeOrder]!;
  const here = { cycle: n.cycle, step: n.step };
  const next = positionAfter(route, here, false);
  const ms = next === null ? 3_600_000 : offsetOf(route, next) - offsetOf(route, here);
  return Math.max(60, Math.round(ms / 1000));
}

function recipientOf(ruleSet: RuleSet, workflow: string, n: Claimed): Recipient {
  const target = ruleSet.targets[n.target];
  if (target?.kind === 'team') return { kind: 'team', team: target.name, inbox: target.inbox };
  if (n.target === 'legacy-pager') return { kind: 'legacy-pager', group: ruleSet.workflows.find((w) => w.name === workflow)?.legacyPagerGroup ?? '' };
  return { kind: 'person', personId: n.personId };
}
