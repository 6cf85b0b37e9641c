import fc from 'fast-check';
import { hours, problemsOf, shiftsOf } from '../support/feeds.js';
import { describe, expect, it } from 'vitest';
import { MAX_OCCURRENCES_PER_EVENT, parseIcalRoster } from '../../src/roster/importers/ical.js';
import type { IcalOptions } from '../../src/roster/importers/ical.js';
import type { ImportedShift } from '../../src/roster/model.js';

// A calendar of three header lines, so the first BEGIN:VEVENT is line 4.
function cal(...events: string[][]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Pagerless//roster test//EN', ...events.flat(), 'END:VCALENDAR'].join('\r\n');
}

function vevent(...props: string[]): string[] {
  return ['BEGIN:VEVENT', ...props, 'END:VEVENT'];
}

const JANE = 'ATTENDEE;CN=Jane Doe:mailto:Jane.Doe@Hospital.org';
const RAJ = 'ATTENDEE;CN=Raj Patel:mailto:raj.patel@hospital.org';
const NIGHT = 'CATEGORIES:Hospitalist,Night';

const YEAR_2026: IcalOptions = { zone: 'America/Chicago', from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };

function byId(list: readonly ImportedShift[], sourceId: string): ImportedShift {
  const found = list.find((s) => s.sourceId === sourceId);
  if (!found) throw new Error(`no shift ${sourceId} among ${list.map((s) => s.sourceId).join(', ')}`);
  return found;
}

const iso = (d: Date): string => d.toISOString().replace(':00.000Z', 'Z');

/** A Saturday-night 19:00-07:00 shift every week of 2026 in `zone`. */
function weeklyNights(zone: string): string {
  return cal(
    vevent(
      'UID:sat-night',
      `DTSTART;TZID=${zone}:20260103T190000`,
      `DTEND;TZID=${zone}:20260104T070000`,
      'RRULE:FREQ=WEEKLY;BYDAY=SA',
      NIGHT,
      JANE,
    ),
  );
}

describe('overnight shifts across daylight-saving changes', () => {
  it('a Chicago Saturday night is 11 hours on the spring-forward night and 13 on the fall-back night, 19:00 to 07:00 on the wall', () => {
    const nights = shiftsOf(parseIcalRoster(weeklyNights('America/Chicago'), YEAR_2026));
    expect(nights).toHaveLength(52);

    const spring = byId(nights, 'sat-night#2026-03-07T19:00');
    expect([iso(spring.start), iso(spring.end)]).toEqual(['2026-03-08T01:00Z', '2026-03-08T12:00Z']); // 19:00 CST to 07:00 CDT
    expect(hours(spring)).toBe(11);

    const fall = byId(nights, 'sat-night#2026-10-31T19:00');
    expect([iso(fall.start), iso(fall.end)]).toEqual(['2026-11-01T00:00Z', '2026-11-01T13:00Z']); // 19:00 CDT to 07:00 CST
    expect(hours(fall)).toBe(13);

    expect(hours(byId(nights, 'sat-night#2026-03-14T19:00'))).toBe(12);
    expect(nights.every((s) => s.zone === 'America/Chicago' && s.service === 'Hospitalist' && s.shift === 'Night' && s.kind === 'base')).toBe(true);
  });

  it('a London Saturday night is 11 hours on 29 March and 13 hours on 25 October', () => {
    const nights = shiftsOf(parseIcalRoster(weeklyNights('Europe/London'), YEAR_2026));

    const spring = byId(nights, 'sat-night#2026-03-28T19:00');
    expect([iso(spring.start), iso(spring.end)]).toEqual(['2026-03-28T19:00Z', '2026-03-29T06:00Z']); // 19:00 GMT to 07:00 BST
    expect(hours(spring)).toBe(11);

    const fall = byId(nights, 'sat-night#2026-10-24T19:00');
    expect([iso(fall.start), iso(fall.end)]).toEqual(['2026-10-24T18:00Z', '2026-10-25T07:00Z']); // 19:00 BST to 07:00 GMT
    expect(hours(fall)).toBe(13);
  });

  it('a handoff at 02:30 on the spring-forward night (a time that never happens) leaves no gap and no overlap', () => {
    const feed = cal(
      vevent('UID:evening', 'DTSTART;TZID=America/Chicago:20260307T190000', 'DTEND;TZID=America/Chicago:20260308T023000', NIGHT, JANE),
      vevent('UID:morning', 'DTSTART;TZID=America/Chicago:20260308T023000', 'DTEND;TZID=America/Chicago:20260308T070000', NIGHT, RAJ),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    const evening = byId(list, 'evening');
    const morning = byId(list, 'morning');
    expect(evening.end.getTime()).toBe(morning.start.getTime());
    expect(iso(morning.start)).toBe('2026-03-08T08:30Z'); // moved forward past the gap: 03:30 CDT
    expect(iso(morning.end)).toBe('2026-03-08T12:00Z');
  });

  it('a handoff at 01:30 on the fall-back night (a time that happens twice) is the first 01:30', () => {
    const feed = cal(
      vevent('UID:evening', 'DTSTART;TZID=America/Chicago:20261031T190000', 'DTEND;TZID=America/Chicago:20261101T013000', NIGHT, JANE),
      vevent('UID:morning', 'DTSTART;TZID=America/Chicago:20261101T013000', 'DTEND;TZID=America/Chicago:20261101T070000', NIGHT, RAJ),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    const evening = byId(list, 'evening');
    const morning = byId(list, 'morning');
    expect(evening.end.getTime()).toBe(morning.start.getTime());
    expect(iso(morning.start)).toBe('2026-11-01T06:30Z'); // 01:30 CDT, the first one
    expect(hours(morning)).toBe(6.5);
  });

  it('a DURATION in hours is elapsed time (RFC 5545), so PT12H from 19:00 on the spring-forward night ends at 08:00 CDT', () => {
    const feed = cal(vevent('UID:d', 'DTSTART;TZID=America/Chicago:20260307T190000', 'DURATION:PT12H', NIGHT, JANE));
    const [night] = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    expect(night && [iso(night.start), iso(night.end)]).toEqual(['2026-03-08T01:00Z', '2026-03-08T13:00Z']);
  });

  it('a UNTIL in UTC still includes the last night when it is exactly that night\'s start', () => {
    // 19:00 CET on 14 March is 18:00Z. ical.js alone compares UTC UNTIL with floating times as if they were UTC.
    const feed = cal(
      vevent('UID:berlin', 'DTSTART;TZID=Europe/Berlin:20260307T190000', 'DTEND;TZID=Europe/Berlin:20260308T070000', 'RRULE:FREQ=WEEKLY;UNTIL=20260314T180000Z', NIGHT, JANE),
    );
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId)).toEqual(['berlin#2026-03-07T19:00', 'berlin#2026-03-14T19:00']);
  });
});

