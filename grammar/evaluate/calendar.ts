// Whether a calendar is open at an instant, read on the calendar's own wall clock: a window
// from 07:00 is open from 07:00 local time whatever the daylight-saving offset that day.
import { DateTime } from 'luxon';
import type { CompiledCalendar } from '../ruleset.js';
import { isPublicHoliday } from '../time/holidays.js';

export function isCalendarOpen(calendar: CompiledCalendar, atMs: number): boolean {
  const local = DateTime.fromMillis(atMs, { zone: calendar.zone });
  const minute = local.hour * 60 + local.minute;
  const closedOn = (date: DateTime): boolean => {
    const day = date.toISODate()!;
    return calendar.exceptDates.includes(day) || calendar.holidayCountries.some((code) => isPublicHoliday(code, day));
  };
  for (const w of calendar.windows) {
    if (w.fromMinute < w.toMinute) {
      if (w.days.includes(local.weekday) && minute >= w.fromMinute && minute < w.toMinute && !closedOn(local)) return true;
      continue;
    }
    // Overnight (19:00-07:00): opened on a listed day, or still open from the day before.
    // An exception date closes the night that starts on it.
    if (w.days.includes(local.weekday) && minute >= w.fromMinute && !closedOn(local)) return true;
    const yesterday = local.minus({ days: 1 });
    if (w.days.includes(yesterday.weekday) && minute < w.toMinute && !closedOn(yesterday)) return true;
  }
  return false;
}
