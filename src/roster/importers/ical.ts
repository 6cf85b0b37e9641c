// iCalendar (RFC 5545) roster feeds: each VEVENT is a shift, its first ATTENDEE the person on it.
//
// A pure function: text in, FeedParse out, no I/O and no clock. ical.js parses the text and steps
// through RRULEs, but it never converts a time zone here: feeds name zones (TZID=America/Chicago)
// without the VTIMEZONE block ical.js would need. Recurrences are expanded on the wall clock (RRULE
// is defined on local time) and every occurrence's local start and end become instants through
// localToInstant, so a 19:00-07:00 night shift is 19:00-07:00 on the nights the clocks change too.
//
// ical.js keeps no line numbers, so the text is also scanned line by line here: the scan finds broken
// lines and unbalanced BEGIN/END, knows the line of every property of every VEVENT, and holds the
// date values as written (ical.js reshapes date strings without checking them).
import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import { localToInstant } from '../../../grammar/time/local-time.js';
import { applyAliases } from '../model.js';
import type { ContactPoint, FeedParse, FeedProblem, ImportedPerson, ImportedShift, NameAliases, ShiftKind } from '../model.js';

type Component = InstanceType<typeof ICAL.Component>;
type Property = InstanceType<typeof ICAL.Property>;
type Recur = InstanceType<typeof ICAL.Recur>;
type IcalTime = InstanceType<typeof ICAL.Time>;

export interface IcalOptions {
  /** Zone for floating times and all-day events (IANA). */
  zone: string;
  /** Expansion window: occurrences overlapping [from, to) are returned. */
  from: Date;
  to: Date;
  /** Fixed service and shift for every event of this feed; else CATEGORIES (first value service, second shift). */
  service?: string;
  shift?: string;
  aliases?: NameAliases;
}

/**
 * Recurrence steps one event may take from its DTSTART to the end of the window: a guard against
 * runaway rules (a few seconds of work at most), generous enough for years of a busy schedule
 * (three shifts a day for ten years is about 11,000).
 */
export const MAX_OCCURRENCES_PER_EVENT = 100_000;

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// The line scan

interface ContentLine {
  /** 1-based line of the text where this (possibly folded) content line starts. */
  readonly line: number;
  /** Upper-cased property name. */
  readonly name: string;
  /** The value as written (after the first unquoted colon). */
  readonly value: string;
  readonly hasParameters: boolean;
}

interface EventBlock {
  readonly beginLine: number;
  /** Properties of the VEVENT itself (not of a nested VALARM), by upper-cased name, in text order. */
  readonly props: Map<string, ContentLine[]>;
}

interface Scan {
  readonly problems: FeedProblem[];
  readonly events: EventBlock[];
}

