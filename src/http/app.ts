// The Hono app: routes grouped by resource, and the middleware every request passes through.
// Implementations come in through `deps`; this file picks none of them.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import type { RoleBinding, RosterLookup } from '../../grammar/index.js';
import type { Database } from '../db/index.js';
import type { Metrics } from '../metrics/registry.js';
import type { ImportOutcome, OnCallAnswer, SourceConfig, SourcesConfig } from '../roster/index.js';
import type { RulesRegistry } from '../rules/index.js';
import { cachedTokenLookup } from '../auth/tokens.js';
import { noteArrival } from './arrival.js';
import { bodyLimit } from './body.js';
import { requireToken } from './auth.js';
import { errorResponse, HttpError } from './errors.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { onCallRoutes } from './routes/oncall.js';
import { rosterRoutes } from './routes/rosters.js';
import { rulesRoutes } from './routes/rules.js';
import { tokenRoutes, type IssueCredential } from './routes/tokens.js';
import { enrollmentRoutes } from './routes/enrollments.js';
import { migrationMetricsRoutes } from './routes/migration-metrics.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { legacyPageRoutes } from './routes/legacy-pages.js';
import { legacyGroupsOf } from '../retirement/legacy-log.js';
import { twilioWebhookRoutes } from './routes/twilio-webhooks.js';
import { webAppRoutes, type WebAppDeps } from '../webapp/routes.js';
import { errorFields } from '../log-fields.js';

/** What the app needs: the web app's needs (clock, dispatcher, devices, keys, public URL) and the API's. */
export interface HttpDeps extends Omit<WebAppDeps, 'db'> {
  readonly database: Database;
  readonly rules: RulesRegistry;
  readonly onCallAt: (role: RoleBinding, at: Date) => Promise<OnCallAnswer>;
  /** The in-memory roster the router reads synchronously. */
  readonly roster: () => RosterLookup;
  readonly issueCredential: IssueCredential;
  readonly sources: SourcesConfig;
  readonly importRoster: (source: SourceConfig, text: string) => Promise<ImportOutcome>;
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
  readonly log: Logger;
  /** Signs the audit trail (imports write to it). */
  readonly auditKey: Buffer;
  /** Twilio's auth token, to check its webhooks' signatures; null when Twilio is not configured. */
  readonly twilioAuthToken: string | null;
}

export function createHttpApp(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const tokens = cachedTokenLookup(db, deps.clock);
  const app = new Hono();

  app.use(noteArrival(deps.clock));
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath;
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - started) / 1000);
    // Method, route pattern and status only: paths and bodies can carry identifiers and PHI.
    deps.log.info({ requestId: c.get('requestId'), method: c.req.method, route, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  app.use(bodyLimit(deps.maxBodyBytes, (c) => errorResponse(c, 413, 'payload_too_large', `the request body is larger than ${deps.maxBodyBytes} bytes`)));

  app.route('/', healthRoutes({ db, metrics: deps.metrics.registry }));
  // Clinical systems post alerts with their source key; people paged act on their pages with
  // theirs; everything else under /v1 is operations'.
  const admin = requireToken(tokens, ['admin']);
  for (const path of ['/v1/rules', '/v1/oncall', '/v1/rosters', '/v1/audit', '/v1/tokens', '/v1/enrollments', '/v1/legacy-pages']) {
    app.use(path, admin);
    app.use(`${path}/*`, admin);
  }
  app.use('/v1/alerts', requireToken(tokens, ['source']));
  app.use('/v1/pages/*', requireToken(tokens, ['admin', 'source', 'person']));
  // The retirement figures: for operations and managers.
  app.use('/v1/metrics/*', requireToken(tokens, ['admin', 'manager']));
  const activeRules = () => deps.rules.active();
  app.route('/v1/alerts', alertRoutes({ ...deps, rules: activeRules, openPage: (input) => deps.dispatcher.open(input), findIdempotent: (source, key) => deps.dispatcher.replay(source, key) }));
  app.route('/v1/pages', pageRoutes({ db, dispatcher: deps.dispatcher }));
  app.route('/v1/rules', rulesRoutes({ rules: deps.rules }));
  app.route('/v1/oncall', onCallRoutes({ ...deps, rules: activeRules }));
  app.route('/v1/rosters', rosterRoutes(deps));
  app.route('/v1/audit', auditRoutes({ db }));
  app.route('/v1/tokens', tokenRoutes(deps));
  app.route('/v1/enrollments', enrollmentRoutes(deps));
  app.route('/v1/metrics/migration', migrationMetricsRoutes({ db, rules: deps.rules, clock: deps.clock }));
  app.route('/v1/legacy-pages', legacyPageRoutes({ db, auditKey: deps.auditKey, clock: deps.clock, groups: () => legacyGroupsOf(deps.rules.active().workflows) }));
  app.route('/dashboard', dashboardRoutes({ db, rules: deps.rules, clock: deps.clock, tokens, publicBaseUrl: deps.publicBaseUrl }));
  if (deps.twilioAuthToken !== null) app.route('/webhooks/twilio', twilioWebhookRoutes({ db, clock: deps.clock, dispatcher: deps.dispatcher, authToken: deps.twilioAuthToken, publicBaseUrl: deps.publicBaseUrl }));
  // The physician's web app (cookie sessions on enrolled devices, acknowledge links, push).
  app.route('/', webAppRoutes({ ...deps, db }));

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    if (err instanceof HttpError) return errorResponse(c, err.status, err.code, err.message, err.details);
    if (err instanceof HTTPException && err.status < 500) return errorResponse(c, err.status as 400, 'bad_request', err.message);
    // Name and code only: a database error's message quotes the query's parameters.
    deps.log.error({ requestId: c.get('requestId'), ...errorFields(err) }, 'unhandled error');
    return errorResponse(c, 500, 'internal', 'something went wrong on our side; it has been logged');
  });
  return app;
}
