// Upgrading a database an older release left: pages opened before there was a dispatch engine
// (never sent, their ladders overdue by days) are not sent now, when the engine first starts.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { emptyDatabase, migrateUpTo, testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE } from '../support/gateway.js';

const start = gatewayPerTest();

describe(`upgrading to the dispatch engine (${testDriver})`, () => {
  it('cancels what an older release queued and never sent, and stops its ladders', async () => {
    const d = await emptyDatabase();
    try {
      await migrateUpTo(d, 4);
      const opened = new Date('2026-11-01T07:30:00Z');
      const pageId = randomUUID();
      const alertId = randomUUID();
      await d.db.execute(
        sql`insert into pages (id, source, workflow, route, route_order, rules_version, status, opened_at) values (${pageId}, 'lab', 'critical-results', 'critical-lab', 0, ${'0'.repeat(64)}, 'open', ${opened.toISOString()}::timestamptz)`,
      );
      await d.db.execute(sql`insert into alerts (id, source, received_at, fields, page_id) values (${alertId}, 'lab', ${opened.toISOString()}::timestamptz, '{"test":"K"}'::jsonb, ${pageId})`);
      await d.db.execute(sql`insert into notifications (page_id, cycle, step, target, person_id, channel, status, created_at) values (${pageId}, 0, 0, 'ordering-provider', 'amion:A-1004', 'sms', 'queued', ${opened.toISOString()}::timestamptz)`);
      await d.db.execute(sql`insert into escalations (page_id, cycle, next_step, due_at) values (${pageId}, 0, 1, ${new Date(opened.getTime() + 2 * MINUTE).toISOString()}::timestamptz)`);

      // Three days later the new release starts on it.
      const t = await start({ at: new Date(opened.getTime() + 3 * 86_400_000), database: d });
      await t.g.drain();
      await t.advance(60 * MINUTE);
      expect(t.g.devDeliveries).toEqual([]);
      const [n] = await d.db.select().from(tables.notifications);
      expect(n).toMatchObject({ status: 'cancelled', error: 'queued before the dispatch engine existed; not sent' });
      const [e] = await d.db.select().from(tables.escalations);
      expect(e!.dueAt).toBeNull();
      const [p] = await d.db.select().from(tables.pages);
      expect(p!.alertId).toBe(alertId);
    } finally {
      await d.close();
    }
  });
});