function splitContentLine(text: string, line: number): ContentLine | null {
  const name = /^[A-Za-z0-9-]+/.exec(text)?.[0];
  if (name === undefined) return null;
  const next = text[name.length];
  if (next !== ';' && next !== ':') return null;
  let quoted = false;
  for (let i = name.length; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return { line, name: name.toUpperCase(), value: text.slice(i + 1), hasParameters: next === ';' };
  }
  return null;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function scan(text: string): Scan {
  const problems: FeedProblem[] = [];
  const events: EventBlock[] = [];
  // Unfold: a line starting with a space or tab continues the previous one.
  const logical: { line: number; text: string }[] = [];
  let afterBlank = false;
  text.split('\n').forEach((physical, i) => {
    const raw = physical.endsWith('\r') ? physical.slice(0, -1) : physical;
    const last = logical[logical.length - 1];
    if (raw.startsWith(' ') || raw.startsWith('\t')) {
      // ical.js, like RFC 5545, continues only the line just before: not one across a blank line.
      if (last && !afterBlank) last.text += raw.slice(1);
      else problems.push({ line: i + 1, message: 'broken line: a continuation (starting with a space) with no line to continue' });
      return;
    }
    afterBlank = raw === '';
    if (raw === '') return;
    logical.push({ line: i + 1, text: raw });
  });
  if (problems.length > 0) return { problems, events };
  if (logical.length === 0) return { problems: [{ line: 1, message: 'the feed is empty: not iCalendar' }], events };

  const stack: { name: string; line: number }[] = [];
  let current: EventBlock | null = null;
  let sawCalendar = false;
  for (const { line, text: lineText } of logical) {
    const cl = splitContentLine(lineText, line);
    if (cl === null) {
      if (!sawCalendar) return { problems: [{ line, message: `not an iCalendar feed: expected BEGIN:VCALENDAR, found "${shorten(lineText)}"` }], events };
      problems.push({ line, message: `broken line (no "NAME:value"): "${shorten(lineText)}"` });
      continue;
    }
    if ((cl.name === 'BEGIN' || cl.name === 'END') && (cl.value !== cl.value.trim() || cl.hasParameters)) {
      // ical.js would take "VEVENT " for another component than "VEVENT", and BEGIN;X=1 for a property.
      return { problems: [...problems, { line, message: `malformed ${cl.name} line: "${shorten(lineText)}"` }], events };
    }
    if (cl.name === 'BEGIN') {
      const name = cl.value.toUpperCase();
      if (stack.length === 0 && name !== 'VCALENDAR') {
        return { problems: [...problems, { line, message: `not an iCalendar feed: expected BEGIN:VCALENDAR, found BEGIN:${cl.value}` }], events };
      }
      if (name === 'VCALENDAR') sawCalendar = true;
      if (name === 'VEVENT' && stack.length === 1) {
        current = { beginLine: line, props: new Map() };
        events.push(current);
      }
      stack.push({ name, line });
    } else if (cl.name === 'END') {
      const name = cl.value.toUpperCase();
      const open = stack.pop();
      if (open === undefined) return { problems: [...problems, { line, message: `END:${cl.value} without a matching BEGIN` }], events };
      if (open.name !== name) {
        return { problems: [...problems, { line, message: `END:${cl.value} does not close BEGIN:${open.name} (line ${open.line})` }], events };
      }
      if (name === 'VEVENT' && stack.length === 1) current = null;
    } else if (stack.length === 0) {
      const message = sawCalendar ? `content after END:VCALENDAR: "${shorten(lineText)}"` : `not an iCalendar feed: expected BEGIN:VCALENDAR, found "${shorten(lineText)}"`;
      return { problems: [...problems, { line, message }], events };
    } else if (current !== null && stack.length === 2) {
      const list = current.props.get(cl.name);
      if (list) list.push(cl);
      else current.props.set(cl.name, [cl]);
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) problems.push({ line: unclosed.line, message: `BEGIN:${unclosed.name} is never closed with END:${unclosed.name}` });
  return { problems, events };
}

/** When ICAL.parse throws: the first content line ical.js cannot read on its own, if any. */
function lineOfParseError(text: string): number | undefined {
  let line = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let content = (lines[i] ?? '').replace(/\r$/, '');
    if (content.trim() === '' || content.startsWith(' ') || content.startsWith('\t')) continue;
    line = i + 1;
    for (let j = i + 1; j < lines.length && /^[ \t]/.test(lines[j] ?? ''); j++) content += (lines[j] ?? '').replace(/\r$/, '').slice(1);
    if (/^(BEGIN|END):/i.test(content)) continue;
    try {
      ICAL.parse.property(content);
    } catch {
      return line;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Times as written, and as instants

/** A date or date-time as the feed wrote it. `wall` is `YYYY-MM-DDTHH:mm:ss` (dates at midnight). */
interface WrittenTime {
  readonly wall: string;
  readonly isDate: boolean;
  /** 'UTC' for `Z` times, the TZID, or null for floating times and dates. */
  readonly zone: string | null;
}

/** A wall time and the zone it is read in. */
interface LocalTime {
  readonly wall: string;
  readonly isDate: boolean;
  readonly zone: string;
}

const DATE_RE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i;

function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Reads one date or date-time value; a string is the problem with it. */
function readWritten(raw: string, tzid: string | undefined): WrittenTime | string {
  const text = raw.trim();
  const date = DATE_RE.exec(text);
  const dateTime = DATE_TIME_RE.exec(text);
  const parts = dateTime ?? date;
  if (!parts) return `unparsable date or date-time "${shorten(text)}"`;
  const [, y = '', mo = '', d = '', h = '00', mi = '00', s = '00', z = ''] = parts;
  const check = DateTime.fromObject({ year: +y, month: +mo, day: +d, hour: +h, minute: +mi, second: +s }, { zone: 'utc' });
  if (!check.isValid) return `unparsable date or date-time "${shorten(text)}" (${check.invalidExplanation ?? 'no such time'})`;
  const wall = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (date) return { wall, isDate: true, zone: null };
  if (z !== '') return { wall, isDate: false, zone: 'UTC' };
  if (tzid !== undefined) {
    if (!isValidZone(tzid)) return `unknown time zone TZID=${tzid}`;
    return { wall, isDate: false, zone: tzid };
  }
  return { wall, isDate: false, zone: null };
}

function inZone(time: WrittenTime, floating: string): LocalTime {
  return { wall: time.wall, isDate: time.isDate, zone: time.zone ?? floating };
}

function instantOf(time: LocalTime): Date {
  const instant = localToInstant(time.wall, time.zone);
  if (instant === null) throw new Error(`cannot read ${time.wall} in ${time.zone}`);
  return instant;
}

function wallMs(wall: string): number {
  return Date.parse(`${wall}Z`);
}

function msWall(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The wall time `time` shows in `zone` (same-zone times are taken as written). */
function wallIn(time: LocalTime, zone: string): string {
  if (time.zone === zone || time.isDate) return time.wall;
  return DateTime.fromJSDate(instantOf(time), { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** The occurrence part of a recurring shift's sourceId: `2026-03-08T19:00`, or `2026-03-08` all day. */
function occurrenceKey(wall: string, isDate: boolean): string {
  if (isDate) return wall.slice(0, 10);
  return wall.endsWith(':00') ? wall.slice(0, 16) : wall;
}

/** How an event's end follows from its start. */
type EndRule =
  /** DTEND in the start's zone: the same wall-clock span for every occurrence (19:00-07:00 stays 19:00-07:00). */
  | { readonly kind: 'wall'; readonly ms: number }
  /** DTEND in another zone: the same elapsed time. */
  | { readonly kind: 'exact'; readonly ms: number }
  /** DURATION: days and weeks on the wall clock, hours, minutes and seconds elapsed (RFC 5545 3.3.6). */
  | { readonly kind: 'duration'; readonly nominalMs: number; readonly exactMs: number };

function endOf(rule: EndRule, start: LocalTime): Date {
  switch (rule.kind) {
    case 'wall':
      return instantOf({ wall: msWall(wallMs(start.wall) + rule.ms), isDate: false, zone: start.zone });
    case 'exact':
      return new Date(instantOf(start).getTime() + rule.ms);
    case 'duration':
      return new Date(instantOf({ wall: msWall(wallMs(start.wall) + rule.nominalMs), isDate: false, zone: start.zone }).getTime() + rule.exactMs);
  }
}

function timeWall(t: IcalTime): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)}T${t.isDate ? '00:00:00' : `${p(t.hour)}:${p(t.minute)}:${p(t.second)}`}`;
}

// ---------------------------------------------------------------------------------------------
// Reading one VEVENT

interface EventRead {
  readonly line: number;
  readonly uid: string | undefined;
  readonly recurrenceId: WrittenTime | null | undefined;
  /** undefined: absent; null: present but unreadable (already a problem). */
  readonly start: WrittenTime | null | undefined;
  readonly end: EndRule | null | undefined;
  readonly person: ImportedPerson | null | undefined;
  readonly categories: readonly string[];
  readonly categoriesLine: number | undefined;
  readonly kind: ShiftKind | null | undefined;
  readonly cancelled: boolean;
  readonly sequence: number;
  readonly rrule: { readonly recur: Recur; readonly until: WrittenTime | undefined; readonly line: number } | null | undefined;
  readonly rdates: readonly WrittenTime[];
  readonly exdates: readonly WrittenTime[];
  readonly lastModified: Date | null;
}

class EventSource {
  constructor(
    readonly comp: Component,
    readonly block: EventBlock,
    readonly problems: FeedProblem[],
  ) {}

  get line(): number {
    return this.block.beginLine;
  }

  lineOf(name: string, index = 0): number {
    return this.block.props.get(name.toUpperCase())?.[index]?.line ?? this.line;
  }

  raw(name: string, index = 0): string | undefined {
    return this.block.props.get(name.toUpperCase())?.[index]?.value;
  }

  problem(line: number, message: string): null {
    this.problems.push({ line, message });
    return null;
  }

  text(name: string): string | undefined {
    const value = this.comp.getFirstPropertyValue(name);
    return typeof value === 'string' ? value.trim() : undefined;
  }

  /** A single date or date-time property; undefined when absent, null when unreadable. */
  time(name: string): WrittenTime | null | undefined {
    const prop = this.comp.getFirstProperty(name);
    const raw = this.raw(name);
    if (prop === null || raw === undefined) return undefined;
    const read = readWritten(raw, tzidOf(prop));
    return typeof read === 'string' ? this.problem(this.lineOf(name), `${name.toUpperCase()}: ${read}`) : read;
  }

  /** Every value of every EXDATE or RDATE property. */
  timeList(name: string): WrittenTime[] {
    const out: WrittenTime[] = [];
    this.comp.getAllProperties(name).forEach((prop, index) => {
      const raw = this.raw(name, index) ?? '';
      if (prop.type === 'period') {
        this.problem(this.lineOf(name, index), `${name.toUpperCase()}: PERIOD values are not supported`);
        return;
      }
      for (const piece of raw.split(',')) {
        const read = readWritten(piece, tzidOf(prop));
        if (typeof read === 'string') this.problem(this.lineOf(name, index), `${name.toUpperCase()}: ${read}`);
        else out.push(read);
      }
    });
    return out;
  }
}

function tzidOf(prop: Property): string | undefined {
  const tzid: unknown = prop.getFirstParameter('tzid');
  return typeof tzid === 'string' && tzid.trim() !== '' ? tzid.trim() : undefined;
}

function phoneValue(text: string): string {
  const written = text.trim();
  const compact = (written.split(';')[0] ?? '').replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : written;
}

function readPerson(src: EventSource): ImportedPerson | null | undefined {
  const prop = src.comp.getFirstProperty('attendee');
  if (prop === null) return undefined;
  const value: unknown = prop.getFirstValue();
  const written = typeof value === 'string' ? value.trim() : '';
  const cnParam: unknown = prop.getFirstParameter('cn');
  const cn = typeof cnParam === 'string' && cnParam.trim() !== '' ? cnParam.trim() : undefined;
  const mailto = /^mailto:(.*)$/i.exec(written);
  const tel = /^tel:(.*)$/i.exec(written);
  if (mailto) {
    const address = (mailto[1] ?? '').trim();
    if (address === '') return src.problem(src.lineOf('attendee'), 'ATTENDEE has an empty mailto: address');
    return { sourceId: address.toLowerCase(), name: cn ?? address, contacts: [] };
  }
  if (tel) {
    const number = phoneValue(tel[1] ?? '');
    if (number === '') return src.problem(src.lineOf('attendee'), 'ATTENDEE has an empty tel: number');
    const contacts: ContactPoint[] = [{ kind: 'phone', value: number }];
    return { sourceId: number, name: cn ?? number, contacts };
  }
  if (written === '') return src.problem(src.lineOf('attendee'), 'ATTENDEE has no value');
  return { sourceId: written, name: cn ?? written, contacts: [] };
}

function readEnd(src: EventSource, start: WrittenTime | null | undefined, floating: string): EndRule | null | undefined {
  if (src.comp.hasProperty('dtend')) {
    const end = src.time('dtend');
    if (!end || !start) return end === undefined ? undefined : null;
    if (end.isDate !== start.isDate) return src.problem(src.lineOf('dtend'), 'DTEND must be a date when DTSTART is a date, and a date-time when DTSTART is one');
    const notAfter = (): null => src.problem(src.lineOf('dtend'), `DTEND ${end.wall} is not after DTSTART ${start.wall}`);
    if (end.zone === start.zone || end.isDate) {
      const ms = wallMs(end.wall) - wallMs(start.wall);
      return ms > 0 ? { kind: 'wall', ms } : notAfter();
    }
    const ms = instantOf(inZone(end, floating)).getTime() - instantOf(inZone(start, floating)).getTime();
    return ms > 0 ? { kind: 'exact', ms } : notAfter();
  }
  const raw = src.raw('duration');
  if (raw !== undefined) {
    let duration: InstanceType<typeof ICAL.Duration>;
    try {
      duration = ICAL.Duration.fromString(raw.trim());
    } catch (error) {
      return src.problem(src.lineOf('duration'), `DURATION: ${messageOf(error)}`);
    }
    const sign = duration.isNegative ? -1 : 1;
    const nominalMs = sign * (duration.weeks * 7 + duration.days) * DAY_MS;
    const exactMs = sign * ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000;
    if (nominalMs + exactMs <= 0) return src.problem(src.lineOf('duration'), `DURATION ${raw.trim()} is not positive`);
    return { kind: 'duration', nominalMs, exactMs };
  }
  if (start?.isDate) return { kind: 'wall', ms: DAY_MS };
  return undefined;
}

function readEvent(src: EventSource, floating: string): EventRead {
  const start = src.time('dtstart');
  const recurrenceId = src.time('recurrence-id');
  // An override without DTSTART keeps the time of the occurrence it replaces.
  const end = readEnd(src, start === undefined ? recurrenceId : start, floating);

  const kindText = src.text('x-pagerless-kind')?.toLowerCase();
  const kind: ShiftKind | null | undefined =
    kindText === undefined ? undefined
    : kindText === 'override' || kindText === 'base' ? kindText
    : src.problem(src.lineOf('x-pagerless-kind'), `X-PAGERLESS-KIND must be "override" or "base", not "${kindText}"`);

  let rrule: EventRead['rrule'];
  const rruleProp = src.comp.getFirstProperty('rrule');
  if (rruleProp !== null) {
    const line = src.lineOf('rrule');
    const recur: unknown = rruleProp.getFirstValue();
    if (!(recur instanceof ICAL.Recur) || !recur.freq) {
      rrule = src.problem(line, `RRULE has no FREQ: "${shorten(src.raw('rrule') ?? '')}"`);
    } else {
      const untilRaw = /(?:^|;)UNTIL=([^;]*)/i.exec(src.raw('rrule') ?? '')?.[1];
      const until = untilRaw === undefined ? undefined : readWritten(untilRaw, undefined);
      rrule = typeof until === 'string' ? src.problem(line, `RRULE UNTIL: ${until}`) : { recur, until, line };
    }
  }

  const categoriesProps = src.comp.getAllProperties('categories');
  const categories = categoriesProps
    .flatMap((p) => p.getValues())
    .map((v: unknown) => (typeof v === 'string' ? v.trim() : ''))
    .filter((v) => v !== '');

  const lastModifiedTime = src.time('last-modified');
  const sequence = Number.parseInt(src.text('sequence') ?? '0', 10);

  return {
    line: src.line,
    uid: src.text('uid') || undefined,
    recurrenceId,
    start,
    end,
    person: readPerson(src),
    categories,
    categoriesLine: categoriesProps.length > 0 ? src.lineOf('categories') : undefined,
    kind,
    cancelled: src.text('status')?.toUpperCase() === 'CANCELLED',
    sequence: Number.isFinite(sequence) ? sequence : 0,
    rrule,
    rdates: src.timeList('rdate'),
    exdates: src.timeList('exdate'),
    lastModified: lastModifiedTime ? instantOf(inZone(lastModifiedTime, 'UTC')) : null,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Events into shifts

interface Shape {
  readonly person: ImportedPerson;
  readonly service: string;
  readonly shift: string;
  readonly kind: ShiftKind;
  readonly end: EndRule;
}

class Builder {
  readonly shifts: ImportedShift[] = [];

  constructor(
    readonly options: IcalOptions,
    readonly problems: FeedProblem[],
  ) {}

  /** What the shift is (person, service, shift, kind, end), reporting what is missing; `base` fills in for an override. */
  shape(event: EventRead, base: Shape | null): Shape | null {
    const person = event.person ?? base?.person;
    const service = this.options.service ?? event.categories[0] ?? base?.service;
    const shift = this.options.shift ?? event.categories[1] ?? base?.shift;
    const kind = event.kind ?? base?.kind ?? 'base';
    const end = event.end ?? base?.end;
    let ok = true;
    const missing = (line: number, message: string): void => {
      ok = false;
      this.problems.push({ line, message });
    };
    // null means the property is there but unreadable: that is already a problem.
    if (event.person === null || event.end === null || event.kind === null || event.start === null) ok = false;
    if (person === undefined && event.person !== null) missing(event.line, 'VEVENT has no ATTENDEE: nobody is on this shift');
    if (service === undefined) missing(event.categoriesLine ?? event.line, 'no service: give the feed a service or the event CATEGORIES (service, shift)');
    else if (shift === undefined) missing(event.categoriesLine ?? event.line, 'no shift name: give the feed a shift or the event a second CATEGORIES value');
    if (end === undefined && event.end !== null) missing(event.line, 'VEVENT has neither DTEND nor DURATION');
    if (!ok || person === undefined || person === null || service === undefined || shift === undefined || end === undefined || end === null) return null;
    const named = applyAliases(this.options.aliases, service, shift);
    return { person, service: named.service, shift: named.shift, kind, end };
  }

  add(sourceId: string, start: LocalTime, shape: Shape): void {
    const startAt = instantOf(start);
    const endAt = endOf(shape.end, start);
    // An occurrence can vanish into a spring-forward gap (02:00-03:00 that night): no shift then.
    if (endAt.getTime() <= startAt.getTime()) return;
    if (endAt.getTime() <= this.options.from.getTime() || startAt.getTime() >= this.options.to.getTime()) return;
    this.shifts.push({
      sourceId,
      person: shape.person,
      service: shape.service,
      shift: shape.shift,
      start: startAt,
      end: endAt,
      zone: start.zone,
      kind: shape.kind,
    });
  }

  /** A UID's events: its master (single or recurring) and its RECURRENCE-ID overrides. */
  series(uid: string, masters: readonly EventRead[], overrides: readonly EventRead[]): void {
    for (const extra of masters.slice(1)) this.problems.push({ line: extra.line, message: `UID ${uid} is used by more than one event (first at line ${masters[0]?.line})` });
    const master = masters[0];
    if (master === undefined) {
      for (const override of latestOverrides(overrides).values()) this.orphan(uid, override);
      return;
    }
    if (master.cancelled) return;
    if (master.start === undefined) {
      this.problems.push({ line: master.line, message: 'VEVENT has no DTSTART' });
      return;
    }
    const shape = this.shape(master, null);
    if (master.start === null || shape === null || master.rrule === null) return;
    const start = inZone(master.start, this.options.zone);
    const recurring = master.rrule !== undefined || master.rdates.length > 0;
    const occurrences = recurring ? this.expand(master, start) : [start.wall];
    if (occurrences === null) return;

    const overridden = new Map<string, EventRead>();
    for (const override of latestOverrides(overrides).values()) {
      if (override.recurrenceId) overridden.set(wallIn(inZone(override.recurrenceId, start.zone), start.zone), override);
    }
    const idOf = (wall: string): string => (recurring ? `${uid}#${occurrenceKey(wall, start.isDate)}` : uid);
    for (const wall of occurrences) {
      if (overridden.has(wall)) continue;
      this.add(idOf(wall), { wall, isDate: start.isDate, zone: start.zone }, shape);
    }
    // Overrides replace their occurrence, or stand alone when it lies beyond the window (or was never one).
    for (const [wall, override] of overridden) {
      if (override.cancelled) continue;
      const overrideShape = this.shape(override, shape);
      if (overrideShape === null) continue;
      const own = override.start ?? override.recurrenceId;
      if (!own) continue;
      this.add(idOf(wall), inZone(own, start.zone), overrideShape);
    }
  }

  orphan(uid: string, override: EventRead): void {
    if (override.cancelled || !override.recurrenceId) return;
    const shape = this.shape(override, null);
    const start = override.start ?? override.recurrenceId;
    if (shape === null || !start) return;
    const recurrence = inZone(override.recurrenceId, this.options.zone);
    this.add(`${uid}#${occurrenceKey(recurrence.wall, recurrence.isDate)}`, inZone(start, this.options.zone), shape);
  }

  /** The wall times of a recurring event's occurrences that start before the window's end, without EXDATEs. */
  expand(master: EventRead, start: LocalTime): string[] | null {
    const toMs = this.options.to.getTime();
    const startsBeforeEnd = (wall: string): boolean => instantOf({ wall, isDate: start.isDate, zone: start.zone }).getTime() < toMs;
    const walls = new Set<string>([start.wall]); // DTSTART is always the first occurrence (RFC 5545 3.8.5.3)
    for (const rdate of master.rdates) {
      const wall = wallIn(inZone(rdate, start.zone), start.zone);
      if (startsBeforeEnd(wall)) walls.add(wall);
    }
    const rrule = master.rrule;
    if (rrule) {
      // UNTIL is compared here, as an instant: ical.js would compare a UTC UNTIL with floating times as if they were UTC.
      const until = rrule.until;
      const untilMs = until && !until.isDate ? instantOf(inZone(until, start.zone)).getTime() : null;
      const recur = rrule.recur.clone();
      recur.until = null;
      const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = start.wall.split(/[-T:]/).map(Number);
      const first = ICAL.Time.fromData({ year: y, month: mo, day: d, hour: h, minute: mi, second: s, isDate: start.isDate });
      const iterator = recur.iterator(first);
      for (let count = 0; ; count++) {
        const next: IcalTime | null | undefined = iterator.next();
        if (!next) break;
        if (count >= MAX_OCCURRENCES_PER_EVENT) {
          this.problems.push({ line: rrule.line, message: `RRULE gives more than ${MAX_OCCURRENCES_PER_EVENT} occurrences before the end of the window` });
          return null;
        }
        const wall = timeWall(next);
        if (until?.isDate && wall.slice(0, 10) > until.wall.slice(0, 10)) break;
        if (untilMs !== null && instantOf({ wall, isDate: start.isDate, zone: start.zone }).getTime() > untilMs) break;
        if (!startsBeforeEnd(wall)) break;
        walls.add(wall);
      }
    }
    const excluded = new Set<string>();
    const excludedDays = new Set<string>();
    for (const exdate of master.exdates) {
      if (exdate.isDate && !start.isDate) excludedDays.add(exdate.wall.slice(0, 10));
      else excluded.add(wallIn(inZone(exdate, start.zone), start.zone));
    }
    return [...walls].filter((wall) => !excluded.has(wall) && !excludedDays.has(wall.slice(0, 10))).sort();
  }
}

/** One override per RECURRENCE-ID: the highest SEQUENCE, the later one on a tie. */
function latestOverrides(overrides: readonly EventRead[]): Map<string, EventRead> {
  const latest = new Map<string, EventRead>();
  for (const override of overrides) {
    if (!override.recurrenceId) continue;
    const key = `${override.recurrenceId.wall}|${override.recurrenceId.zone ?? ''}`;
    const seen = latest.get(key);
    if (seen === undefined || override.sequence >= seen.sequence) latest.set(key, override);
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------

/** Reads an iCalendar roster feed into shifts overlapping [options.from, options.to). Never throws. */
export function parseIcalRoster(text: string, options: IcalOptions): FeedParse {
  try {
    return parse(text, options);
  } catch (error) {
    return { ok: false, problems: [{ message: `could not read the iCalendar feed: ${messageOf(error)}` }] };
  }
}

function parse(input: string, options: IcalOptions): FeedParse {
  const optionProblems: FeedProblem[] = [];
  if (!isValidZone(options.zone)) optionProblems.push({ message: `unknown time zone "${options.zone}" for floating times` });
  if (Number.isNaN(options.from.getTime()) || Number.isNaN(options.to.getTime())) optionProblems.push({ message: 'the window (from, to) is not a pair of valid dates' });
  if (optionProblems.length > 0) return { ok: false, problems: optionProblems };

  const text = input.replace(/^\uFEFF/, '');
  const scanned = scan(text);
  if (scanned.problems.length > 0) return { ok: false, problems: scanned.problems };

  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (error) {
    const line = lineOfParseError(text);
    return { ok: false, problems: [{ ...(line === undefined ? {} : { line }), message: `not valid iCalendar: ${messageOf(error)}` }] };
  }
  const roots: unknown[] = Array.isArray(jcal) && typeof jcal[0] === 'string' ? [jcal] : Array.isArray(jcal) ? jcal : [];
  const vevents = roots.flatMap((root) => new ICAL.Component(root as unknown[]).getAllSubcomponents('vevent'));
  if (vevents.length !== scanned.events.length) {
    return { ok: false, problems: [{ message: `could not match the feed's ${vevents.length} events to its lines` }] };
  }

  const problems: FeedProblem[] = [];
  const events: EventRead[] = [];
  vevents.forEach((comp, i) => {
    const block = scanned.events[i];
    if (block) events.push(readEvent(new EventSource(comp, block, problems), options.zone));
  });

  let lastModified: Date | null = null;
  const byUid = new Map<string, { masters: EventRead[]; overrides: EventRead[] }>();
  for (const event of events) {
    if (event.lastModified && (lastModified === null || event.lastModified.getTime() > lastModified.getTime())) lastModified = event.lastModified;
    if (event.uid === undefined) {
      problems.push({ line: event.line, message: 'VEVENT has no UID: its shifts would have no stable id' });
      continue;
    }
    const group = byUid.get(event.uid) ?? { masters: [], overrides: [] };
    byUid.set(event.uid, group);
    if (event.recurrenceId === undefined) group.masters.push(event);
    else if (event.recurrenceId !== null) group.overrides.push(event);
  }

  const builder = new Builder(options, problems);
  for (const [uid, { masters, overrides }] of byUid) builder.series(uid, masters, overrides);

  if (problems.length > 0) return { ok: false, problems: [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  const shifts = [...builder.shifts].sort((a, b) => a.start.getTime() - b.start.getTime() || (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  return { ok: true, mode: 'full', shifts, deleted: [], lastModified, covers: { from: options.from, to: options.to } };
}
