// The database is the source of truth and the process is disposable: a real `pagerless serve`
// on PostgreSQL is killed with SIGKILL the instant it has answered its last 202, restarted,
// killed again while ladders are still climbing, and restarted once more. Every page must still
// reach everyone its ladder names, and every step must fire exactly once.
import { describe, expect, it } from 'vitest';
import { testDriver } from '../support/db.js';
import { adminTokenOf, countAudit, drillSitePerTest, issueSourceKey, ledgerOf, logSummary, postAlert, waitForLaddersToFinish, withConcurrency, workLeft, type AlertAnswer } from '../support/processes.js';

const drillSite = drillSitePerTest();
const alerts = 30;

describe.skipIf(testDriver !== 'postgres')('a gateway process that dies mid-ladder (PostgreSQL)', () => {
  it('killed right after its last 202 and again mid-ladder, the restarted gateway pages everyone on every page once and fires every step once', async () => {
    const began = Date.now();
    // A short send lease: the sends a killed process had claimed are taken over 3 s later, not 30.
    const site = await drillSite({ stepSeconds: 3, sendLeaseMs: 3_000 });
    const first = await site.serve('run-1');
    const lab = await issueSourceKey(first.url, adminTokenOf(first), 'lab');

    // Ten alerts in flight at a time. The kill is in the handler of the last answer, with no
    // await before it: the process dies with the last page's first sends still in its hands.
    let answered = 0;
    const responses = await withConcurrency(alerts, 10, () =>
      postAlert(first.url, lab).then((res) => {
        if (++answered === alerts) first.kill('SIGKILL');
        return res;
      }),
    );
    expect(responses.map((res) => res.status)).toEqual(Array<number>(alerts).fill(202));
    const pageIds = await Promise.all(responses.map(async (res) => ((await res.json()) as AlertAnswer).page.id));
    expect((await first.exited).signal).toBe('SIGKILL');
    const atFirstKill = await workLeft(site.database, site.hospital.ladder.steps);
    // Every alert answered 202 is committed, with its ladder still ahead of it.
    expect(atFirstKill.pages).toBe(alerts);
    expect(atFirstKill.pendingLadders).toBeGreaterThan(0);

    // Restarted on the same database, keys and deliveries file. Once it has fired the steps
    // that fell due while nothing ran, it is killed again, with later steps still pending.
    const firedAtRestart = await countAudit(site.database, 'step.fired');
    const second = await site.serve('run-2');
    const deadline = Date.now() + 30_000;
    while ((await countAudit(site.database, 'step.fired')) === firedAtRestart && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    second.kill('SIGKILL');
    expect((await second.exited).signal).toBe('SIGKILL');
    const atSecondKill = await workLeft(site.database, site.hospital.ladder.steps);
    const firedBySecond = (await countAudit(site.database, 'step.fired')) - firedAtRestart;
    expect(firedBySecond).toBeGreaterThan(0);
    expect(atSecondKill.pendingLadders).toBeGreaterThan(0);

    // The third run finishes the work: the overdue steps, and the sends the dead processes had
    // claimed (taken over once their leases pass).
    const third = await site.serve('run-3');
    await waitForLaddersToFinish(site.database, site.hospital.ladder.steps, alerts, 120_000);
    const ledger = await ledgerOf(site, pageIds);
    expect(ledger.problems).toEqual([]);
    expect(ledger.notifications).toBe(alerts * site.hospital.ladder.notificationsPerCycle * site.hospital.ladder.cycles);
    expect(ledger.stepsFired).toBe(alerts * site.hospital.ladder.steps * site.hospital.ladder.cycles);
    expect(ledger.audit.ok).toBe(true);
    expect(await third.stop()).toBe(0);

    console.info(
      `crash test: ${alerts} pages, ${ledger.notifications} notifications delivered once each, ${ledger.stepsFired} steps fired once each; ` +
        `at the first kill ${atFirstKill.unsent} notifications unsent and ${atFirstKill.pendingLadders} ladders pending; ` +
        `run-2 fired ${firedBySecond} steps before its kill, leaving ${atSecondKill.unsent} unsent and ${atSecondKill.pendingLadders} pending; ` +
        `the channel swallowed ${ledger.duplicates} resends (${ledger.records} records); deliveries by run ${JSON.stringify(ledger.byReplica)}; ` +
        `${ledger.audit.checked} audit events verified; ${((Date.now() - began) / 1000).toFixed(1)} s; logs ${JSON.stringify(logSummary([first, second, third]))}`,
    );
  }, 180_000);
});
