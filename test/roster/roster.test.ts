// Rosters through the database: import, re-import, reject, and who is on call across the
// nights when the clocks change. Runs on PGlite, and on PostgreSQL with TEST_DATABASE_URL.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoleBinding } from '../../grammar/index.js';
import type { Database } from '../../src/db/index.js';
import { importFeed, loadOnCallIndex, loadContacts, loadSourceStates, parseSourcesConfig, refreshDueSources, type SourceConfig } from '../../src/roster/index.js';
import { databasePerTest, testDriver } from '../support/db.js';

const fresh = databasePerTest();

function source(name: string, settings: Record<string, unknown>): SourceConfig {
  return parseSourcesConfig({ sources: { [name]: { file: 'unused', ...settings } } }, '/tmp/sources.json').get(name)!;
}

const chicago = source('amion', { format: 'csv', zone: 'America/Chicago', staleAfter: '26h' });
const london = source('nhs', { format: 'csv', zone: 'Europe/London' });
const header = 'Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type';
const csv = (...rows: string[]): string => [header, ...rows].join('\n');
const hospitalist = (shifts: string[]): RoleBinding => ({ kind: 'role', name: 'hospitalist', roster: 'amion', service: 'Hospitalist', shifts });
const now = new Date('2026-03-01T12:00:00Z');

async function indexOf(database: Database, config: SourceConfig = chicago, clock: Date = now) {
  return loadOnCallIndex(database.db, new Map([[config.name, config]]), { from: new Date('2026-01-01Z'), to: new Date('2027-01-01Z') }, () => clock);
}

async function imported(database: Database, config: SourceConfig, text: string, at: Date = now) {
  const outcome = await importFeed(database, config, text, at);
  if (outcome.status !== 'imported') throw new Error(`expected an import, got ${JSON.stringify(outcome)}`);
  return outcome.counts;
}

function who(index: Awaited<ReturnType<typeof indexOf>>, role: RoleBinding, at: string): string[] {
  return index.onCall(role, new Date(at)).people.map((p) => p.name);
}

