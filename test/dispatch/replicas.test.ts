// Replicas scale out over one PostgreSQL: three `pagerless serve` processes share a database,
// the keys and the development channel's deliveries file, and take a burst of alerts spread
// across them. Whoever opened a page, whoever fires its later steps, each person is paged once
// per step and channel, and each step fires once. Nobody dies here, so the channel must not
// see a single repeated send: a duplicate would be a real double page.
import { describe, expect, it } from 'vitest';
import { testDriver } from '../support/db.js';
import { adminTokenOf, drillSitePerTest, issueSourceKey, ledgerOf, logSummary, postAlert, waitForLaddersToFinish, withConcurrency, type AlertAnswer } from '../support/processes.js';

const drillSite = drillSitePerTest();
const alerts = 1_000;

describe.skipIf(testDriver !== 'postgres')('replicas on one database (PostgreSQL)', () => {
  it('three gateways take a burst of 1,000 lab alerts: every notification goes out exactly once and every escalation step fires exactly once', async () => {
    const began = Date.now();
    const site = await drillSite({ stepSeconds: 1 });
    // The first replica starts alone: it makes the admin token, shown once, and operations issue the lab's key.
    const first = await site.serve('replica-a');
    const lab = await issueSourceKey(first.url, adminTokenOf(first), 'lab');
    const others = await Promise.all([site.serve('replica-b'), site.serve('replica-c')]);
    const replicas = [first, ...others];
    for (const r of others) expect(r.stderr()).not.toMatch(/plk_admin_/);
    const started = Date.now();

    // Round robin across the three, 50 in flight.
    const answers = await withConcurrency(alerts, 50, async (i) => {
      const res = await postAlert(replicas[i % replicas.length]!.url, lab);
      return { status: res.status, body: (await res.json()) as AlertAnswer };
    });
    const posted = Date.now();
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const pageIds = answers.map((a) => a.body.page.id);
    expect(new Set(pageIds).size).toBe(alerts);

    await waitForLaddersToFinish(site.database, site.hospital.ladder.steps, alerts, 150_000);
    const settled = Date.now();
    const ledger = await ledgerOf(site, pageIds);
    expect(ledger.problems).toEqual([]);
    expect(ledger.duplicates).toBe(0);
    expect(ledger.records).toBe(alerts * site.hospital.ladder.notificationsPerCycle * site.hospital.ladder.cycles);
    expect(ledger.notifications).toBe(ledger.records);
    expect(ledger.stepsFired).toBe(alerts * site.hospital.ladder.steps * site.hospital.ladder.cycles);
    expect(ledger.audit.ok).toBe(true);
    // The work was shared: more than one replica sent the steps the escalation worker fired.
    expect(Object.values(ledger.byReplica).filter((s) => s.escalation > 0).length).toBeGreaterThan(1);

    expect(await Promise.all(replicas.map((r) => r.stop()))).toEqual([0, 0, 0]);
    console.info(
      `replica test: ${alerts} alerts posted in ${((posted - started) / 1000).toFixed(1)} s, ladders finished ${((settled - posted) / 1000).toFixed(1)} s later; ` +
        `${ledger.records} deliveries, ${ledger.duplicates} duplicates, ${ledger.stepsFired} steps fired; by replica ${JSON.stringify(ledger.byReplica)}; ` +
        `${ledger.audit.checked} audit events verified; ${((Date.now() - began) / 1000).toFixed(1)} s in all; logs ${JSON.stringify(logSummary(replicas))}`,
    );
  }, 240_000);
});
