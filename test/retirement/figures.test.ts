// Each retirement figure computed on a history whose answer is known by hand (see
// test/support/seeded-history.ts): pages never acknowledged, acknowledged after escalation or
// after the ladder ran out, resolved without acknowledgement, and legacy pages with no
// acknowledgement time.
import { describe, expect, it } from 'vitest';
import { workflowFigures } from '../../src/retirement/figures.js';
import { testDriver } from '../support/db.js';
import { createDevChannels } from '../../src/channels/index.js';
import { gatewayPerTest, type TestGateway } from '../support/gateway.js';
import { historyStart, seedHistory } from '../support/seeded-history.js';

const start = gatewayPerTest();
const day = 86_400_000;
const period = { from: new Date(historyStart.getTime() - 2 * day), to: new Date(historyStart.getTime() + day) };

describe(`retirement figures (${testDriver})`, () => {
  it('per workflow, by unit, channel, role, hour and day of week, and for the legacy log', async () => {
    // Page D's texts are undelivered (its 0-minute step, first run and both repeats): three failed SMS.
    const channels = createDevChannels({ clock: () => t.clock(), outcome: (n) => (n.message.channel === 'sms' && n.message.text.startsWith('Critical Mg') ? { status: 'failed', error: 'undelivered' } : undefined) }).channels;
    const t: TestGateway = await start({ at: historyStart, deps: { channels } });
    await seedHistory(t);
    const db = t.g.database.db;
    const figures = async (by?: 'unit' | 'channel' | 'role' | 'hour' | 'dow') =>
      (await workflowFigures(db, { period, zone: 'America/Chicago', workflows: ['critical-results', 'radiology-critical'], only: 'critical-results', ...(by === undefined ? {} : { by }) }))[0]!;

    const all = await figures();
    expect(all.workflow).toBe('critical-results');
    expect(all.figures).toEqual({
      pages: 6,
      acknowledged: 4,
      ackSeconds: { p50: 270, p90: 2208, p95: 2604, mean: 900 },
      missed: 2,
      escalated: 3,
      fellBack: 0,
      pagerPaged: 2,
      missedRate: 2 / 6,
      escalationRate: 3 / 6,
    });
    expect(all.failedDeliveries).toEqual({ sms: 3 });
    expect(all.legacy).toEqual({ pages: 4, acknowledged: 3, ackSeconds: { p50: 300, p90: 540, p95: 570, mean: 340 }, unacknowledged: 1 });

    const byUnit = (await figures('unit')).by!.rows;
    expect(byUnit.map((r) => [r.key, r.pages, r.acknowledged, r.ackSeconds?.p50 ?? null, r.missed, r.escalated])).toEqual([
      ['4E', 3, 1, 3000, 2, 1],
      ['5W', 3, 3, 180, 0, 2],
    ]);
    const byChannel = (await figures('channel')).by!.rows;
    expect(byChannel.map((r) => [r.key, r.pages, r.ackSeconds?.mean ?? null])).toEqual([
      ['(not acknowledged)', 2, null],
      ['api', 3, 1080],
      ['app', 1, 360],
    ]);
    const byRole = (await figures('role')).by!.rows;
    expect(byRole.map((r) => [r.key, r.pages])).toEqual([
      ['(not acknowledged)', 2],
      ['hospitalist-nocturnist', 1],
      ['ordering-provider', 3],
    ]);
    // 07:30Z on 1 November 2026 is 01:30 CST, a Sunday (ISO day 7).
    expect((await figures('hour')).by!.rows.map((r) => [r.key, r.pages])).toEqual([['01', 6]]);
    expect((await figures('dow')).by!.rows.map((r) => [r.key, r.pages])).toEqual([['7', 6]]);

    // A workflow with no pages is still there, with zeros; a period with nothing in it is all zeros.
    const both = await workflowFigures(db, { period, zone: 'UTC', workflows: ['critical-results', 'radiology-critical'] });
    expect(both.find((w) => w.workflow === 'radiology-critical')!.figures).toMatchObject({ pages: 0, acknowledged: 0, ackSeconds: null, missedRate: null });
    const before = await workflowFigures(db, { period: { from: new Date(0), to: new Date(historyStart.getTime() - 3 * day) }, zone: 'UTC', workflows: ['critical-results'] });
    expect(before[0]!.figures.pages).toBe(0);
    expect(before[0]!.legacy).toBeNull();

    // The same figures through GET /v1/metrics/migration, with readiness against the rules' targets.
    const q = `from=${period.from.toISOString()}&to=${period.to.toISOString()}&zone=America/Chicago`;
    const res = await t.call('GET', `/v1/metrics/migration?${q}&workflow=critical-results&by=unit`, t.admin);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { workflows: { workflow: string; stage: string; figures: unknown; legacy: unknown; by: { rows: unknown[] }; readiness: { verdict: unknown; checks: unknown[]; pagerFallback: unknown } }[]; stageChanges: { workflow: string; stage: string }[] };
    const w = report.workflows[0]!;
    expect(report.workflows).toHaveLength(1);
    expect(w).toMatchObject({ workflow: 'critical-results', stage: 'parallel', figures: all.figures, legacy: all.legacy });
    expect(w.by.rows).toHaveLength(2);
    // critical-results: ack p90 <= 5m, missed <= 1%, escalated <= 15% over 28d min 50 pages.
    expect(w.readiness.verdict).toEqual({ verdict: 'too-few-pages', pages: 6, minPages: 50 });
    expect(w.readiness.checks).toEqual([
      { target: 'ack p90', limit: 300, actual: 2208, met: false },
      { target: 'missed', limit: 0.01, actual: 2 / 6, met: false },
      { target: 'escalated', limit: 0.15, actual: 3 / 6, met: false },
    ]);
    expect(w.readiness.pagerFallback).toEqual({ pages: 6, paged: 2, rate: 2 / 6 });
    expect(report.stageChanges).toEqual([expect.objectContaining({ workflow: 'critical-results', stage: 'parallel' })]);

    const csv = await t.call('GET', `/v1/metrics/migration?${q}&workflow=critical-results&format=csv`, t.admin);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, row] = (await csv.text()).trim().split('\r\n');
    expect(header!.split(',').slice(0, 10)).toEqual(['workflow', 'stage', 'breakdown', 'key', 'pages', 'acknowledged', 'ack_p50_s', 'ack_p90_s', 'ack_p95_s', 'ack_mean_s']);
    expect(row!.split(',')).toEqual(['critical-results', 'parallel', '', '', '6', '4', '270', '2208', '2604', '900', '2', '3', '0', '2', '4', '3', '300', '540', '570', '340', 'too-few-pages']);

    // The same figures as Prometheus series, for teams that chart in Grafana.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('pagerless_acknowledgement_seconds_count{workflow="critical-results"} 4');
    expect(metrics).toContain('pagerless_acknowledgement_seconds_sum{workflow="critical-results"} 3600');
    expect(metrics).toContain('pagerless_acknowledgement_seconds_bucket{le="60",workflow="critical-results"} 1');
    expect(metrics).toContain('pagerless_pages_missed_total{workflow="critical-results"} 2');
    expect(metrics).toContain('pagerless_acknowledgements_escalated_total{workflow="critical-results"} 3');

    // A page with nobody on call (10 January 2027 is past the example rosters) falls back to the desk.
    t.clock.set('2027-01-10T15:00:00Z');
    const fallback = await t.call('POST', '/v1/alerts', await t.token({ kind: 'source', name: 'lab' }), { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W', bed: '12' } });
    expect(fallback.status).toBe(202);
    await t.g.drain();
    const [late] = await workflowFigures(db, { period: { from: new Date('2027-01-10T00:00:00Z'), to: new Date('2027-01-11T00:00:00Z') }, zone: 'UTC', workflows: ['critical-results'], only: 'critical-results' });
    expect(late!.figures).toMatchObject({ pages: 1, fellBack: 1, acknowledged: 0 });
    expect(await (await fetch(`${t.url}/metrics`)).text()).toContain('pagerless_fallbacks_total{workflow="critical-results"} 1');

    // Bad questions get a precise 4xx.
    expect((await t.call('GET', '/v1/metrics/migration?by=bed', t.admin)).status).toBe(400);
    expect((await t.call('GET', '/v1/metrics/migration?zone=Mars/Olympus', t.admin)).status).toBe(400);
    expect((await t.call('GET', `/v1/metrics/migration?from=${period.to.toISOString()}&to=${period.from.toISOString()}`, t.admin)).status).toBe(400);
    expect((await t.call('GET', '/v1/metrics/migration?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', t.admin)).status).toBe(400);
    expect((await t.call('GET', '/v1/metrics/migration?workflow=critical-result', t.admin)).status).toBe(404);
    expect((await t.call('GET', '/v1/metrics/migration', null)).status).toBe(401);
    expect((await t.call('GET', '/v1/metrics/migration', await t.token({ kind: 'source', name: 'lab' }))).status).toBe(403);
  }, 120_000);
});