describe(`rosters in the database (${testDriver})`, () => {
  it('overnight 19:00–07:00 shifts in Chicago run 11 h on the spring-forward night and 13 h on the fall-back night, handing off with no gap', async () => {
    const d = await fresh();
    await imported(
      d,
      chicago,
      csv(
        '1,Dr Ames,,Hospitalist,Night,2026-03-07,1900,0700,',
        '2,Dr Bell,,Hospitalist,Day,2026-03-08,0700,1900,',
        '3,Dr Cruz,,Hospitalist,Night,2026-03-08,1900,0700,',
        '1,Dr Ames,,Hospitalist,Night,2026-10-31,1900,0700,',
        '2,Dr Bell,,Hospitalist,Day,2026-11-01,0700,1900,',
      ),
    );
    const index = await indexOf(d);
    const role = hospitalist(['Day', 'Night']);
    const spring = index.onCall(role, new Date('2026-03-08T05:00:00Z')).people[0]!.shift;
    expect(spring.end.getTime() - spring.start.getTime()).toBe(11 * 3_600_000);
    const fall = index.onCall(role, new Date('2026-11-01T05:00:00Z')).people[0]!.shift;
    expect(fall.end.getTime() - fall.start.getTime()).toBe(13 * 3_600_000);
    // 07:00 CDT is 12:00Z: the night hands over to the day at that instant exactly.
    expect(who(index, role, '2026-03-08T11:59:59Z')).toEqual(['Dr Ames']);
    expect(who(index, role, '2026-03-08T12:00:00Z')).toEqual(['Dr Bell']);
    expect(who(index, role, '2026-03-09T00:00:00Z')).toEqual(['Dr Cruz']); // 19:00 CDT
    expect(index.gaps(role, new Date('2026-03-08T01:00:00Z'), new Date('2026-03-09T12:00:00Z'))).toEqual([]);
    expect(who(index, hospitalist(['Night']), '2026-03-08T12:00:00Z')).toEqual([]);
  });

  it('the same nights in Europe/London are 11 h and 13 h too, on their own dates', async () => {
    const d = await fresh();
    await imported(d, london, csv('7,Dr Dale,,Hospitalist,Night,2026-03-28,1900,0700,', '7,Dr Dale,,Hospitalist,Night,2026-10-24,1900,0700,'));
    const index = await indexOf(d, london);
    const role: RoleBinding = { kind: 'role', name: 'h', roster: 'nhs', service: 'Hospitalist', shifts: [] };
    const spring = index.onCall(role, new Date('2026-03-29T00:00:00Z')).people[0]!.shift;
    const fall = index.onCall(role, new Date('2026-10-25T00:00:00Z')).people[0]!.shift;
    expect([spring.start.toISOString(), spring.end.toISOString()]).toEqual(['2026-03-28T19:00:00.000Z', '2026-03-29T06:00:00.000Z']);
    expect([fall.start.toISOString(), fall.end.toISOString()]).toEqual(['2026-10-24T18:00:00.000Z', '2026-10-25T07:00:00.000Z']);
  });

  it('a handoff at a local time that does not exist (02:30 on spring-forward night) leaves no gap and no overlap', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-03-07,1900,0230,', '2,Dr Bell,,Hospitalist,Night,2026-03-08,0230,0700,'));
    const index = await indexOf(d);
    const role = hospitalist(['Night']);
    // 02:30 does not exist that night; both shifts read it as 03:30 CDT, 08:30Z.
    expect(who(index, role, '2026-03-08T08:29:59Z')).toEqual(['Dr Ames']);
    expect(who(index, role, '2026-03-08T08:30:00Z')).toEqual(['Dr Bell']);
    expect(index.gaps(role, new Date('2026-03-08T01:00:00Z'), new Date('2026-03-08T12:00:00Z'))).toEqual([]);
  });

  it('a handoff at a local time that happens twice (01:30 on fall-back night) is the first 01:30, for both shifts', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-10-31,1900,0130,', '2,Dr Bell,,Hospitalist,Night,2026-11-01,0130,0700,'));
    const index = await indexOf(d);
    const role = hospitalist(['Night']);
    expect(who(index, role, '2026-11-01T06:29:59Z')).toEqual(['Dr Ames']); // 01:29 CDT
    expect(who(index, role, '2026-11-01T06:30:00Z')).toEqual(['Dr Bell']); // the first 01:30
    expect(index.gaps(role, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T13:00:00Z'))).toEqual([]);
  });

  it('an override wins over the base schedule while it lasts, then the base schedule is back', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,', '4,Dr Frey,,Hospitalist,Night,2026-04-10,2300,0300,swap'));
    const index = await indexOf(d);
    const role = hospitalist(['Night']);
    expect(who(index, role, '2026-04-11T03:00:00Z')).toEqual(['Dr Ames']); // 22:00 CDT
    expect(who(index, role, '2026-04-11T05:00:00Z')).toEqual(['Dr Frey']); // 00:00 CDT
    expect(index.onCall(role, new Date('2026-04-11T05:00:00Z')).people[0]!.shift.kind).toBe('override');
    expect(who(index, role, '2026-04-11T09:00:00Z')).toEqual(['Dr Ames']); // 04:00 CDT
  });

  it('re-importing the same feed changes nothing; a shift left out of the feed disappears', async () => {
    const d = await fresh();
    const feed = csv('1,Dr Ames,3125550143,Hospitalist,Night,2026-04-10,1900,0700,', '2,Dr Bell,,Hospitalist,Day,2026-04-11,0700,1900,');
    expect(await imported(d, chicago, feed)).toEqual({ added: 2, changed: 0, removed: 0, unchanged: 0 });
    const before = await loadSourceStates(d.db);
    expect(await imported(d, chicago, feed)).toEqual({ added: 0, changed: 0, removed: 0, unchanged: 2 });
    expect((await loadContacts(d.db, ['amion:1'])).get('amion:1')).toEqual(['+13125550143']);
    expect(await imported(d, chicago, csv('1,Dr Ames,3125550143,Hospitalist,Night,2026-04-10,1900,0800,'))).toEqual({ added: 0, changed: 1, removed: 1, unchanged: 0 });
    const index = await indexOf(d);
    expect(who(index, hospitalist(['Day']), '2026-04-11T18:00:00Z')).toEqual([]);
    expect(index.onCall(hospitalist(['Night']), new Date('2026-04-11T12:30:00Z')).people[0]!.name).toBe('Dr Ames'); // 07:30 CDT, now until 08:00
    expect(before[0]!.shiftCount).toBe(2);
    expect((await loadSourceStates(d.db))[0]!.shiftCount).toBe(1);
  });

  it('a malformed feed is rejected whole, naming its line, and the previous roster stays in force', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,'));
    const later = new Date(now.getTime() + 3_600_000);
    const outcome = await importFeed(d, chicago, csv('2,Dr Bell,,Hospitalist,Night,2026-04-10,1900,0700,', '3,Dr Cruz,,Hospitalist,Night,2026-13-01,1900,0700,'), later);
    expect(outcome.status).toBe('rejected');
    if (outcome.status !== 'rejected') return;
    expect(outcome.problems[0]!.line).toBe(3);
    const [state] = await loadSourceStates(d.db);
    expect(state!.lastSuccessAt).toEqual(now);
    expect(state!.lastAttemptAt).toEqual(later);
    expect(state!.lastError).toMatch(/^line 3: /);
    expect(who(await indexOf(d), hospitalist(['Night']), '2026-04-11T05:00:00Z')).toEqual(['Dr Ames']);
  });

  it('a source not refreshed within its window is stale, and so is one never imported', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,'));
    const at = '2026-04-11T05:00:00Z';
    const fresh25h = await indexOf(d, chicago, new Date(now.getTime() + 25 * 3_600_000));
    const stale27h = await indexOf(d, chicago, new Date(now.getTime() + 27 * 3_600_000));
    expect(fresh25h.onCall(hospitalist(['Night']), new Date(at)).stale).toBe(false);
    const answer = stale27h.onCall(hospitalist(['Night']), new Date(at));
    expect(answer.stale).toBe(true);
    expect(answer.people.map((p) => p.name)).toEqual(['Dr Ames']); // the rules' fallback decides what to do with it
    expect(answer.freshness).toMatchObject({ source: 'amion', lastSuccessAt: now, staleAfterMs: 26 * 3_600_000 });
    expect(stale27h.onCall({ kind: 'role', name: 'x', roster: 'qgenda', service: 'Nursing', shifts: [] }, new Date(at))).toMatchObject({ people: [], stale: true });
  });

  it('lists the intervals with nobody on call', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('1,Dr Ames,,Hospitalist,Day,2026-04-10,0700,1500,', '2,Dr Bell,,Hospitalist,Day,2026-04-10,1400,1900,', '3,Dr Cruz,,Hospitalist,Night,2026-04-10,2000,0700,'));
    const index = await indexOf(d);
    const gaps = index.gaps(hospitalist(['Day', 'Night']), new Date('2026-04-10T12:00:00Z'), new Date('2026-04-11T13:00:00Z'));
    expect(gaps.map((g) => [g.from.toISOString(), g.to.toISOString()])).toEqual([
      ['2026-04-11T00:00:00.000Z', '2026-04-11T01:00:00.000Z'], // 19:00–20:00 CDT
      ['2026-04-11T12:00:00.000Z', '2026-04-11T13:00:00.000Z'], // after 07:00 CDT
    ]);
  });

  it('never runs two imports of one source at once', async () => {
    const d = await fresh();
    const inner = await d.tryExclusive('roster:amion', () => importFeed(d, chicago, csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,'), now));
    expect(inner).toEqual({ ran: true, value: { status: 'busy', source: 'amion' } });
    expect(await loadSourceStates(d.db)).toEqual([]);
  });

  it('an incremental feed changes what it lists and removes what it says is struck, keeping the rest', async () => {
    const d = await fresh();
    const qgenda = source('qgenda', { format: 'json', zone: 'America/Chicago', incremental: true, tasks: { 'RRT Nurse': { service: 'Rapid Response', shift: 'RRT' } } });
    const record = (key: string, staff: string, start: string, end: string, extra: Record<string, unknown> = {}) => ({
      ScheduleKey: key,
      StaffKey: staff,
      StaffFName: 'Nurse',
      StaffLName: staff,
      TaskName: 'RRT Nurse',
      StartDateUTC: start,
      EndDateUTC: end,
      IsPublished: true,
      IsStruck: false,
      LastModifiedDateUTC: '2026-03-01T10:00:00Z',
      ...extra,
    });
    await imported(d, qgenda, JSON.stringify([record('a', 'N1', '2026-04-10T12:00:00Z', '2026-04-11T00:00:00Z'), record('b', 'N2', '2026-04-11T00:00:00Z', '2026-04-11T12:00:00Z')]));
    const counts = await imported(d, qgenda, JSON.stringify([record('b', 'N2', '2026-04-11T00:00:00Z', '2026-04-11T12:00:00Z', { IsStruck: true, LastModifiedDateUTC: '2026-03-02T10:00:00Z' })]));
    expect(counts).toEqual({ added: 0, changed: 0, removed: 1, unchanged: 0 });
    const index = await loadOnCallIndex(d.db, new Map([['qgenda', qgenda]]), { from: new Date('2026-01-01Z'), to: new Date('2027-01-01Z') }, () => now);
    const rrt: RoleBinding = { kind: 'role', name: 'rrt', roster: 'qgenda', service: 'Rapid Response', shifts: ['RRT'] };
    expect(index.onCall(rrt, new Date('2026-04-10T18:00:00Z')).people.map((p) => p.name)).toEqual(['Nurse N1']);
    expect(index.onCall(rrt, new Date('2026-04-11T06:00:00Z')).people).toEqual([]);
    expect((await loadSourceStates(d.db))[0]!.lastModified).toEqual(new Date('2026-03-02T10:00:00Z'));
  });
});

