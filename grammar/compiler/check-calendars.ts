// Calendars: a real IANA zone, day words and times that mean something, holiday sets that
// exist, and a warning when a window opens or closes at a local time that a daylight-saving
// change skips or repeats.
import { IANAZone } from 'luxon';
import type * as A from '../ast.js';
import { diagnostic, didYouMean, type Diagnostic } from '../diagnostics.js';
import { clockChanges, formatMinute, type ClockChange } from '../time/clock-changes.js';
import { dayWords, parseDays } from '../time/days.js';
import { holidayCodeProblem, knownCountryCodes, knownStateCodes } from '../time/holidays.js';
import type { Scope } from './scope.js';

export interface CalendarCheckOptions {
  /** Daylight-saving edges are looked for from this year through the next ten. */
  readonly dstFromYear: number;
}

export function checkCalendars(scope: Scope, options: CalendarCheckOptions, diagnostics: Diagnostic[]): void {
  for (const calendar of scope.calendars.values()) {
    const zoneOk = IANAZone.isValidZone(calendar.zone.value);
    if (!zoneOk) {
      diagnostics.push(
        diagnostic('E110', calendar.zone.span, `"${calendar.zone.value}" is not an IANA time zone`, didYouMean(calendar.zone.value, Intl.supportedValuesOf('timeZone')) ?? 'use a zone like "America/Chicago"'),
      );
    }
    for (const window of calendar.windows) {
      const daysOk = window.days.every((day) => checkDayWord(day, diagnostics));
      if (window.from.minutes === window.to.minutes) {
        diagnostics.push(diagnostic('E111', window.span, 'this window opens and closes at the same time', 'for a whole day write 00:00-24:00'));
      }
      if (window.from.minutes === 1440) {
        diagnostics.push(diagnostic('E111', window.from.span, 'a window cannot open at 24:00', 'open it at 00:00 of the next day'));
      }
      if (zoneOk && daysOk) checkClockChangeEdges(calendar, window, options, diagnostics);
    }
    for (const exception of calendar.exceptions) {
      if (exception.kind === 'country-holidays') {
        const problem = holidayCodeProblem(exception.code.value);
        if (problem !== null) {
          const [country = '', state] = exception.code.value.split('-');
          const hint = state !== undefined && knownCountryCodes().includes(country)
            ? didYouMean(state, knownStateCodes(country))
            : didYouMean(country, knownCountryCodes());
          diagnostics.push(diagnostic('E105', exception.code.span, problem, hint ?? 'use a country code like "US", or "US-IL" for a state'));
        }
      } else if (exception.kind === 'holiday-set' && !scope.holidaySets.has(exception.set.name)) {
        diagnostics.push(diagnostic('E105', exception.set.span, `no holiday set is called "${exception.set.name}"`, didYouMean(exception.set.name, scope.holidaySets.keys()) ?? 'for a country\'s public holidays write its code in quotes: except holidays "US"'));
      }
    }
  }
}

function checkDayWord(day: A.Named, diagnostics: Diagnostic[]): boolean {
  if (parseDays(day.name) !== null) return true;
  const hint = day.name.includes('-')
    ? `a day range is two of ${dayWords.slice(0, 7).join(', ')}, like mon-fri`
    : didYouMean(day.name, dayWords) ?? `day words: ${dayWords.join(', ')}`;
  diagnostics.push(diagnostic('E111', day.span, `"${day.name}" is not a day`, hint));
  return false;
}

function checkClockChangeEdges(calendar: A.CalendarDecl, window: A.WindowDecl, options: CalendarCheckOptions, diagnostics: Diagnostic[]): void {
  const opensOn = new Set(window.days.flatMap((d) => parseDays(d.name) ?? []));
  const overnight = window.to.minutes < window.from.minutes;
  const closesOn = overnight ? new Set([...opensOn].map((d) => (d % 7) + 1)) : opensOn;
  const changes = clockChanges(calendar.zone.value, options.dstFromYear, options.dstFromYear + 10);
  const edges = [
    { time: window.from, days: opensOn, verb: 'opens' },
    { time: window.to, days: closesOn, verb: 'closes' },
  ];
  for (const edge of edges) {
    const change = changes.find((c) => opensOn.size > 0 && edge.days.has(c.weekday) && edge.time.minutes >= c.fromMinute && edge.time.minutes < c.toMinute);
    if (change !== undefined) diagnostics.push(clockChangeWarning(calendar, edge.time, edge.verb, change));
  }
}

function clockChangeWarning(calendar: A.CalendarDecl, time: A.TimeOfDay, verb: string, change: ClockChange): Diagnostic {
  const zone = calendar.zone.value;
  const range = `${formatMinute(change.fromMinute)}–${formatMinute(change.toMinute)}`;
  if (change.kind === 'gap') {
    return diagnostic(
      'W204',
      time.span,
      `calendar ${calendar.name.name} ${verb} at ${time.text}, a local time that does not exist in ${zone} on ${change.localDate} (clocks jump from ${formatMinute(change.fromMinute)} to ${formatMinute(change.toMinute)})`,
      `that day the window ${verb} at ${formatMinute(change.toMinute)}; move the edge out of ${range} to say so`,
    );
  }
  return diagnostic(
    'W205',
    time.span,
    `calendar ${calendar.name.name} ${verb} at ${time.text}, a local time that happens twice in ${zone} on ${change.localDate} (clocks go back from ${formatMinute(change.toMinute)} to ${formatMinute(change.fromMinute)})`,
    `the wall clock passes ${time.text} twice that day; move the edge out of ${range} to avoid the ambiguity`,
  );
}