describe('changes to a recurring schedule', () => {
  const weekly = [
    'UID:wk',
    'DTSTART;TZID=America/Chicago:20260301T190000',
    'DTEND;TZID=America/Chicago:20260302T070000',
    'RRULE:FREQ=WEEKLY;COUNT=5',
    NIGHT,
    JANE,
  ];

  it('an excluded week (EXDATE) leaves that night out of the roster', () => {
    const feed = cal(vevent(...weekly, 'EXDATE;TZID=America/Chicago:20260315T190000,20260329T190000'));
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId)).toEqual(['wk#2026-03-01T19:00', 'wk#2026-03-08T19:00', 'wk#2026-03-22T19:00']);
  });

  it('a swap (RECURRENCE-ID) moves one night to another person and other hours but keeps its id', () => {
    const feed = cal(
      vevent(...weekly),
      vevent('UID:wk', 'RECURRENCE-ID;TZID=America/Chicago:20260315T190000', 'DTSTART;TZID=America/Chicago:20260315T210000', 'DTEND;TZID=America/Chicago:20260316T090000', RAJ),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    expect(list).toHaveLength(5);
    const swapped = byId(list, 'wk#2026-03-15T19:00');
    expect(swapped.person).toEqual({ sourceId: 'raj.patel@hospital.org', name: 'Raj Patel', contacts: [] });
    expect([iso(swapped.start), iso(swapped.end)]).toEqual(['2026-03-16T02:00Z', '2026-03-16T14:00Z']);
    expect(swapped.service).toBe('Hospitalist'); // taken from the series
    expect(byId(list, 'wk#2026-03-22T19:00').person.sourceId).toBe('jane.doe@hospital.org');
  });

  it('a swap written in UTC (RECURRENCE-ID ...Z) still finds its Chicago night, and keeps the night\'s hours when it gives none', () => {
    // 19:00 CDT on 15 March is 00:00Z on the 16th.
    const feed = cal(vevent(...weekly), vevent('UID:wk', 'RECURRENCE-ID:20260316T000000Z', RAJ));
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    expect(list).toHaveLength(5);
    const swapped = byId(list, 'wk#2026-03-15T19:00');
    expect([swapped.person.sourceId, iso(swapped.start), iso(swapped.end)]).toEqual(['raj.patel@hospital.org', '2026-03-16T00:00Z', '2026-03-16T12:00Z']);
  });

  it('a cancelled night (RECURRENCE-ID with STATUS:CANCELLED) is gone from the roster', () => {
    const feed = cal(vevent(...weekly), vevent('UID:wk', 'RECURRENCE-ID;TZID=America/Chicago:20260308T190000', 'STATUS:CANCELLED'));
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId)).not.toContain('wk#2026-03-08T19:00');
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026))).toHaveLength(4);
  });

  it('a cancelled event (STATUS:CANCELLED) is not a shift', () => {
    const feed = cal(vevent(...weekly, 'STATUS:CANCELLED'), vevent('UID:one', 'DTSTART:20260310T140000Z', 'DTEND:20260310T220000Z', NIGHT, JANE));
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId)).toEqual(['one']);
  });

  it('the same feed read twice gives the same shift ids', () => {
    const feed = cal(
      vevent(...weekly, 'EXDATE;TZID=America/Chicago:20260322T190000'),
      vevent('UID:wk', 'RECURRENCE-ID;TZID=America/Chicago:20260308T190000', 'DTSTART;TZID=America/Chicago:20260308T200000', 'DTEND;TZID=America/Chicago:20260309T080000', RAJ),
      vevent('UID:single', 'DTSTART:20260401T140000Z', 'DTEND:20260401T220000Z', NIGHT, JANE),
    );
    const first = shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId);
    const second = shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId);
    expect(first).toEqual(second);
    expect(first).toEqual(['wk#2026-03-01T19:00', 'wk#2026-03-08T19:00', 'wk#2026-03-15T19:00', 'wk#2026-03-29T19:00', 'single']);
  });
});

