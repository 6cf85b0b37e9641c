// The dispatch core as the rest of the gateway sees it: open a page, acknowledge it, resolve
// it, look at it. Each call commits first and then hands what it queued to the engine.
import type { Logger } from 'pino';
import type { RosterLookup } from '../../grammar/index.js';
import type { ChannelSet } from '../channels/index.js';
import type { Database } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';
import { acknowledgePage, declinePage, resolvePage, type AckResult, type AckVia, type DeclineResult, type ResolveResult, type Resolver } from './acknowledge.js';
import { recordProviderReport, type ProviderReport, type ReportOutcome } from './delivery-status.js';
import { createDispatchEngine, type DispatchEngine, type Timers } from './engine.js';
import { createEscalator } from './escalations.js';
import type { DispatchMetrics } from './metrics.js';
import { createPageIntake } from './intake.js';
import { findIdempotent, type OpenPageInput, type OpenPageResult } from './open-page.js';
import { createOutbox, defaultRetryPolicy, type RetryPolicy } from './outbox.js';
import { loadPageView, type PageView } from './page-view.js';

export interface DispatcherDeps {
  readonly database: Database;
  readonly auditKey: Buffer;
  readonly phiKey: Buffer;
  readonly ackLinkKey: Buffer;
  readonly rules: RulesRegistry;
  readonly roster: () => RosterLookup;
  readonly channels: ChannelSet;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly metrics: DispatchMetrics;
  /** Where links in messages point (known once the server listens). */
  readonly publicBaseUrl: () => string;
  readonly tuning?: Partial<DispatchTuning>;
  readonly timers?: Timers;
}

export interface DispatchTuning {
  /** Longest sleep of the engine between looks at the database. */
  readonly pollMs: number;
  /** How long a claimed send may take before another replica takes it over (a process that died holding it). */
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  /**
   * Alerts committed in one transaction at most, and such transactions at once (intake.ts). One
   * at a time by default: in a storm (bench/README.md, "Load") it took as many alerts a second
   * as four did, in bigger batches, and left the engine the time to fire escalations on time
   * (p99 150 ms late against 1.9 s with four).
   */
  readonly intake: { readonly maxBatch: number; readonly concurrency: number };
  /**
   * The engine's writes are spaced: a timer armed just after a pass goes off no sooner than this
   * long after that pass began, and a record of send outcomes starts no sooner than this long
   * after the one before. At a steady rate, the steps and outcomes coming due meanwhile share the
   * next one's transaction instead of each having its own; an idle gateway waits for nothing.
   * Alerts and their first sends never wait on it; a failover to the next channel waits for the
   * failed send's record, so up to this long more. 25 ms: a step fires at most that late for
   * it, nothing beside a ladder's minutes; at 200 pages/s
   * (bench/README.md, "Dispatch") transactions a page 4.6 → 2.2 and the gateway's CPU a page
   * 3.7 → 3.0 ms, PostgreSQL's 2.1 → 1.5 ms.
   */
  readonly writeSpacingMs: number;
}

export const defaultTuning: DispatchTuning = { pollMs: 1_000, leaseMs: 30_000, batchSize: 50, retry: defaultRetryPolicy, intake: { maxBatch: 100, concurrency: 1 }, writeSpacingMs: 25 };

export interface Dispatcher {
  open(input: OpenPageInput): Promise<OpenPageResult>;
  acknowledge(input: { readonly pageId: string; readonly personId: string; readonly via: AckVia }): Promise<AckResult>;
  resolve(input: { readonly pageId: string; readonly by: Resolver }): Promise<ResolveResult>;
  /** Someone paged cannot take it: the ladder's next step fires now. */
  decline(input: { readonly pageId: string; readonly personId: string; readonly via: AckVia; readonly cycle: number; readonly step: number }): Promise<DeclineResult>;
  /** A provider's status callback about a delivery. */
  report(report: ProviderReport): Promise<ReportOutcome>;
  view(pageId: string): Promise<PageView | null>;
  /** What the alert a source sent with this Idempotency-Key opened or was counted on; null when the key is new. */
  replay(source: string, idempotencyKey: string): Promise<OpenPageResult | null>;
  readonly engine: DispatchEngine;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const tuning: DispatchTuning = { ...defaultTuning, ...deps.tuning };
  const db = deps.database.db;
  // The engine's work (steps, sends) on its own connections; requests on the request pool.
  const common = { db: deps.database.dispatchDb, auditKey: deps.auditKey, clock: deps.clock, log: deps.log, metrics: deps.metrics, batchSize: tuning.batchSize };
  const escalator = createEscalator({ ...common, rules: deps.rules, roster: deps.roster, leaseMs: tuning.leaseMs });
  const outbox = createOutbox({ ...common, phiKey: deps.phiKey, ackLinkKey: deps.ackLinkKey, channels: deps.channels, rules: deps.rules, publicBaseUrl: deps.publicBaseUrl, leaseMs: tuning.leaseMs, retry: tuning.retry, writeSpacingMs: tuning.writeSpacingMs });
  const engine = createDispatchEngine({ database: deps.database, escalator, outbox, clock: deps.clock, log: deps.log, pollMs: tuning.pollMs, passSpacingMs: tuning.writeSpacingMs, ...(deps.timers === undefined ? {} : { timers: deps.timers }) });
  const intake = createPageIntake({
    db,
    log: deps.log,
    auditKey: deps.auditKey,
    phiKey: deps.phiKey,
    leaseMs: tuning.leaseMs,
    ...tuning.intake,
    committed(opened) {
      if (opened.length === 0) return;
      for (const o of opened) {
        deps.metrics.pagesOpened.inc({ workflow: o.workflow });
        if (o.send.rows.some((n) => n.standsInFor !== null)) deps.metrics.fallbacks.inc({ workflow: o.workflow });
      }
      // The batch's first notifications go out together; the engine arms for the earliest next step.
      const dueAts = opened.flatMap((o) => (o.nextDueAt === null ? [] : [o.nextDueAt.getTime()]));
      engine.afterCommit(
        { rows: opened.flatMap((o) => o.send.rows), pages: new Map(opened.flatMap((o) => [...o.send.pages])) },
        dueAts.length === 0 ? null : new Date(Math.min(...dueAts)),
      );
    },
  });

  return {
    engine,
    open: (input) => intake.open(input),
    async acknowledge(input) {
      return acknowledgePage({ db, auditKey: deps.auditKey, rules: deps.rules, clock: deps.clock, metrics: deps.metrics }, input);
    },
    async resolve(input) {
      return resolvePage({ db, auditKey: deps.auditKey, clock: deps.clock }, input);
    },
    async decline(input) {
      const result = await declinePage({ db, auditKey: deps.auditKey, rules: deps.rules, clock: deps.clock }, input);
      if (result.kind === 'declined' && result.escalatesAt !== null) engine.afterCommit({ rows: [], pages: new Map() }, result.escalatesAt);
      return result;
    },
    async report(report) {
      const outcome = await recordProviderReport({ db, auditKey: deps.auditKey, clock: deps.clock }, report);
      if (outcome.kind === 'recorded' && outcome.failedOver) engine.outboxQueued();
      return outcome;
    },
    view: (pageId) => loadPageView(db, pageId),
    replay: (source, key) => findIdempotent(db, source, key),
  };
}
