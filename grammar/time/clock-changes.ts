// Daylight-saving changes of a time zone, as the local times they skip or repeat. Used to warn
// when a calendar window opens or closes at such a time.
import { DateTime, IANAZone } from 'luxon';

export interface ClockChange {
  /** The local date of the change (YYYY-MM-DD) and its ISO weekday. */
  readonly localDate: string;
  readonly weekday: number;
  /** `gap`: local times in [fromMinute, toMinute) do not exist; `overlap`: they happen twice. */
  readonly kind: 'gap' | 'overlap';
  readonly fromMinute: number;
  readonly toMinute: number;
}

const DAY = 86_400_000;
const cache = new Map<string, readonly ClockChange[]>();

/** Every clock change of `zone` from 1 January of `fromYear` to the end of `toYear`. */
export function clockChanges(zone: string, fromYear: number, toYear: number): readonly ClockChange[] {
  const key = `${zone}:${fromYear}:${toYear}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const tz = IANAZone.create(zone);
  const changes: ClockChange[] = [];
  const end = Date.UTC(toYear + 1, 0, 1);
  for (let t = Date.UTC(fromYear, 0, 1); t < end; t += DAY) {
    const before = tz.offset(t);
    if (tz.offset(t + DAY) === before) continue;
    // Narrow the change to the minute: offsets only change on minute boundaries.
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (tz.offset(mid) === before) lo = mid;
      else hi = mid;
    }
    const after = tz.offset(hi);
    // The wall clock just before the change: the change instant read with the old offset.
    const wallBefore = DateTime.fromMillis(hi + before * 60_000, { zone: 'utc' });
    const minuteBefore = wallBefore.hour * 60 + wallBefore.minute;
    const minuteAfter = minuteBefore + (after - before);
    changes.push({
      localDate: wallBefore.toISODate()!,
      weekday: wallBefore.weekday,
      kind: after > before ? 'gap' : 'overlap',
      fromMinute: Math.min(minuteBefore, minuteAfter),
      toMinute: Math.max(minuteBefore, minuteAfter),
    });
  }
  cache.set(key, changes);
  return changes;
}

export function formatMinute(minute: number): string {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
