// Group commit at intake: alerts that arrive while a batch commits go together as the next
// batch, in one transaction, and each is answered only once its own alert is committed. On the
// real database (PGlite, or PostgreSQL with TEST_DATABASE_URL); the database handle only counts
// the transactions it is asked for.
import { randomBytes, randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { appendAudit, sealAuditHeads, verifyAudit } from '../../src/audit/index.js';
import { auditChains, chainOf } from '../../src/audit/chain.js';
import { insertRows, rowsOf, tables, type Database, type Db } from '../../src/db/index.js';
import { createPageIntake, type OpenedPage, type PageIntakeDeps } from '../../src/dispatch/intake.js';
import type { OpenPageInput, OpenPageResult } from '../../src/dispatch/open-page.js';
import { databasePerTest, testDriver } from '../support/db.js';
import { alertOf, compileOk, roster } from '../support/rules.js';

const fresh = databasePerTest();
const at = new Date('2026-07-01T15:00:00Z');
const rules = compileOk(`
workflow w {
  stage legacy
  legacy-pager-group "W-1"
  push "Alert" / "{test}"
  sms "Alert {test}"
  route lab when source = lab {
    notify provider via push at 0m
    notify desk at 5m unless acked
  }
}`);
const onCall = roster();
const auditKey = randomBytes(32);

function alertInput(test: string, keys: { dedupKey?: string; idempotencyKey?: string } = {}, receivedAt = at): OpenPageInput {
  const alert = alertOf(rules, { source: 'lab', test, priority: 'stat' });
  const decision = rules.route(alert, at, onCall);
  if (decision.kind !== 'matched') throw new Error('the test alert should match');
  return { source: 'lab', dedupKey: keys.dedupKey ?? null, idempotencyKey: keys.idempotencyKey ?? null, alert, ruleSet: rules, match: decision.match, roster: onCall, receivedAt };
}

/** The database, counting the transactions asked of it and how many were open at once. */
function counting(db: Db) {
  const seen = { transactions: 0, open: 0, mostOpen: 0 };
  const transaction = (async (work: Parameters<Db['transaction']>[0]) => {
    seen.transactions++;
    seen.mostOpen = Math.max(seen.mostOpen, ++seen.open);
    try {
      return await db.transaction(work);
    } finally {
      seen.open--;
    }
  }) as Db['transaction'];
  const counted = new Proxy(db, { get: (target, prop, receiver) => (prop === 'transaction' ? transaction : Reflect.get(target, prop, receiver)) });
  return { counted, seen };
}

/** An event on every chain of the trail, so that this process knows each chain's head. */
async function knowEveryChainHead(db: Db): Promise<void> {
  const subjects = new Map<number, string>();
  for (let i = 0; subjects.size < auditChains; i++) subjects.set(chainOf(`page:warm-${i}`), `page:warm-${i}`);
  for (const subject of subjects.values()) await db.transaction((tx) => appendAudit(tx, auditKey, { actor: 'system', kind: 'test.warm', subject, data: {} }, at));
}

async function intakeOn(options: Pick<PageIntakeDeps, 'concurrency' | 'maxBatch'>, on?: Database) {
  const database = on ?? (await fresh());
  if (on === undefined) await sealAuditHeads(database.db, auditKey);
  const { counted, seen } = counting(database.db);
  const committed: OpenedPage[][] = [];
  const intake = createPageIntake({ db: counted, log: pino({ level: 'silent' }), auditKey, phiKey: randomBytes(32), leaseMs: 30_000, ...options, committed: (opened) => committed.push([...opened]) });
  const db = database.db;
  /** Opens, and checks that the answer came only once the page could be read from outside its transaction. */
  const open = (input: OpenPageInput): Promise<OpenPageResult> =>
    intake.open(input).then(async (result) => {
      const [row] = await db.select({ id: tables.alerts.id }).from(tables.alerts).where(eq(tables.alerts.id, result.alertId));
      if (row === undefined) throw new Error(`answered before alert ${result.alertId} was committed`);
      return result;
    });
  return { database, db, open, seen, committed };
}

describe(`alerts committed together (${testDriver})`, () => {
  it('sixty alerts at once take a handful of transactions, no more at once than allowed, and each gets its own page', async () => {
    const { db, open, seen, committed } = await intakeOn({ concurrency: 2, maxBatch: 25 });
    // Each received a millisecond after the one before.
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => open(alertInput(`T${i}`, {}, new Date(at.getTime() + i)))));

    expect(results.every((r) => r.kind === 'opened')).toBe(true);
    const pageIds = new Set(results.map((r) => r.pageId));
    expect(pageIds.size).toBe(60);
    // The first two go alone (nothing was committing); the other 58 wait and go 25, 25 and 8.
    expect(seen.transactions).toBe(5);
    expect(seen.mostOpen).toBe(2);

    const pages = await db.select().from(tables.pages);
    expect(new Set(pages.map((p) => p.id))).toEqual(pageIds);
    const alerts = await db.select().from(tables.alerts);
    expect(new Map(alerts.map((a) => [a.id, a.fields['test']]))).toEqual(new Map(results.map((r, i) => [r.alertId, `T${i}`])));
    const notifications = await db.select().from(tables.notifications);
    expect(notifications.map((n) => `${n.pageId}:${n.target}:${n.channel}`).sort()).toEqual([...pageIds].map((id) => `${id}:provider:push`).sort());
    const escalations = await db.select().from(tables.escalations);
    const receivedAt = new Map(results.map((r, i) => [r.pageId, at.getTime() + i]));
    expect(new Map(escalations.map((e) => [e.pageId, [e.nextStep, e.dueAt?.getTime()]]))).toEqual(new Map([...receivedAt].map(([id, t]) => [id, [1, t + 5 * 60_000]])));

    // The engine hears of each batch once, with each page's own first notifications to send.
    expect(committed.map((batch) => batch.length).sort((a, b) => a - b)).toEqual([1, 1, 8, 25, 25]);
    for (const o of committed.flat()) expect(o.send.rows.map((n) => `${n.pageId}:${n.channel}:${n.status}`)).toEqual([`${o.pageId}:push:sending`]);

    const audit = await verifyAudit(db, auditKey);
    expect(audit.ok).toBe(true);
    // Each page's events at its own alert's arrival, though a batch's events are appended together.
    const opened = await db.select().from(tables.auditEvents).where(eq(tables.auditEvents.kind, 'page.opened'));
    expect(new Map(opened.map((e) => [e.subject, e.at.getTime()]))).toEqual(new Map([...receivedAt].map(([id, t]) => [`page:${id}`, t])));
    const fired = await db.select().from(tables.auditEvents).where(eq(tables.auditEvents.kind, 'step.fired'));
    expect(new Map(fired.map((e) => [e.subject, e.at.getTime()]))).toEqual(new Map([...receivedAt].map(([id, t]) => [`page:${id}`, t])));
  });

  it('a repeat and a retry in the same burst as their first alert go in a later batch: one page, counted twice; one alert, answered twice', async () => {
    const { db, open, seen } = await intakeOn({ concurrency: 1, maxBatch: 50 });
    const burst = [
      alertInput('K', { dedupKey: 'lab-K-12' }),
      alertInput('NA', { idempotencyKey: 'hl7-0001' }),
      ...Array.from({ length: 8 }, (_, i) => alertInput(`T${i}`)),
      alertInput('K', { dedupKey: 'lab-K-12' }),
      alertInput('NA', { idempotencyKey: 'hl7-0001' }),
    ];
    const results = await Promise.all(burst.map(open));

    expect(results.map((r) => r.kind)).toEqual(['opened', 'opened', ...Array<string>(8).fill('opened'), 'repeated', 'replayed']);
    expect(results[10]!.pageId).toBe(results[0]!.pageId);
    expect(results[11]!).toMatchObject({ alertId: results[1]!.alertId, pageId: results[1]!.pageId });
    // The first alone; then all but the retry, whose first alert is in that batch; the retry last.
    expect(seen.transactions).toBe(3);

    const [repeated] = await db.select().from(tables.pages).where(eq(tables.pages.id, results[0]!.pageId));
    expect(repeated!.alertCount).toBe(2);
    expect(await db.select().from(tables.pages)).toHaveLength(10);
    expect(await db.select().from(tables.alerts)).toHaveLength(11);
    expect(await db.select().from(tables.notifications).where(eq(tables.notifications.pageId, results[0]!.pageId))).toHaveLength(1);
  });

  it('an alert the database refuses fails alone: its batch-mates are opened, and nothing of it is written', async () => {
    const { db, open, seen } = await intakeOn({ concurrency: 1, maxBatch: 50 });
    const first = open(alertInput('T0'));
    // PostgreSQL keeps no NUL in JSON text: the batch with this alert in it cannot commit.
    const refused = open(alertInput('K\u0000'));
    const mates = Array.from({ length: 5 }, (_, i) => open(alertInput(`T${i + 1}`)));

    await expect(refused).rejects.toThrow();
    const results = await Promise.all([first, ...mates]);
    expect(results.every((r) => r.kind === 'opened')).toBe(true);
    // T0 alone; the batch of six, refused; each of the six again on its own.
    expect(seen.transactions).toBe(1 + 1 + 6);

    const alerts = await db.select().from(tables.alerts);
    expect(alerts.map((a) => a.fields['test']).sort()).toEqual(['T0', 'T1', 'T2', 'T3', 'T4', 'T5']);
    const pages = await db.select().from(tables.pages).where(inArray(tables.pages.id, results.map((r) => r.pageId)));
    expect(pages).toHaveLength(6);
    expect(await db.select().from(tables.pages)).toHaveLength(6);
    expect((await verifyAudit(db, auditKey)).ok).toBe(true);
  });

  // Two replicas: the first holds an Idempotency-Key in a transaction not yet committed while
  // the second's batch carries the same key. PGlite has one connection: there is no such race.
  it.skipIf(testDriver === 'pglite')('a batch that loses a race for a key is tried again whole, and finds the winner’s alert', async () => {
    const second = await intakeOn({ concurrency: 1, maxBatch: 50 });
    // This process has written every chain of the trail: its batches' appends go pipelined behind their writes.
    await knowEveryChainHead(second.db);
    // The first replica's transaction: its alert with the key, held open until the second's batch waits on it.
    // (Its page and alert only: its audit append could take the chain the second's first alert needs.)
    const won = { alertId: randomUUID(), pageId: randomUUID() };
    let held!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const released = new Promise<void>((r) => (release = r));
    const firstReplica = second.database.db.transaction(async (tx) => {
      const { match } = alertInput('NA');
      await insertRows(tx, tables.pages, [{ id: won.pageId, source: 'lab', dedupKey: null, alertId: won.alertId, workflow: match.workflow, route: match.route, routeOrder: match.order, rulesVersion: rules.version.hash, rulesGitCommit: null, status: 'open', openedAt: at, unit: null }]);
      await insertRows(tx, tables.alerts, [{ id: won.alertId, source: 'lab', receivedAt: at, dedupKey: null, idempotencyKey: 'hl7-0002', fields: {}, phi: null, pageId: won.pageId }]);
      held();
      await released;
    });
    await holding;

    // The second replica is busy with one alert; the retry and two others wait, and go together.
    const answers = Promise.all([second.open(alertInput('T0')), second.open(alertInput('NA', { idempotencyKey: 'hl7-0002' })), second.open(alertInput('T1')), second.open(alertInput('T2'))]);
    await vi.waitFor(() => expect(second.seen.transactions).toBe(2));
    // The batch's insert now waits on the key.
    const waitingOnLock = sql`select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    await vi.waitFor(async () => expect(rowsOf(await second.db.execute(waitingOnLock))).toHaveLength(1), { timeout: 5_000 });
    // Waiting, the batch holds no chain of the trail: its append is behind the insert, not taken before it.
    await expect(second.db.execute(sql`select id from audit_head for update nowait`)).resolves.toBeDefined();
    release();
    await firstReplica;
    const [busy, retry, ...others] = await answers;

    expect([busy!.kind, retry!.kind, ...others.map((o) => o.kind)]).toEqual(['opened', 'replayed', 'opened', 'opened']);
    expect(retry).toMatchObject(won);
    // T0 alone; the batch, refused on the key; the batch again. Not each of the three alone.
    expect(second.seen.transactions).toBe(3);
    expect(await second.db.select().from(tables.alerts)).toHaveLength(4);
    expect((await verifyAudit(second.db, auditKey)).ok).toBe(true);
  });
});
