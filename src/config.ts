// The gateway's configuration, from the environment, checked once at start: every bad value is
// named with what it should be, before anything listens or writes.
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
});

export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly publicBaseUrl: string;
  readonly rulesDir: string;
  readonly sourcesFile: string;
  readonly dataDir: string;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  readonly maxBodyBytes: number;
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
    publicBaseUrl: (c.PUBLIC_BASE_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
    rulesDir: c.PAGERLESS_RULES_DIR,
    sourcesFile: c.PAGERLESS_SOURCES,
    dataDir: c.PAGERLESS_DATA_DIR,
    logLevel: c.LOG_LEVEL,
    maxBodyBytes: c.PAGERLESS_MAX_BODY_BYTES,
    database,
  };
}
