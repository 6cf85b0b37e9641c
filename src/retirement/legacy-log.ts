// The paging vendor's log of the legacy pager groups, as CSV: one row per page the vendor sent,
// with when it was acknowledged (or called back) when the vendor knows. It is the baseline a
// workflow's acknowledgement times are judged against, so a row the gateway cannot read exactly
// is refused rather than guessed at: every bad row is named, and a log with any is not imported.
// Pure: no I/O, no clock. Never throws: everything wrong with the log becomes a LegacyLogProblem.
import { parse } from 'csv-parse/sync';
import type { InfoRecord } from 'csv-parse/sync';
import { DateTime, IANAZone } from 'luxon';
import { didYouMean } from '../../grammar/index.js';

export interface LegacyPageRow {
  /** The line of the log the row starts on (the header is line 1). */
  readonly line: number;
  readonly group: string;
  /** The workflow whose `legacy-pager-group` the group is. */
  readonly workflow: string;
  readonly pagerId: string;
  readonly sentAt: Date;
  /** The acknowledgement, else the call-back, when the log gives either; null when neither is known. */
  readonly acknowledgedAt: Date | null;
  readonly category: string | null;
}

export interface LegacyLogProblem {
  /** 1-based line of the log (the header is line 1); 0 when the problem is with the options, not the log. */
  readonly line: number;
  /** The column (its name as this importer spells it: `sent_at`), or null for the whole row. */
  readonly column: string | null;
  readonly message: string;
}

export type LegacyLogParse = { readonly ok: true; readonly rows: readonly LegacyPageRow[] } | { readonly ok: false; readonly problems: readonly LegacyLogProblem[] };

export interface LegacyLogOptions {
  /** IANA zone the log's times without an offset are in. */
  readonly zone: string;
  /** Legacy pager group → the workflow it belongs to (see {@link legacyGroupsOf}). */
  readonly groups: ReadonlyMap<string, string>;
  /** More data rows than this and the log is refused whole: split it. */
  readonly maxRows: number;
}

const COLUMNS = ['group', 'pager_id', 'sent_at', 'acknowledged_at', 'callback_at', 'category'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: readonly Column[] = ['group', 'pager_id', 'sent_at'];

/** The pager groups of a rule set's workflows: group → workflow. A workflow without one is left out. */
export function legacyGroupsOf(workflows: readonly { readonly name: string; readonly legacyPagerGroup: string | null }[]): Map<string, string> {
  const groups = new Map<string, string>();
  for (const w of workflows) if (w.legacyPagerGroup !== null && !groups.has(w.legacyPagerGroup)) groups.set(w.legacyPagerGroup, w.name);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Times

type TimeRead = { readonly ok: true; readonly at: Date; readonly ambiguous: boolean } | { readonly ok: false; readonly message: string };

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO 8601 time: with an offset or Z it is that instant; without one it is a wall-clock time
 * in `zone`. A wall-clock time the clocks skipped (spring forward) is refused; one they went
 * through twice (fall back) is its first occurrence, and says so through `ambiguous`.
 */
export function readLogTime(text: string, zone: string): TimeRead {
  const match = TIME.exec(text);
  const usage = `write it as ISO 8601, with its offset (2026-03-02T14:05:00-06:00) or as a local time in ${zone} (2026-03-02 14:05:00)`;
  if (match === null) return { ok: false, message: `is not a time: ${usage}` };
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const wall = DateTime.fromObject(
    {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second ?? 0),
      millisecond: Number((fraction ?? '').slice(0, 3).padEnd(3, '0')),
    },
    { zone: 'utc' },
  );
  if (!wall.isValid) return { ok: false, message: 'is not a real date and time' };
  const asUtc = wall.toMillis();
  if (offset !== undefined) {
    const parts = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset);
    if (parts === null) return { ok: true, at: new Date(asUtc), ambiguous: false }; // Z
    const [hours, mins] = [Number(parts[2]), Number(parts[3] ?? 0)];
    if (hours > 18 || mins > 59) return { ok: false, message: `has an offset (${offset}) no zone has` };
    const minutes = hours * 60 + mins;
    return { ok: true, at: new Date(asUtc - (parts[1] === '-' ? -minutes : minutes) * 60_000), ambiguous: false };
  }
  // Luxon alone would move a skipped time forward and pick the later of two; read it ourselves.
  // The instants whose wall clock in the zone is this one: none in a gap, two in a fall-back hour.
  const tz = IANAZone.create(zone);
  const DAY = 86_400_000;
  const offsets = new Set([tz.offset(asUtc - DAY), tz.offset(asUtc), tz.offset(asUtc + DAY)]);
  const instants = [...offsets].map((o) => asUtc - o * 60_000).filter((t) => asUtc - tz.offset(t) * 60_000 === t);
  if (instants.length === 0) {
    return { ok: false, message: `never happened in ${zone}: the clocks went forward past it; give the time with its offset` };
  }
  return { ok: true, at: new Date(Math.min(...instants)), ambiguous: new Set(instants).size > 1 };
}

// ---------------------------------------------------------------------------------------------
// CSV rows, with the line each starts on

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
function readRows(text: string): { rows: CsvRow[]; error: LegacyLogProblem | null } {
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
    return { rows, error: { line: linesBefore + leadingBreaks(raw) + 1, column: null, message: csvErrorMessage(error) } };
  }
}

