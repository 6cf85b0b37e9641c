// Alerts in through HTTP: the page, its first step in the outbox, its escalation timer, PHI
// sealed at rest, and every 4xx of the contract. PGlite, or PostgreSQL with TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/index.js';
import { tables } from '../../src/db/index.js';
import { openPhi } from '../../src/dispatch/phi-vault.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest } from '../support/gateway.js';

const start = gatewayPerTest();
const now = new Date('2026-11-01T07:30:00Z'); // 01:30 CDT, fall-back night: Dr. Dana Ruiz has the hospitalist night

async function gateway(env: Record<string, string> = {}) {
  const t = await start({ at: now, env });
  const lab = await t.token({ kind: 'source', name: 'lab' });
  const post = (body: unknown, headers: Record<string, string> = {}, token = lab) => t.call('POST', '/v1/alerts', token, body, { 'Content-Type': 'application/json', ...headers });
  return { g: t.g, admin: t.admin, lab, post, auditKey: t.auditKey, phiKey: t.phiKey };
}

const critical = { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W', bed: '12', patient: { name: 'Jane Roe', mrn: 'MRN-778899' } } };

interface Accepted {
  readonly alert: { readonly id: string };
  readonly page: { readonly id: string; readonly workflow: string; readonly rulesVersion: string };
  readonly repeat?: string;
}
interface Problem {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

describe(`alerts in (${testDriver})`, () => {
  it('a critical potassium opens a page: 202 after commit, first step queued, next step timed, PHI sealed at rest', async () => {
    const { g, post, auditKey, phiKey } = await gateway();
    const res = await post(critical);
    expect(res.status).toBe(202);
    const body = (await res.json()) as Accepted;
    expect(body.page).toMatchObject({ workflow: 'critical-results' });

    await g.drain();
    const db = g.database.db;
    const [page] = await db.select().from(tables.pages).where(eq(tables.pages.id, body.page.id));
    expect(page).toMatchObject({ status: 'open', workflow: 'critical-results', route: 'critical-lab', rulesVersion: body.page.rulesVersion });
    const queued = await db.select().from(tables.notifications).where(eq(tables.notifications.pageId, body.page.id));
    // Step 1 (at 0m) pages the night hospitalist on call by push and SMS, sent as soon as the
    // page committed; the legacy pager group of this parallel-stage workflow follows at 10m,
    // unless acknowledged.
    expect(queued.map((n) => `${n.step}:${n.target}:${n.personId}:${n.channel}:${n.status}`).sort()).toEqual([
      '0:ordering-provider:amion:A-1004:push:delivered',
      '0:ordering-provider:amion:A-1004:sms:delivered',
    ]);
    const [escalation] = await db.select().from(tables.escalations).where(eq(tables.escalations.pageId, body.page.id));
    expect(escalation).toMatchObject({ cycle: 0, nextStep: 1, dueAt: new Date(now.getTime() + 2 * 60_000) });

    const [alert] = await db.select().from(tables.alerts).where(eq(tables.alerts.id, body.alert.id));
    expect(JSON.stringify(alert)).not.toContain('Jane');
    expect(JSON.stringify(alert)).not.toContain('778899');
    expect(alert!.fields).toMatchObject({ source: 'lab', test: 'K', unit: '5W' });
    expect(openPhi(phiKey, alert!.phi!)).toEqual({ 'patient.name': 'Jane Roe', 'patient.mrn': 'MRN-778899' });
    expect(() => openPhi(randomBytes(32), alert!.phi!)).toThrow();

    const audit = await verifyAudit(db, auditKey);
    expect(audit.ok).toBe(true);
    const kinds = (await db.select().from(tables.auditEvents)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['page.opened', 'alert.received', 'step.fired']));
    expect(JSON.stringify(await db.select().from(tables.auditEvents))).not.toContain('Jane');
  });

  it('a repeat of an open dedup key is counted on the same page and pages nobody again', async () => {
    const { g, post } = await gateway();
    const first = (await (await post({ dedupKey: 'lab-K-12', ...critical })).json()) as Accepted;
    const again = await post({ dedupKey: 'lab-K-12', ...critical });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ page: { id: first.page.id }, repeat: 'repeated' });
    const [page] = await g.database.db.select().from(tables.pages).where(eq(tables.pages.id, first.page.id));
    expect(page!.alertCount).toBe(2);
    expect(await g.database.db.select().from(tables.notifications)).toHaveLength(2);
    expect(await g.database.db.select().from(tables.pages)).toHaveLength(1);

    // Two at the same moment with a new key: still one page, two alerts counted on it.
    const both = await Promise.all([post({ dedupKey: 'lab-NA-3', ...critical }), post({ dedupKey: 'lab-NA-3', ...critical })]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 202]);
    const ids = new Set(((await Promise.all(both.map((r) => r.json()))) as Accepted[]).map((b) => b.page.id));
    expect(ids.size).toBe(1);
    const [raced] = await g.database.db.select().from(tables.pages).where(eq(tables.pages.id, [...ids][0]!));
    expect(raced!.alertCount).toBe(2);
  });

  it('the same Idempotency-Key gets the first answer again, once even when sent at the same moment', async () => {
    const { g, post } = await gateway();
    const answers = await Promise.all([post(critical, { 'Idempotency-Key': 'hl7-msg-0001' }), post(critical, { 'Idempotency-Key': 'hl7-msg-0001' })]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Accepted[];
    expect(bodies[0]!.alert.id).toBe(bodies[1]!.alert.id);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(await g.database.db.select().from(tables.alerts)).toHaveLength(1);
    expect(await g.database.db.select().from(tables.pages)).toHaveLength(1);
  });

  it('answers every way an alert can be wrong with the precise 4xx, and writes nothing', async () => {
    const { g, admin, post } = await gateway({ PAGERLESS_MAX_BODY_BYTES: '2048' });
    const expectError = async (res: Promise<Response>, status: number, code: string) => {
      const r = await res;
      expect({ status: r.status, code: ((await r.json()) as Problem).error.code }).toEqual({ status, code });
    };
    await expectError(fetch(`${g.url}/v1/alerts`, { method: 'POST', body: '{}' }), 401, 'unauthenticated');
    await expectError(post(critical, {}, 'plk_source_forged'), 401, 'invalid_token');
    await expectError(post(critical, {}, admin), 403, 'forbidden');
    await expectError(post({ alert: { ...critical.alert, source: 'radiology' } }), 403, 'source_mismatch');
    await expectError(post('<alert/>', { 'Content-Type': 'application/xml' }), 415, 'unsupported_media_type');
    await expectError(post('{"alert": '), 400, 'invalid_json');
    await expectError(post({ alert: {}, extra: 1 }), 400, 'invalid_alert');
    await expectError(post({ alert: { flag: 'HHH', value: 'high' } }), 400, 'invalid_alert');
    await expectError(post({ alert: { ...critical.alert, test: 'x'.repeat(3000) } }), 413, 'payload_too_large');
    await expectError(post(critical, { 'Idempotency-Key': '' }), 400, 'invalid_idempotency_key');
    const detail = (await (await post({ alert: { flag: 'HHH', value: 'high' } })).json()) as Problem;
    expect(detail.error.details).toEqual({ issues: [{ field: 'flag', message: 'flag must be one of N, H, L, HH, LL, AA' }, { field: 'value', message: 'value must be a number' }] });
    expect(await g.database.db.select().from(tables.alerts)).toEqual([]);
    expect(await g.database.db.select().from(tables.pages)).toEqual([]);
  });

  it('an alert no route matches is 422, with why each route did not match and no PHI', async () => {
    const { g, post } = await gateway();
    const res = await post({ alert: { flag: 'N', priority: 'routine', test: 'K', unit: '5W', patient: { mrn: 'MRN-778899' } } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as Problem & { error: { details: { misses: { route: string; reasons: string[] }[] } } };
    expect(body.error.code).toBe('unroutable');
    expect(body.error.details.misses[0]).toMatchObject({ route: 'critical-lab', reasons: ['flag in (HH, LL, AA) is false: flag is "N"'] });
    expect(JSON.stringify(body)).not.toContain('778899');
    expect(await g.database.db.select().from(tables.pages)).toEqual([]);
  });

  it('shows a page with its ladder position and notifications to operations', async () => {
    const { g, admin, post } = await gateway();
    const { page } = (await (await post(critical)).json()) as Accepted;
    const res = await fetch(`${g.url}/v1/pages/${page.id}`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { state: { status: string }; escalation: { nextStep: number }; notifications: unknown[] };
    expect(body).toMatchObject({ state: { status: 'open' }, escalation: { nextStep: 1 } });
    expect(body.notifications).toHaveLength(2);
    expect((await fetch(`${g.url}/v1/pages/not-a-uuid`, { headers: { Authorization: `Bearer ${admin}` } })).status).toBe(400);
    expect((await fetch(`${g.url}/v1/pages/00000000-0000-4000-8000-000000000000`, { headers: { Authorization: `Bearer ${admin}` } })).status).toBe(404);
  });
});