describe('kinds of time', () => {
  it('an all-day event runs from midnight to midnight in the feed zone (23 hours on the spring-forward day)', () => {
    const feed = cal(
      vevent('UID:oneday', 'DTSTART;VALUE=DATE:20260308', NIGHT, JANE),
      vevent('UID:weekend', 'DTSTART;VALUE=DATE:20260313', 'DTEND;VALUE=DATE:20260316', NIGHT, RAJ),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    const oneDay = byId(list, 'oneday');
    expect([iso(oneDay.start), iso(oneDay.end)]).toEqual(['2026-03-08T06:00Z', '2026-03-09T05:00Z']);
    expect(oneDay.zone).toBe('America/Chicago');
    const weekend = byId(list, 'weekend');
    expect([iso(weekend.start), iso(weekend.end)]).toEqual(['2026-03-13T05:00Z', '2026-03-16T05:00Z']);
  });

  it('a recurring all-day event is keyed by its date', () => {
    const feed = cal(vevent('UID:call', 'DTSTART;VALUE=DATE:20260302', 'RRULE:FREQ=DAILY;COUNT=2', NIGHT, JANE));
    expect(shiftsOf(parseIcalRoster(feed, YEAR_2026)).map((s) => s.sourceId)).toEqual(['call#2026-03-02', 'call#2026-03-03']);
  });

  it('floating times (no TZID, no Z) are read in the feed zone', () => {
    const feed = cal(vevent('UID:f', 'DTSTART:20260310T080000', 'DTEND:20260310T200000', NIGHT, JANE));
    const [day] = shiftsOf(parseIcalRoster(feed, { ...YEAR_2026, zone: 'America/New_York' }));
    expect(day && [iso(day.start), iso(day.end), day.zone]).toEqual(['2026-03-10T12:00Z', '2026-03-11T00:00Z', 'America/New_York']);
  });

  it('a UTC event keeps its instants whatever the feed zone', () => {
    const feed = cal(vevent('UID:u', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT, JANE));
    const [day] = shiftsOf(parseIcalRoster(feed, { ...YEAR_2026, zone: 'Asia/Tokyo' }));
    expect(day && [iso(day.start), iso(day.end), day.zone]).toEqual(['2026-03-10T08:00Z', '2026-03-10T20:00Z', 'UTC']);
  });
});

describe('who and what', () => {
  it('X-PAGERLESS-KIND:override marks a cover shift, in any case', () => {
    const feed = cal(
      vevent('UID:cover', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'X-PAGERLESS-KIND:Override', NIGHT, RAJ),
      vevent('UID:plain', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT, JANE),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    expect(byId(list, 'cover').kind).toBe('override');
    expect(byId(list, 'plain').kind).toBe('base');
  });

  it('a misspelt X-PAGERLESS-KIND is a problem rather than a silent base shift', () => {
    const feed = cal(vevent('UID:cover', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'X-PAGERLESS-KIND:overide', NIGHT, RAJ));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 8, message: expect.stringContaining('X-PAGERLESS-KIND') }]);
  });

  it('aliases rename the scheduling system\'s service and shift names to the ones the rules use', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'CATEGORIES:HOSP-MED,NOC', JANE));
    const [s] = shiftsOf(parseIcalRoster(feed, { ...YEAR_2026, aliases: { service: { 'HOSP-MED': 'Hospitalist' }, shift: { NOC: 'Night' } } }));
    expect(s && [s.service, s.shift]).toEqual(['Hospitalist', 'Night']);
  });

  it('a feed for one service and shift needs no CATEGORIES', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', JANE));
    const [s] = shiftsOf(parseIcalRoster(feed, { ...YEAR_2026, service: 'Cardiology', shift: 'Day' }));
    expect(s && [s.service, s.shift]).toEqual(['Cardiology', 'Day']);
  });

  it('the person is the first attendee: email lower-cased, the address as name without CN, a tel: number as a phone', () => {
    const feed = cal(
      vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT, 'ATTENDEE:MAILTO:Sam.Lee@Hospital.org', RAJ),
      vevent('UID:b', 'DTSTART:20260311T080000Z', 'DTEND:20260311T200000Z', NIGHT, 'ATTENDEE;CN=Night Desk:tel:+1-312-555-0143'),
    );
    const list = shiftsOf(parseIcalRoster(feed, YEAR_2026));
    expect(byId(list, 'a').person).toEqual({ sourceId: 'sam.lee@hospital.org', name: 'Sam.Lee@Hospital.org', contacts: [] });
    expect(byId(list, 'b').person).toEqual({ sourceId: '+13125550143', name: 'Night Desk', contacts: [{ kind: 'phone', value: '+13125550143' }] });
  });

  it('the newest LAST-MODIFIED is reported, null without any', () => {
    const feed = cal(
      vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'LAST-MODIFIED:20260201T090000Z', NIGHT, JANE),
      vevent('UID:b', 'DTSTART:20260311T080000Z', 'DTEND:20260311T200000Z', 'LAST-MODIFIED:20260215T093000Z', NIGHT, JANE),
    );
    const result = parseIcalRoster(feed, YEAR_2026);
    expect(result.ok && result.lastModified?.toISOString()).toBe('2026-02-15T09:30:00.000Z');
    expect(result.ok && [result.mode, result.deleted]).toEqual(['full', []]);
    const none = parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT, JANE)), YEAR_2026);
    expect(none.ok && none.lastModified).toBeNull();
  });
});

