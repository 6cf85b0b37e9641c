// A started gateway for a test: a real server on a loopback port, over a fresh database
// (PGlite, or PostgreSQL with TEST_DATABASE_URL), with a clock the test moves, the development
// channel recording what it delivers, and helpers to call the API as the people who would.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { startGateway, type Gateway, type GatewayDeps } from '../../src/app.js';
import { issueToken, type TokenHolder } from '../../src/auth/tokens.js';
import { configFromEnv } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { databasePerTest } from './db.js';

/** A clock that stands still until the test moves it. */
export interface MovableClock {
  (): Date;
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function movableClock(start: Date | string): MovableClock {
  let now = new Date(start);
  const clock = (() => new Date(now)) as MovableClock;
  clock.set = (at) => (now = new Date(at));
  clock.advance = (ms) => (now = new Date(now.getTime() + ms));
  return clock;
}

export const MINUTE = 60_000;

export interface TestGateway {
  readonly g: Gateway;
  readonly url: string;
  readonly clock: MovableClock;
  readonly admin: string;
  readonly auditKey: Buffer;
  readonly phiKey: Buffer;
  /** A token for a source (`lab`) or a person (`amion:A-1004`). */
  token(holder: TokenHolder): Promise<string>;
  /** Calls the API with a token; a body object is sent as JSON. */
  call(method: string, path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Moves the clock and lets the engine fire and send what fell due. */
  advance(ms: number): Promise<void>;
}

export interface TestGatewayOptions {
  readonly at: Date | string;
  readonly env?: Record<string, string>;
  readonly deps?: Partial<GatewayDeps>;
  /** Start on this database instead of a fresh one: a second replica on the first one's database. */
  readonly database?: Database;
  /** The keys of the replica whose database this is: replicas share them. */
  readonly keys?: { readonly auditKey: Buffer; readonly phiKey: Buffer };
}

/**
 * For a test file: `const gateway = gatewayPerTest()`, then `await gateway({ at })` in a test.
 * Each gateway is stopped, and its database closed, after the test.
 */
export function gatewayPerTest(): (options: TestGatewayOptions) => Promise<TestGateway> {
  const fresh = databasePerTest();
  const running: Gateway[] = [];
  afterEach(async () => {
    // Registered after databasePerTest's, so it runs first: servers stop before databases close.
    await Promise.all(running.splice(0).map((g) => g.stop().catch(() => undefined)));
  });
  return async (options) => {
    const database = options.database ?? (await fresh());
    const clock = movableClock(options.at);
    const auditKey = options.keys?.auditKey ?? randomBytes(32);
    const phiKey = options.keys?.phiKey ?? randomBytes(32);
    const config = configFromEnv({ PORT: '0', PAGERLESS_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'pagerless-test-')), 'pglite'), ...options.env });
    let admin = '';
    const g = await startGateway(config, {
      clock,
      env: { PAGERLESS_AUDIT_KEY: auditKey.toString('hex'), PAGERLESS_PHI_KEY: phiKey.toString('hex') },
      onFirstAdminToken: (t) => (admin = t),
      log: pino({ level: 'silent' }),
      background: false,
      // The test's database is closed by databasePerTest.
      database: { ...database, close: async () => {} },
      ...options.deps,
    });
    running.push(g);
    const call = (method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${g.url}${path}`, {
        method,
        headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...(body === undefined || typeof body === 'string' ? {} : { 'Content-Type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    return {
      g,
      url: g.url,
      clock,
      admin,
      auditKey,
      phiKey,
      token: (holder) => issueToken(g.database.db, holder, clock()),
      call,
      async advance(ms) {
        clock.advance(ms);
        await g.drain();
      },
    };
  };
}
