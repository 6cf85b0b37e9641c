// The runtime PHI guard: the last look at every text before it leaves on a channel that is not
// cleared for PHI. The compiler proves a template names no PHI field, but a clinical system can
// still put a patient's name where a unit belongs; the guard refuses any text that contains a
// value of one of the alert's PHI fields, whichever field carried it there.
import type { PhiFields } from '../dispatch/phi-vault.js';

export interface PhiLeak {
  /** The PHI field whose value the text contains (its name, never its value). */
  readonly field: string;
}

export type PhiGuard = (text: string) => PhiLeak | null;

/** Values this short match as whole words only: "A" or "12" inside a word is not a leak. */
const wholeWordBelow = 4;

const normalise = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
const digitsOf = (s: string): string => s.replace(/\D/g, '');
/** Runs of digits with the separators identifiers are written with, each as bare digits. */
const digitRunsOf = (s: string): string[] => (s.match(/\d[\d\s./-]*/g) ?? []).map(digitsOf);

export function phiGuard(phi: PhiFields): PhiGuard {
  const checks = Object.entries(phi).flatMap(([field, value]) => {
    const text = normalise(String(value));
    if (text === '') return [];
    const digits = digitsOf(text);
    const matchers: ((t: string, runs: readonly string[]) => boolean)[] = [];
    if (text.length < wholeWordBelow) {
      const word = new RegExp(`(^|[^\\p{L}\\p{N}])${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u');
      matchers.push((t) => word.test(t));
    } else {
      matchers.push((t) => t.includes(text));
      // An identifier written with other separators (MRN 00-123-456 as 00123456) is the same identifier.
      if (digits.length >= 5) matchers.push((_t, runs) => runs.some((r) => r.includes(digits)));
    }
    return [{ field, matchers }];
  });
  return (candidate) => {
    const t = normalise(candidate);
    const runs = digitRunsOf(t);
    for (const { field, matchers } of checks) if (matchers.some((m) => m(t, runs))) return { field };
    return null;
  };
}
