// The composition root: the one place that picks implementations and wires them together.
// Everything else receives its database, clock, logger and collaborators as parameters.
import { serve, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { compileRulesDirectory, renderDiagnostics, type RoleBinding, type RuleSet } from '../grammar/index.js';
import { appendAudit, loadAuditKey, loadKey } from './audit/index.js';
import { openPage } from './dispatch/open-page.js';
import { hasToken, issueToken } from './auth/tokens.js';
import type { GatewayConfig } from './config.js';
import { migrateDatabase, openDatabase, type Database } from './db/index.js';
import type { AuditData } from './db/schema.js';
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

export interface GatewayDeps {
  readonly clock: () => Date;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told the admin token made on first start: the only time it is ever shown. */
  readonly onFirstAdminToken: (token: string) => void;
  readonly log?: Logger;
  /** Run the node-cron roster refresh (off in tests, which tick it themselves). */
  readonly scheduleRefresh?: boolean;
  /** An already open database (tests hand in a fresh clone); otherwise config.database is opened. */
  readonly database?: Database;
}

export interface Gateway {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

/** How far ahead the on-call index holds shifts; rebuilt after every import. */
const indexWindowMs = { back: 2 * 86_400_000, ahead: 35 * 86_400_000 };

export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<Gateway> {
  const log = deps.log ?? pino({ level: config.logLevel });
  const compiled = compileRulesDirectory(config.rulesDir, { dstFromYear: deps.clock().getUTCFullYear() });
  if (compiled.ruleSet === null) throw new StartupError(`the rules in ${config.rulesDir} do not compile:\n${renderDiagnostics(compiled.diagnostics, compiled.sources)}`);
  const rules: RuleSet = compiled.ruleSet;
  const sources = loadSourcesConfig(config.sourcesFile);
  // Replicas on one PostgreSQL must share the key, so there it comes from the environment; a
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
  try {
    await migrateDatabase(database);
    if (!(await hasToken(database.db, 'admin'))) {
      const token = await database.db.transaction(async (tx) => {
        const t = await issueToken(tx, { kind: 'admin', name: 'operations' }, deps.clock());
        await appendAudit(tx, auditKey, { actor: 'system', kind: 'token.issued', subject: 'token:admin', data: { name: 'operations' } }, deps.clock());
        return t;
      });
      deps.onFirstAdminToken(token);
    }

    let onCall: OnCallIndex = await buildIndex();
    async function buildIndex(): Promise<OnCallIndex> {
      const now = deps.clock();
      return loadOnCallIndex(database.db, sources, { from: new Date(now.getTime() - indexWindowMs.back), to: new Date(now.getTime() + indexWindowMs.ahead) }, deps.clock);
    }
    const afterImport = async (outcome: ImportOutcome): Promise<void> => {
      const data: AuditData =
        outcome.status === 'imported' ? { ...outcome.counts } : outcome.status === 'rejected' ? { problems: outcome.problems.length } : {};
      await database.db.transaction((tx) => appendAudit(tx, auditKey, { actor: 'system', kind: `roster.${outcome.status}`, subject: `roster:${outcome.source}`, data }, deps.clock()));
      if (outcome.status === 'imported') onCall = await buildIndex();
      if (outcome.status === 'rejected') log.warn({ source: outcome.source, problems: describeProblems(outcome.problems).split('\n').length }, 'roster rejected');
      else log.info({ source: outcome.source, status: outcome.status }, 'roster import');
    };
    const importRoster = async (source: SourceConfig, text: string): Promise<ImportOutcome> => {
      const outcome = await importFeed(database, source, text, deps.clock());
      await afterImport(outcome);
      return outcome;
    };

    // Rosters first: a gateway that starts must know who is on call.
    for (const outcome of await refreshDueSources({ database, config: sources, now: deps.clock })) await afterImport(outcome);
    const refresh = deps.scheduleRefresh === false ? null : startRosterRefresh({ database, config: sources, now: deps.clock, onImport: (o) => void afterImport(o) });

    /** Who is on call: from the in-memory index inside its window, from the database outside it. */
    const onCallAt = async (role: RoleBinding, at: Date): Promise<OnCallAnswer> => {
      const now = deps.clock().getTime();
      if (at.getTime() >= now - indexWindowMs.back && at.getTime() < now + indexWindowMs.ahead) return onCall.onCall(role, at);
      const day = 86_400_000;
      const index = await loadOnCallIndex(database.db, sources, { from: new Date(at.getTime() - day), to: new Date(at.getTime() + day) }, deps.clock);
      return index.onCall(role, at);
    };

    const metrics = createMetrics();
    const app = createHttpApp({
      database,
      clock: deps.clock,
      rules: () => rules,
      onCallAt,
      roster: () => onCall,
      openPage: (input) => openPage({ db: database.db, auditKey, phiKey }, input),
      sources,
      importRoster,
      metrics,
      maxBodyBytes: config.maxBodyBytes,
      log,
    });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    log.info({ port, rules: rules.version.hash.slice(0, 12), driver: database.driver }, 'gateway started');
    return {
      url: `http://${config.host}:${port}`,
      database,
      async stop() {
        refresh?.stop();
        await new Promise<void>((r) => server.close(() => r()));
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
