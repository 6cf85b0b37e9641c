// The gateway through HTTP: a real server on a loopback port, over a fresh database (PGlite, or
// PostgreSQL with TEST_DATABASE_URL), with an injected clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { startGateway, StartupError } from '../../src/app.js';
import { verifyAudit } from '../../src/audit/index.js';
import { ConfigError, configFromEnv } from '../../src/config.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest } from '../support/gateway.js';

const start = gatewayPerTest();
const now = new Date('2026-11-01T07:30:00Z'); // 01:30 CDT on the fall-back night, inside the example rosters

async function gateway(env: Record<string, string> = {}) {
  const t = await start({ at: now, env });
  return { url: t.url, token: t.admin, g: t.g, auditKey: t.auditKey };
}

const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** The shape the tests read from answers: an error, or a who-is-on-call answer. */
interface ApiBody {
  readonly error: { readonly code: string; readonly details?: unknown };
  readonly people: readonly { readonly id: string; readonly name: string }[];
  readonly [key: string]: unknown;
}
const json = async (r: Response | Promise<Response>): Promise<ApiBody> => (await (await r).json()) as ApiBody;

describe(`the gateway over HTTP (${testDriver})`, () => {
  it('is alive and ready, exposes metrics, and answers unknown paths in the error format', async () => {
    const { url } = await gateway();
    expect(await json(fetch(`${url}/healthz`))).toEqual({ status: 'ok' });
    expect(await json(fetch(`${url}/readyz`))).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('pagerless_http_request_duration_seconds_bucket');
    const missing = await fetch(`${url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error: { code: 'not_found', message: 'no such endpoint: GET /v2/nothing' } });
  });

  it('shows the admin token once, on first start, and stores only its hash', async () => {
    const { token, g } = await gateway();
    expect(token).toMatch(/^plk_admin_/);
    const rows = await g.database.db.select().from((await import('../../src/db/index.js')).tables.apiTokens);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('refuses /v1 without a token (401), with a bad one (401), and serves the rules version with the admin token', async () => {
    const { url, token } = await gateway();
    const none = await fetch(`${url}/v1/rules`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="pagerless"');
    expect((await json(none)).error.code).toBe('unauthenticated');
    const bad = await fetch(`${url}/v1/rules`, auth('plk_admin_forged'));
    expect(bad.status).toBe(401);
    expect((await json(bad)).error.code).toBe('invalid_token');
    const ok = await fetch(`${url}/v1/rules`, auth(token));
    const body = (await ok.json()) as { version: { hash: string }; workflows: { name: string; stage: string }[] };
    expect(body.version.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.workflows.map((w) => w.name)).toContain('critical-results');
  });

  it('says who is on call, imported from the example rosters at start, and explains bad questions', async () => {
    const { url, token } = await gateway();
    const res = await fetch(`${url}/v1/oncall?role=ordering-provider`, auth(token));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ role: 'ordering-provider', at: now.toISOString(), people: [{ id: 'amion:A-1004', name: 'Dr. Dana Ruiz' }], stale: false });
    const far = await json(fetch(`${url}/v1/oncall?role=ordering-provider&at=2026-12-30T20:00:00Z`, auth(token)));
    expect(far.people).toHaveLength(1); // outside the in-memory window: answered from the database
    expect((await fetch(`${url}/v1/oncall`, auth(token))).status).toBe(400);
    const badAt = await fetch(`${url}/v1/oncall?role=ordering-provider&at=tomorrow`, auth(token));
    expect(await json(badAt)).toMatchObject({ error: { code: 'invalid_parameter', details: { at: 'tomorrow' } } });
    const unknown = await fetch(`${url}/v1/oncall?role=ordering-provder`, auth(token));
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ error: { code: 'unknown_role', details: { hint: 'did you mean "ordering-provider"?' } } });
  });

  it('takes a pushed roster whole, or refuses it with the reason and keeps the one in force', async () => {
    const { url, token, g, auditKey } = await gateway({ PAGERLESS_MAX_BODY_BYTES: '4096' });
    const put = (source: string, type: string, body: string) => fetch(`${url}/v1/rosters/${source}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body });
    const header = 'Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type\n';
    expect((await put('amion', 'application/json', '[]')).status).toBe(415);
    expect(await json(put('amoin', 'text/csv', header))).toMatchObject({ error: { code: 'unknown_source', details: { hint: 'did you mean "amion"?' } } });
    const malformed = await put('amion', 'text/csv', `${header}A-9,Dr New,,Hospitalist,Night,2026-10-31,1900,0760,\n`);
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ error: { code: 'invalid_roster', details: { problems: [{ line: 2 }] } } });
    const tooBig = await put('amion', 'text/csv', header + 'x'.repeat(5000));
    expect(tooBig.status).toBe(413);
    expect((await json(fetch(`${url}/v1/oncall?role=ordering-provider`, auth(token)))).people[0]?.name).toBe('Dr. Dana Ruiz');

    const accepted = await put('amion', 'text/csv', `${header}A-9,Dr New,3125550199,Hospitalist,Night,2026-10-31,1900,0700,\n`);
    expect(accepted.status).toBe(200);
    expect(await json(accepted)).toMatchObject({ status: 'imported', counts: { added: 1 } });
    expect((await json(fetch(`${url}/v1/oncall?role=ordering-provider`, auth(token)))).people.map((p: { name: string }) => p.name)).toEqual(['Dr New']);

    // Every import, and the first admin token, is in the audit trail, and the chain holds.
    const audit = await verifyAudit(g.database.db, auditKey);
    expect(audit).toMatchObject({ ok: true });
    expect(audit.checked).toBeGreaterThanOrEqual(6);
  });
});