describe('the expansion window', () => {
  const daily = cal(vevent('UID:day', 'DTSTART:20260301T080000Z', 'DTEND:20260301T200000Z', 'RRULE:FREQ=DAILY', NIGHT, JANE));

  it('returns only the shifts overlapping [from, to), including one already under way', () => {
    // from 12:00 on the 3rd (the 3rd's shift is under way), to 08:00 on the 6th (the 6th's shift starts then: excluded).
    const list = shiftsOf(parseIcalRoster(daily, { zone: 'UTC', from: new Date('2026-03-03T12:00:00Z'), to: new Date('2026-03-06T08:00:00Z') }));
    expect(list.map((s) => s.sourceId)).toEqual(['day#2026-03-03T08:00', 'day#2026-03-04T08:00', 'day#2026-03-05T08:00']);
  });

  it('a shift that ends exactly at the window start is left out', () => {
    const list = shiftsOf(parseIcalRoster(daily, { zone: 'UTC', from: new Date('2026-03-03T20:00:00Z'), to: new Date('2026-03-04T20:00:00Z') }));
    expect(list.map((s) => s.sourceId)).toEqual(['day#2026-03-04T08:00']);
  });

  it('three shifts a day since 2017 still import (the cap counts steps, and allows years of them)', () => {
    // The window is 18:00–18:00 CST: the 15:00 and 23:00 shifts of the day before and the 07:00 and 15:00 of the day.
    const feed = cal(vevent('UID:t', 'DTSTART;TZID=America/Chicago:20170101T070000', 'DURATION:PT8H', 'RRULE:FREQ=DAILY;BYHOUR=7,15,23', NIGHT, JANE));
    expect(shiftsOf(parseIcalRoster(feed, { zone: 'America/Chicago', from: new Date('2026-03-03T00:00:00Z'), to: new Date('2026-03-04T00:00:00Z') })).length).toBe(4);
  });

  it('a never-ending rule that would run past the occurrence cap is a problem, not a hang', () => {
    const feed = cal(vevent('UID:h', 'DTSTART:20000101T000000Z', 'DURATION:PT1H', 'RRULE:FREQ=HOURLY', NIGHT, JANE));
    const found = problemsOf(parseIcalRoster(feed, YEAR_2026));
    expect(found).toEqual([{ line: 8, message: expect.stringContaining(String(MAX_OCCURRENCES_PER_EVENT)) }]);
  });
});

