// Real `pagerless serve` processes on one PostgreSQL, for the tests that are about processes: a
// gateway killed mid-ladder, replicas sharing the work. They run in real time, so they wait on
// the database (polled, with a deadline) rather than on a clock the test could move.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach } from 'vitest';
import { verifyAudit } from '../../src/audit/index.js';
import { readDevDeliveries, type DevDelivery } from '../../src/channels/index.js';
import { openDatabase, tables, type Database } from '../../src/db/index.js';
import { ensureTemplate, testDatabaseUrl, withDatabase } from './db.js';
import { writeDrillHospital, type DrillHospital } from './drill-hospital.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A fresh migrated PostgreSQL database that a child process can open by URL. */
export interface ProcessDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** Copies the migrated template that freshDatabase() uses; only with TEST_DATABASE_URL. */
export async function freshDatabaseUrl(): Promise<ProcessDatabase> {
  if (testDatabaseUrl === undefined) throw new Error('process tests need a PostgreSQL server: set TEST_DATABASE_URL');
  const serverUrl = testDatabaseUrl;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const name = `pagerless_proc_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  try {
    await admin.unsafe(`create database "${name}" template "${await ensureTemplate(admin)}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        // `with (force)`: a killed child's backends may not have noticed yet that it is gone.
        await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/**
 * The drill hospital as a site runs it: one database, one pair of keys, one development
 * deliveries file, shared by every process started on it. The test reads the same database.
 */
export interface DrillSite {
  readonly hospital: DrillHospital;
  readonly databaseUrl: string;
  /** The test's own connection, for polling and for the final count. */
  readonly database: Database;
  readonly auditKey: Buffer;
  /** The JSON-lines file every process's development channel appends to. */
  readonly deliveriesFile: string;
  /** The environment of `pagerless serve` for the replica named `replica`. */
  env(replica: string): Record<string, string>;
  /** Starts `pagerless serve` on the site; the process is killed after the test if still running. */
  serve(replica: string): Promise<ServeProcess>;
}

export interface ServeProcess {
  readonly replica: string;
  readonly url: string;
  readonly pid: number;
  /** What the process wrote on stderr (the admin token, the listening line, startup errors). */
  stderr(): string;
  /** Its log lines (pino JSON on stdout), without the development channel's printed deliveries. */
  logs(): readonly string[];
  /** Sends a signal now, synchronously: a test can kill from inside a response handler. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** SIGTERM, then wait for it to finish what it holds and exit; the exit code. */
  stop(): Promise<number | null>;
}

/**
 * For a test file: `const site = drillSitePerTest()`, then `await site({ stepSeconds })` in a
 * test. After each test, every process still running is killed and the database dropped.
 */
export function drillSitePerTest(): (options: { readonly stepSeconds: number; readonly pollMs?: number; readonly sendLeaseMs?: number }) => Promise<DrillSite> {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => killAndWait(c)));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  return async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-site-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const hospital = writeDrillHospital(dir, { now: new Date(), stepSeconds: options.stepSeconds });
    const created = await freshDatabaseUrl();
    cleanups.push(() => created.drop());
    const database = await openDatabase({ driver: 'postgres', url: created.url, maxConnections: 2 });
    cleanups.push(() => database.close());
    const auditKey = randomBytes(32);
    const phiKey = randomBytes(32);
    const deliveriesFile = join(dir, 'dev-deliveries.jsonl');
    const env = (replica: string): Record<string, string> => ({
      PORT: '0',
      DATABASE_URL: created.url,
      PAGERLESS_AUDIT_KEY: auditKey.toString('hex'),
      PAGERLESS_PHI_KEY: phiKey.toString('hex'),
      PAGERLESS_RULES_DIR: hospital.rulesDir,
      PAGERLESS_SOURCES: hospital.sourcesFile,
      PAGERLESS_DEV_DELIVERIES: deliveriesFile,
      PAGERLESS_POLL_MS: String(options.pollMs ?? 1_000),
      PAGERLESS_SEND_LEASE_MS: String(options.sendLeaseMs ?? 30_000),
      PAGERLESS_REPLICA: replica,
      LOG_LEVEL: 'warn',
    });
    return {
      hospital,
      databaseUrl: created.url,
      database,
      auditKey,
      deliveriesFile,
      env,
      serve: (replica) => startServe(replica, env(replica), children),
    };
  };
}

