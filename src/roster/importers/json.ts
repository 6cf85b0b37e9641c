// QGenda-style JSON roster: an array of schedule records (or `{ "data": [...] }`), each one shift
// of one staff member on one task, with its times both in UTC and as local date and time.
// Pure: no I/O, no clock. Never throws: everything wrong with the feed becomes a FeedProblem.
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { localToInstant, offsetInstant } from '../../../grammar/time/local-time.js';
import { applyAliases } from '../model.js';
import type { ContactPoint, FeedParse, FeedProblem, ImportedShift, NameAliases } from '../model.js';
import { normalisePhone } from './csv.js';
import { parseTree, type ParseError } from 'jsonc-parser';

export interface JsonOptions {
  /** IANA zone of records that carry no TimeZone of their own. */
  zone: string;
  /** The QGenda tasks Pagerless pages for, by TaskName; records of other tasks are skipped. */
  tasks: Readonly<Record<string, { service: string; shift: string }>>;
  aliases?: NameAliases;
  /** An incremental feed (changes since a time): struck and unpublished records become deletions. */
  incremental?: boolean;
}

const optionalText = z.string().nullish();

/** One schedule record; unknown extra keys are allowed (QGenda sends many). */
const scheduleRecord = z.object({
  ScheduleKey: z.string().min(1),
  StaffKey: z.string().min(1),
  StaffFName: optionalText,
  StaffLName: optionalText,
  StaffMobilePhone: optionalText,
  TaskName: z.string().min(1),
  TaskKey: optionalText,
  StartDate: optionalText,
  StartTime: optionalText,
  EndDate: optionalText,
  EndTime: optionalText,
  TimeZone: optionalText,
  StartDateUTC: optionalText,
  EndDateUTC: optionalText,
  IsPublished: z.boolean(),
  IsStruck: z.boolean(),
  LastModifiedDateUTC: optionalText,
  IsOverride: z.boolean().nullish(),
});

type ScheduleRecord = z.infer<typeof scheduleRecord>;

/** A UTC timestamp: ISO with an offset (`Z`, `+00:00`), or ISO without one, read as UTC as the field name says. */
function utcInstant(text: string): Date | null {
  const withOffset = offsetInstant(text);
  if (withOffset !== null) return withOffset;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return null;
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  return parsed.isValid ? parsed.toJSDate() : null;
}

