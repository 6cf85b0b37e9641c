// Day words in calendar windows: `mon`, `mon-fri`, `fri-mon` (wrapping), `daily`, `weekdays`,
// `weekends`. ISO weekday numbers: 1 = Monday … 7 = Sunday, as luxon counts them.

export const dayNames = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const dayWords = [...dayNames, 'daily', 'weekdays', 'weekends'] as const;

/** The ISO weekdays a word names, or null when it is not a day word. */
export function parseDays(word: string): number[] | null {
  switch (word) {
    case 'daily':
      return [1, 2, 3, 4, 5, 6, 7];
    case 'weekdays':
      return [1, 2, 3, 4, 5];
    case 'weekends':
      return [6, 7];
  }
  const [from, to, ...rest] = word.split('-');
  if (rest.length > 0) return null;
  const start = dayNames.indexOf(from as (typeof dayNames)[number]) + 1;
  if (start === 0) return null;
  if (to === undefined) return [start];
  const end = dayNames.indexOf(to as (typeof dayNames)[number]) + 1;
  if (end === 0) return null;
  const days: number[] = [];
  for (let d = start; ; d = (d % 7) + 1) {
    days.push(d);
    if (d === end) return days;
  }
}