describe(`rosters across replicas (${testDriver})`, () => {
  it('a roster pushed to one replica is who the others say is on call', async () => {
    const a = await start({ at: now, env: { PAGERLESS_REPLICA: 'replica-a' } });
    const b = await start({ at: now, env: { PAGERLESS_REPLICA: 'replica-b' }, database: a.g.database, keys: a, deps: { clock: a.clock } });
    const header = 'Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type\n';
    const put = await a.call('PUT', '/v1/rosters/amion', a.admin, `${header}A-9,Dr New,3125550199,Hospitalist,Night,2026-10-31,1900,0700,\n`, { 'Content-Type': 'text/csv' });
    expect(put.status).toBe(200);
    await vi.waitFor(async () => {
      const answer = await json(b.call('GET', '/v1/oncall?role=ordering-provider', a.admin));
      expect(answer.people.map((p) => p.name)).toEqual(['Dr New']);
    });
  });
});

describe('starting the gateway', () => {
  it('names every bad setting at once', () => {
    expect(() => configFromEnv({ PORT: 'eighty', LOG_LEVEL: 'chatty', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      configFromEnv({ PORT: 'eighty', LOG_LEVEL: 'chatty', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT: .*\n\s+LOG_LEVEL: .*\n\s+DATABASE_URL: DATABASE_URL must be a postgres:\/\/ URL/);
    }
  });

  it('refuses to start on rules that do not compile, saying why', async () => {
    const rulesDir = mkdtempSync(join(tmpdir(), 'pagerless-badrules-'));
    (await import('node:fs')).writeFileSync(join(rulesDir, 'a.rules'), 'workflow w { stage paralel }');
    // Its own data directory: a gateway started with `npm start` holds the default one meanwhile.
    const config = configFromEnv({ PORT: '0', PAGERLESS_RULES_DIR: rulesDir, PAGERLESS_DATA_DIR: join(rulesDir, 'pglite') });
    await expect(startGateway(config, { clock: () => now, env: {}, onFirstAdminToken: () => {}, log: pino({ level: 'silent' }), background: false })).rejects.toThrow(StartupError);
  });
});
