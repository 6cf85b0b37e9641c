// The dispatch core end to end through HTTP, on PGlite or PostgreSQL, with a clock the tests
// move: a page escalates through its ladder, repeats, falls back to the team inbox, stops at
// acknowledgement, and every message is sent once.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { verifyAudit } from '../../src/audit/index.js';
import type { DevDelivery } from '../../src/channels/index.js';
import { rowsOf, tables } from '../../src/db/index.js';
import type { PageView } from '../../src/dispatch/index.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE, type TestGateway } from '../support/gateway.js';

const start = gatewayPerTest();
/** 01:30 CST on 1 November 2026, just after the clocks went back: Dr. Dana Ruiz (A-1004) has the hospitalist night, Dr. Elif Sahin (A-1101) the nocturnist shift. */
const night = new Date('2026-11-01T07:30:00Z');

const criticalPotassium = { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W', bed: '12', patient: { name: 'Jane Roe', mrn: 'MRN-778899' } } };

interface Accepted {
  readonly page: { readonly id: string; readonly workflow: string; readonly rulesVersion: string };
}

async function hospital(at: Date = night, options: Parameters<typeof start>[0] extends infer O ? Partial<O> : never = {}) {
  const t = await start({ at, ...options });
  const lab = await t.token({ kind: 'source', name: 'lab' });
  const raise = async (body: unknown = criticalPotassium, headers: Record<string, string> = {}): Promise<Accepted & { status: number }> => {
    const res = await t.call('POST', '/v1/alerts', lab, body, headers);
    const json = (await res.json()) as Accepted;
    await t.g.drain();
    return { ...json, status: res.status };
  };
  return { ...t, lab, raise };
}

/** What the development channel delivered from record `from` on: `cycle.step channel recipient`, sorted within the batch. */
function delivered(t: TestGateway, from = 0): string[] {
  return t.g.devDeliveries
    .slice(from)
    .map((d: DevDelivery) => `${d.cycle}.${d.step} ${d.channel} ${d.recipient.kind === 'person' ? d.recipient.personId : d.recipient.kind === 'team' ? d.recipient.team : d.recipient.group}`)
    .sort();
}

async function view(t: TestGateway, pageId: string, token = t.admin): Promise<PageView> {
  const res = await t.call('GET', `/v1/pages/${pageId}`, token);
  expect(res.status).toBe(200);
  return (await res.json()) as PageView;
}

describe(`escalation (${testDriver})`, () => {
  it('an unacknowledged critical potassium climbs every step of its ladder, repeats it twice, then stops', async () => {
    const t = await hospital();
    const { page, status } = await t.raise();
    expect(status).toBe(202);
    expect(delivered(t)).toEqual(['0.0 push amion:A-1004', '0.0 sms amion:A-1004']);

    // Nothing fires a second early; the step fires when its instant comes.
    await t.advance(2 * MINUTE - 1000);
    expect(t.g.devDeliveries).toHaveLength(2);
    await t.advance(1000);
    expect(delivered(t, 2)).toEqual(['0.1 voice amion:A-1004']);
    await t.advance(3 * MINUTE);
    expect(delivered(t, 3)).toEqual(['0.2 push amion:A-1101', '0.2 voice amion:A-1101']); // nights: the nocturnist
    await t.advance(5 * MINUTE);
    expect(delivered(t, 5)).toEqual(['0.3 push lab-critical-desk', '0.4 pager LAB-CRIT-2231']);

    // `repeat 2 every 15m`: the whole ladder again at 15 and 30 minutes.
    await t.advance(5 * MINUTE);
    expect(delivered(t, 7)).toEqual(['1.0 push amion:A-1004', '1.0 sms amion:A-1004']);
    // Each step at its instant: 17, 20, 25 minutes; then the third run at 30, 32, 35, 40.
    for (const gap of [2, 3, 5, 5, 2, 3, 5]) await t.advance(gap * MINUTE);
    const all = delivered(t);
    expect(all).toHaveLength(21);
    for (const cycle of [0, 1, 2]) {
      expect(all.filter((d) => d.startsWith(`${cycle}.`))).toEqual([
        `${cycle}.0 push amion:A-1004`,
        `${cycle}.0 sms amion:A-1004`,
        `${cycle}.1 voice amion:A-1004`,
        `${cycle}.2 push amion:A-1101`,
        `${cycle}.2 voice amion:A-1101`,
        `${cycle}.3 push lab-critical-desk`,
        `${cycle}.4 pager LAB-CRIT-2231`,
      ]);
    }

    // The ladder has run out: nothing more, however long nobody answers.
    await t.advance(120 * MINUTE);
    expect(t.g.devDeliveries).toHaveLength(21);
    const v = await view(t, page.id);
    expect(v.state).toEqual({ status: 'open' });
    expect(v.escalation).toMatchObject({ dueAt: null });
    expect(v.notifications.every((n) => n.delivery.status === 'delivered')).toBe(true);
    expect(v.timeline.filter((e) => e.kind === 'step.fired')).toHaveLength(15);
    expect(v.timeline.filter((e) => e.kind === 'step.fired').every((e) => e.data['lateMs'] === 0)).toBe(true);
    expect(t.g.devDeliveries.every((d) => !d.duplicate)).toBe(true);

    // Channel texts are the rules' PHI-free templates, with the signed acknowledge link.
    const sms = t.g.devDeliveries.find((d) => d.channel === 'sms')!;
    expect(sms.text).toMatch(new RegExp(`^Critical K on 5W\\. Open Pagerless: ${t.url}/ack/[A-Za-z0-9_-]{34} \\(reply ${page.id.slice(0, 8)} to acknowledge\\)$`));
    expect(JSON.stringify(t.g.devDeliveries)).not.toMatch(/Jane|778899/);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/pagerless_alert_to_first_notification_seconds_count 1\b/);
    expect(metrics).toMatch(/pagerless_escalation_lateness_seconds_count 14\b/);
    expect((await verifyAudit(t.g.database.db, t.auditKey)).ok).toBe(true);
  });

  it('acknowledging stops the escalation, and records who, how and how long after the page opened', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    await t.advance(2 * MINUTE); // the voice call went out too
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    t.clock.advance(MINUTE);
    const ack = await t.call('POST', `/v1/pages/${page.id}/ack`, ruiz, { via: 'app' });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ page: { status: 'acknowledged' }, acknowledgement: { by: 'amion:A-1004', via: 'app', afterMs: 3 * MINUTE }, alreadyAcknowledged: false });

    await t.advance(60 * MINUTE);
    expect(delivered(t)).toEqual(['0.0 push amion:A-1004', '0.0 sms amion:A-1004', '0.1 voice amion:A-1004']);
    const v = await view(t, page.id, ruiz);
    expect(v.state).toMatchObject({ status: 'acknowledged', by: 'amion:A-1004', via: 'app', afterMs: 3 * MINUTE });
    expect(v.escalation?.dueAt).toBeNull();
    expect(v.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['page.opened', 'step.fired', 'notification.delivered', 'page.acknowledged', 'escalation.stopped']));

    // Acknowledging again is harmless and says who did it first.
    const again = await t.call('POST', `/v1/pages/${page.id}/ack`, ruiz);
    expect(await again.json()).toMatchObject({ alreadyAcknowledged: true, acknowledgement: { via: 'app', afterMs: 3 * MINUTE } });
  });

  it('only a person the page was sent to may acknowledge it; everyone else gets the precise refusal', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    const sahin = await t.token({ kind: 'person', name: 'amion:A-1101' }); // the nocturnist: not paged until 5m
    const expectError = async (res: Promise<Response>, status: number, code: string) => {
      const r = await res;
      expect({ status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }).toEqual({ status, code });
    };
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, sahin), 403, 'not_paged');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, t.admin), 403, 'forbidden');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, t.lab), 403, 'forbidden');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, null), 401, 'unauthenticated');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, 'plk_person_forged'), 401, 'invalid_token');
    await expectError(t.call('GET', `/v1/pages/${page.id}`, sahin), 403, 'forbidden');
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    await expectError(t.call('POST', '/v1/pages/not-a-page/ack', ruiz), 400, 'invalid_parameter');
    await expectError(t.call('POST', '/v1/pages/00000000-0000-4000-8000-000000000000/ack', ruiz), 404, 'unknown_page');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, ruiz, { via: 'carrier-pigeon' }), 400, 'invalid_body');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, ruiz, '{"via":', { 'Content-Type': 'application/json' }), 400, 'invalid_json');
    await expectError(t.call('POST', `/v1/pages/${page.id}/ack`, ruiz, 'via=app', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    const [row] = await t.g.database.db.select().from(tables.pages).where(eq(tables.pages.id, page.id));
    expect(row!.status).toBe('open'); // none of that changed anything

    // Once the ladder reaches the nocturnist, she may acknowledge too.
    await t.advance(5 * MINUTE);
    expect((await t.call('POST', `/v1/pages/${page.id}/ack`, sahin)).status).toBe(200);
  });

  it('after acknowledgement, a step without `unless acked` still fires as the rules say, but the ladder does not repeat', async () => {
    // The example hospital plus a monitor workflow whose charge nurse is told at 4m in any case.
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-rules-'));
    cpSync('rules', dir, { recursive: true });
    writeFileSync(
      join(dir, '60-monitor.rules'),
      `workflow telemetry {
  stage legacy
  legacy-pager-group "TELE-1"
  push "Telemetry" / "{test} on {unit}"
  sms  "Telemetry {test} on {unit}: {link}"
  route telemetry-alarm when source = monitor {
    notify ordering-provider via push  at 0m
    notify ordering-provider via sms   at 2m unless acked
    notify charge-nurse                at 4m
    repeat 1 every 10m
  }
}
`,
    );
    const t = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir } });
    const monitor = await t.token({ kind: 'source', name: 'monitor' });
    const res = await t.call('POST', '/v1/alerts', monitor, { alert: { test: 'VT run', unit: '5W' } });
    const { page } = (await res.json()) as Accepted;
    await t.g.drain();
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    await t.advance(MINUTE);
    expect((await t.call('POST', `/v1/pages/${page.id}/ack`, ruiz)).status).toBe(200);
    await t.advance(MINUTE);
    expect(delivered(t)).toEqual(['0.0 push amion:A-1004']); // the 2m SMS was `unless acked`
    await t.advance(2 * MINUTE);
    expect(delivered(t, 1)).toHaveLength(1);
    expect(delivered(t, 1)[0]).toMatch(/^0\.2 push qgenda:/); // the charge nurse, regardless
    await t.advance(30 * MINUTE);
    expect(t.g.devDeliveries).toHaveLength(2); // and no repeat
    expect((await view(t, page.id)).escalation?.dueAt).toBeNull();
  });

  it('after an outage, a ladder far behind catches up from its latest repeat, not with every step it missed at once', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    // Nothing ran for 40 minutes: cycles 0 and 1 went by, cycle 2 began at 30 minutes.
    await t.advance(40 * MINUTE);
    expect(delivered(t, 2)).toEqual([
      '2.0 push amion:A-1004',
      '2.0 sms amion:A-1004',
      '2.1 voice amion:A-1004',
      '2.2 push amion:A-1101',
      '2.2 voice amion:A-1101',
      '2.3 push lab-critical-desk',
      '2.4 pager LAB-CRIT-2231',
    ]);
    const skipped = (await view(t, page.id)).timeline.find((e) => e.kind === 'step.skipped');
    expect(skipped?.data).toMatchObject({ cycle: 0, step: 1, untilCycle: 2, reason: 'behind: a later repeat has begun' });
  });

  it('a page that cannot fire (its rules version is gone) is retried later and holds back no other page', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    const db = t.g.database.db;
    const [row] = await db.select().from(tables.pages).where(eq(tables.pages.id, page.id));
    const orphan = '11111111-1111-4111-8111-111111111111';
    await db.insert(tables.pages).values({ ...row!, id: orphan, dedupKey: null, rulesVersion: 'f'.repeat(64) });
    await db.insert(tables.escalations).values({ pageId: orphan, cycle: 0, nextStep: 1, dueAt: new Date(night.getTime() + 2 * MINUTE) });
    await t.advance(2 * MINUTE);
    expect(delivered(t, 2)).toEqual(['0.1 voice amion:A-1004']);
    const [stuck] = await db.select().from(tables.escalations).where(eq(tables.escalations.pageId, orphan));
    expect(stuck).toMatchObject({ nextStep: 1, dueAt: new Date(night.getTime() + 2 * MINUTE + 30_000) });
  });

  it('with nobody on call, the fallback team inbox is paged in the role’s place', async () => {
    // 10 January 2027 is past the end of the example rosters: the hospitalist roster is empty.
    const t = await hospital(new Date('2027-01-10T15:00:00Z'));
    const { page } = await t.raise();
    expect(delivered(t)).toEqual(['0.0 push lab-critical-desk']);
    const v = await view(t, page.id);
    expect(v.notifications[0]).toMatchObject({ target: 'lab-critical-desk', personId: null, standsInFor: 'ordering-provider', channel: 'push' });
    expect(v.timeline.find((e) => e.kind === 'step.fallback')?.data['fallbacks']).toEqual(['ordering-provider→lab-critical-desk (empty)']);
    await t.advance(2 * MINUTE);
    expect(delivered(t, 1)).toEqual(['0.1 push lab-critical-desk']); // the voice step: the desk takes it on its own channel
  });

  it('a repeat of an open dedup key is counted on the page, also after acknowledgement; once resolved, the key opens a new page', async () => {
    const t = await hospital();
    const first = await t.raise({ dedupKey: 'lab-K-12', ...criticalPotassium });
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    await t.call('POST', `/v1/pages/${first.page.id}/ack`, ruiz);
    const repeat = await t.raise({ dedupKey: 'lab-K-12', ...criticalPotassium });
    expect(repeat).toMatchObject({ status: 200, page: { id: first.page.id } });
    expect(t.g.devDeliveries).toHaveLength(2);
    expect((await view(t, first.page.id)).page.alertCount).toBe(2);

    const resolved = await t.call('POST', `/v1/pages/${first.page.id}/resolve`, t.lab);
    expect(resolved.status).toBe(200);
    const fresh = await t.raise({ dedupKey: 'lab-K-12', ...criticalPotassium });
    expect(fresh.status).toBe(202);
    expect(fresh.page.id).not.toBe(first.page.id);
    expect(t.g.devDeliveries).toHaveLength(4);
  });

  it('an Idempotency-Key seen before gets the first answer and pages nobody again', async () => {
    const t = await hospital();
    const first = await t.raise(criticalPotassium, { 'Idempotency-Key': 'hl7-0001' });
    const again = await t.raise(criticalPotassium, { 'Idempotency-Key': 'hl7-0001' });
    expect(again).toMatchObject({ status: 200, page: { id: first.page.id } });
    expect(t.g.devDeliveries).toHaveLength(2);
  });

  it('resolving ends the page: queued messages are cancelled and no step fires; only operations, the source or a paged person may', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    const radiology = await t.token({ kind: 'source', name: 'radiology' });
    const sahin = await t.token({ kind: 'person', name: 'amion:A-1101' });
    expect((await t.call('POST', `/v1/pages/${page.id}/resolve`, radiology)).status).toBe(403);
    expect((await t.call('POST', `/v1/pages/${page.id}/resolve`, sahin)).status).toBe(403);
    const res = await t.call('POST', `/v1/pages/${page.id}/resolve`, t.admin);
    expect(await res.json()).toMatchObject({ page: { status: 'resolved' }, resolution: { by: 'admin:operations' }, alreadyResolved: false });
    expect(await (await t.call('POST', `/v1/pages/${page.id}/resolve`, t.lab)).json()).toMatchObject({ alreadyResolved: true, resolution: { by: 'admin:operations' } });
    await t.advance(60 * MINUTE);
    expect(t.g.devDeliveries).toHaveLength(2);
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    const late = await t.call('POST', `/v1/pages/${page.id}/ack`, ruiz);
    expect(late.status).toBe(409);
    expect((await view(t, page.id)).state).toMatchObject({ status: 'resolved', by: 'admin:operations', acknowledged: null });
  });
});