describe('feeds that cannot be trusted are refused with the line to fix', () => {
  it('garbage is not iCalendar', () => {
    expect(problemsOf(parseIcalRoster('<html><body>Service unavailable</body></html>', YEAR_2026))).toEqual([{ line: 1, message: expect.stringContaining('not an iCalendar feed') }]);
    expect(problemsOf(parseIcalRoster('', YEAR_2026))).toEqual([{ line: 1, message: expect.stringContaining('empty') }]);
  });

  it('a broken line names its line', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'this line lost its colon', 'DTEND:20260310T200000Z', NIGHT, JANE));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 7, message: expect.stringContaining('broken line') }]);
  });

  it('an event that is never closed names its BEGIN line', () => {
    const feed = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'END:VCALENDAR'].join('\n');
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 4, message: expect.stringContaining('does not close BEGIN:VEVENT (line 2)') }]);
  });

  it('a VEVENT without DTSTART names the event', () => {
    const feed = cal(vevent('UID:ok', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT, JANE), vevent('UID:a', 'DTEND:20260310T200000Z', NIGHT, JANE));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 11, message: 'VEVENT has no DTSTART' }]);
  });

  it('an unknown TZID names the property line', () => {
    const feed = cal(vevent('UID:a', 'DTSTART;TZID=Central Standard Time:20260310T080000', 'DURATION:PT12H', NIGHT, JANE));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 6, message: expect.stringContaining('unknown time zone TZID=Central Standard Time') }]);
  });

  it('an event with nobody on it (no ATTENDEE) names the event', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 4, message: expect.stringContaining('no ATTENDEE') }]);
  });

  it('an unparsable or impossible date names its line', () => {
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:tomorrow', 'DTEND:20260310T200000Z', NIGHT, JANE)), YEAR_2026))).toEqual([
      { line: 6, message: expect.stringContaining('unparsable date') },
    ]);
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260230T200000Z', NIGHT, JANE)), YEAR_2026))).toEqual([
      { line: 7, message: expect.stringContaining('unparsable date') },
    ]);
  });

  it('an end that is not after the start, or no end at all, is a problem', () => {
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T080000Z', NIGHT, JANE)), YEAR_2026))).toEqual([
      { line: 7, message: expect.stringContaining('not after') },
    ]);
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', NIGHT, JANE)), YEAR_2026))).toEqual([
      { line: 4, message: 'VEVENT has neither DTEND nor DURATION' },
    ]);
  });

  it('an event without service and shift names is a problem', () => {
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', JANE)), YEAR_2026))).toEqual([
      { line: 4, message: expect.stringContaining('no service') },
    ]);
    expect(problemsOf(parseIcalRoster(cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'CATEGORIES:Hospitalist', JANE)), YEAR_2026))).toEqual([
      { line: 8, message: expect.stringContaining('no shift name') },
    ]);
  });

  it('a rule ical.js itself refuses names its line and says why', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', 'RRULE:FREQ=FORTNIGHTLY', NIGHT, JANE));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026))).toEqual([{ line: 8, message: expect.stringContaining('invalid frequency') }]);
  });

  it('every problem of the feed is reported, in line order', () => {
    const feed = cal(vevent('UID:a', 'DTSTART:20260310T080000Z', 'DTEND:20260310T200000Z', NIGHT), vevent('UID:b', 'DTSTART;TZID=Mars/Olympus:20260310T080000', 'DTEND:20260310T200000Z', NIGHT, JANE));
    expect(problemsOf(parseIcalRoster(feed, YEAR_2026)).map((p) => p.line)).toEqual([4, 12]);
  });

  it('never throws, whatever the text', () => {
    const good = weeklyNights('America/Chicago').split('\r\n');
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(() => parseIcalRoster(text, YEAR_2026)).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.string({ maxLength: 12 }), (index, junk) => {
        const mutated = good.map((line, i) => (i === index ? line.slice(0, Math.floor(line.length / 2)) + junk : line)).join('\r\n');
        const result = parseIcalRoster(mutated, YEAR_2026);
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
      }),
    );
  });
});
