// What counts as missed and as escalated, as the dispatch core records it: a page is missed when
// nobody acknowledged before the ladder ran out, which is once its last people have had their
// time to answer (as long as the ladder's longest wait, at least five minutes), not the moment
// the last step fires. A ladder that pages everyone at once is no exception. Escalated means
// acknowledged after a step due later than the first had fired, not after a second step due at
// the same moment.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { answerWindowMs, minimumAnswerMs } from '../../src/dispatch/ladder.js';
import { workflowFigures } from '../../src/retirement/figures.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE, type TestGateway } from '../support/gateway.js';
import { ackByFirstPaged, raise } from '../support/pages.js';
import { compileOk } from '../support/rules.js';

const start = gatewayPerTest();
const night = new Date('2026-11-01T07:30:00Z');

/** The example hospital, with the abnormal-lab ladder paging the provider and the lab desk at once. */
function rulesWithOneInstantLadder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagerless-rules-'));
  cpSync('rules', dir, { recursive: true });
  const file = join(dir, '10-critical-results.rules');
  const from = 'notify lab-critical-desk at 30m unless acked';
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`the example rules changed: no "${from}"`);
  writeFileSync(file, text.replace(from, 'notify lab-critical-desk at 0m'));
  return dir;
}

const raiseLab = (t: TestGateway, lab: string, flag: 'HH' | 'H', test: string) => raise(t, lab, { flag, priority: 'stat', test, value: 6.9, unit: '5W' });

async function facts(t: TestGateway, pageId: string): Promise<{ missed: boolean; escalated: boolean }> {
  const [row] = await t.g.database.db.select({ missed: tables.pages.missed, escalated: tables.pages.escalated }).from(tables.pages).where(eq(tables.pages.id, pageId));
  return row!;
}

const missedCounter = async (t: TestGateway, workflow: string): Promise<number> => {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(text.match(new RegExp(`^pagerless_pages_missed_total\\{workflow="${workflow}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
};

describe(`missed and escalated (${testDriver})`, () => {
  it('the last people get the ladder’s longest wait to answer, and at least five minutes', () => {
    const rules = compileOk(`
workflow w {
  stage legacy
  legacy-pager-group "W-1"
  push "Alert" / "{test}"
  sms "Alert {test}"
  route stepped when source = lab {
    notify provider via push at 0m
    notify provider via sms  at 2m unless acked
    notify desk              at 9m unless acked
  }
  route repeated when source = radiology {
    notify provider at 0m
    notify desk     at 4m
    repeat 1 every 10m
  }
  route at-once when source = nursecall {
    notify provider at 0m
    notify desk     at 0m
  }
}
`);
    expect(answerWindowMs(rules.routes[0]!)).toBe(7 * MINUTE);
    expect(answerWindowMs(rules.routes[1]!)).toBe(6 * MINUTE); // 4m → 10m, the wait into the repeat
    expect(answerWindowMs(rules.routes[2]!)).toBe(minimumAnswerMs);
  });

  it('a ladder that pages everyone at once: acknowledged within five minutes is neither missed nor escalated; unanswered, it is missed at five', async () => {
    const t = await start({ at: night, env: { PAGERLESS_RULES_DIR: rulesWithOneInstantLadder() } });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const answered = await raiseLab(t, lab, 'H', 'K');
    const unanswered = await raiseLab(t, lab, 'H', 'Na');
    await t.advance(2 * MINUTE);
    await ackByFirstPaged(t, answered);
    expect(await facts(t, answered)).toEqual({ missed: false, escalated: false });

    await t.advance(2 * MINUTE + 59_000); // 4:59
    expect(await facts(t, unanswered)).toEqual({ missed: false, escalated: false });
    expect(await missedCounter(t, 'critical-results')).toBe(0);
    await t.advance(1000); // 5:00
    expect(await facts(t, unanswered)).toEqual({ missed: true, escalated: false });
    expect(await facts(t, answered)).toEqual({ missed: false, escalated: false });
    expect(await missedCounter(t, 'critical-results')).toBe(1);
    const timeline = await t.g.database.db.select({ kind: tables.auditEvents.kind, subject: tables.auditEvents.subject }).from(tables.auditEvents).where(eq(tables.auditEvents.kind, 'page.missed'));
    expect(timeline).toEqual([{ kind: 'page.missed', subject: `page:${unanswered}` }]);

    // Acknowledging later does not undo it; the ladder's end fires once.
    await ackByFirstPaged(t, unanswered);
    await t.advance(60 * MINUTE);
    expect(await facts(t, unanswered)).toEqual({ missed: true, escalated: false });
    expect(await missedCounter(t, 'critical-results')).toBe(1);
    const [figures] = await workflowFigures(t.g.database.db, { period: { from: night, to: t.clock() }, zone: 'UTC', workflows: ['critical-results'], only: 'critical-results' });
    expect(figures!.figures).toMatchObject({ pages: 2, acknowledged: 2, missed: 1, escalated: 0 });
  });

  it('the critical-lab ladder (last step at 40 min, 5 min to answer): acknowledged at 42 min is escalated, not missed; unanswered, missed at 45', async () => {
    const t = await start({ at: night });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const late = await raiseLab(t, lab, 'HH', 'K');
    const never = await raiseLab(t, lab, 'HH', 'Na');
    for (let m = 0; m < 42; m++) await t.advance(MINUTE);
    await ackByFirstPaged(t, late);
    await t.advance(2 * MINUTE); // 44
    expect(await facts(t, never)).toEqual({ missed: false, escalated: false });
    await t.advance(MINUTE); // 45
    expect(await facts(t, late)).toEqual({ missed: false, escalated: true });
    expect(await facts(t, never)).toEqual({ missed: true, escalated: false });
    expect(await missedCounter(t, 'critical-results')).toBe(1);
  });
});