describe(`refreshing rosters on a schedule (${testDriver})`, () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
    server = undefined;
  });

  it('imports each source when its interval has passed, and keeps the roster when a feed cannot be read', async () => {
    const d = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-feed-'));
    writeFileSync(join(dir, 'amion.csv'), csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,'));
    let status = 200;
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.statusCode = status;
      res.end(JSON.stringify([{ ScheduleKey: 'k1', StaffKey: 'N1', StaffFName: 'Nurse', StaffLName: 'One', TaskName: 'RRT RN', StartDateUTC: '2026-04-10T12:00:00Z', EndDateUTC: '2026-04-11T00:00:00Z', IsPublished: true, IsStruck: false, LastModifiedDateUTC: '2026-02-27T08:00:00Z' }]));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const config = parseSourcesConfig(
      {
        sources: {
          amion: { format: 'csv', file: 'amion.csv', zone: 'America/Chicago', refreshEvery: '15m' },
          qgenda: { format: 'json', url: `http://127.0.0.1:${port}/feed`, zone: 'America/Chicago', refreshEvery: '1h', incremental: true, tasks: { 'RRT RN': { service: 'Rapid Response', shift: 'RRT' } } },
        },
      },
      join(dir, 'sources.json'),
    );
    let clock = now;
    const tick = () => refreshDueSources({ database: d, config, now: () => clock });
    expect((await tick()).map((o) => `${o.source}:${o.status}`)).toEqual(['amion:imported', 'qgenda:imported']);
    clock = new Date(now.getTime() + 5 * 60_000);
    expect(await tick()).toEqual([]);
    clock = new Date(now.getTime() + 15 * 60_000);
    expect((await tick()).map((o) => `${o.source}:${o.status}`)).toEqual(['amion:imported']);
    status = 503;
    clock = new Date(now.getTime() + 61 * 60_000);
    const outcomes = await tick();
    expect(outcomes.map((o) => `${o.source}:${o.status}`)).toEqual(['amion:imported', 'qgenda:rejected']);
    // The incremental feed is asked only for changes since the newest last-modified it gave.
    expect(asked).toEqual(['/feed', '/feed?ModifiedSince=2026-02-27T08%3A00%3A00.000Z']);
    const qgenda = (await loadSourceStates(d.db)).find((s) => s.name === 'qgenda')!;
    expect(qgenda.lastError).toMatch(/could not read the feed: .* answered 503/);
    expect(qgenda.lastSuccessAt).toEqual(now);
  });
});

