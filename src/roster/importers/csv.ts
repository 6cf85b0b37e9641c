// Amion-style CSV roster: one row per shift, with a header row naming the columns. Dates and
// times carry no zone; they are wall-clock times in the zone the caller says the roster is in.
// Pure: no I/O, no clock. Never throws: everything wrong with the feed becomes a FeedProblem.
import { parse } from 'csv-parse/sync';
import type { InfoRecord } from 'csv-parse/sync';
import { DateTime, IANAZone } from 'luxon';
import { localToInstant } from '../../../grammar/time/local-time.js';
import { applyAliases } from '../model.js';
import type { ContactPoint, FeedParse, FeedProblem, ImportedShift, NameAliases, ShiftKind } from '../model.js';

export interface CsvColumns {
  personId: string;
  personName: string;
  phone: string;
  service: string;
  shift: string;
  date: string;
  start: string;
  end: string;
  kind: string;
}

export const defaultCsvColumns: CsvColumns = {
  personId: 'Staff ID',
  personName: 'Name',
  phone: 'Phone',
  service: 'Service',
  shift: 'Shift',
  date: 'Date',
  start: 'Start',
  end: 'End',
  kind: 'Type',
};

export interface CsvOptions {
  /** IANA zone the roster's wall-clock times are in. */
  zone: string;
  /** Header names of the columns, where they differ from {@link defaultCsvColumns}. */
  columns?: Partial<CsvColumns>;
  aliases?: NameAliases;
}

const REQUIRED: readonly (keyof CsvColumns)[] = ['personId', 'personName', 'service', 'shift', 'date', 'start', 'end'];
const OPTIONAL: readonly (keyof CsvColumns)[] = ['phone', 'kind'];

/**
 * A phone number as E.164: a 10-digit North American number (or 11 digits starting with 1) gets
 * `+1`; a number written with `+` keeps its country code. Spaces, dots, dashes and parentheses are
 * dropped. Null when it is neither.
 */
export function normalisePhone(text: string): string | null {
  const trimmed = text.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/[^\d]/g, '');
  if (trimmed.startsWith('+')) return /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : null;
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  return /^[2-9]\d{2}[2-9]\d{6}$/.test(national) ? `+1${national}` : null;
}

/** `YYYY-MM-DD` or `M/D/YYYY` as a calendar date (luxon, in UTC so that it is only a date). */
function parseDate(text: string): DateTime | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [year, month, day] = iso ? [iso[1], iso[2], iso[3]] : us ? [us[3], us[1], us[2]] : [];
  if (year === undefined || month === undefined || day === undefined) return null;
  const date = DateTime.fromObject({ year: Number(year), month: Number(month), day: Number(day) }, { zone: 'utc' });
  return date.isValid ? date : null;
}

/** `HHMM` (also `HMM`, `HH:MM`) as minutes after midnight; `2400` only where allowed (an end). */
function parseTime(text: string, allow2400: boolean): number | null {
  const match = /^(\d{1,2}):?(\d{2})$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours === 24 && minutes === 0 && allow2400) return 24 * 60;
  if (hours > 23 || minutes > 59) return null;
  return hours * 60 + minutes;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
}

function parseKind(text: string): ShiftKind | null {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'base' || value === 'regular') return 'base';
  if (value === 'override' || value === 'swap' || value === 'cover') return 'override';
  return null;
}

const LINE_BREAK = /\r\n|\r|\n/g;

function countBreaks(text: string): number {
  return text.match(LINE_BREAK)?.length ?? 0;
}

function leadingBreaks(text: string): number {
  return countBreaks(/^(?:\r\n|\r|\n)*/.exec(text)?.[0] ?? '');
}

interface CsvRow {
  readonly fields: readonly string[];
  /** 1-based line of the file on which the row starts. */
  readonly line: number;
}

interface CsvErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly raw?: unknown;
}

function csvErrorMessage(error: CsvErrorLike): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unterminated quoted field: the quote opened in this row is never closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears in the middle of an unquoted field (quote the whole field and double the inner quotes)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text follows the closing quote of a quoted field (double the quotes inside a quoted field)';
    case 'CSV_MAX_RECORD_SIZE':
      return 'row too long (is the delimiter a comma?)';
    default: {
      const message = typeof error.message === 'string' ? error.message.replace(/\s+at line \d+/, '') : String(error);
      return `malformed CSV: ${message}`;
    }
  }
}

/** Tokenises the text into rows with the line each starts on; a CSV syntax error stops there. */
function readRows(text: string): { rows: CsvRow[]; error: FeedProblem | null } {
  const rows: CsvRow[] = [];
  let linesBefore = 0; // line breaks consumed by the rows read so far
  try {
    parse(text, {
      bom: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // With `raw`, csv-parse hands on_record `{ record, raw }` (its types say `string[]`).
      on_record: (wrapped: unknown, context: InfoRecord) => {
        const raw = context.raw ?? '';
        const record: unknown = typeof wrapped === 'object' && wrapped !== null && 'record' in wrapped ? wrapped.record : wrapped;
        const fields = Array.isArray(record) ? record.map((field: unknown) => String(field)) : [];
        rows.push({ fields, line: linesBefore + leadingBreaks(raw) + 1 });
        linesBefore += countBreaks(raw);
        return null;
      },
    });
    return { rows, error: null };
  } catch (caught) {
    const error: CsvErrorLike = typeof caught === 'object' && caught !== null ? (caught as CsvErrorLike) : {};
    const raw = typeof error.raw === 'string' ? error.raw : '';
    return { rows, error: { line: linesBefore + leadingBreaks(raw) + 1, message: csvErrorMessage(error) } };
  }
}

