// A compiler crash on any input is a bug: whatever a person types, they get diagnostics back.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSources, renderDiagnostics, type CompileResult } from '../../grammar/index.js';
import { roster } from '../support/rules.js';

const exampleFiles = readdirSync('rules')
  .filter((f) => f.endsWith('.rules'))
  .sort()
  .map((f) => ({ path: `rules/${f}`, text: readFileSync(`rules/${f}`, 'utf8') }));

const vocabulary = [
  'schema', 'alert', 'calendar', 'holidays', 'role', 'team', 'person', 'workflow', 'route', 'test', 'when', 'notify', 'via',
  'at', 'unless', 'acked', 'during', 'outside', 'repeat', 'every', 'fallback', 'roster', 'empty', 'stale', 'continue', 'let',
  'stage', 'target', 'ack', 'p90', 'missed', 'legacy-pager-group', 'legacy-pager', 'sms', 'voice', 'push', 'pager', 'detail',
  'expect', 'given', 'first', 'no', 'match', 'and', 'or', 'not', 'in', 'exists', 'matches', '/K|NA/i', 'text', 'number',
  'enum', 'ordered', 'timestamp', 'phi', 'source', 'flag', 'patient.name', 'lab', 'HH', '{', '}', '(', ')', ',', ':', '.',
  '=', '!=', '<', '<=', '>', '>=', '|', '/', '-', '"x {flag} {patient.name} {link}"', '"America/Chicago"', '"US"', '5m',
  '1%', '07:00', '19:00', '2026-03-08', '2026-03-08T02:30', '42', 'mon-fri', 'daily', '#c\n', '\n', '"unterminated', '@', '{{',
];

const tokenSoup = fc.array(fc.constantFrom(...vocabulary), { maxLength: 80 }).map((ts) => ts.join(' '));

/** An example file with a slice cut out, a token dropped in, or two lines swapped. */
const mutatedExample = fc
  .record({
    file: fc.integer({ min: 0, max: exampleFiles.length - 1 }),
    at: fc.nat(),
    length: fc.nat({ max: 40 }),
    insert: fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 6 })),
    swap: fc.boolean(),
  })
  .map(({ file, at, length, insert, swap }) => {
    const source = exampleFiles[file]!;
    let text = source.text;
    const pos = at % (text.length + 1);
    if (swap) {
      const lines = text.split('\n');
      const i = pos % lines.length;
      const j = (pos * 7 + 3) % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      text = lines.join('\n');
    } else {
      text = text.slice(0, pos) + insert + text.slice(pos + length);
    }
    return exampleFiles.map((f, i) => (i === file ? { path: f.path, text } : f));
  });

function assertDiagnosed(result: CompileResult): void {
  if (result.ruleSet === null) expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  for (const d of result.diagnostics) {
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.col).toBeGreaterThanOrEqual(1);
  }
  expect(typeof renderDiagnostics(result.diagnostics, result.sources)).toBe('string');
  // What compiles must also route without throwing.
  result.ruleSet?.route({ source: 'lab', flag: 'HH', priority: 'stat' }, new Date('2026-03-08T08:30Z'), roster());
}

describe('the compiler never crashes', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => assertDiagnosed(compileSources([{ path: 'r.rules', text }]))), { numRuns: 300 });
  });

  it('on sequences of the language’s own words', () => {
    fc.assert(fc.property(tokenSoup, (text) => assertDiagnosed(compileSources([{ path: 'r.rules', text }]))), { numRuns: 400 });
  });

  it('on the example hospital’s files, mutated', () => {
    fc.assert(fc.property(mutatedExample, (files) => assertDiagnosed(compileSources(files))), { numRuns: 300 });
  });
});
