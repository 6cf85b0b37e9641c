// The gateway's configuration, from the environment, checked once at start: every bad value is
// named with what it should be, before anything listens or writes.
import { hostname } from 'node:os';
import { z } from 'zod';
import type { DatabaseConfig } from './db/index.js';
import { databaseConfigFromEnv } from './db/index.js';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: z.url().optional(),
  PAGERLESS_RULES_DIR: z.string().min(1).default('rules'),
  PAGERLESS_SOURCES: z.string().min(1).default('schedules/sources.json'),
  PAGERLESS_DATA_DIR: z.string().min(1).default('.data/pglite'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest request body accepted, in bytes. */
  PAGERLESS_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Where the development channel appends the deliveries it records (JSON lines); unset: only printed. */
  PAGERLESS_DEV_DELIVERIES: z.string().min(1).optional(),
  /** Longest the dispatch engine sleeps between looks at the database, in ms: the safety net's pace. */
  PAGERLESS_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** How long a claimed send may take before another replica takes it over, in ms: longer than any channel's timeout. */
  PAGERLESS_SEND_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** This process's name in logs and delivery records (several replicas on one database). */
  PAGERLESS_REPLICA: z.string().min(1).max(100).optional(),
});

export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  /** Where links in pages point; null: the address the gateway ends up listening on. */
  readonly publicBaseUrl: string | null;
  readonly rulesDir: string;
  readonly sourcesFile: string;
  readonly dataDir: string;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  readonly maxBodyBytes: number;
  readonly devDeliveriesFile: string | null;
  readonly pollMs: number;
  readonly sendLeaseMs: number;
  readonly replica: string;
  readonly database: DatabaseConfig;
}

export class ConfigError extends Error {}

export function configFromEnv(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  let database: DatabaseConfig | undefined;
  try {
    database = databaseConfigFromEnv(env);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (!parsed.success || database === undefined) throw new ConfigError(`the configuration is not valid:\n  ${problems.join('\n  ')}`);
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    publicBaseUrl: c.PUBLIC_BASE_URL === undefined ? null : c.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    rulesDir: c.PAGERLESS_RULES_DIR,
    sourcesFile: c.PAGERLESS_SOURCES,
    dataDir: c.PAGERLESS_DATA_DIR,
    logLevel: c.LOG_LEVEL,
    maxBodyBytes: c.PAGERLESS_MAX_BODY_BYTES,
    devDeliveriesFile: c.PAGERLESS_DEV_DELIVERIES ?? null,
    pollMs: c.PAGERLESS_POLL_MS,
    sendLeaseMs: c.PAGERLESS_SEND_LEASE_MS,
    replica: c.PAGERLESS_REPLICA ?? `${hostname()}-${process.pid}`,
    database,
  };
}