export function parseCsvRoster(text: string, options: CsvOptions): FeedParse {
  if (!IANAZone.isValidZone(options.zone)) {
    return { ok: false, problems: [{ message: `time zone "${options.zone}" is not a known IANA zone` }] };
  }
  const { rows: allRows, error } = readRows(text);
  const problems: FeedProblem[] = [];
  const rows = allRows.filter((row) => row.fields.some((field) => field.trim() !== ''));
  const header = rows[0];
  if (header === undefined) {
    return { ok: false, problems: [error ?? { line: 1, message: 'empty feed: a header row naming the columns is required' }] };
  }

  const columns: CsvColumns = { ...defaultCsvColumns };
  for (const key of Object.keys(defaultCsvColumns) as (keyof CsvColumns)[]) {
    const name = options.columns?.[key];
    if (name !== undefined) columns[key] = name;
  }
  const headerNames = header.fields.map((field) => field.trim());
  const index = (key: keyof CsvColumns): number | undefined => {
    const at = headerNames.indexOf(columns[key]);
    return at < 0 ? undefined : at;
  };
  for (const key of REQUIRED) {
    if (index(key) === undefined) problems.push({ line: header.line, message: `missing column "${columns[key]}" (${key}) in the header row` });
  }
  if (problems.length > 0) return { ok: false, problems: error ? [...problems, error] : problems };
  const at = Object.fromEntries([...REQUIRED, ...OPTIONAL].map((key) => [key, index(key)])) as Record<keyof CsvColumns, number | undefined>;

  const shifts: ImportedShift[] = [];
  const seen = new Map<string, number>();
  for (const row of rows.slice(1)) {
    const rowProblems: string[] = [];
    const cell = (key: keyof CsvColumns): string => {
      const position = at[key];
      return position === undefined ? '' : (row.fields[position] ?? '').trim();
    };
    // Trailing empty fields (a spreadsheet's extra commas) are harmless; missing or extra values are not.
    const extraValues = row.fields.slice(headerNames.length).some((field) => field.trim() !== '');
    if (row.fields.length < headerNames.length || extraValues) {
      rowProblems.push(`row has ${row.fields.length} fields but the header has ${headerNames.length}`);
    }
    for (const key of ['personId', 'personName', 'service', 'shift'] as const) {
      if (cell(key) === '') rowProblems.push(`${columns[key]} is empty`);
    }
    const dateText = cell('date');
    const date = parseDate(dateText);
    if (date === null) rowProblems.push(`${columns.date} "${dateText}" is not a date (YYYY-MM-DD or M/D/YYYY)`);
    const startText = cell('start');
    const start = parseTime(startText, false);
    if (start === null) rowProblems.push(`${columns.start} "${startText}" is not a time (HHMM, 0000 to 2359)`);
    const endText = cell('end');
    const end = parseTime(endText, true);
    if (end === null) rowProblems.push(`${columns.end} "${endText}" is not a time (HHMM, 0000 to 2400)`);
    const kindText = cell('kind');
    const kind = parseKind(kindText);
    if (kind === null) rowProblems.push(`${columns.kind} "${kindText}" is not a shift type (base, regular, override, swap or cover)`);
    const phoneText = cell('phone');
    const contacts: ContactPoint[] = [];
    if (phoneText !== '') {
      const phone = normalisePhone(phoneText);
      if (phone === null) rowProblems.push(`${columns.phone} "${phoneText}" is not a phone number (10-digit North American or +country code)`);
      else contacts.push({ kind: 'phone', value: phone });
    }

    if (date !== null && start !== null && end !== null) {
      // An end at or before the start is on the next day; 2400 is midnight at the end of the day.
      const endMinutes = end <= start ? end + 24 * 60 : end;
      const startLocal = date.plus({ minutes: start }).toFormat("yyyy-MM-dd'T'HH:mm");
      const endLocal = date.plus({ minutes: endMinutes }).toFormat("yyyy-MM-dd'T'HH:mm");
      const startAt = localToInstant(startLocal, options.zone);
      const endAt = localToInstant(endLocal, options.zone);
      if (startAt === null || endAt === null) {
        rowProblems.push(`cannot read ${startLocal} to ${endLocal} in ${options.zone}`);
      } else if (endAt.getTime() <= startAt.getTime()) {
        rowProblems.push(`shift ${startLocal} to ${endLocal} in ${options.zone} has no duration`);
      } else if (rowProblems.length === 0 && kind !== null) {
        const personId = cell('personId');
        const service = cell('service');
        const shift = cell('shift');
        const sourceId = `${personId}|${service}|${shift}|${date.toISODate() ?? dateText}|${hhmm(start)}`;
        const firstLine = seen.get(sourceId);
        if (firstLine !== undefined) {
          rowProblems.push(`duplicate of line ${firstLine}: lines ${firstLine} and ${row.line} both give ${columns.personId} ${personId}, ${service} ${shift} on ${date.toISODate() ?? dateText} at ${hhmm(start)}`);
        } else {
          seen.set(sourceId, row.line);
          const names = applyAliases(options.aliases, service, shift);
          shifts.push({
            sourceId,
            person: { sourceId: personId, name: cell('personName'), contacts },
            service: names.service,
            shift: names.shift,
            start: startAt,
            end: endAt,
            zone: options.zone,
            kind,
          });
        }
      }
    }
    for (const message of rowProblems) problems.push({ line: row.line, message });
  }
  if (error) problems.push(error);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, mode: 'full', shifts, deleted: [], lastModified: null };
}
