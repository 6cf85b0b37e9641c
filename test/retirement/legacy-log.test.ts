// The legacy baseline: the paging vendor's CSV log of the legacy pager groups, read exactly or
// refused with every bad row named, and imported whole, once.
import { readFileSync } from 'node:fs';
import { count, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/index.js';
import { tables } from '../../src/db/index.js';
import type { AuthVariables } from '../../src/http/auth.js';
import { errorResponse, HttpError } from '../../src/http/errors.js';
import { legacyPageRoutes } from '../../src/http/routes/legacy-pages.js';
import { legacyGroupsOf, parseLegacyLog, type LegacyLogParse, type LegacyLogProblem, type LegacyPageRow } from '../../src/retirement/legacy-log.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, type TestGateway } from '../support/gateway.js';

const HEADER = 'group,pager_id,sent_at,acknowledged_at,callback_at,category';

function csv(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The example hospital's groups, as the rules in rules/ name them. */
const groups: ReadonlyMap<string, string> = new Map([
  ['LAB-CRIT-2231', 'critical-results'],
  ['RAD-CRIT-4410', 'radiology-critical'],
  ['CODE-TEAM-1000', 'rapid-response'],
]);
const chicago = { zone: 'America/Chicago', groups, maxRows: 1000 };
const utc = { zone: 'UTC', groups, maxRows: 1000 };

function rowsOf(result: LegacyLogParse): readonly LegacyPageRow[] {
  if (!result.ok) throw new Error(`expected the log to parse, got ${JSON.stringify(result.problems, null, 2)}`);
  return result.rows;
}

function problemsOf(result: LegacyLogParse): readonly LegacyLogProblem[] {
  if (result.ok) throw new Error(`expected problems, got ${result.rows.length} rows`);
  return result.problems;
}

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

describe('the legacy pager log: good rows', () => {
  it('reads a page with its acknowledgement, one never acknowledged, and one answered by a call-back', () => {
    const rows = rowsOf(
      parseLegacyLog(
        csv(
          HEADER,
          'LAB-CRIT-2231,2231-01,2026-03-02T14:05:00-06:00,2026-03-02T14:09:30-06:00,,critical-lab',
          'CODE-TEAM-1000,1000-01,2026-03-02T20:00:00Z,,,',
          'LAB-CRIT-2231,2231-02,2026-03-02T21:00:00Z,,2026-03-02T21:07:00Z,critical-lab',
        ),
        utc,
      ),
    );
    expect(rows).toEqual([
      { line: 2, group: 'LAB-CRIT-2231', workflow: 'critical-results', pagerId: '2231-01', sentAt: new Date('2026-03-02T20:05:00Z'), acknowledgedAt: new Date('2026-03-02T20:09:30Z'), category: 'critical-lab' },
      { line: 3, group: 'CODE-TEAM-1000', workflow: 'rapid-response', pagerId: '1000-01', sentAt: new Date('2026-03-02T20:00:00Z'), acknowledgedAt: null, category: null },
      { line: 4, group: 'LAB-CRIT-2231', workflow: 'critical-results', pagerId: '2231-02', sentAt: new Date('2026-03-02T21:00:00Z'), acknowledgedAt: new Date('2026-03-02T21:07:00Z'), category: 'critical-lab' },
    ]);
  });

  it('takes the acknowledgement over a later call-back when the log gives both', () => {
    const [row] = rowsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-02T20:05Z,2026-03-02T20:08Z,2026-03-02T20:15Z,'), utc));
    expect(iso(row?.acknowledgedAt)).toBe('2026-03-02T20:08:00.000Z');
  });

  it('reads times without an offset as Chicago wall-clock time, before and after the spring-forward night', () => {
    const rows = rowsOf(
      parseLegacyLog(
        csv(
          HEADER,
          'LAB-CRIT-2231,2231-01,2026-03-02 14:05:00,2026-03-02T14:09,,', // CST, -06:00
          'LAB-CRIT-2231,2231-02,2026-03-09 09:00,2026-03-09 09:04:15.250,,', // CDT, -05:00
          // 01:52 CST, acknowledged 03:01:40 CDT: nine and a half minutes, across the jump.
          'LAB-CRIT-2231,2231-03,2026-03-08 01:52:10,2026-03-08 03:01:40,,',
        ),
        chicago,
      ),
    );
    expect(rows.map((r) => [iso(r.sentAt), iso(r.acknowledgedAt)])).toEqual([
      ['2026-03-02T20:05:00.000Z', '2026-03-02T20:09:00.000Z'],
      ['2026-03-09T14:00:00.000Z', '2026-03-09T14:04:15.250Z'],
      ['2026-03-08T07:52:10.000Z', '2026-03-08T08:01:40.000Z'],
    ]);
    expect(rows[2]!.acknowledgedAt!.getTime() - rows[2]!.sentAt.getTime()).toBe(9.5 * 60_000);
  });

  it('reads a time in the fall-back hour (1 November 2026, 01:00–02:00 twice) as its first occurrence, and an offset settles it', () => {
    const rows = rowsOf(
      parseLegacyLog(
        csv(
          HEADER,
          'LAB-CRIT-2231,2231-01,2026-11-01 01:30,2026-11-01 01:40,,', // both in the first 01:xx, CDT
          'LAB-CRIT-2231,2231-02,2026-11-01 01:50,2026-11-01T01:05:00-06:00,,', // acknowledged in the second 01:xx, CST
        ),
        chicago,
      ),
    );
    expect(rows.map((r) => [iso(r.sentAt), iso(r.acknowledgedAt)])).toEqual([
      ['2026-11-01T06:30:00.000Z', '2026-11-01T06:40:00.000Z'],
      ['2026-11-01T06:50:00.000Z', '2026-11-01T07:05:00.000Z'],
    ]);
  });

  it('finds its columns by name, in any order and any case, and leaves other columns alone', () => {
    const rows = rowsOf(
      parseLegacyLog(
        csv(
          'Category,SENT_AT,Message Text,Pager ID,Group,Callback_At',
          'code-blue,2026-03-03 04:10:00,"Code blue, 5W bed 12",1000-02,CODE-TEAM-1000,2026-03-03 04:12:30',
          '',
          'rapid-response,2026-03-03 05:00:00,"two-line',
          'message",1000-03,CODE-TEAM-1000,',
          'rapid-response,2026-03-03 06:00:00,,1000-01,CODE-TEAM-1000,',
        ),
        chicago,
      ),
    );
    expect(rows).toMatchObject([
      { line: 2, group: 'CODE-TEAM-1000', pagerId: '1000-02', category: 'code-blue', sentAt: new Date('2026-03-03T10:10:00Z'), acknowledgedAt: new Date('2026-03-03T10:12:30Z') },
      { line: 4, pagerId: '1000-03', acknowledgedAt: null },
      { line: 6, pagerId: '1000-01' }, // the quoted field spanned lines 4 and 5, and line 3 is blank
    ]);
    expect(JSON.stringify(rows)).not.toContain('bed 12'); // a message column is never read
  });

  it('takes a log with a byte-order mark, CRLF line ends and a spreadsheet’s trailing commas', () => {
    const rows = rowsOf(parseLegacyLog(`\uFEFF${HEADER}\r\nLAB-CRIT-2231,2231-01,2026-03-02T20:05Z,,,,,\r\n`, utc));
    expect(rows).toMatchObject([{ line: 2, pagerId: '2231-01' }]);
  });

  it('reads the example March log cleanly: call-backs as answers, the spring-forward night in Chicago time', () => {
    const rows = rowsOf(parseLegacyLog(readFileSync(new URL('../../schedules/examples/legacy-pager-log.csv', import.meta.url), 'utf8'), chicago));
    expect(rows).toHaveLength(41);
    expect(rows.filter((r) => r.acknowledgedAt === null)).toHaveLength(7);
    // Line 3: no acknowledgement logged, called back at 00:38:57 CST.
    expect(rows.find((r) => r.line === 3)).toMatchObject({ pagerId: '2231-01', sentAt: new Date('2026-03-02T06:16:41Z'), acknowledgedAt: new Date('2026-03-02T06:38:57Z') });
    expect(new Set(rows.map((r) => r.workflow))).toEqual(new Set(['critical-results', 'rapid-response']));
    expect(rows.every((r) => r.sentAt >= new Date('2026-03-01T06:00:00Z') && r.sentAt < new Date('2026-04-01T05:00:00Z'))).toBe(true);
  });

  it('takes the groups from the workflows of the rules', () => {
    expect(
      legacyGroupsOf([
        { name: 'critical-results', legacyPagerGroup: 'LAB-CRIT-2231' },
        { name: 'after-hours', legacyPagerGroup: null },
        { name: 'rapid-response', legacyPagerGroup: 'CODE-TEAM-1000' },
      ]),
    ).toEqual(
      new Map([
        ['LAB-CRIT-2231', 'critical-results'],
        ['CODE-TEAM-1000', 'rapid-response'],
      ]),
    );
  });
});

describe('the legacy pager log: bad rows named, nothing imported', () => {
  it('names each bad cell with its line and column, and keeps none of the good rows', () => {
    const problems = problemsOf(
      parseLegacyLog(
        csv(
          HEADER,
          'LAB-CRIT-2231,2231-01,2026-03-02 14:05,,,', // fine
          'LAB-CRIT-2213,2231-01,2026-03-02 14:06,,,', // line 3: a typo in the group
          ',2231-01,2026-03-02 14:07,,,', // line 4
          'LAB-CRIT-2231,,2026-03-02 14:08,,,', // line 5
          'LAB-CRIT-2231,2231-02,,,,', // line 6
          'LAB-CRIT-2231,2231-02,03/02/2026 2:05 PM,,,', // line 7
          'LAB-CRIT-2231,2231-02,2026-02-30 10:00,,,', // line 8
          'LAB-CRIT-2231,2231-02,2026-03-02 14:10,2026-03-02 14:01,,', // line 9
          'LAB-CRIT-2231,2231-02,2026-03-02 14:11,,2026-03-02 14:02,', // line 10
          'LAB-CRIT-2231,2231-02,2026-03-02 14:12,2026-03-02 14:20,soon,', // line 11
          'LAB-CRIT-2231,2231-02,2026-03-02 14:13', // line 12
          'LAB-CRIT-2231,2231-02,2026-03-02 14:14,,,,extra', // line 13
        ),
        chicago,
      ),
    );
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'group'],
      [4, 'group'],
      [5, 'pager_id'],
      [6, 'sent_at'],
      [7, 'sent_at'],
      [8, 'sent_at'],
      [9, 'acknowledged_at'],
      [10, 'callback_at'],
      [11, 'callback_at'],
      [12, null],
      [13, null],
    ]);
    const message = (line: number) => problems.find((p) => p.line === line)?.message;
    expect(message(3)).toBe('unknown pager group "LAB-CRIT-2213" (did you mean "LAB-CRIT-2231"?): the groups the active rules know are CODE-TEAM-1000, LAB-CRIT-2231, RAD-CRIT-4410');
    expect(message(4)).toBe('group is empty');
    expect(message(5)).toBe('pager_id is empty');
    expect(message(6)).toBe('sent_at is empty');
    expect(message(7)).toMatch(/^sent_at "03\/02\/2026 2:05 PM" is not a time: write it as ISO 8601, with its offset \(2026-03-02T14:05:00-06:00\) or as a local time in America\/Chicago/);
    expect(message(8)).toBe('sent_at "2026-02-30 10:00" is not a real date and time');
    expect(message(9)).toBe('acknowledged_at "2026-03-02 14:01" is before sent_at "2026-03-02 14:10"');
    expect(message(10)).toBe('callback_at "2026-03-02 14:02" is before sent_at "2026-03-02 14:11"');
    expect(message(11)).toMatch(/^callback_at "soon" is not a time/);
    expect(message(12)).toBe('row has 3 fields but the header has 6');
    expect(message(13)).toBe('row has 7 fields but the header has 6');
  });

  it('refuses a Chicago time the clocks skipped on the spring-forward night (2026-03-08 02:30)', () => {
    const problems = problemsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-08 01:55,2026-03-08 03:02,,', 'LAB-CRIT-2231,2231-01,2026-03-08 02:30,,,', 'LAB-CRIT-2231,2231-02,2026-03-08 01:58,2026-03-08 02:05,,'), chicago));
    expect(problems).toEqual([
      { line: 3, column: 'sent_at', message: 'sent_at "2026-03-08 02:30" never happened in America/Chicago: the clocks went forward past it; give the time with its offset' },
      { line: 4, column: 'acknowledged_at', message: 'acknowledged_at "2026-03-08 02:05" never happened in America/Chicago: the clocks went forward past it; give the time with its offset' },
    ]);
    // The same wall-clock time is fine where the clocks did not change that night.
    expect(rowsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-08 02:30,,,'), { ...chicago, zone: 'Europe/London' }))).toHaveLength(1);
  });

  it('explains an acknowledgement "before" its page in the fall-back hour, where the first 01:xx was taken', () => {
    const [problem] = problemsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-11-01 01:50,2026-11-01 01:05,,'), chicago));
    expect(problem).toMatchObject({ line: 2, column: 'acknowledged_at' });
    expect(problem?.message).toBe(
      'acknowledged_at "2026-11-01 01:05" is before sent_at "2026-11-01 01:50"; 2026-11-01 01:50 happened twice in America/Chicago as the clocks went back, and is read as its first occurrence: give the times with their offsets',
    );
  });

  it('names a page listed twice, even when the two rows write its time differently', () => {
    const problems = problemsOf(
      parseLegacyLog(
        csv(
          HEADER,
          'LAB-CRIT-2231,2231-01,2026-03-02 14:05,,,',
          'LAB-CRIT-2231,2231-02,2026-03-02 14:05,,,', // another pager at the same time: not a duplicate
          'CODE-TEAM-1000,2231-01,2026-03-02 14:05,,,', // another group: not a duplicate
          'LAB-CRIT-2231,2231-01,2026-03-02T20:05:00Z,2026-03-02T20:09:00Z,,', // line 5: line 2 again
        ),
        chicago,
      ),
    );
    expect(problems).toEqual([{ line: 5, column: null, message: 'duplicate of line 2: both are pager 2231-01 of LAB-CRIT-2231 sent at 2026-03-02T20:05:00.000Z' }]);
  });

  it('names a missing column, and a column given twice, on the header line', () => {
    expect(problemsOf(parseLegacyLog(csv('Group,Sent_At,Acknowledged_At', 'LAB-CRIT-2231,2026-03-02 14:05,'), chicago))).toEqual([
      { line: 1, column: 'pager_id', message: 'missing column "pager_id" in the header row (the header has Group, Sent_At, Acknowledged_At)' },
    ]);
    expect(problemsOf(parseLegacyLog(csv('', 'group,pager_id,sent_at,Sent At', 'LAB-CRIT-2231,2231-01,2026-03-02 14:05,2026-03-02 14:06'), chicago))).toEqual([
      { line: 2, column: 'sent_at', message: 'column "sent_at" appears twice in the header row (columns 3 and 4)' },
    ]);
  });

  it('refuses a log longer than maxRows whole, naming the first row past the limit', () => {
    const rows = ['LAB-CRIT-2231,2231-01,2026-03-02 14:05,,,', 'LAB-CRIT-2231,2231-01,2026-03-02 14:06,,,', 'LAB-CRIT-2231,2231-01,2026-03-02 14:07,,,'];
    expect(rowsOf(parseLegacyLog(csv(HEADER, ...rows), { ...chicago, maxRows: 3 }))).toHaveLength(3);
    expect(problemsOf(parseLegacyLog(csv(HEADER, ...rows), { ...chicago, maxRows: 2 }))).toEqual([
      { line: 4, column: null, message: 'the log has 3 rows, more than the 2 one import takes: split it (by month, say) and import each part' },
    ]);
  });

  it('says what is wrong with an empty log, broken quoting, an unknown zone, and rules with no pager groups', () => {
    expect(problemsOf(parseLegacyLog('\n\n', chicago))).toMatchObject([{ line: 1, column: null, message: expect.stringMatching(/^empty log: a header row/) as unknown }]);
    expect(problemsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-02 14:05,,,', 'LAB-CRIT-2231,"2231-02,2026-03-02 14:06,,,'), chicago))).toEqual([
      { line: 3, column: null, message: 'unterminated quoted field: the quote opened in this row is never closed' },
    ]);
    expect(problemsOf(parseLegacyLog(csv(HEADER), { ...chicago, zone: 'America/Chicgo' }))).toEqual([{ line: 0, column: null, message: 'time zone "America/Chicgo" is not a known IANA zone' }]);
    expect(problemsOf(parseLegacyLog(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-02 14:05,,,'), { ...chicago, groups: new Map() }))).toEqual([
      { line: 2, column: 'group', message: 'unknown pager group "LAB-CRIT-2231": no workflow in the active rules has a legacy-pager-group' },
    ]);
  });

  it('takes a header-only log as no pages', () => {
    expect(rowsOf(parseLegacyLog(csv(HEADER), chicago))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Over HTTP, against the gateway's real database. The route is mounted here as the app will
// mount it (behind the admin check), with the admin's holder set by a stand-in middleware.

const sampleLog = readFileSync(new URL('../../schedules/examples/legacy-pager-log.csv', import.meta.url), 'utf8');
const start = gatewayPerTest();

interface LegacyApi {
  put(body: string, options?: { zone?: string; type?: string | null }): Promise<Response>;
  stored(): Promise<number>;
}

function legacyApi(t: TestGateway, maxRows?: number): LegacyApi {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use(async (c, next) => {
    c.set('holder', { kind: 'admin', name: 'operations' });
    await next();
  });
  app.route('/v1/legacy-pages', legacyPageRoutes({ db: t.g.database.db, auditKey: t.auditKey, clock: t.clock, groups: () => legacyGroupsOf(t.g.rules.active().workflows), ...(maxRows === undefined ? {} : { maxRows }) }));
  app.onError((err, c) => {
    if (err instanceof HttpError) return errorResponse(c, err.status, err.code, err.message, err.details);
    throw err;
  });
  return {
    put: (body, options = {}) => {
      const type = options.type === undefined ? 'text/csv; charset=utf-8' : options.type;
      const query = options.zone === undefined ? '' : `?zone=${encodeURIComponent(options.zone)}`;
      return Promise.resolve(app.request(`/v1/legacy-pages${query}`, { method: 'PUT', headers: type === null ? {} : { 'Content-Type': type }, body }));
    },
    stored: async () => (await t.g.database.db.select({ n: count() }).from(tables.legacyPages))[0]!.n,
  };
}

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: { readonly problems?: readonly LegacyLogProblem[]; readonly more?: number; readonly [key: string]: unknown } };
}

describe(`PUT /v1/legacy-pages (${testDriver})`, () => {
  it('imports the example March log for LAB-CRIT-2231 and CODE-TEAM-1000, and importing it again adds nothing', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    const first = await api.put(sampleLog, { zone: 'America/Chicago' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ imported: 41, alreadyKnown: 0, workflows: { 'critical-results': 25, 'rapid-response': 16 } });

    const db = t.g.database.db;
    const { legacyPages } = tables;
    expect(await api.stored()).toBe(41);
    // Seven pages nobody is known to have answered (the call-backs count as answers).
    expect((await db.select({ n: count() }).from(legacyPages).where(isNull(legacyPages.acknowledgedAt)))[0]!.n).toBe(7);
    // The spring-forward night: 01:52:10 CST, acknowledged at 03:01:40 CDT.
    const [night] = await db.select().from(legacyPages).where(eq(legacyPages.sentAt, new Date('2026-03-08T07:52:10Z')));
    expect(night).toMatchObject({ pagerGroup: 'LAB-CRIT-2231', pagerId: '2231-03', workflow: 'critical-results', category: 'critical-lab', acknowledgedAt: new Date('2026-03-08T08:01:40Z'), importedAt: new Date('2026-04-01T14:00:00Z') });

    t.clock.advance(3_600_000);
    const again = await api.put(sampleLog, { zone: 'America/Chicago' });
    expect(await again.json()).toEqual({ imported: 0, alreadyKnown: 41, workflows: { 'critical-results': 25, 'rapid-response': 16 } });
    expect(await api.stored()).toBe(41);

    const events = await db.select().from(tables.auditEvents).where(eq(tables.auditEvents.kind, 'legacy.imported'));
    expect(events.map((e) => [e.actor, e.subject, e.data])).toEqual([
      ['admin:operations', 'legacy:CODE-TEAM-1000,LAB-CRIT-2231', { imported: 41, alreadyKnown: 0, groups: ['CODE-TEAM-1000', 'LAB-CRIT-2231'] }],
      ['admin:operations', 'legacy:CODE-TEAM-1000,LAB-CRIT-2231', { imported: 0, alreadyKnown: 41, groups: ['CODE-TEAM-1000', 'LAB-CRIT-2231'] }],
    ]);
    expect(await verifyAudit(db, t.auditKey)).toMatchObject({ ok: true });
  });

  it('adds only the new pages of a log that overlaps one imported before, and keeps the first import of a page', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    await api.put(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-02T20:05:00Z,,,'));
    const res = await api.put(csv(HEADER, 'LAB-CRIT-2231,2231-01,2026-03-02T20:05:00Z,2026-03-02T20:09:00Z,,', 'RAD-CRIT-4410,4410-07,2026-03-02T21:00:00Z,2026-03-02T21:03:00Z,,'));
    expect(await res.json()).toEqual({ imported: 1, alreadyKnown: 1, workflows: { 'critical-results': 1, 'radiology-critical': 1 } });
    const stored = await t.g.database.db.select().from(tables.legacyPages).orderBy(tables.legacyPages.sentAt);
    expect(stored.map((r) => [r.pagerGroup, r.workflow, iso(r.acknowledgedAt)])).toEqual([
      ['LAB-CRIT-2231', 'critical-results', null],
      ['RAD-CRIT-4410', 'radiology-critical', '2026-03-02T21:03:00.000Z'],
    ]);
  });

  it('imports a log of more pages than one statement takes, whole, and re-imports a longer one by its new pages', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    const page = (i: number) => `LAB-CRIT-2231,2231-${String(i % 7).padStart(2, '0')},${new Date(Date.parse('2026-03-01T00:00:00Z') + i * 60_000).toISOString()},,,`;
    const log = (n: number) => csv(HEADER, ...Array.from({ length: n }, (_, i) => page(i)));
    expect(await (await api.put(log(2500))).json()).toMatchObject({ imported: 2500, alreadyKnown: 0 });
    expect(await (await api.put(log(2600))).json()).toEqual({ imported: 100, alreadyKnown: 2500, workflows: { 'critical-results': 2600 } });
    expect(await api.stored()).toBe(2600);
  });

  it('imports nothing from a log with one bad row, and names it', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    const res = await api.put(`${sampleLog}2026-03-31 23:10:00,LAB-CRIT-2213,2231-04,critical-lab,,\n`, { zone: 'America/Chicago' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'invalid_legacy_log', message: 'the legacy pager log has a problem; nothing was imported', details: { problems: [{ line: 43, column: 'group' }], more: 0 } });
    expect(body.error.details?.problems?.[0]?.message).toContain('did you mean "LAB-CRIT-2231"?');
    expect(await api.stored()).toBe(0);
    expect(await t.g.database.db.select().from(tables.auditEvents).where(eq(tables.auditEvents.kind, 'legacy.imported'))).toEqual([]);
  });

  it('lists the first 100 problems of a badly broken log and says how many more there are', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const bad = Array.from({ length: 150 }, (_, i) => `LAB-CRIT-2231,2231-01,2026-03-0${(i % 9) + 1} 25:${String(i % 60).padStart(2, '0')},,,`);
    const body = (await (await legacyApi(t).put(csv(HEADER, ...bad))).json()) as ErrorBody;
    expect(body.error.message).toBe('the legacy pager log has 150 problems; nothing was imported');
    expect(body.error.details?.problems).toHaveLength(100);
    expect(body.error.details?.problems?.[99]).toMatchObject({ line: 101, column: 'sent_at' });
    expect(body.error.details?.more).toBe(50);
  });

  it('refuses a log longer than the route takes', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const res = await legacyApi(t, 40).put(sampleLog, { zone: 'America/Chicago' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.details?.problems).toEqual([{ line: 42, column: null, message: 'the log has 41 rows, more than the 40 one import takes: split it (by month, say) and import each part' }]);
  });

  it('answers 415 to anything but text/csv, and 400 to an unknown zone', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    const json = await api.put(JSON.stringify({ rows: [] }), { type: 'application/json' });
    expect(json.status).toBe(415);
    expect(await json.json()).toEqual({ error: { code: 'unsupported_media_type', message: 'send the legacy pager log as text/csv', details: { got: 'application/json' } } });
    const untyped = await api.put(sampleLog, { type: null });
    expect(untyped.status).toBe(415);
    const zone = await api.put(sampleLog, { zone: 'America/Chicgo' });
    expect(zone.status).toBe(400);
    expect(await zone.json()).toMatchObject({ error: { code: 'invalid_parameter', details: { zone: 'America/Chicgo' } } });
    expect(await api.stored()).toBe(0);
  });

  it('reads times without an offset in UTC when no zone is given', async () => {
    const t = await start({ at: '2026-04-01T14:00:00Z' });
    const api = legacyApi(t);
    expect(await (await api.put(csv(HEADER, 'CODE-TEAM-1000,1000-01,2026-03-02 14:05,,,code-blue'))).json()).toEqual({ imported: 1, alreadyKnown: 0, workflows: { 'rapid-response': 1 } });
    const [row] = await t.g.database.db.select().from(tables.legacyPages);
    expect(iso(row?.sentAt)).toBe('2026-03-02T14:05:00.000Z');
  });
});
