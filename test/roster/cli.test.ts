// The roster commands as operations run them, on an on-disk PGlite database in a temp folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const env = { PAGERLESS_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'pagerless-cli-')), 'pglite') };

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, () => new Date('2026-11-23T12:00:00Z'), env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pagerless roster and oncall', () => {
  it('imports the example rosters, says who is on call through the fall-back night, and lists gaps', async () => {
    expect(await run('roster', 'import', 'schedules/examples/amion.csv', '--source', 'amion')).toMatchObject({ code: 0, out: 'amion: 421 added, 0 changed, 0 removed, 0 unchanged' });
    expect(await run('roster', 'import', 'schedules/examples/amion.csv', '--source', 'amion')).toMatchObject({ code: 0, out: 'amion: 0 added, 0 changed, 0 removed, 421 unchanged' });
    expect((await run('roster', 'import', 'schedules/examples/qgenda.json', '--source', 'qgenda')).code).toBe(0);
    expect((await run('roster', 'import', 'schedules/examples/cardiology.ics', '--source', 'cardiology')).code).toBe(0);

    const night = await run('oncall', 'ordering-provider', '--at', '2026-11-01T07:30:00Z');
    expect(night.code).toBe(0);
    expect(night.out).toContain('Dr. Dana Ruiz (amion:A-1004): Hospitalist Night, Sat 31 Oct 19:00 – Sun 1 Nov 07:00');
    const json = JSON.parse((await run('oncall', 'charge-nurse', '--at', '2026-11-24T03:00:00Z', '--format', 'json')).out) as { people: { name: string }[]; stale: boolean };
    expect(json.people.map((p) => p.name)).toEqual(['Ana Lopez']);
    expect(json.stale).toBe(false);

    const gaps = await run('roster', 'gaps', '--days', '3');
    expect(gaps.code).toBe(1);
    expect(gaps.out).toContain('radiology-resident (amion Radiology):');
    expect(gaps.out).not.toContain('ordering-provider');
  }, 60_000);

  it('rejects a malformed roster naming its line, and keeps the one in force', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'pagerless-feed-')), 'amion.csv');
    writeFileSync(bad, 'Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type\nA-1,Dr X,,Hospitalist,Night,2026-11-31,1900,0700,\n');
    const r = await run('roster', 'import', bad, '--source', 'amion');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}: rejected; the roster of amion is unchanged`);
    expect(r.err).toContain(`${bad}: line 2: `);
  }, 60_000);

  it('says what is wrong with the command', async () => {
    expect(await run('roster', 'import', 'schedules/examples/amion.csv', '--source', 'amoin')).toMatchObject({ code: 2, err: expect.stringContaining('has no source "amoin" (did you mean "amion"?)') });
    expect(await run('oncall', 'ordering-provder')).toMatchObject({ code: 2, err: expect.stringContaining('the rules have no role "ordering-provder" (did you mean "ordering-provider"?)') });
    expect(await run('oncall', 'ordering-provider', '--at', 'yesterday')).toMatchObject({ code: 2, err: expect.stringContaining('--at yesterday: not an ISO instant') });
    expect(await run('roster', 'gaps', '--days', '0')).toMatchObject({ code: 2 });
  });
});
