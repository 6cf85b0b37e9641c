import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, () => new Date('2026-11-23T12:00:00Z'));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A copy of the example rules that a test may change. */
function rulesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagerless-rules-'));
  cpSync('rules', dir, { recursive: true });
  return dir;
}

describe('pagerless rules check', () => {
  it('exits 0 on the example hospital and names the version', async () => {
    const r = await run('rules', 'check', 'rules');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 errors, \d+ warnings?/);
    expect(r.out).toMatch(/rules version [0-9a-f]{12}/);
  });

  it('exits 1 on an error and prints it with its location, caret and hint', async () => {
    const dir = rulesCopy();
    const file = join(dir, '10-critical-results.rules');
    writeFileSync(file, readFileSync(file, 'utf8').replace('notify ordering-provider via push, sms', 'notify ordering-provder via push, sms'));
    const r = await run('rules', 'check', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}:`);
    expect(r.out).toContain('error E103: no role, team or person is called "ordering-provder"');
    expect(r.out).toContain(`|            ${'^'.repeat('ordering-provder'.length)}\n`);
    expect(r.out).toContain('hint: did you mean "ordering-provider"?');
  });

  it('--format json gives the diagnostics as data', async () => {
    const dir = rulesCopy();
    writeFileSync(join(dir, '99-broken.rules'), 'workflow x { stage paralel }');
    const r = await run('rules', 'check', dir, '--format', 'json');
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.out) as { ok: boolean; diagnostics: { code: string; line: number; column: number; hint?: string }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.diagnostics).toContainEqual(expect.objectContaining({ code: 'E116', line: 1, column: 20, hint: 'did you mean "parallel"?' }));
  });

  it('says so when the directory does not exist', async () => {
    const r = await run('rules', 'check', 'no-such-dir');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no-such-dir');
  });
});

describe('pagerless rules test', () => {
  it('runs the example hospital’s tests and ends with the count', async () => {
    const r = await run('rules', 'test', 'rules');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('prints a failure with expected, actual and the test’s location, and exits 1', async () => {
    const dir = rulesCopy();
    writeFileSync(
      join(dir, '99-wrong.rules'),
      `test "a deliberately wrong expectation" {
  alert { source: lab, flag: HH, priority: stat, test: "K", unit: "5W" }
  at 2026-07-01T10:00 in "America/Chicago"
  expect workflow nurse-call-never
}`,
    );
    const bad = await run('rules', 'test', dir);
    expect(bad.code).toBe(1); // unknown workflow in an expectation is a compile error
    writeFileSync(
      join(dir, '99-wrong.rules'),
      `test "a deliberately wrong expectation" {
  alert { source: lab, flag: HH, priority: stat, test: "K", unit: "5W" }
  at 2026-07-01T10:00 in "America/Chicago"
  expect sms "something else"
}`,
    );
    const r = await run('rules', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL a deliberately wrong expectation');
    expect(r.out).toContain(`${join(dir, '99-wrong.rules')}:4:3`);
    expect(r.out).toContain('expected: sms "something else"');
    expect(r.out).toMatch(/actual: {3}sms "Critical K on 5W/);
    expect(r.out.split('\n').at(-1)).toMatch(/^\d+ passed, 1 failed$/);
  });
});

describe('pagerless rules explain', () => {
  it('gives the decision and why earlier routes did not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-alert-'));
    const alert = join(dir, 'alert.json');
    writeFileSync(alert, JSON.stringify({ source: 'lab', flag: 'HH', priority: 'stat', test: 'K', unit: '5W', patient: { name: 'Jane Doe' } }));
    const r = await run('rules', 'explain', alert, 'rules', '--at', '2026-03-08T08:30Z');
    expect(r.code).toBe(0);
    expect(r.out).toContain('matched workflow critical-results, route critical-lab');
    expect(r.out).toContain('at +0m: ordering-provider via push, sms');
    expect(r.out).not.toContain('Jane');
    const json = await run('rules', 'explain', alert, 'rules', '--at', '2026-03-08T08:30Z', '--format', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ kind: 'matched', match: { route: 'critical-lab' } });
    expect(json.out).not.toContain('Jane');
  });

  it('refuses an alert that does not fit the schema, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-alert-'));
    const alert = join(dir, 'alert.json');
    writeFileSync(alert, JSON.stringify({ source: 'pharmacy' }));
    const r = await run('rules', 'explain', alert, 'rules');
    expect(r.code).toBe(1);
    expect(r.err).toContain('source: source must be one of');
  });
});
