import { accepted, hours, problemsOf } from '../support/feeds.js';
import { describe, expect, it } from 'vitest';
import { parseJsonRoster } from '../../src/roster/importers/json.js';
import type { JsonOptions } from '../../src/roster/importers/json.js';


const options: JsonOptions = {
  zone: 'America/Chicago',
  tasks: {
    'Hospitalist Nights': { service: 'Hospitalist', shift: 'Night' },
    'ICU Day': { service: 'ICU', shift: 'Day' },
  },
};

/** A published, unstruck QGenda record for the 2026-03-07 hospitalist night (the spring-forward night). */
function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ScheduleKey: 'sk-1',
    StaffKey: 'staff-ana',
    StaffFName: 'Ana',
    StaffLName: 'Diaz',
    StaffMobilePhone: '(312) 555-0143',
    TaskName: 'Hospitalist Nights',
    TaskKey: 'task-9',
    StartDate: '2026-03-07',
    StartTime: '19:00',
    EndDate: '2026-03-08',
    EndTime: '07:00',
    TimeZone: 'America/Chicago',
    StartDateUTC: '2026-03-08T01:00:00Z',
    EndDateUTC: '2026-03-08T12:00:00Z',
    IsPublished: true,
    IsStruck: false,
    LastModifiedDateUTC: '2026-03-01T10:00:00Z',
    CompKey: 'extra keys are fine',
    ...overrides,
  };
}

function feed(...records: unknown[]): string {
  return JSON.stringify(records, null, 2);
}

describe('QGenda JSON: schedule records become shifts', () => {
  it('reads a record: the task mapped to service and shift, the person with an E.164 phone, the UTC times', () => {
    const result = accepted(parseJsonRoster(feed(record()), options));
    expect(result).toMatchObject({ mode: 'full', deleted: [] });
    expect(result.shifts).toEqual([
      {
        sourceId: 'sk-1',
        person: { sourceId: 'staff-ana', name: 'Ana Diaz', contacts: [{ kind: 'phone', value: '+13125550143' }] },
        service: 'Hospitalist',
        shift: 'Night',
        start: new Date('2026-03-08T01:00:00Z'),
        end: new Date('2026-03-08T12:00:00Z'),
        zone: 'America/Chicago',
        kind: 'base',
      },
    ]);
    expect(hours(result.shifts[0])).toBe(11);
  });

  it('reads the records of a { "data": [...] } envelope', () => {
    expect(accepted(parseJsonRoster(JSON.stringify({ data: [record()] }), options)).shifts).toHaveLength(1);
  });

  it('skips the records of tasks Pagerless does not page, even malformed ones', () => {
    const result = accepted(
      parseJsonRoster(feed(record({ ScheduleKey: 'other', TaskName: 'Clinic AM' }), record(), record({ ScheduleKey: 'junk', TaskName: 'Vacation', StartDateUTC: 'soon', StaffKey: 7 })), options),
    );
    expect(result.shifts.map((s) => s.sourceId)).toEqual(['sk-1']);
  });

  it('marks IsOverride records as overrides', () => {
    const result = accepted(parseJsonRoster(feed(record({ IsOverride: true }), record({ ScheduleKey: 'sk-2', IsOverride: false })), options));
    expect(result.shifts.map((s) => s.kind)).toEqual(['override', 'base']);
  });

  it('uses the local date and time when the UTC fields are absent, in the record zone or else the roster zone', () => {
    const local = { StartDateUTC: undefined, EndDateUTC: undefined };
    const result = accepted(
      parseJsonRoster(
        feed(
          record(local),
          record({ ...local, ScheduleKey: 'sk-2', TimeZone: undefined, StartDate: '2026-10-31', EndDate: '2026-11-01' }),
          record({ ...local, ScheduleKey: 'sk-3', TimeZone: 'Europe/London', StartDate: '2026-03-28', StartTime: '20:00:00', EndDate: '2026-03-29', EndTime: '08:00:00' }),
        ),
        options,
      ),
    );
    expect(result.shifts.map(hours)).toEqual([11, 13, 11]);
    expect(result.shifts[1]?.zone).toBe('America/Chicago');
    expect(result.shifts[2]?.zone).toBe('Europe/London');
    expect(result.shifts[2]?.start.toISOString()).toBe('2026-03-28T20:00:00.000Z');
  });

  it('uses the UTC fields alone when there are no local ones', () => {
    const result = accepted(parseJsonRoster(feed(record({ StartDate: null, StartTime: null, EndDate: null, EndTime: null })), options));
    expect(result.shifts[0]?.start.toISOString()).toBe('2026-03-08T01:00:00.000Z');
  });

  it('hands off at 02:30 on the spring-forward night and 01:30 on the fall-back night with no gap and no overlap (local times only)', () => {
    const local = { StartDateUTC: undefined, EndDateUTC: undefined };
    const result = accepted(
      parseJsonRoster(
        feed(
          record({ ...local, ScheduleKey: 'a', EndTime: '02:30' }),
          record({ ...local, ScheduleKey: 'b', StartDate: '2026-03-08', StartTime: '02:30' }),
          record({ ...local, ScheduleKey: 'c', StartDate: '2026-10-31', EndDate: '2026-11-01', EndTime: '01:30' }),
          record({ ...local, ScheduleKey: 'd', StartDate: '2026-11-01', StartTime: '01:30', EndDate: '2026-11-01' }),
        ),
        options,
      ),
    );
    const [a, b, c, d] = result.shifts;
    expect(a?.end.getTime()).toBe(b?.start.getTime());
    expect(c?.end.getTime()).toBe(d?.start.getTime());
    expect(hours(a) + hours(b)).toBe(11);
    expect(hours(c) + hours(d)).toBe(13);
  });

  it('accepts UTC times that agree with the local ones, including the second 01:30 of the fall-back night', () => {
    const result = accepted(
      parseJsonRoster(
        feed(
          record({ StartDate: '2026-11-01', StartTime: '01:30', StartDateUTC: '2026-11-01T07:30:00Z', EndDate: '2026-11-01', EndTime: '07:00', EndDateUTC: '2026-11-01T13:00:00Z' }),
        ),
        options,
      ),
    );
    expect(result.shifts[0]?.start.toISOString()).toBe('2026-11-01T07:30:00.000Z');
  });

  it('renames the mapped service and shift through the aliases', () => {
    const result = accepted(parseJsonRoster(feed(record()), { ...options, aliases: { service: { Hospitalist: 'Medicine' }, shift: { Night: 'Nocturnist' } } }));
    expect(result.shifts[0]).toMatchObject({ service: 'Medicine', shift: 'Nocturnist' });
  });

  it('gives a shift the same sourceId (its ScheduleKey) in two imports, whatever else changed', () => {
    const first = accepted(parseJsonRoster(feed(record(), record({ ScheduleKey: 'sk-2', TaskName: 'ICU Day' })), options));
    const second = accepted(parseJsonRoster(feed(record({ ScheduleKey: 'sk-2', TaskName: 'ICU Day', StaffMobilePhone: null }), record({ StaffKey: 'staff-ben' })), options));
    expect(first.shifts.map((s) => s.sourceId).sort()).toEqual(['sk-1', 'sk-2']);
    expect(second.shifts.map((s) => s.sourceId).sort()).toEqual(['sk-1', 'sk-2']);
  });
});