describe(`the rules routing with the roster (${testDriver})`, () => {
  it('pages whoever the imported roster has on call, and the fallback inbox once the roster is stale', async () => {
    const { compileRulesDirectory, validateAlert } = await import('../../grammar/index.js');
    const { loadSourcesConfig } = await import('../../src/roster/index.js');
    const { readFileSync } = await import('node:fs');
    const d = await fresh();
    const config = loadSourcesConfig('schedules/sources.json');
    const importedAt = new Date('2026-10-31T12:00:00Z');
    await imported(d, config.get('amion')!, readFileSync('schedules/examples/amion.csv', 'utf8'), importedAt);
    const ruleSet = compileRulesDirectory('rules', { dstFromYear: 2026 }).ruleSet!;
    const alert = validateAlert(ruleSet.schema, { source: 'lab', flag: 'HH', priority: 'stat', test: 'K', unit: '5W' });
    if (!alert.ok) throw new Error('bad alert');
    const at = new Date('2026-11-01T07:30:00Z'); // 01:30 CDT on the fall-back night
    const window = { from: new Date('2026-10-30Z'), to: new Date('2026-11-03Z') };

    const freshIndex = await loadOnCallIndex(d.db, config, window, () => new Date('2026-11-01T07:30:00Z'));
    const decision = ruleSet.route(alert.alert, at, freshIndex);
    if (decision.kind !== 'matched') throw new Error('expected a match');
    expect(decision.match.steps[0]!.notifications[0]).toMatchObject({ target: { name: 'ordering-provider' }, people: [{ id: 'amion:A-1004', name: 'Dr. Dana Ruiz' }], roster: 'ok' });

    const staleIndex = await loadOnCallIndex(d.db, config, window, () => new Date('2026-11-02T12:00:00Z')); // 48 h after the import
    const stale = ruleSet.route(alert.alert, at, staleIndex);
    if (stale.kind !== 'matched') throw new Error('expected a match');
    expect(stale.match.steps[0]!.notifications[0]).toMatchObject({ target: { name: 'lab-critical-desk' }, roster: 'stale', standsInFor: [{ role: 'ordering-provider', reason: 'stale' }] });
  });
});

