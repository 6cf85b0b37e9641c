// The dashboard's chart keeps finished weeks (ack_trend_buckets) instead of reading a year of
// pages on every load. What it draws must not depend on that: the kept weeks give the figures
// the pages give, and a late acknowledgement of a page in a kept week is in the next chart.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { ackTrend } from '../../src/retirement/ack-trend.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE } from '../support/gateway.js';
import { ackByFirstPaged, raise } from '../support/pages.js';

const start = gatewayPerTest();
const zone = 'America/Chicago';
const critical = (test: string) => ({ flag: 'HH', priority: 'stat', test, value: 6.9, unit: '5W' });

describe(`the acknowledgement-time chart (${testDriver})`, () => {
  it('kept weeks give what the pages give; a late acknowledgement reaches the next chart', async () => {
    // Tuesday 27 October 2026, 10:00 in Chicago: one page answered in a minute, one left unanswered.
    const t = await start({ at: '2026-10-27T15:00:00Z' });
    const db = t.g.database.db;
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const quick = await raise(t, lab, critical('K'));
    const unanswered = await raise(t, lab, critical('Na'));
    await t.advance(MINUTE);
    await ackByFirstPaged(t, quick);
    // A week later, one answered in two minutes.
    t.clock.set('2026-11-03T15:00:00Z');
    await t.g.refreshRosters(); // as the daily refresh would have: the rosters are not stale
    await t.g.drain();
    const second = await raise(t, lab, critical('Ca'));
    await t.advance(2 * MINUTE);
    await ackByFirstPaged(t, second);
    // Thursday of the week after: the weeks of 26 October and 2 November are over.
    t.clock.set('2026-11-12T18:00:00Z');
    await t.g.drain();
    const now = t.clock();
    const period = { from: new Date('2026-10-20T00:00:00Z'), to: now };
    const chart = () => ackTrend(db, { period, zone, workflow: 'critical-results', bucket: 'week', now });
    // With `now` at the period's start no week is over yet: every figure is read from the pages.
    const fromPages = () => ackTrend(db, { period, zone, workflow: 'critical-results', bucket: 'week', now: period.from });

    const first = await chart();
    expect(first.map((p) => [p.at.toISOString(), p.pages, p.ackSeconds?.p50 ?? null])).toEqual([
      ['2026-10-26T05:00:00.000Z', 2, 60], // Monday 26 October, midnight CDT
      ['2026-11-02T06:00:00.000Z', 1, 120], // Monday 2 November, midnight CST
    ]);
    expect(first).toEqual(await fromPages());
    const kept = await db.select().from(tables.ackTrendBuckets);
    expect(kept.map((k) => [k.zone, k.bucket, k.startsAt.toISOString(), k.pages]).sort()).toEqual([
      [zone, 'week', '2026-10-26T05:00:00.000Z', 2],
      [zone, 'week', '2026-11-02T06:00:00.000Z', 1],
    ]);
    // The next load reads the kept weeks (a kept figure altered by hand shows), and agrees.
    const week2 = eq(tables.ackTrendBuckets.startsAt, new Date('2026-11-02T06:00:00.000Z'));
    await db.update(tables.ackTrendBuckets).set({ pages: 99 }).where(week2);
    expect((await chart())[1]!.pages).toBe(99);
    await db.update(tables.ackTrendBuckets).set({ pages: 1 }).where(week2);
    expect(await chart()).toEqual(first);

    // The page left unanswered is acknowledged now, sixteen days on: its week is worked out again.
    await ackByFirstPaged(t, unanswered);
    const after = await chart();
    expect(after).toEqual(await fromPages());
    expect(after[0]!.ackSeconds!.p50).toBeGreaterThan(60);
    expect(after[0]!.ackSeconds!.mean).toBeCloseTo((60 + (now.getTime() - new Date('2026-10-27T15:00:00Z').getTime()) / 1000) / 2, 3);
    expect(after[1]).toEqual(first[1]);
  });
});