describe('QGenda JSON: struck and unpublished records, last modified', () => {
  const records = feed(
    record(),
    record({ ScheduleKey: 'struck', IsStruck: true, LastModifiedDateUTC: '2026-03-05T08:00:00Z' }),
    record({ ScheduleKey: 'draft', IsPublished: false, LastModifiedDateUTC: '2026-03-04T08:00:00Z' }),
  );

  it('leaves struck and unpublished records out of a full feed', () => {
    const result = accepted(parseJsonRoster(records, options));
    expect(result.mode).toBe('full');
    expect(result.shifts.map((s) => s.sourceId)).toEqual(['sk-1']);
    expect(result.deleted).toEqual([]);
  });

  it('lists struck and unpublished records as deleted in an incremental feed', () => {
    const result = accepted(parseJsonRoster(records, { ...options, incremental: true }));
    expect(result.mode).toBe('incremental');
    expect(result.shifts.map((s) => s.sourceId)).toEqual(['sk-1']);
    expect(result.deleted).toEqual(['struck', 'draft']);
  });

  it('reports the newest LastModifiedDateUTC, and null when no record has one', () => {
    expect(accepted(parseJsonRoster(records, options)).lastModified).toEqual(new Date('2026-03-05T08:00:00Z'));
    expect(accepted(parseJsonRoster(feed(record({ LastModifiedDateUTC: undefined })), options)).lastModified).toBeNull();
    expect(accepted(parseJsonRoster('[]', options))).toMatchObject({ shifts: [], lastModified: null });
  });
});