describe(`a malformed feed of each format (${testDriver})`, () => {
  const feeds = {
    csv: { config: chicago, good: csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,'), bad: csv('1,Dr Ames,,Hospitalist,Night,2026-04-10,1900,0700,', '2,Dr Bell,,Hospitalist,Night,2026-04-11,1960,0700,'), where: { line: 3 } },
    json: {
      config: source('amion', { format: 'json', zone: 'America/Chicago', tasks: { HOSP: { service: 'Hospitalist', shift: 'Night' } } }),
      good: JSON.stringify([{ ScheduleKey: 'a', StaffKey: '1', StaffFName: 'Dr', StaffLName: 'Ames', TaskName: 'HOSP', StartDateUTC: '2026-04-11T00:00:00Z', EndDateUTC: '2026-04-11T12:00:00Z', IsPublished: true, IsStruck: false }]),
      bad: JSON.stringify([{ ScheduleKey: 'b', StaffKey: '2', StaffFName: 'Dr', StaffLName: 'Bell', TaskName: 'HOSP', StartDateUTC: 'soon', EndDateUTC: '2026-04-11T12:00:00Z', IsPublished: true, IsStruck: false }]),
      where: { record: expect.stringContaining('ScheduleKey b') },
    },
    ical: {
      config: source('amion', { format: 'ical', zone: 'America/Chicago', service: 'Hospitalist', shift: 'Night' }),
      good: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:a', 'DTSTART;TZID=America/Chicago:20260410T190000', 'DTEND;TZID=America/Chicago:20260411T070000', 'ATTENDEE;CN=Dr Ames:mailto:ames@example.org', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n'),
      bad: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:b', 'DTSTART;TZID=America/Chicgo:20260410T190000', 'DTEND;TZID=America/Chicago:20260411T070000', 'ATTENDEE;CN=Dr Bell:mailto:bell@example.org', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n'),
      where: { line: 5 },
    },
  };
  it.each(Object.entries(feeds))('%s: rejected whole, naming where, and the roster in force stays', async (_, feed) => {
    const d = await fresh();
    const at = new Date('2026-04-08T12:00:00Z');
    await imported(d, feed.config, feed.good, at);
    const outcome = await importFeed(d, feed.config, feed.bad, at);
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected') expect(outcome.problems[0]).toMatchObject(feed.where);
    const index = await indexOf(d, feed.config, at);
    expect(index.onCall(hospitalist(['Night']), new Date('2026-04-11T05:00:00Z')).people.map((p) => p.name)).toEqual(['Dr Ames']);
  });
});