describe(`the outbox (${testDriver})`, () => {
  it('retries a failed send with backoff, marks it failed after the last attempt, and the ladder goes on regardless', async () => {
    const attempts = new Map<string, number>();
    const t = await hospital(night, {
      deps: {
        channels: (await import('../../src/channels/index.js')).createDevChannels({
          clock: () => t.clock(),
          outcome: (n) => {
            attempts.set(n.idempotencyKey, n.attempt);
            // SMS: the carrier is down for two tries, then takes it. Push: the subscription is gone.
            if (n.message.channel === 'sms' && n.attempt <= 2) return { status: 'retry', error: 'HTTP 503 from the provider' };
            if (n.message.channel === 'push') return { status: 'failed', error: 'HTTP 410: the subscription has expired' };
            return undefined;
          },
        }).channels,
      },
    });
    const { page } = await t.raise();
    let v = await view(t, page.id);
    const sms = () => v.notifications.find((n) => n.channel === 'sms')!;
    expect(sms().delivery).toMatchObject({ status: 'queued', attempts: 1, lastError: 'HTTP 503 from the provider', nextAttemptAt: new Date(night.getTime() + 5000).toISOString() });
    expect(v.notifications.find((n) => n.channel === 'push')!.delivery).toEqual({ status: 'failed', error: 'HTTP 410: the subscription has expired', attempts: 1 });

    await t.advance(4999);
    expect((await view(t, page.id)).notifications.find((n) => n.channel === 'sms')!.delivery).toMatchObject({ attempts: 1 });
    await t.advance(1);
    v = await view(t, page.id);
    expect(sms().delivery).toMatchObject({ status: 'queued', attempts: 2 });
    await t.advance(15_000);
    v = await view(t, page.id);
    expect(sms().delivery).toMatchObject({ status: 'delivered' });
    expect(v.timeline.filter((e) => e.kind === 'notification.retrying')).toHaveLength(2);

    // The escalation does not wait for a channel: the voice step fires at 2m as the rules say.
    await t.advance(2 * MINUTE);
    expect((await view(t, page.id)).notifications.some((n) => n.step === 1 && n.channel === 'voice' && n.delivery.status === 'delivered')).toBe(true);
  });

  it('records outcomes that come soon after a write together, in one write its spacing later; after a quiet spell, at once', async () => {
    // At a steady rate each page's outcomes would otherwise commit alone. A write's instant is
    // the clock's when it starts, so the clock, moved between the steps below (by less than the
    // ladder's first wait), tells the writes apart. (The spacing is long, so that a slow machine still raises the three in it.)
    const t = await hospital(night, { deps: { tuning: { writeSpacingMs: 2_000 } } });
    const alert = (bed: string) => ({ alert: { ...criticalPotassium.alert, bed } });
    const raise = async (bed: string) => ((await (await t.call('POST', '/v1/alerts', t.lab, alert(bed))).json()) as Accepted).page.id;
    const seconds = (n: number) => new Date(night.getTime() + n * 1000).toISOString();
    // Nothing written before: the first page's outcomes are written at once, before the clock moves.
    const first = await raise('1');
    t.clock.advance(10_000);
    // Within the spacing of that write: the second page's wait, and the third's join them.
    const second = await raise('2');
    t.clock.advance(10_000);
    const third = await raise('3');
    t.clock.advance(10_000);
    await t.g.drain();
    const sentAt = async (pageId: string) =>
      (await t.g.database.db.select({ sentAt: tables.notifications.sentAt }).from(tables.notifications).where(eq(tables.notifications.pageId, pageId))).map((n) => n.sentAt?.toISOString());
    expect(await sentAt(first)).toEqual([seconds(0), seconds(0)]);
    expect(await sentAt(second)).toEqual([seconds(30), seconds(30)]);
    expect(await sentAt(third)).toEqual([seconds(30), seconds(30)]);
  });

  it('gives up after the last attempt and says so', async () => {
    const t = await hospital(night, {
      deps: { channels: (await import('../../src/channels/index.js')).createDevChannels({ clock: () => t.clock(), outcome: (n) => (n.message.channel === 'sms' ? { status: 'retry', error: 'timeout' } : undefined) }).channels },
      env: {},
    });
    const { page } = await t.raise();
    for (let i = 0; i < 6; i++) await t.advance(5 * MINUTE);
    const sms = (await view(t, page.id)).notifications.find((n) => n.channel === 'sms' && n.cycle === 0)!;
    expect(sms.delivery).toEqual({ status: 'failed', error: 'timeout (gave up after 6 attempts)', attempts: 6 });
  });

  it('takes over a send whose claimer died, once its lease has passed', async () => {
    const t = await hospital();
    const lab = t.lab;
    // A page whose first notifications a dead process had claimed and never finished.
    const res = await t.call('POST', '/v1/alerts', lab, criticalPotassium);
    const { page } = (await res.json()) as Accepted;
    await t.g.drain();
    const db = t.g.database.db;
    await db
      .update(tables.notifications)
      .set({ status: 'sending', leaseUntil: new Date(night.getTime() + 30_000), attempts: 1 })
      .where(and(eq(tables.notifications.pageId, page.id), eq(tables.notifications.channel, 'sms')));
    const before = t.g.devDeliveries.length;
    await t.advance(29_000);
    expect(t.g.devDeliveries).toHaveLength(before); // the lease still stands
    await t.advance(2_000);
    expect(t.g.devDeliveries.slice(before).map((d) => `${d.channel} attempt ${d.attempt} ${d.duplicate ? 'duplicate' : 'new'}`)).toEqual(['sms attempt 2 duplicate']);
    const [sms] = await db.select().from(tables.notifications).where(and(eq(tables.notifications.pageId, page.id), eq(tables.notifications.channel, 'sms')));
    expect(sms).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});

describe.skipIf(testDriver !== 'postgres')('acknowledgement racing the escalation worker (PostgreSQL)', () => {
  it('an acknowledgement that arrives while a step is being fired waits for it, and neither deadlocks nor fails', async () => {
    const t = await hospital();
    const { page } = await t.raise();
    const ruiz = await t.token({ kind: 'person', name: 'amion:A-1004' });
    const db = t.g.database.db;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const rowLocked = new Promise<void>((r) => (locked = r));
    // What the escalation worker does: lock the ladder's row, then write the step's notifications
    // (whose foreign key takes a KEY SHARE lock on the page).
    const worker = db.transaction(async (tx) => {
      await tx.select().from(tables.escalations).where(eq(tables.escalations.pageId, page.id)).for('update');
      locked();
      await held;
      const at = t.clock();
      await tx.insert(tables.notifications).values({ pageId: page.id, cycle: 0, step: 1, target: 'ordering-provider', personId: 'amion:A-1004', channel: 'voice', status: 'cancelled', createdAt: at, nextAttemptAt: at, updatedAt: at });
    });
    await rowLocked;
    const ack = t.call('POST', `/v1/pages/${page.id}/ack`, ruiz);
    // Once the acknowledgement is waiting for the ladder's row, the worker goes on.
    await vi.waitFor(async () => {
      const waiting = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`));
      expect(waiting[0]!.n).toBeGreaterThan(0);
    });
    release();
    await worker;
    expect((await ack).status).toBe(200);
  });
});
