// A wall-clock time in a zone as an instant, the way RFC 5545 reads it: a time that occurs twice
// (fall back) means its first occurrence; a time that does not exist (spring forward) is read
// with the offset from before the gap, so it lands just after the jump.
import { DateTime, IANAZone } from 'luxon';

export function localToInstant(localIso: string, zone: string): Date | null {
  const wall = DateTime.fromISO(localIso, { zone: 'utc' });
  if (!wall.isValid) return null;
  const tz = IANAZone.create(zone);
  const asUtc = wall.toMillis();
  const DAY = 86_400_000;
  const offsets = [...new Set([tz.offset(asUtc - DAY), tz.offset(asUtc), tz.offset(asUtc + DAY)])];
  const valid = offsets.map((o) => asUtc - o * 60_000).filter((t) => asUtc - tz.offset(t) * 60_000 === t);
  if (valid.length > 0) return new Date(Math.min(...valid));
  return new Date(asUtc - tz.offset(asUtc - DAY) * 60_000);
}