/** `Pager ID`, `pager-id` and `PAGER_ID` all name `pager_id`. */
function columnName(header: string): string {
  return header.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function isColumn(name: string): name is Column {
  return (COLUMNS as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// The log

/** Reads and checks the whole log: its rows, or every problem in it. */
export function parseLegacyLog(text: string, options: LegacyLogOptions): LegacyLogParse {
  if (!IANAZone.isValidZone(options.zone)) {
    return { ok: false, problems: [{ line: 0, column: null, message: `time zone "${options.zone}" is not a known IANA zone` }] };
  }
  const { rows: allRows, error } = readRows(text);
  const rows = allRows.filter((row) => row.fields.some((field) => field.trim() !== ''));
  const header = rows[0];
  if (header === undefined) {
    return { ok: false, problems: [error ?? { line: 1, column: null, message: `empty log: a header row naming the columns is required (${REQUIRED.join(', ')}, and optionally acknowledged_at, callback_at, category)` }] };
  }

  // The header: columns by name, in any order; columns we do not read are left alone.
  const problems: LegacyLogProblem[] = [];
  const at = new Map<Column, number>();
  header.fields.forEach((field, position) => {
    const name = columnName(field);
    if (!isColumn(name)) return;
    const first = at.get(name);
    if (first !== undefined) {
      problems.push({ line: header.line, column: name, message: `column "${name}" appears twice in the header row (columns ${first + 1} and ${position + 1})` });
    } else {
      at.set(name, position);
    }
  });
  for (const name of REQUIRED) {
    if (!at.has(name)) problems.push({ line: header.line, column: name, message: `missing column "${name}" in the header row (the header has ${header.fields.map((f) => f.trim()).join(', ')})` });
  }
  const data = rows.slice(1);
  if (data.length > options.maxRows) {
    // Refused whole, unread: naming every problem of a log this size would help nobody.
    const first = data[options.maxRows]!;
    problems.push({ line: first.line, column: null, message: `the log has ${data.length} rows, more than the ${options.maxRows} one import takes: split it (by month, say) and import each part` });
  }
  if (problems.length > 0) return { ok: false, problems: error ? [...problems, error] : problems };

  const known = [...options.groups.keys()].sort();
  const parsed: LegacyPageRow[] = [];
  const seen = new Map<string, number>();
  for (const row of data) {
    const rowProblems: LegacyLogProblem[] = [];
    const problem = (column: Column | null, message: string) => rowProblems.push({ line: row.line, column, message });
    const cell = (column: Column): string => {
      const position = at.get(column);
      return position === undefined ? '' : (row.fields[position] ?? '').trim();
    };
    // Trailing empty fields (a spreadsheet's extra commas) are harmless; missing or extra values are not.
    const extraValues = row.fields.slice(header.fields.length).some((field) => field.trim() !== '');
    if (row.fields.length < header.fields.length || extraValues) problem(null, `row has ${row.fields.length} fields but the header has ${header.fields.length}`);

    const group = cell('group');
    const workflow = options.groups.get(group);
    if (group === '') problem('group', 'group is empty');
    else if (workflow === undefined) {
      const hint = didYouMean(group, known);
      const groupsKnown = known.length === 0 ? 'no workflow in the active rules has a legacy-pager-group' : `the groups the active rules know are ${known.join(', ')}`;
      problem('group', `unknown pager group "${group}"${hint === undefined ? '' : ` (${hint})`}: ${groupsKnown}`);
    }
    const pagerId = cell('pager_id');
    if (pagerId === '') problem('pager_id', 'pager_id is empty');

    const time = (column: Column): TimeRead | null => {
      const value = cell(column);
      if (value === '') return null;
      const read = readLogTime(value, options.zone);
      if (!read.ok) problem(column, `${column} "${value}" ${read.message}`);
      return read;
    };
    const sentText = cell('sent_at');
    if (sentText === '') problem('sent_at', 'sent_at is empty');
    const sent = time('sent_at');
    const acknowledged = time('acknowledged_at');
    const callback = time('callback_at');
    // A call-back is how a pager is answered: it counts when no acknowledgement is logged.
    const [answerColumn, answer] = acknowledged !== null ? (['acknowledged_at', acknowledged] as const) : (['callback_at', callback] as const);
    if (sent?.ok === true && answer?.ok === true && answer.at.getTime() < sent.at.getTime()) {
      const twice = sent.ambiguous || answer.ambiguous ? `; ${cell(sent.ambiguous ? 'sent_at' : answerColumn)} happened twice in ${options.zone} as the clocks went back, and is read as its first occurrence: give the times with their offsets` : '';
      problem(answerColumn, `${answerColumn} "${cell(answerColumn)}" is before sent_at "${sentText}"${twice}`);
    }

    if (group !== '' && pagerId !== '' && sent?.ok === true) {
      const key = JSON.stringify([group, pagerId, sent.at.getTime()]);
      const firstLine = seen.get(key);
      if (firstLine !== undefined) problem(null, `duplicate of line ${firstLine}: both are pager ${pagerId} of ${group} sent at ${sent.at.toISOString()}`);
      else seen.set(key, row.line);
    }

    if (rowProblems.length > 0) problems.push(...rowProblems);
    else if (workflow !== undefined && sent?.ok === true) {
      const category = cell('category');
      parsed.push({
        line: row.line,
        group,
        workflow,
        pagerId,
        sentAt: sent.at,
        acknowledgedAt: answer?.ok === true ? answer.at : null,
        category: category === '' ? null : category,
      });
    }
  }
  if (error) problems.push(error);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, rows: parsed };
}
