// Public holidays of a country (or a country's state) from the date-holidays library, as local
// dates. Computed once per set and year and cached: the answer for a year never changes.
import Holidays from 'date-holidays';

const byYear = new Map<string, ReadonlySet<string>>();
let countries: Readonly<Record<string, string>> | undefined;

/** Codes look like "US" or "US-IL" (country, then state). */
export function holidayCodeProblem(code: string): string | null {
  const [country = '', state, ...rest] = code.split('-');
  countries ??= new Holidays().getCountries();
  if (rest.length > 0 || !(country in countries)) return `"${code}" is not a country holiday set`;
  if (state !== undefined && !(state in (new Holidays().getStates(country) ?? {}))) {
    return `"${state}" is not a state or region of ${country}`;
  }
  return null;
}

export function knownCountryCodes(): string[] {
  countries ??= new Holidays().getCountries();
  return Object.keys(countries);
}

export function knownStateCodes(country: string): string[] {
  return Object.keys(new Holidays().getStates(country) ?? {});
}

/** Whether a local date (YYYY-MM-DD) is a public holiday in the set. */
export function isPublicHoliday(code: string, localDate: string): boolean {
  const year = Number(localDate.slice(0, 4));
  const key = `${code}:${year}`;
  let dates = byYear.get(key);
  if (dates === undefined) {
    const [country = '', state] = code.split('-');
    const calendar = state === undefined ? new Holidays(country) : new Holidays(country, state);
    dates = new Set(
      calendar
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    byYear.set(key, dates);
  }
  return dates.has(localDate);
}