async function startServe(replica: string, env: Record<string, string>, children: ChildProcess[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/pagerless.js', 'serve'], { env: { ...process.env, ...env }, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  const logs: string[] = [];
  let partial = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  // Drained line by line: a full pipe would stall the process. Only the logs are kept.
  child.stdout!.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) logs.push(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${replica} did not start within 60 s:\n${stderr}`)), 60_000);
    const look = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m === null) return;
      clearTimeout(timer);
      resolve(m[1]!);
    };
    child.stderr!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${replica} exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  return {
    replica,
    url,
    pid: child.pid!,
    stderr: () => stderr,
    logs: () => logs,
    kill: (signal) => void child.kill(signal),
    exited,
    async stop() {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

/** The processes' log messages (warnings and worse, at LOG_LEVEL=warn), counted: for the test's report. */
export function logSummary(processes: readonly ServeProcess[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of processes) {
    for (const line of p.logs()) {
      let msg: string;
      try {
        msg = String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        msg = line;
      }
      const key = `${p.replica}: ${msg}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** The admin token a first start prints once. */
export function adminTokenOf(p: ServeProcess): string {
  const m = /plk_admin_\S+/.exec(p.stderr());
  if (m === null) throw new Error(`${p.replica} printed no admin token:\n${p.stderr()}`);
  return m[0];
}

/** Operations issue a clinical system's source key over the API. */
export async function issueSourceKey(url: string, admin: string, source: string): Promise<string> {
  const res = await fetch(`${url}/v1/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ source }) });
  if (res.status !== 201) throw new Error(`POST /v1/tokens answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The lab's drill alert: a potassium on 5W, with the patient's name as PHI. */
export const drillAlert = { alert: { test: 'K', unit: '5W', patient: { name: 'Jane Roe' } } };

/** What POST /v1/alerts answers. */
export interface AlertAnswer {
  readonly alert: { readonly id: string };
  readonly page: { readonly id: string; readonly workflow: string; readonly rulesVersion: string };
}

/** Posts the drill alert; resolves with the response as soon as its head arrives. */
export function postAlert(url: string, sourceKey: string): Promise<Response> {
  return fetch(`${url}/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${sourceKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(drillAlert) });
}

/** Runs `task(0..count-1)` with at most `limit` in flight. */
export async function withConcurrency<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/**
 * Where the site's work stands: ladders with a step still to fire and notifications not yet
 * handed to a channel. A ladder whose last step has fired is done climbing, though its row
 * stays due once more at its end, when an unacknowledged page is declared missed.
 */
export interface WorkLeft {
  readonly pages: number;
  readonly pendingLadders: number;
  readonly unsent: number;
}

export async function workLeft(database: Database, stepsPerCycle: number): Promise<WorkLeft> {
  const { escalations, notifications, pages } = tables;
  const [row] = await database.db
    .select({
      pages: sql<number>`(select count(*)::int from ${pages})`,
      pendingLadders: sql<number>`(select count(*)::int from ${escalations} where ${escalations.dueAt} is not null and ${escalations.nextStep} < ${stepsPerCycle})`,
      unsent: sql<number>`(select count(*)::int from ${notifications} where ${notifications.status} in ('queued', 'sending'))`,
    })
    .from(sql`(select 1) as one`);
  return row!;
}

/** How many audit events of this kind (`step.fired`) the trail holds. */
export async function countAudit(database: Database, kind: string): Promise<number> {
  const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(tables.auditEvents).where(eq(tables.auditEvents.kind, kind));
  return row!.n;
}

/**
 * Polls until every one of `pages` pages has climbed its whole ladder and nothing is left to
 * send, or throws at the deadline saying where the work stood.
 */
export async function waitForLaddersToFinish(database: Database, stepsPerCycle: number, pages: number, deadlineMs: number): Promise<WorkLeft> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const left = await workLeft(database, stepsPerCycle);
    if (left.pages === pages && left.pendingLadders === 0 && left.unsent === 0) return left;
    if (Date.now() > deadline) throw new Error(`the ladders did not finish within ${deadlineMs / 1000} s: ${JSON.stringify(left)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Who a delivery reached, as the ladder names them. */
function whom(r: DevDelivery): string {
  switch (r.recipient.kind) {
    case 'person':
      return r.recipient.personId;
    case 'team':
      return `team ${r.recipient.team}`;
    case 'legacy-pager':
      return `pager ${r.recipient.group}`;
  }
}

/** `cycle.step channel whom`, sorted: what the drill ladder pages for one page, start to end. */
export function prescribedLadder(h: DrillHospital): string[] {
  const cycle = (c: number): string[] => [`${c}.0 push ${h.provider}`, `${c}.0 sms ${h.provider}`, `${c}.1 voice ${h.provider}`, `${c}.2 push ${h.backup}`, `${c}.3 push team desk`, `${c}.3 pager pager DRILL-1`];
  const all = Array.from({ length: h.ladder.cycles }, (_, c) => cycle(c)).flat().sort();
  if (all.length !== h.ladder.notificationsPerCycle * h.ladder.cycles) throw new Error('prescribedLadder no longer matches the drill hospital');
  return all;
}

/** What went out for a set of pages, checked against the ladder, the outbox rows and the audit trail. */
export interface Ledger {
  readonly pages: number;
  readonly notifications: number;
  readonly stepsFired: number;
  readonly records: number;
  /** Records of a key already delivered: resends the channel swallowed. */
  readonly duplicates: number;
  /** Non-duplicate deliveries per replica: of opening steps (0.0) and of escalation steps (the rest). */
  readonly byReplica: Readonly<Record<string, { opening: number; escalation: number }>>;
  readonly audit: { readonly ok: boolean; readonly checked: number };
  /** Every breach of exactly-once found, with an example page's records; empty when all is well. */
  readonly problems: readonly string[];
}

/**
 * Exactly once, from three sides: the development channel's records (one non-duplicate record
 * per outbox row, and per page exactly what the ladder prescribes), the outbox rows (all
 * delivered), and the audit trail (one `step.fired` per page, cycle and step; the chain intact).
 */
export async function ledgerOf(site: DrillSite, pageIds: readonly string[]): Promise<Ledger> {
  const { db } = site.database;
  const { notifications, pages, auditEvents } = tables;
  const problems: string[] = [];
  const problem = (text: string): void => void (problems.length < 25 && problems.push(text));
  const prescribed = prescribedLadder(site.hospital);
  const positions = [...new Set(prescribed.map((d) => d.split(' ')[0]!))].sort();

  const pageRows = await db.select({ id: pages.id }).from(pages);
  const known = new Set(pageRows.map((p) => p.id));
  for (const id of pageIds) if (!known.has(id)) problem(`page ${id} was answered 202 but is not in the database`);
  if (pageRows.length !== pageIds.length) problem(`${pageRows.length} pages in the database for ${pageIds.length} alerts answered 202`);

  const rows = await db.select({ id: notifications.id, pageId: notifications.pageId, status: notifications.status, attempts: notifications.attempts }).from(notifications).orderBy(asc(notifications.id));
  const rowById = new Map(rows.map((r) => [r.id, r]));
  for (const r of rows) if (r.status !== 'delivered') problem(`notification ${r.id} of page ${r.pageId} ended ${r.status} after ${r.attempts} attempts`);

  const records = readDevDeliveries(site.deliveriesFile);
  const firstDelivery = new Map<number, DevDelivery>();
  const perPage = new Map<string, string[]>();
  const byReplica: Record<string, { opening: number; escalation: number }> = {};
  let duplicates = 0;
  for (const r of records) {
    if (r.duplicate) {
      duplicates++;
      if (!firstDelivery.has(r.notification)) problem(`a duplicate record of notification ${r.notification} with no delivery before it`);
      continue;
    }
    const before = firstDelivery.get(r.notification);
    if (before !== undefined) {
      problem(`notification ${r.notification} (page ${r.pageId}, ${r.cycle}.${r.step} ${r.channel}) was delivered twice: by ${before.replica} attempt ${before.attempt} at ${before.at}, by ${r.replica} attempt ${r.attempt} at ${r.at}`);
      continue;
    }
    firstDelivery.set(r.notification, r);
    if (!rowById.has(r.notification)) problem(`a delivery of notification ${r.notification}, which is no outbox row`);
    perPage.set(r.pageId, [...(perPage.get(r.pageId) ?? []), `${r.cycle}.${r.step} ${r.channel} ${whom(r)}`]);
    const share = (byReplica[r.replica] ??= { opening: 0, escalation: 0 });
    if (r.cycle === 0 && r.step === 0) share.opening++;
    else share.escalation++;
  }
  for (const r of rows) if (!firstDelivery.has(r.id)) problem(`notification ${r.id} of page ${r.pageId} (${r.status}) has no delivery record`);

  const fired = await db
    .select({ subject: auditEvents.subject, cycle: sql<number>`(${auditEvents.data}->>'cycle')::int`, step: sql<number>`(${auditEvents.data}->>'step')::int` })
    .from(auditEvents)
    .where(eq(auditEvents.kind, 'step.fired'));
  const firedPerPage = new Map<string, string[]>();
  for (const f of fired) {
    const id = f.subject.replace(/^page:/, '');
    firedPerPage.set(id, [...(firedPerPage.get(id) ?? []), `${f.cycle}.${f.step}`]);
  }

  let example: string | null = null;
  for (const id of pageIds) {
    const got = (perPage.get(id) ?? []).sort();
    const steps = (firedPerPage.get(id) ?? []).sort();
    const sameDeliveries = got.length === prescribed.length && got.every((d, i) => d === prescribed[i]);
    const sameSteps = steps.length === positions.length && steps.every((s, i) => s === positions[i]);
    if (!sameDeliveries) problem(`page ${id} was paged ${JSON.stringify(got)}; the ladder prescribes ${JSON.stringify(prescribed)}`);
    if (!sameSteps) problem(`page ${id} fired steps ${JSON.stringify(steps)}; once each of ${JSON.stringify(positions)} was due`);
    if ((!sameDeliveries || !sameSteps) && example === null) {
      const own = records.filter((r) => r.pageId === id).map((r) => `${r.at} ${r.replica} n${r.notification} ${r.cycle}.${r.step} ${r.channel} ${whom(r)} attempt ${r.attempt}${r.duplicate ? ' duplicate' : ''}`);
      const outbox = await db.select().from(notifications).where(inArray(notifications.pageId, [id]));
      example = `example page ${id}:\n  records:\n    ${own.join('\n    ')}\n  outbox:\n    ${outbox.map((n) => `n${n.id} ${n.cycle}.${n.step} ${n.channel} ${n.status} attempts ${n.attempts}`).join('\n    ')}`;
    }
  }
  if (example !== null) problems.push(example);

  const audit = await verifyAudit(db, site.auditKey);
  if (!audit.ok) problem(`the audit trail does not verify: ${JSON.stringify(audit.problems.slice(0, 5))}`);
  return { pages: pageRows.length, notifications: rows.length, stepsFired: fired.length, records: records.length, duplicates, byReplica, audit: { ok: audit.ok, checked: audit.checked }, problems };
}
