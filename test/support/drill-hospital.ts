// A small hospital for tests and benchmarks that run in real time: a ladder measured in seconds,
// and a roster (generated around "now") in which someone is always on call. Written into a
// directory, as `pagerless serve` reads it (PAGERLESS_RULES_DIR, PAGERLESS_SOURCES).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';

export interface DrillHospital {
  readonly rulesDir: string;
  readonly sourcesFile: string;
  /** The people on call: the provider and the backup. */
  readonly provider: string;
  readonly backup: string;
  /** Each page's ladder: the steps per cycle, the notifications per cycle, the cycles. */
  readonly ladder: { readonly steps: number; readonly notificationsPerCycle: number; readonly cycles: number; readonly lastStepMs: number };
}

/**
 * Writes the drill hospital into `dir`. Steps fall `stepSeconds` apart. The `full` ladder: the
 * provider by push and SMS at once, by voice after one gap, the backup after two, the desk and
 * the legacy pager after three; it runs twice. The `short` one, a page as most are (answered
 * before it climbs far): the provider by push and SMS at once, the backup after one gap.
 */
export function writeDrillHospital(dir: string, options: { now: Date; stepSeconds?: number; ladder?: 'full' | 'short' }): DrillHospital {
  const s = options.stepSeconds ?? 2;
  const short = options.ladder === 'short';
  const ladderText = short
    ? `    notify provider via push, sms  at 0s
    notify backup                  at ${s}s unless acked`
    : `    notify provider via push, sms  at 0s
    notify provider via voice      at ${s}s unless acked
    notify backup                  at ${2 * s}s unless acked
    notify desk, legacy-pager      at ${3 * s}s unless acked
    repeat 1 every ${4 * s}s`;
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(
    join(rulesDir, 'drill.rules'),
    `schema alert {
  source:       enum(lab)
  priority:     ordered(routine, urgent, stat)
  test:         text
  unit:         text
  patient.name: text phi
}

role provider = roster "drill" service "Medicine" shift "Day"
role backup   = roster "drill" service "Medicine" shift "Backup"
team desk     = inbox "Drill desk"

workflow drill {
  legacy-pager-group "DRILL-1"
  stage parallel
  sms   "Drill {test} on {unit}: {link}"
  voice "Drill on unit {unit}."
  push  "Drill" / "{test} on {unit}"
  pager "DRILL {test} {unit} {page}"
  detail "{test} for {patient.name}"
  fallback desk when roster empty or stale

  route drill when source = lab {
${ladderText}
  }
}
`,
  );
  const rows = ['Staff ID,Name,Phone,Service,Shift,Date,Start,End,Type'];
  const today = DateTime.fromJSDate(options.now, { zone: 'UTC' }).startOf('day');
  for (let d = -1; d <= 3; d++) {
    const date = today.plus({ days: d }).toISODate();
    for (const [start, end] of [
      ['0000', '1200'],
      ['1200', '0000'],
    ]) {
      rows.push(`D-1,Dr. Drill Provider,3125550901,Medicine,Day,${date},${start},${end},`);
      rows.push(`D-2,Dr. Drill Backup,3125550902,Medicine,Backup,${date},${start},${end},`);
    }
  }
  writeFileSync(join(dir, 'drill.csv'), `${rows.join('\n')}\n`);
  const sourcesFile = join(dir, 'sources.json');
  writeFileSync(sourcesFile, JSON.stringify({ sources: { drill: { format: 'csv', file: 'drill.csv', zone: 'UTC', refreshEvery: '1h', staleAfter: '26h' } } }, null, 2));
  const ladder = short ? { steps: 2, notificationsPerCycle: 3, cycles: 1, lastStepMs: s * 1000 } : { steps: 4, notificationsPerCycle: 6, cycles: 2, lastStepMs: 7 * s * 1000 };
  return { rulesDir, sourcesFile, provider: 'drill:D-1', backup: 'drill:D-2', ladder };
}
