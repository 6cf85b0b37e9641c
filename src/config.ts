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
  /** Web push is on when this is set: who push services may contact about our pushes (RFC 8292). */
  PAGERLESS_PUSH_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'a mailto: or https: URL')
    .optional(),
  /** The VAPID key pair (base64url), when it is kept outside the gateway; else made on first start and kept in the database. */
  PAGERLESS_VAPID_PUBLIC_KEY: z
    .string()
    .refine((k) => Buffer.from(k, 'base64url').length === 65, 'an uncompressed P-256 public key, base64url')
    .optional(),
  PAGERLESS_VAPID_PRIVATE_KEY: z
    .string()
    .refine((k) => Buffer.from(k, 'base64url').length === 32, 'a P-256 private key, 32 bytes base64url')
    .optional(),
  /** The push services subscriptions may point at (host names; a name matches its subdomains too): the gateway posts to nothing else. */
  PAGERLESS_PUSH_SERVICES: z.string().default('fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com'),
  /** Twilio SMS and voice are on when the three are set. */
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number, +13125550100').optional(),
  /** For tests: a fake Twilio REST API. Unset in production. */
  TWILIO_API_BASE_URL: z.url().optional(),
  /** Calls to one phone within a minute, at most. */
  PAGERLESS_VOICE_CALLS_PER_MINUTE: z.coerce.number().int().min(1).max(30).default(3),
  /** The paging vendor's WCTP endpoint: the legacy pager is paged when this is set. */
  PAGERLESS_WCTP_URL: z.url().optional(),
  PAGERLESS_WCTP_SENDER: z.string().min(1).max(64).default('pagerless'),
  PAGERLESS_PAGER_MAX_CHARS: z.coerce.number().int().min(20).max(1000).default(240),
  /** A web app session ends after this many minutes without use. */
  PAGERLESS_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
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
  /** Null: the development channel stands in. */
  readonly push: { readonly subject: string } | null;
  /** The VAPID keys from the environment; null: the gateway's own, in the database. */
  readonly vapid: { readonly publicKey: string; readonly privateKey: string } | null;
  /** Hosts a push subscription's endpoint may be on. */
  readonly pushServices: readonly string[];
  readonly twilio: { readonly accountSid: string; readonly authToken: string; readonly from: string; readonly apiBaseUrl: string | null; readonly callsPerMinute: number } | null;
  readonly wctp: { readonly url: string; readonly senderId: string; readonly maxChars: number } | null;
  readonly sessionIdleMs: number;
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
  if (parsed.success) {
    const twilioKeys = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'] as const;
    const given = twilioKeys.filter((k) => parsed.data[k] !== undefined);
    if (given.length === twilioKeys.length && parsed.data.PUBLIC_BASE_URL === undefined && parsed.data.TWILIO_API_BASE_URL === undefined) {
      problems.push('PUBLIC_BASE_URL: Twilio calls the gateway back and signs what it sends for that address; set it to the https address Twilio reaches the gateway at');
    }
    if ((parsed.data.PAGERLESS_VAPID_PUBLIC_KEY === undefined) !== (parsed.data.PAGERLESS_VAPID_PRIVATE_KEY === undefined)) problems.push('PAGERLESS_VAPID_PUBLIC_KEY and PAGERLESS_VAPID_PRIVATE_KEY go together');
    if (given.length > 0 && given.length < twilioKeys.length) problems.push(`Twilio needs all of ${twilioKeys.join(', ')}; missing ${twilioKeys.filter((k) => !given.includes(k)).join(', ')}`);
  }
  if (!parsed.success || database === undefined || problems.length > 0) throw new ConfigError(`the configuration is not valid:\n  ${problems.join('\n  ')}`);
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
    push: c.PAGERLESS_PUSH_SUBJECT === undefined ? null : { subject: c.PAGERLESS_PUSH_SUBJECT },
    vapid: c.PAGERLESS_VAPID_PUBLIC_KEY === undefined || c.PAGERLESS_VAPID_PRIVATE_KEY === undefined ? null : { publicKey: c.PAGERLESS_VAPID_PUBLIC_KEY, privateKey: c.PAGERLESS_VAPID_PRIVATE_KEY },
    pushServices: c.PAGERLESS_PUSH_SERVICES.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
    twilio:
      c.TWILIO_ACCOUNT_SID === undefined || c.TWILIO_AUTH_TOKEN === undefined || c.TWILIO_FROM_NUMBER === undefined
        ? null
        : { accountSid: c.TWILIO_ACCOUNT_SID, authToken: c.TWILIO_AUTH_TOKEN, from: c.TWILIO_FROM_NUMBER, apiBaseUrl: c.TWILIO_API_BASE_URL ?? null, callsPerMinute: c.PAGERLESS_VOICE_CALLS_PER_MINUTE },
    wctp: c.PAGERLESS_WCTP_URL === undefined ? null : { url: c.PAGERLESS_WCTP_URL, senderId: c.PAGERLESS_WCTP_SENDER, maxChars: c.PAGERLESS_PAGER_MAX_CHARS },
    sessionIdleMs: c.PAGERLESS_SESSION_IDLE_MINUTES * 60_000,
  };
}