describe(`review findings, pinned (${testDriver})`, () => {
  it('a person keeps every phone any of their rows gives, not only the last row’s', async () => {
    const d = await fresh();
    await imported(d, chicago, csv('A1,Dr Ames,3125550101,Hospitalist,Night,2026-04-10,1900,0700,', 'A1,Dr Ames,,Hospitalist,Night,2026-04-11,1900,0700,'));
    expect((await loadContacts(d.db, ['amion:A1'])).get('amion:A1')).toEqual(['+13125550101']);
  });

  it('a feed that gives one shift id twice is rejected and recorded, not a database crash', async () => {
    const d = await fresh();
    const cardiology = source('cardiology', { format: 'ical', zone: 'America/Chicago', service: 'Cardiology', shift: 'Fellow' });
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0',
      'BEGIN:VEVENT', 'UID:x', 'DTSTART;TZID=America/Chicago:20260410T170000', 'DTEND;TZID=America/Chicago:20260411T080000', 'ATTENDEE;CN=Dr A:mailto:a@example.org', 'END:VEVENT',
      // A "moved occurrence" of an event that does not recur: both come out with the id x.
      'BEGIN:VEVENT', 'UID:x', 'RECURRENCE-ID;TZID=America/Chicago:20260412T170000', 'DTSTART;TZID=America/Chicago:20260412T170000', 'DTEND;TZID=America/Chicago:20260413T080000', 'ATTENDEE;CN=Dr B:mailto:b@example.org', 'END:VEVENT',
      'END:VCALENDAR'].join('\r\n');
    const outcome = await importFeed(d, cardiology, ics, new Date('2026-04-08T12:00:00Z'));
    expect(outcome).toEqual({ status: 'rejected', source: 'cardiology', problems: [{ record: 'x', message: 'the feed gives the shift x twice' }] });
    expect((await loadSourceStates(d.db))[0]).toMatchObject({ name: 'cardiology', lastSuccessAt: null, lastError: 'record x: the feed gives the shift x twice' });
  });

  it('an incremental feed that moves a shift to a task Pagerless does not page takes it off call', async () => {
    const d = await fresh();
    const qgenda = source('qgenda', { format: 'json', zone: 'America/Chicago', incremental: true, tasks: { 'CHARGE RN': { service: 'Nursing', shift: 'Charge' } } });
    const rec = (task: string) => ({ ScheduleKey: 'k1', StaffKey: 'N1', StaffFName: 'Nurse', StaffLName: 'One', TaskName: task, StartDateUTC: '2026-04-10T12:00:00Z', EndDateUTC: '2026-04-11T00:00:00Z', IsPublished: true, IsStruck: false });
    await imported(d, qgenda, JSON.stringify([rec('CHARGE RN')]));
    expect(await imported(d, qgenda, JSON.stringify([rec('ADMIN DAY')]))).toMatchObject({ removed: 1 });
  });

  it('re-importing an iCal feed later keeps the past shifts it no longer expands', async () => {
    const d = await fresh();
    const cardiology = source('cardiology', { format: 'ical', zone: 'America/Chicago', service: 'Cardiology', shift: 'Fellow', horizonDays: 30 });
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:w', 'DTSTART;TZID=America/Chicago:20260406T170000', 'DTEND;TZID=America/Chicago:20260407T080000', 'RRULE:FREQ=WEEKLY', 'ATTENDEE;CN=Dr A:mailto:a@example.org', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    await imported(d, cardiology, ics, new Date('2026-04-08T12:00:00Z'));
    const counts = await imported(d, cardiology, ics, new Date('2026-05-08T12:00:00Z'));
    expect(counts.removed).toBe(0);
    const index = await indexOf(d, cardiology);
    expect(index.onCall({ kind: 'role', name: 'c', roster: 'cardiology', service: 'Cardiology', shifts: [] }, new Date('2026-04-07T03:00:00Z')).people.map((p) => p.name)).toEqual(['Dr A']);
  });

  it('many exclusive sections at once all finish: lock holders never starve the work of connections', async () => {
    const d = await fresh();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => d.exclusive(`k${i % 3}`, async () => (await loadSourceStates(d.db)).length + i)));
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('a feed file past the size limit is refused before it is read', async () => {
    const { truncateSync } = await import('node:fs');
    const { readFeed, maxFeedBytes } = await import('../../src/roster/import.js');
    const file = join(mkdtempSync(join(tmpdir(), 'pagerless-big-')), 'big.csv');
    writeFileSync(file, '');
    truncateSync(file, maxFeedBytes + 1);
    await expect(readFeed({ ...chicago, file })).rejects.toThrow(/larger than 32 MiB/);
  });

  it('a misspelt CSV column setting is an error, not silently ignored', () => {
    expect(() => parseSourcesConfig({ sources: { amion: { format: 'csv', file: 'a.csv', zone: 'UTC', columns: { nmae: 'Name' } } } }, 'sources.json')).toThrow(/sources\.amion\.columns: Unrecognized key: "nmae"/);
  });
});