describe('QGenda JSON: a malformed feed is rejected whole, each problem with its record', () => {
  it('rejects invalid JSON with the line and column of the error', () => {
    const text = '[\n  {"ScheduleKey": "sk-1",\n   "StaffKey": "staff-ana" "TaskName": "x"}\n]';
    const problems = problemsOf(parseJsonRoster(text, options));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(3);
    expect(problems[0]?.message).toMatch(/^invalid JSON at line 3, column 28: /);
    expect(problemsOf(parseJsonRoster('[{"a": 1}', options))[0]?.line).toBe(1);
  });

  it('rejects a record with a missing field, naming the record and the field', () => {
    expect(problemsOf(parseJsonRoster(feed(record(), record({ ScheduleKey: 'sk-2', StaffKey: undefined })), options))).toEqual([
      { record: '#1 (ScheduleKey sk-2)', message: 'StaffKey is missing (expected string)' },
    ]);
  });

  it('rejects a bad UTC date', () => {
    expect(problemsOf(parseJsonRoster(feed(record({ EndDateUTC: '2026-03-08T25:00:00Z' })), options))).toEqual([
      { record: '#0 (ScheduleKey sk-1)', message: 'EndDateUTC "2026-03-08T25:00:00Z" is not an ISO date-time (like 2026-03-08T01:00:00Z)' },
    ]);
  });

  it('rejects a record whose local time contradicts its UTC time', () => {
    const problems = problemsOf(parseJsonRoster(feed(record({ StartTime: '18:00' })), options));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.record).toBe('#0 (ScheduleKey sk-1)');
    expect(problems[0]?.message).toMatch(/^StartDateUTC 2026-03-08T01:00:00.000Z contradicts StartDate 2026-03-07 StartTime 18:00 in America\/Chicago/);
  });

  it('rejects a field of the wrong type', () => {
    expect(problemsOf(parseJsonRoster(feed(record({ IsStruck: 'false' })), options))).toEqual([
      { record: '#0 (ScheduleKey sk-1)', message: 'IsStruck should be boolean, not string "false"' },
    ]);
  });

  it('reports every problem of every record, not just the first', () => {
    const problems = problemsOf(
      parseJsonRoster(feed(record({ IsPublished: 1, StaffMobilePhone: 5 }), record({ ScheduleKey: 'sk-2', StartDateUTC: 'tomorrow', StaffMobilePhone: '555-0143' }), record({ ScheduleKey: 'sk-2' })), options),
    );
    expect(problems).toEqual([
      { record: '#0 (ScheduleKey sk-1)', message: 'StaffMobilePhone should be string, not number 5' },
      { record: '#0 (ScheduleKey sk-1)', message: 'IsPublished should be boolean, not number 1' },
      { record: '#1 (ScheduleKey sk-2)', message: 'StartDateUTC "tomorrow" is not an ISO date-time (like 2026-03-08T01:00:00Z)' },
      { record: '#1 (ScheduleKey sk-2)', message: 'StaffMobilePhone "555-0143" is not a phone number (10-digit North American or +country code)' },
      { record: '#2 (ScheduleKey sk-2)', message: 'duplicate ScheduleKey: records #1 and #2 both have ScheduleKey sk-2' },
    ]);
  });

  it('rejects a record with no start time at all, and one that ends before it starts', () => {
    const none = { StartDateUTC: undefined, StartDate: undefined, StartTime: undefined };
    expect(problemsOf(parseJsonRoster(feed(record(none)), options))).toEqual([
      { record: '#0 (ScheduleKey sk-1)', message: 'no start time: neither StartDateUTC nor StartDate and StartTime' },
    ]);
    const backwards = { StartDateUTC: undefined, EndDateUTC: undefined, EndDate: '2026-03-07' };
    expect(problemsOf(parseJsonRoster(feed(record(backwards)), options))[0]?.message).toMatch(/^ends .* at or before it starts/);
  });

  it('rejects what is not a list of records, and odd records, without throwing', () => {
    expect(problemsOf(parseJsonRoster('{"rows": []}', options))[0]?.message).toMatch(/expected a JSON array/);
    expect(problemsOf(parseJsonRoster('null', options))).toHaveLength(1);
    expect(problemsOf(parseJsonRoster('', options))[0]?.message).toMatch(/^invalid JSON/);
    expect(problemsOf(parseJsonRoster('[null, 3]', options)).map((p) => p.record)).toEqual(['#0', '#1']);
    expect(problemsOf(parseJsonRoster(feed(record({ ScheduleKey: 42 })), options))).toEqual([
      { record: '#0 (no ScheduleKey)', message: 'ScheduleKey should be string, not number 42' },
    ]);
    expect(problemsOf(parseJsonRoster(feed(record({ TimeZone: 'Mars/Olympus' })), options))[0]?.message).toBe('TimeZone "Mars/Olympus" is not a known IANA zone');
  });
});
