// GET /v1/audit: compliance exports the trail a page at a time, filtered by what it is about,
// with the MACs that let the export be checked later.
import { describe, expect, it } from 'vitest';
import { auditMac, chainOf } from '../../src/audit/chain.js';
import { appendAudit } from '../../src/audit/index.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE } from '../support/gateway.js';

const start = gatewayPerTest();
const night = new Date('2026-11-01T07:30:00Z');

interface ExportedEvent {
  readonly seq: number;
  readonly chain: number;
  readonly position: number;
  readonly at: string;
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly data: Record<string, string | number | boolean | null>;
  readonly prevMac: string;
  readonly mac: string;
}
interface Export {
  readonly events: ExportedEvent[];
  readonly next: string;
  readonly more: boolean;
  readonly heads: { chain: number; position: number; count: number; mac: string }[];
}

describe(`the audit export (${testDriver})`, () => {
  it('pages through the whole trail in order, each event chained to the one before, ending at the head', async () => {
    const t = await start({ at: night });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const res = await t.call('POST', '/v1/alerts', lab, { alert: { flag: 'HH', priority: 'stat', test: 'K', unit: '5W', patient: { name: 'Jane Roe' } } });
    const { page } = (await res.json()) as { page: { id: string } };
    await t.g.drain();
    await t.advance(2 * MINUTE);

    const all: ExportedEvent[] = [];
    let after = '';
    let heads: Export['heads'] = [];
    for (;;) {
      const chunk = (await (await t.call('GET', `/v1/audit?limit=7${after === '' ? '' : `&after=${after}`}`, t.admin)).json()) as Export;
      all.push(...chunk.events);
      heads = chunk.heads;
      after = chunk.next;
      if (!chunk.more) break;
    }
    const rest = (await (await t.call('GET', `/v1/audit?after=${after}`, t.admin)).json()) as Export;
    expect(rest).toMatchObject({ events: [], next: after, more: false });
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));
    expect(all.length).toBe(heads.reduce((n, h) => n + h.count, 0));
    // Each chain, in the order of its positions, links row to row and ends at its head.
    for (const head of heads) {
      const rows = all.filter((e) => e.chain === head.chain).sort((a, b) => a.position - b.position);
      rows.forEach((row, i) => expect(row.prevMac).toBe(i === 0 ? 'genesis' : rows[i - 1]!.mac));
      expect(rows.at(-1)?.mac ?? 'genesis').toBe(head.mac);
    }
    // The export is what was signed: recomputing the MACs with the key gives the same chain.
    for (const e of all) expect(auditMac(t.auditKey, { ...e, at: new Date(e.at) })).toBe(e.mac);
    expect(JSON.stringify(all)).not.toContain('Jane');

    const about = (await (await t.call('GET', `/v1/audit?subject=page:${page.id}&limit=1000`, t.admin)).json()) as Export;
    expect(about.events.every((e) => e.subject === `page:${page.id}`)).toBe(true);
    expect(about.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['page.opened', 'step.fired', 'notification.delivered']));
    const steps = (await (await t.call('GET', '/v1/audit?kind=step&limit=1000', t.admin)).json()) as Export;
    expect(steps.events.map((e) => `${e.kind} ${e.data['step']}`)).toEqual(['step.fired 0', 'step.fired 1']);
    const exact = (await (await t.call('GET', '/v1/audit?kind=step.fired&limit=1', t.admin)).json()) as Export;
    expect(exact).toMatchObject({ events: [{ kind: 'step.fired' }], more: true });
    const second = (await (await t.call('GET', `/v1/audit?kind=step.fired&after=${exact.next}`, t.admin)).json()) as Export;
    expect(second.events.map((e) => e.data['step'])).toEqual([1]);
  });

  it('is for operations only, and names a bad query', async () => {
    const t = await start({ at: night });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    expect((await t.call('GET', '/v1/audit', null)).status).toBe(401);
    expect((await t.call('GET', '/v1/audit', lab)).status).toBe(403);
    for (const q of ['limit=0', 'limit=1001', 'after=-1', 'after=first', 'after=1,2,3', 'since=yesterday']) {
      const res = await t.call('GET', `/v1/audit?${q}`, t.admin);
      expect({ q, status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ q, status: 400, code: 'invalid_parameter' });
    }
  });
});

describe.skipIf(testDriver !== 'postgres')('exporting while writers commit out of order (PostgreSQL)', () => {
  it('an event that commits after a later one was exported is in the next poll', async () => {
    const t = await start({ at: night });
    const db = t.g.database.db;
    // Two subjects on different chains: one transaction holds its event uncommitted while the other commits.
    const [slow, quick] = ['page:slow-0', 'page:quick-0'].map((s, i) => {
      for (let n = 0; ; n++) {
        const subject = s.replace(/\d+$/, String(n));
        if (i === 0 ? chainOf(subject) === 1 : chainOf(subject) === 2) return subject;
      }
    }) as [string, string];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let written!: () => void;
    const appended = new Promise<void>((r) => (written = r));
    const event = (subject: string) => ({ actor: 'system', kind: 'test.written', subject, data: {} });
    const slowTx = db.transaction(async (tx) => {
      await appendAudit(tx, t.auditKey, event(slow), night);
      written();
      await held;
    });
    await appended;
    await db.transaction((tx) => appendAudit(tx, t.auditKey, event(quick), night));
    const first = (await (await t.call('GET', '/v1/audit?kind=test', t.admin)).json()) as Export;
    expect(first.events.map((e) => e.subject)).toEqual([quick]);
    release();
    await slowTx;
    const second = (await (await t.call('GET', `/v1/audit?kind=test&after=${first.next}`, t.admin)).json()) as Export;
    expect(second.events.map((e) => e.subject)).toEqual([slow]);
  });
});
