import { hours, problemsOf, shiftsOf } from '../support/feeds.js';
import { describe, expect, it } from 'vitest';
import { parseCsvRoster } from '../../src/roster/importers/csv.js';
import type { CsvOptions } from '../../src/roster/importers/csv.js';

const HEADER = 'Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type';

function csv(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const chicago: CsvOptions = { zone: 'America/Chicago' };
const london: CsvOptions = { zone: 'Europe/London' };

describe('Amion CSV: overnight shifts from zone-less times', () => {
  it('reads a 1900–0700 night as ending the next morning, in the roster zone', () => {
    const result = parseCsvRoster(csv(HEADER, 'S1,Ana Diaz,3125550143,Hospitalist,Night,2026-02-10,1900,0700,'), chicago);
    expect(result).toMatchObject({ ok: true, mode: 'full', deleted: [], lastModified: null });
    const [night] = shiftsOf(result);
    expect(night?.start.toISOString()).toBe('2026-02-11T01:00:00.000Z');
    expect(night?.end.toISOString()).toBe('2026-02-11T13:00:00.000Z');
    expect(night?.zone).toBe('America/Chicago');
    expect(night).toMatchObject({ service: 'Hospitalist', shift: 'Night', kind: 'base', person: { sourceId: 'S1', name: 'Ana Diaz' } });
  });

  it('makes the spring-forward night in Chicago (2026-03-08) 11 hours and the fall-back night (2026-11-01) 13 hours', () => {
    const shifts = shiftsOf(
      parseCsvRoster(
        csv(HEADER, 'S1,Ana Diaz,,Hospitalist,Night,2026-03-07,1900,0700,', 'S1,Ana Diaz,,Hospitalist,Night,2026-10-31,1900,0700,'),
        chicago,
      ),
    );
    expect(hours(shifts[0])).toBe(11);
    expect(shifts[0]?.end.toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(hours(shifts[1])).toBe(13);
    expect(shifts[1]?.end.toISOString()).toBe('2026-11-01T13:00:00.000Z');
  });

  it('makes the London clock-change nights (2026-03-29 and 2026-10-25) 11 and 13 hours', () => {
    const shifts = shiftsOf(
      parseCsvRoster(
        csv(HEADER, 'L1,Tom Reid,,Medicine,Night,2026-03-28,2000,0800,', 'L1,Tom Reid,,Medicine,Night,2026-10-24,2000,0800,', 'L1,Tom Reid,,Medicine,Night,2026-06-10,2000,0800,'),
        london,
      ),
    );
    expect(shifts.map(hours)).toEqual([11, 13, 12]);
    expect(shifts[0]?.start.toISOString()).toBe('2026-03-28T20:00:00.000Z');
    expect(shifts[1]?.start.toISOString()).toBe('2026-10-24T19:00:00.000Z');
    expect(shifts[2]?.zone).toBe('Europe/London');
  });

  it('hands off at 0230 on the spring-forward night (a time that never happens) with no gap and no overlap', () => {
    const [evening, early] = shiftsOf(
      parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Night 1,2026-03-07,1900,0230,', 'B,Ben Okafor,,ICU,Night 2,2026-03-08,0230,0700,'), chicago),
    );
    expect(evening?.end.getTime()).toBe(early?.start.getTime());
    // 0230 does not exist; it reads as 0330 CDT, just after the jump.
    expect(early?.start.toISOString()).toBe('2026-03-08T08:30:00.000Z');
    expect(hours(evening) + hours(early)).toBe(11);
  });

  it('hands off at 0130 on the fall-back night (a time that happens twice) with no gap and no overlap', () => {
    const [evening, early] = shiftsOf(
      parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Night 1,2026-10-31,1900,0130,', 'B,Ben Okafor,,ICU,Night 2,2026-11-01,0130,0700,'), chicago),
    );
    expect(evening?.end.getTime()).toBe(early?.start.getTime());
    // The first 0130 (CDT): the early shift covers the repeated hour.
    expect(early?.start.toISOString()).toBe('2026-11-01T06:30:00.000Z');
    expect(hours(evening) + hours(early)).toBe(13);
  });

  it('reads an end of 2400 as midnight at the end of the day and an end equal to the start as a 24-hour shift', () => {
    const [day, full] = shiftsOf(
      parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Day,2026-05-04,0700,2400,', 'A,Ana Diaz,,ICU,24h,2026-05-05,0700,0700,'), chicago),
    );
    expect(day?.end.toISOString()).toBe('2026-05-05T05:00:00.000Z');
    expect(hours(day)).toBe(17);
    expect(hours(full)).toBe(24);
  });

  it('accepts M/D/YYYY dates as Amion exports them', () => {
    const [shift] = shiftsOf(parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Day,3/8/2026,0700,1900,'), chicago));
    expect(shift?.start.toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(shift?.sourceId).toBe('A|ICU|Day|2026-03-08|0700');
  });
});

describe('Amion CSV: columns, kinds, phones', () => {
  it('reads a feed whose columns have other names and another order', () => {
    const text = csv('Assignment,Staff,Employee #,On,From,To,Division,Mobile,Swap?', 'Night,Ana Diaz,S1,2026-02-10,1900,0700,Hospitalist,312 555 0143,swap');
    const [shift] = shiftsOf(
      parseCsvRoster(text, {
        zone: 'America/Chicago',
        columns: { personId: 'Employee #', personName: 'Staff', phone: 'Mobile', service: 'Division', shift: 'Assignment', date: 'On', start: 'From', end: 'To', kind: 'Swap?' },
      }),
    );
    expect(shift).toMatchObject({
      service: 'Hospitalist',
      shift: 'Night',
      kind: 'override',
      person: { sourceId: 'S1', name: 'Ana Diaz', contacts: [{ kind: 'phone', value: '+13125550143' }] },
    });
  });

  it('does without the phone and type columns: no phone, base shifts', () => {
    const [shift] = shiftsOf(parseCsvRoster(csv('Staff ID,Name,Service,Shift,Date,Start,End', 'A,Ana Diaz,ICU,Day,2026-05-04,0700,1900'), chicago));
    expect(shift?.kind).toBe('base');
    expect(shift?.person.contacts).toEqual([]);
  });

  it('marks swap, cover and override rows (any case) as overrides and base, regular or blank rows as base', () => {
    const rows = ['swap', 'COVER', 'Override', 'base', 'Regular', ''].map((type, i) => `A,Ana Diaz,,ICU,Day,2026-05-0${i + 1},0700,1900,${type}`);
    expect(shiftsOf(parseCsvRoster(csv(HEADER, ...rows), chicago)).map((s) => s.kind)).toEqual(['override', 'override', 'override', 'base', 'base', 'base']);
  });

  it('writes North American numbers as +1 E.164 and keeps international numbers with their country code', () => {
    const phones = ['(312) 555-0143', '312.555.0143', '1-312-555-0143', '3125550143', '+44 20 7946 0958', '+13125550143'];
    const rows = phones.map((phone, i) => `A${i},Ana Diaz,"${phone}",ICU,Day,2026-05-04,0700,1900,`);
    expect(shiftsOf(parseCsvRoster(csv(HEADER, ...rows), chicago)).map((s) => s.person.contacts[0]?.value)).toEqual([
      '+13125550143',
      '+13125550143',
      '+13125550143',
      '+13125550143',
      '+442079460958',
      '+13125550143',
    ]);
  });

  it('renames services and shifts through the aliases, but keeps the source names in the sourceId', () => {
    const [shift] = shiftsOf(
      parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,HOSP-MED,NOC,2026-05-04,1900,0700,'), {
        zone: 'America/Chicago',
        aliases: { service: { 'HOSP-MED': 'Hospitalist' }, shift: { NOC: 'Night' } },
      }),
    );
    expect(shift).toMatchObject({ service: 'Hospitalist', shift: 'Night', sourceId: 'A|HOSP-MED|NOC|2026-05-04|1900' });
  });

  it('gives a shift the same sourceId in two imports, even when rows move and phone numbers change', () => {
    const first = shiftsOf(parseCsvRoster(csv(HEADER, 'A,Ana Diaz,3125550143,ICU,Day,2026-05-04,0700,1900,', 'B,Ben Okafor,,ICU,Night,5/4/2026,1900,0700,'), chicago));
    const second = shiftsOf(parseCsvRoster(csv(HEADER, 'B,Ben Okafor,,ICU,Night,2026-05-04,1900,0700,', 'A,Ana Diaz,3125550199,ICU,Day,2026-05-04,700,1900,'), chicago));
    expect(first.map((s) => s.sourceId).sort()).toEqual(second.map((s) => s.sourceId).sort());
    expect(new Set(first.map((s) => s.sourceId)).size).toBe(2);
  });

  it('skips blank lines and tolerates a byte-order mark, counting both in line numbers', () => {
    const text = `\uFEFF${HEADER}\n\nA,Ana Diaz,,ICU,Day,2026-05-04,0700,1900,\n\r\n\nA,Ana Diaz,,ICU,Day,2026-05-05,0700,1900,oops\n`;
    expect(problemsOf(parseCsvRoster(text, chicago))).toEqual([{ line: 6, message: expect.stringContaining('"oops"') as string }]);
    const ok = parseCsvRoster(`\uFEFF${HEADER}\n\nA,Ana Diaz,,ICU,Day,2026-05-04,0700,1900,\n\n`, chicago);
    expect(shiftsOf(ok)).toHaveLength(1);
  });
});

describe('Amion CSV: a malformed feed is rejected whole, each problem with its line', () => {
  const good = 'A,Ana Diaz,,ICU,Day,2026-05-04,0700,1900,';

  it('rejects a bad date', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, good, 'B,Ben Okafor,,ICU,Day,2026-02-30,0700,1900,'), chicago));
    expect(problems).toEqual([{ line: 3, message: 'Date "2026-02-30" is not a date (YYYY-MM-DD or M/D/YYYY)' }]);
  });

  it('rejects bad times: a start of 2400, an hour of 25, and words', () => {
    const problems = problemsOf(
      parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Day,2026-05-04,2400,0700,', 'A,Ana Diaz,,ICU,Day,2026-05-05,0700,2500,', 'A,Ana Diaz,,ICU,Day,2026-05-06,7pm,0700,'), chicago),
    );
    expect(problems).toEqual([
      { line: 2, message: 'Start "2400" is not a time (HHMM, 0000 to 2359)' },
      { line: 3, message: 'End "2500" is not a time (HHMM, 0000 to 2400)' },
      { line: 4, message: 'Start "7pm" is not a time (HHMM, 0000 to 2359)' },
    ]);
  });

  it('rejects a header without a required column, naming the column', () => {
    const problems = problemsOf(parseCsvRoster(csv('Staff ID,Name,Service,Shift,Start,End', 'A,Ana Diaz,ICU,Day,0700,1900'), chicago));
    expect(problems).toEqual([{ line: 1, message: 'missing column "Date" (date) in the header row' }]);
  });

  it('names a renamed required column by the name it was given', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, good), { zone: 'America/Chicago', columns: { personId: 'Employee #' } }));
    expect(problems).toEqual([{ line: 1, message: 'missing column "Employee #" (personId) in the header row' }]);
  });

  it('rejects an unknown shift type', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Day,2026-05-04,0700,1900,trade'), chicago));
    expect(problems).toEqual([{ line: 2, message: 'Type "trade" is not a shift type (base, regular, override, swap or cover)' }]);
  });

  it('rejects a phone number that is neither North American nor international', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, 'A,Ana Diaz,555-0143,ICU,Day,2026-05-04,0700,1900,', 'B,Ben Okafor,call the desk,ICU,Day,2026-05-04,0700,1900,'), chicago));
    expect(problems).toEqual([
      { line: 2, message: 'Phone "555-0143" is not a phone number (10-digit North American or +country code)' },
      { line: 3, message: 'Phone "call the desk" is not a phone number (10-digit North American or +country code)' },
    ]);
  });

  it('rejects an unterminated quote at the line where the quote opened, after a legitimately multi-line field', () => {
    const text = csv(HEADER, 'A,"Diaz,', 'Ana",,ICU,Day,2026-05-04,0700,1900,', '', 'B,"Ben Okafor,,ICU,Day,2026-05-04,0700,1900,', good);
    const problems = problemsOf(parseCsvRoster(text, chicago));
    expect(problems).toEqual([{ line: 5, message: 'unterminated quoted field: the quote opened in this row is never closed' }]);
  });

  it('reports problems in rows before a CSV syntax error as well as the error', () => {
    const text = csv(HEADER, 'A,Ana Diaz,,ICU,Day,2026-13-01,0700,1900,', 'B,Ben "the" Okafor,,ICU,Day,2026-05-04,0700,1900,');
    const problems = problemsOf(parseCsvRoster(text, chicago));
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems[1]?.message).toMatch(/quote/);
  });

  it('rejects two rows for the same person, shift, date and start, naming both lines', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, good, 'B,Ben Okafor,,ICU,Day,2026-05-04,0700,1900,', 'A,Ana Diaz,,ICU,Day,5/4/2026,0700,1700,'), chicago));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(4);
    expect(problems[0]?.message).toMatch(/lines 2 and 4/);
  });

  it('reports every problem of every row, not just the first', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, 'A,,12345,ICU,Day,2026-05-32,0760,1900,', good, 'B,Ben Okafor,,ICU,,2026-05-04,0700,1900,maybe'), chicago));
    expect(problems.map((p) => [p.line, p.message.split(' ')[0]])).toEqual([
      [2, 'Name'],
      [2, 'Date'],
      [2, 'Start'],
      [2, 'Phone'],
      [4, 'Shift'],
      [4, 'Type'],
    ]);
  });

  it('rejects a row with too few fields', () => {
    const problems = problemsOf(parseCsvRoster(csv(HEADER, 'A,Ana Diaz,,ICU,Day,2026-05-04,0700'), chicago));
    expect(problems[0]).toEqual({ line: 2, message: 'row has 7 fields but the header has 9' });
  });

  it('rejects an empty feed and an unknown zone without throwing', () => {
    expect(problemsOf(parseCsvRoster('', chicago))).toEqual([{ line: 1, message: 'empty feed: a header row naming the columns is required' }]);
    expect(problemsOf(parseCsvRoster(csv(HEADER, good), { zone: 'America/Chikago' }))[0]?.message).toMatch(/America\/Chikago/);
    expect(problemsOf(parseCsvRoster('"', chicago))).toEqual([{ line: 1, message: expect.stringMatching(/unterminated/) as string }]);
  });
});
