// The composition root: the one place that picks implementations and wires them together.
// Everything else receives its database, clock, logger and collaborators as parameters.
import { serve, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { renderDiagnostics, type RoleBinding } from '../grammar/index.js';
import { appendAudit, loadAuditKey, loadKey, sealAuditHeads } from './audit/index.js';
import { issueCredential } from './auth/credentials.js';
import { hasToken, issueToken } from './auth/tokens.js';
import type { Agent } from 'node:https';
import { createDeliveryLog, createDevChannels, ensureGatewayKeys, type ChannelSet, type DevDelivery } from './channels/index.js';
import { createWebPushChannel } from './channels/push/web-push-channel.js';
import { createTwilioClient } from './channels/twilio/client.js';
import { createSmsChannel } from './channels/twilio/sms-channel.js';
import { createVoiceChannel } from './channels/twilio/voice-channel.js';
import { createPagerChannel } from './channels/wctp/pager-channel.js';
import { createDeviceStore } from './webapp/devices.js';
import type { GatewayConfig } from './config.js';
import { migrateDatabase, notify, openDatabase, type Database } from './db/index.js';
import type { AuditData } from './db/schema.js';
import { createDispatcher, createDispatchMetrics, type Dispatcher, type DispatchTuning, type Timers } from './dispatch/index.js';
import { createHttpApp } from './http/app.js';
import { createMetrics } from './metrics/registry.js';
import {
  describeProblems,
  importFeed,
  loadOnCallIndex,
  loadSourcesConfig,
  refreshDueSources,
  startRosterRefresh,
  type ImportOutcome,
  type OnCallAnswer,
  type OnCallIndex,
  type SourceConfig,
} from './roster/index.js';
import { createRulesRegistry, RulesDoNotCompile, type RulesRegistry } from './rules/index.js';
import { errorFields } from './log-fields.js';

export interface GatewayDeps {
  readonly clock: () => Date;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told the admin token made on first start: the only time it is ever shown. */
  readonly onFirstAdminToken: (token: string) => void;
  readonly log?: Logger;
  /**
   * Run the background work: the dispatch engine's timers and the node-cron roster refresh. Off
   * in tests, which move a clock and call `drain()` themselves.
   */
  readonly background?: boolean;
  /** An already open database (tests hand in a fresh clone); otherwise config.database is opened. */
  readonly database?: Database;
  /** The channels to page on; the development channel when not given. */
  readonly channels?: ChannelSet;
  /** For tests: the HTTPS agent web push uses (one that reaches a push service on loopback). */
  readonly pushAgent?: Agent;
  /** Where the development channel prints what it delivers (`pagerless serve` prints to the console). */
  readonly printDelivery?: (line: string) => void;
  readonly tuning?: Partial<DispatchTuning>;
  readonly timers?: Timers;
}

export interface Gateway {
  readonly url: string;
  readonly database: Database;
  readonly rules: RulesRegistry;
  readonly dispatcher: Dispatcher;
  /** What the development channel delivered in this process (empty when other channels were given). */
  readonly devDeliveries: readonly DevDelivery[];
  /** Fire what is due, send the outbox, and wait for it: what a test calls after moving its clock. */
  drain(): Promise<void>;
  /** Re-import every roster source that is due (the refresh tick, for tests that move the clock). */
  refreshRosters(): Promise<void>;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

/** How far ahead the on-call index holds shifts; rebuilt after every import, here or on another replica. */
const indexWindowMs = { back: 2 * 86_400_000, ahead: 35 * 86_400_000 };
/** NOTIFY channel: a replica imported a roster (the payload names the replica); the others rebuild their on-call index. */
const rosterChannel = 'pagerless_roster';

export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<Gateway> {
  const log = deps.log ?? pino({ level: config.logLevel });
  const background = deps.background ?? true;
  const sources = loadSourcesConfig(config.sourcesFile);
  // Replicas on one PostgreSQL must share the keys, so there they come from the environment; a
  // local PGlite install makes its own on first start. Checked before anything is written.
  if (config.database.driver === 'postgres' && (deps.env['PAGERLESS_AUDIT_KEY'] ?? '') === '') {
    throw new StartupError('set PAGERLESS_AUDIT_KEY (32 bytes, hex or base64): with PostgreSQL every replica must sign the audit trail with the same key');
  }
  const auditKey = loadAuditKey(deps.env, `${config.dataDir}.audit-key`, config.database.driver === 'pglite');
  if (config.database.driver === 'postgres' && (deps.env['PAGERLESS_PHI_KEY'] ?? '') === '') {
    throw new StartupError('set PAGERLESS_PHI_KEY (32 bytes, hex or base64): with PostgreSQL every replica must read the PHI the others sealed');
  }
  const phiKey = loadKey(deps.env, 'PAGERLESS_PHI_KEY', `${config.dataDir}.phi-key`, config.database.driver === 'pglite');

  const database = deps.database ?? (await openDatabase(config.database));
  const stops: (() => Promise<void> | void)[] = [];
  try {
    await migrateDatabase(database);
    await sealAuditHeads(database.db, auditKey);
    let rules: RulesRegistry;
    try {
      rules = await createRulesRegistry({ database, rulesDir: config.rulesDir, clock: deps.clock, auditKey, log });
    } catch (e) {
      if (e instanceof RulesDoNotCompile) throw new StartupError(`the rules in ${config.rulesDir} do not compile:\n${renderDiagnostics(e.diagnostics, e.sources)}`);
      throw e;
    }
    stops.push(() => rules.stop());
    if (!(await hasToken(database.db, 'admin'))) {
      const token = await database.db.transaction(async (tx) => {
        const t = await issueToken(tx, { kind: 'admin', name: 'operations' }, deps.clock());
        await appendAudit(tx, auditKey, { actor: 'system', kind: 'token.issued', subject: 'token:admin', data: { name: 'operations' } }, deps.clock());
        return t;
      });
      deps.onFirstAdminToken(token);
    }
    const made = await ensureGatewayKeys(database.db, deps.clock());
    const keys = { ...made, vapid: config.vapid ?? made.vapid };

    let onCall: OnCallIndex = await buildIndex();
    async function buildIndex(): Promise<OnCallIndex> {
      const now = deps.clock();
      return loadOnCallIndex(database.db, sources, { from: new Date(now.getTime() - indexWindowMs.back), to: new Date(now.getTime() + indexWindowMs.ahead) }, deps.clock);
    }
    const rebuildIndex = async (): Promise<void> => {
      onCall = await buildIndex();
    };
    const afterImport = async (outcome: ImportOutcome): Promise<void> => {
      const data: AuditData =
        outcome.status === 'imported' ? { ...outcome.counts } : outcome.status === 'rejected' ? { problems: outcome.problems.length } : {};
      await database.db.transaction(async (tx) => {
        await appendAudit(tx, auditKey, { actor: 'system', kind: `roster.${outcome.status}`, subject: `roster:${outcome.source}`, data }, deps.clock());
        if (outcome.status === 'imported') await notify(tx, rosterChannel, config.replica);
      });
      if (outcome.status === 'imported') await rebuildIndex();
      if (outcome.status === 'rejected') log.warn({ source: outcome.source, problems: describeProblems(outcome.problems).split('\n').length }, 'roster rejected');
      else log.info({ source: outcome.source, status: outcome.status }, 'roster import');
    };
    const importRoster = async (source: SourceConfig, text: string): Promise<ImportOutcome> => {
      const outcome = await importFeed(database, source, text, deps.clock());
      await afterImport(outcome);
      return outcome;
    };
    const refreshRosters = async (): Promise<void> => {
      for (const outcome of await refreshDueSources({ database, config: sources, now: deps.clock })) await afterImport(outcome);
    };
    // Another replica's import: the roster changed under this replica's index (its own imports
    // rebuilt it already).
    const unlistenRoster = await database.listen(rosterChannel, (replica) => {
      if (replica === config.replica) return;
      rebuildIndex().catch((e: unknown) => log.error(errorFields(e), 'could not rebuild the on-call index'));
    });
    stops.push(unlistenRoster);

    // Rosters first: a gateway that starts must know who is on call.
    await refreshRosters();
    if (background) {
      const refresh = startRosterRefresh({ database, config: sources, now: deps.clock, onImport: (o) => void afterImport(o) });
      // The index covers a window around now; a long-running replica slides it forward daily.
      const slide = setInterval(() => void rebuildIndex().catch(() => undefined), 6 * 3_600_000);
      // A NOTIFY of another replica's reload can be lost (a reconnecting listener): look too.
      const followRules = setInterval(() => void rules.follow().catch((e: unknown) => log.error(errorFields(e), 'could not follow the active rules version')), 10_000);
      stops.push(() => refresh.stop(), () => clearInterval(slide), () => clearInterval(followRules));
    }

    /** Who is on call: from the in-memory index inside its window, from the database outside it. */
    const onCallAt = async (role: RoleBinding, at: Date): Promise<OnCallAnswer> => {
      const now = deps.clock().getTime();
      if (at.getTime() >= now - indexWindowMs.back && at.getTime() < now + indexWindowMs.ahead) return onCall.onCall(role, at);
      const day = 86_400_000;
      const index = await loadOnCallIndex(database.db, sources, { from: new Date(at.getTime() - day), to: new Date(at.getTime() + day) }, deps.clock);
      return index.onCall(role, at);
    };

    let listeningUrl = `http://${config.host}:${config.port}`;
    const metrics = createMetrics();
    const publicBaseUrl = () => config.publicBaseUrl ?? listeningUrl;
    const dev = createDevChannels({ clock: deps.clock, file: config.devDeliveriesFile, print: deps.printDelivery ?? null, replica: config.replica });
    // Each channel is the real one once it is configured; until then the development channel.
    const deliveries = createDeliveryLog(database.db, deps.clock);
    const twilio = config.twilio === null ? null : { client: createTwilioClient(config.twilio), config: config.twilio };
    const channels: ChannelSet = deps.channels ?? {
      push:
        config.push === null
          ? dev.channels.push
          : createWebPushChannel({ db: database.db, vapid: keys.vapid, subject: config.push.subject, deliveries, ...(deps.pushAgent === undefined ? {} : { agent: deps.pushAgent }) }),
      sms: twilio === null ? dev.channels.sms : createSmsChannel({ db: database.db, ...twilio, deliveries, clock: deps.clock, publicBaseUrl }),
      voice:
        twilio === null
          ? dev.channels.voice
          : createVoiceChannel({ db: database.db, ...twilio, deliveries, clock: deps.clock, publicBaseUrl, rateLimit: { calls: twilio.config.callsPerMinute, perMs: 60_000 } }),
      pager: config.wctp === null ? dev.channels.pager : createPagerChannel({ config: config.wctp, deliveries, clock: deps.clock }),
    };
    const dispatcher = createDispatcher({
      database,
      auditKey,
      phiKey,
      ackLinkKey: keys.ackLinkKey,
      rules,
      roster: () => onCall,
      channels,
      clock: deps.clock,
      log,
      metrics: createDispatchMetrics(metrics.registry),
      publicBaseUrl,
      tuning: { pollMs: config.pollMs, leaseMs: config.sendLeaseMs, ...deps.tuning },
      ...(deps.timers === undefined ? {} : { timers: deps.timers }),
    });
    const app = createHttpApp({
      database,
      clock: deps.clock,
      rules,
      onCallAt,
      roster: () => onCall,
      dispatcher,
      issueCredential: (holder, by) => issueCredential(database.db, auditKey, holder, by, deps.clock()),
      sources,
      importRoster,
      metrics,
      maxBodyBytes: config.maxBodyBytes,
      log,
      devices: createDeviceStore(database.db, deps.clock, config.sessionIdleMs),
      phiKey,
      ackLinkKey: keys.ackLinkKey,
      vapidPublicKey: keys.vapid.publicKey,
      pushServices: config.pushServices,
      publicBaseUrl,
      auditKey,
      twilioAuthToken: config.twilio?.authToken ?? null,
    });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    listeningUrl = `http://${config.host}:${port}`;
    // Pages left by a process that stopped or died are picked up as soon as this one listens.
    if (background) await dispatcher.engine.start();
    log.info({ port, rules: rules.active().version.hash.slice(0, 12), driver: database.driver, replica: config.replica }, 'gateway started');
    return {
      url: listeningUrl,
      database,
      rules,
      dispatcher,
      devDeliveries: dev.records,
      drain: () => dispatcher.engine.drain(),
      refreshRosters,
      async stop() {
        // No new requests first, then let the engine finish what it holds, then the rest.
        await new Promise<void>((r) => {
          server.close(() => r());
          // Idle keep-alive connections would hold the close open until they time out.
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        });
        await dispatcher.engine.stop();
        for (const stop of stops.reverse()) await stop();
        await database.close();
      },
    };
  } catch (e) {
    for (const stop of stops.reverse()) await stop();
    await database.close();
    throw e;
  }
}
