// The runtime PHI guard: the last look at every text before it leaves on a channel that is not
// cleared for PHI. The compiler proves a template names no PHI field, but a clinical system can
// still put a patient's name where a unit belongs; the guard refuses any text that contains a
// value of one of the alert's PHI fields, whichever field carried it there, and however it is
// written: in another case, spacing or order (HL7's `ROE^JANE`), one part of it (the surname
// alone), with its separators dropped, or a date in another format. A false alarm costs a
// refusal, a failover and an incident; a miss puts a patient on a lock screen.
import type { PhiFields } from '../dispatch/phi-vault.js';

export interface PhiLeak {
  /** The PHI field whose value the text contains (its name, never its value). */
  readonly field: string;
}

export type PhiGuard = (text: string) => PhiLeak | null;

/** Parts of a value shorter than this are not looked for alone ("J", "Li" would match everywhere). */
const minPart = 3;
/** Identifiers are looked for by their digits once they have this many. */
const minDigits = 5;

const normalise = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f\u200b-\u200d\u2060\ufeff]/g, '')
    .toLowerCase();
const wordsOf = (s: string): string[] => normalise(s).match(/[\p{L}\p{N}]+/gu) ?? [];
const squash = (s: string): string => wordsOf(s).join('');
/** Runs of digits with the separators identifiers and dates are written with, each as bare digits. */
const digitRunsOf = (s: string): string[] => (s.match(/\d[\d\s./\-^]*/g) ?? []).map((r) => r.replace(/\D/g, ''));

/** A date's usual spellings as bare digits: 1980-03-04 as 19800304, 03041980, 04031980, 341980 … */
function dateSpellings(value: string): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value.trim());
  if (m === null) return [];
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const short = (s: string) => String(Number(s));
  return [`${y}${mo}${d}`, `${mo}${d}${y}`, `${d}${mo}${y}`, `${short(mo)}${short(d)}${y}`, `${short(d)}${short(mo)}${y}`, `${mo}${d}${y.slice(2)}`];
}

export function phiGuard(phi: PhiFields): PhiGuard {
  const checks = Object.entries(phi).map(([field, value]) => {
    const text = String(value);
    const parts = [...new Set(wordsOf(text).filter((w) => w.length >= minPart && !/^\d+$/.test(w)))];
    const whole = squash(text);
    const digits = text.replace(/\D/g, '');
    const numbers = [...(digits.length >= minDigits ? [digits] : []), ...dateSpellings(text)];
    return { field, parts, whole, numbers };
  });
  return (candidate) => {
    const words = new Set(wordsOf(candidate));
    const squashed = squash(candidate);
    const runs = digitRunsOf(candidate);
    for (const { field, parts, whole, numbers } of checks) {
      if (parts.some((p) => words.has(p))) return { field };
      if (whole.length >= minPart && !/^\d+$/.test(whole) && squashed.includes(whole)) return { field };
      if (numbers.some((n) => runs.some((r) => r.includes(n)))) return { field };
    }
    return null;
  };
}