/** A local date (`2026-03-07`, also `2026-03-07T00:00:00`) and time (`19:00`, `19:00:00`, `24:00`) as an ISO wall-clock time. */
function localWallClock(dateText: string, timeText: string): string | null {
  const date = /^(\d{4}-\d{2}-\d{2})(?:T00:00(?::00(?:\.0+)?)?)?$/.exec(dateText.trim())?.[1];
  const time = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(timeText.trim());
  if (date === undefined || time === null) return null;
  const day = DateTime.fromISO(date, { zone: 'utc' });
  const [hours, minutes, seconds] = [Number(time[1]), Number(time[2]), Number(time[3] ?? '0')];
  if (!day.isValid || minutes > 59 || seconds > 59 || hours > 24 || (hours === 24 && minutes + seconds > 0)) return null;
  return day.plus({ hours, minutes, seconds }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

function formatWall(iso: string): string {
  return iso.replace('T', ' ').replace(/:00$/, '');
}

/**
 * One end of a shift (Start or End) from a record: the UTC field if there is one, checked against
 * the local date and time when those are given too; else the local date and time.
 */
function instantOf(
  record: ScheduleRecord,
  which: 'Start' | 'End',
  zone: string,
  problems: string[],
): Date | null {
  const utcField = `${which}DateUTC` as const;
  const dateField = `${which}Date` as const;
  const timeField = `${which}Time` as const;
  const utcText = record[utcField]?.trim() || null;
  const dateText = record[dateField]?.trim() || null;
  const timeText = record[timeField]?.trim() || null;

  let utc: Date | null = null;
  if (utcText !== null) {
    utc = utcInstant(utcText);
    if (utc === null) {
      problems.push(`${utcField} "${utcText}" is not an ISO date-time (like 2026-03-08T01:00:00Z)`);
      return null;
    }
  }
  let wall: string | null = null;
  if (dateText !== null && timeText !== null) {
    wall = localWallClock(dateText, timeText);
    if (wall === null) {
      problems.push(`${dateField} "${dateText}" / ${timeField} "${timeText}" is not a local date (YYYY-MM-DD) and time (HH:MM)`);
      return null;
    }
  } else if (utc === null && (dateText !== null || timeText !== null)) {
    problems.push(`${dateText === null ? dateField : timeField} is missing and there is no ${utcField}`);
    return null;
  }
  if (utc === null && wall === null) {
    problems.push(`no ${which.toLowerCase()} time: neither ${utcField} nor ${dateField} and ${timeField}`);
    return null;
  }
  const local = wall === null ? null : localToInstant(wall, zone);
  if (utc !== null && wall !== null && local !== null && local.getTime() !== utc.getTime()) {
    // A local time that occurs twice (fall back) reads as its first occurrence; a UTC time that is
    // the second occurrence of the same wall clock agrees with it all the same.
    const utcWall = DateTime.fromJSDate(utc, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    if (utcWall !== wall) {
      problems.push(
        `${utcField} ${utc.toISOString()} contradicts ${dateField} ${dateText ?? ''} ${timeField} ${timeText ?? ''} in ${zone} ` +
          `(${formatWall(wall)} there is ${local.toISOString()}; ${utc.toISOString()} there is ${formatWall(utcWall)})`,
      );
      return null;
    }
  }
  return utc ?? local;
}

/** Where the first syntax error is, for the messages that do not say (Node 20 often does not). */
function firstSyntaxErrorOffset(text: string): number | undefined {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  return errors[0]?.offset;
}

/** The line and column of a JSON.parse error, from its message (newer Node says it, older Node gives a position). */
function jsonErrorLocation(message: string, text: string): { line?: number; column?: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(message);
  const offset = position ? Number(position[1]) : /Unexpected end of JSON input/.test(message) ? text.length : firstSyntaxErrorOffset(text);
  if (offset === undefined) return {};
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  const field = issue.path.map(String).join('.');
  if (field === '') return issue.message;
  const top = String(issue.path[0]);
  if (issue.code === 'invalid_type' && input[top] === undefined) return `${field} is missing (expected ${issue.expected})`;
  if (issue.code === 'invalid_type') {
    const value = input[top];
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return `${field} should be ${issue.expected}, not ${got} ${JSON.stringify(value)}`;
  }
  if (issue.code === 'too_small') return `${field} is empty`;
  return `${field}: ${issue.message}`;
}

function recordLabel(index: number, key: unknown): string {
  return typeof key === 'string' && key !== '' ? `#${index} (ScheduleKey ${key})` : `#${index} (no ScheduleKey)`;
}

export function parseJsonRoster(text: string, options: JsonOptions): FeedParse {
  if (!IANAZone.isValidZone(options.zone)) {
    return { ok: false, problems: [{ message: `time zone "${options.zone}" is not a known IANA zone` }] };
  }
  let feed: unknown;
  try {
    feed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    const { line, column } = jsonErrorLocation(message, text.replace(/^\uFEFF/, ''));
    if (line === undefined) return { ok: false, problems: [{ message: `invalid JSON: ${message}` }] };
    const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
    return { ok: false, problems: [{ line, message: `invalid JSON at ${where}: ${message}` }] };
  }
  const records: unknown =
    typeof feed === 'object' && feed !== null && !Array.isArray(feed) && 'data' in feed ? feed.data : feed;
  if (!Array.isArray(records)) {
    return { ok: false, problems: [{ message: 'expected a JSON array of schedule records, or an object with a "data" array' }] };
  }

  const problems: FeedProblem[] = [];
  const shifts: ImportedShift[] = [];
  const deleted: string[] = [];
  const seen = new Map<string, number>();
  let lastModified: Date | null = null;
  const noteModified = (text: string | null | undefined): boolean => {
    if (text === null || text === undefined || text.trim() === '') return true;
    const at = utcInstant(text.trim());
    if (at === null) return false;
    if (lastModified === null || at.getTime() > lastModified.getTime()) lastModified = at;
    return true;
  };

  records.forEach((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ record: `#${index}`, message: `expected a schedule record (an object), not ${JSON.stringify(raw)}` });
      return;
    }
    const input = raw as Record<string, unknown>;
    const label = recordLabel(index, input.ScheduleKey);
    // Tasks Pagerless does not page are none of its business, however they look; their changes
    // still count towards the feed's last-modified time. In an incremental feed such a record may
    // be a shift moved off a paged task, so whatever Pagerless holds under its key goes.
    const taskName = input.TaskName;
    if (typeof taskName === 'string' && !Object.hasOwn(options.tasks, taskName)) {
      if (typeof input.LastModifiedDateUTC === 'string') noteModified(input.LastModifiedDateUTC);
      if (options.incremental && typeof input.ScheduleKey === 'string' && input.ScheduleKey !== '') deleted.push(input.ScheduleKey);
      return;
    }
    const parsed = scheduleRecord.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ record: label, message: describeIssue(issue, input) });
      return;
    }
    const record = parsed.data;
    const recordProblems: string[] = [];
    if (!noteModified(record.LastModifiedDateUTC)) {
      recordProblems.push(`LastModifiedDateUTC "${record.LastModifiedDateUTC ?? ''}" is not an ISO date-time`);
    }
    const firstIndex = seen.get(record.ScheduleKey);
    if (firstIndex !== undefined) {
      recordProblems.push(`duplicate ScheduleKey: records #${firstIndex} and #${index} both have ScheduleKey ${record.ScheduleKey}`);
    } else {
      seen.set(record.ScheduleKey, index);
    }

    const gone = record.IsStruck || !record.IsPublished;
    if (gone) {
      if (options.incremental && recordProblems.length === 0) deleted.push(record.ScheduleKey);
    } else {
      const zone = record.TimeZone?.trim() || options.zone;
      const zoneKnown = IANAZone.isValidZone(zone);
      if (!zoneKnown) recordProblems.push(`TimeZone "${zone}" is not a known IANA zone`);
      const start = zoneKnown ? instantOf(record, 'Start', zone, recordProblems) : null;
      const end = zoneKnown ? instantOf(record, 'End', zone, recordProblems) : null;
      if (start !== null && end !== null && end.getTime() <= start.getTime()) {
        recordProblems.push(`ends (${end.toISOString()}) at or before it starts (${start.toISOString()})`);
      }
      const name = [record.StaffFName, record.StaffLName].map((part) => part?.trim() ?? '').filter((part) => part !== '').join(' ');
      if (name === '') recordProblems.push('StaffFName and StaffLName are both empty');
      const contacts: ContactPoint[] = [];
      const phoneText = record.StaffMobilePhone?.trim() ?? '';
      if (phoneText !== '') {
        const phone = normalisePhone(phoneText);
        if (phone === null) recordProblems.push(`StaffMobilePhone "${phoneText}" is not a phone number (10-digit North American or +country code)`);
        else contacts.push({ kind: 'phone', value: phone });
      }
      const task = options.tasks[record.TaskName];
      if (recordProblems.length === 0 && start !== null && end !== null && task !== undefined) {
        const names = applyAliases(options.aliases, task.service, task.shift);
        shifts.push({
          sourceId: record.ScheduleKey,
          person: { sourceId: record.StaffKey, name, contacts },
          service: names.service,
          shift: names.shift,
          start,
          end,
          zone,
          kind: record.IsOverride === true ? 'override' : 'base',
        });
      }
    }
    for (const message of recordProblems) problems.push({ record: label, message });
  });

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    mode: options.incremental ? 'incremental' : 'full',
    shifts,
    deleted,
    lastModified,
  };
}
