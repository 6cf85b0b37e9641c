// A wall-clock time in a zone as an instant, the way RFC 5545 reads it: a time that occurs twice
// (fall back) means its first occurrence; a time that does not exist (spring forward) is read
// with the offset from before the gap, so it lands just after the jump.
import { DateTime, IANAZone } from 'luxon';

/** An ISO date-time that carries its own offset (`Z`, `+05:00`, `-0600`) as an instant; null otherwise. */
export function offsetInstant(text: string): Date | null {
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : null;
}

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
