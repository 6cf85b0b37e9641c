// Golden files for every diagnostic the rules compiler can produce. Each fixture in
// test/grammar/golden/<CODE>-<slug>.rules sits next to <CODE>-<slug>.txt, the exact text a
// person sees from `pagerless rules check`. Regenerate with UPDATE_GOLDEN=1, then read the diff:
// a golden file pins behaviour, so it must be behaviour we want.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileSources, diagnosticCatalog, renderDiagnostics } from '../../grammar/index.js';
import type { DiagnosticCode } from '../../grammar/index.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
/** As diagnostics print it: relative to the repository root, the way `rules check` runs. */
const displayDir = 'test/grammar/golden';
const update = process.env['UPDATE_GOLDEN'] === '1';

const fixtures = readdirSync(goldenDir)
  .filter((f) => f.endsWith('.rules'))
  .sort();

const catalogCodes = Object.keys(diagnosticCatalog) as DiagnosticCode[];

function render(fixture: string): string {
  const text = readFileSync(join(goldenDir, fixture), 'utf8');
  const result = compileSources([{ path: `${displayDir}/${fixture}`, text }], { dstFromYear: 2026 });
  return renderDiagnostics(result.diagnostics, result.sources);
}

function expectedPath(fixture: string): string {
  return join(goldenDir, fixture.replace(/\.rules$/, '.txt'));
}

function readExpected(fixture: string): string | null {
  try {
    return readFileSync(expectedPath(fixture), 'utf8');
  } catch {
    return null;
  }
}

/** The codes a rendered output reports, from its `error E102:` / `warning W201:` headers. */
function codesIn(output: string): Set<string> {
  return new Set([...output.matchAll(/: (?:error|warning) ([EW]\d{3}):/g)].map((m) => m[1]!));
}

describe('diagnostic golden files', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const fixture of fixtures) {
    it(fixture, () => {
      const actual = `${render(fixture)}\n`;
      if (update) {
        writeFileSync(expectedPath(fixture), actual);
        return;
      }
      const expected = readExpected(fixture);
      expect(expected, `${fixture} has no golden .txt; run with UPDATE_GOLDEN=1`).not.toBeNull();
      expect(actual).toBe(expected);
    });
  }

  it('every fixture is named after a code its output contains', () => {
    const misnamed: string[] = [];
    for (const fixture of fixtures) {
      const code = fixture.split('-')[0]!;
      if (!(code in diagnosticCatalog)) {
        misnamed.push(`${fixture}: ${code} is not in diagnosticCatalog`);
        continue;
      }
      const output = readExpected(fixture) ?? '';
      if (!codesIn(output).has(code)) misnamed.push(`${fixture}: its output has no ${code}`);
    }
    expect(misnamed).toEqual([]);
  });

  it('every code in diagnosticCatalog has a golden file that shows it', () => {
    const shown = new Set<string>();
    for (const fixture of fixtures) for (const code of codesIn(readExpected(fixture) ?? '')) shown.add(code);
    expect(catalogCodes.filter((code) => !shown.has(code))).toEqual([]);
  });

  it('every .txt has its .rules fixture', () => {
    const orphans = readdirSync(goldenDir)
      .filter((f) => f.endsWith('.txt'))
      .filter((f) => !fixtures.includes(f.replace(/\.txt$/, '.rules')));
    expect(orphans).toEqual([]);
  });
});
