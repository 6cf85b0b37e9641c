// `pagerless roster import | gaps` and `pagerless oncall`: rosters from the command line.
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { compileRulesDirectory, didYouMean, renderDiagnostics, type RoleBinding, type RuleSet } from '../../grammar/index.js';
import { offsetInstant } from '../../grammar/time/local-time.js';
import { databaseConfigFromEnv, migrateDatabase, openDatabase, type Database } from '../db/index.js';
import { describeProblems, importFeed, loadOnCallIndex, loadSourcesConfig, SourcesConfigError, type SourcesConfig } from '../roster/index.js';
import type { CliIo } from './io.js';

export interface RosterCliContext {
  readonly io: CliIo;
  readonly now: Date;
  readonly env: Readonly<Record<string, string | undefined>>;
}

async function withDatabase<T>(ctx: RosterCliContext, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(databaseConfigFromEnv(ctx.env));
  try {
    await migrateDatabase(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}

function sources(path: string, io: CliIo): SourcesConfig | null {
  try {
    return loadSourcesConfig(path);
  } catch (e) {
    if (!(e instanceof SourcesConfigError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    io.err((e as Error).message);
    return null;
  }
}

/** `pagerless roster import <file> --source <name>`: exit 0 imported, 1 rejected, 2 usage. */
export async function rosterImport(file: string, sourceName: string, sourcesPath: string, ctx: RosterCliContext): Promise<number> {
  const config = sources(sourcesPath, ctx.io);
  if (config === null) return 2;
  const source = config.get(sourceName);
  if (source === undefined) {
    ctx.io.err(`${sourcesPath} has no source "${sourceName}"${hintOf(didYouMean(sourceName, config.keys()))}; sources: ${[...config.keys()].join(', ')}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    ctx.io.err(`${file}: ${(e as Error).message}`);
    return 2;
  }
  const outcome = await withDatabase(ctx, (database) => importFeed(database, source, text, ctx.now));
  switch (outcome.status) {
    case 'imported': {
      const c = outcome.counts;
      ctx.io.out(`${sourceName}: ${c.added} added, ${c.changed} changed, ${c.removed} removed, ${c.unchanged} unchanged`);
      return 0;
    }
    case 'rejected':
      ctx.io.err(`${file}: rejected; the roster of ${sourceName} is unchanged\n${describeProblems(outcome.problems).replace(/^/gm, `${file}: `)}`);
      return 1;
    case 'busy':
      ctx.io.err(`${sourceName} is being imported by another process; try again in a moment`);
      return 1;
  }
}

function rules(dir: string, ctx: RosterCliContext): RuleSet | null {
  const result = compileRulesDirectory(dir, { dstFromYear: ctx.now.getUTCFullYear() });
  if (result.ruleSet === null) ctx.io.err(renderDiagnostics(result.diagnostics, result.sources));
  return result.ruleSet;
}

function roleOf(ruleSet: RuleSet, name: string, io: CliIo): RoleBinding | null {
  const target = ruleSet.targets[name];
  if (target?.kind === 'role') return target;
  const roles = Object.values(ruleSet.targets).filter((t) => t.kind === 'role').map((t) => t.name);
  io.err(`the rules have no role "${name}"${hintOf(didYouMean(name, roles))}; roles: ${roles.join(', ')}`);
  return null;
}

function hintOf(hint: string | undefined): string {
  return hint === undefined ? '' : ` (${hint})`;
}

/** `pagerless oncall <role> [--at <ISO instant>]`: who, on which shift, from which source, and how fresh. */
export async function onCall(roleName: string, at: string | undefined, rulesDir: string, sourcesPath: string, format: 'text' | 'json', ctx: RosterCliContext): Promise<number> {
  const when = at === undefined ? ctx.now : offsetInstant(at);
  if (when === null) {
    ctx.io.err(`--at ${at}: not an ISO instant with a zone offset (e.g. 2026-03-08T08:30Z)`);
    return 2;
  }
  const ruleSet = rules(rulesDir, ctx);
  const config = sources(sourcesPath, ctx.io);
  if (ruleSet === null || config === null) return 2;
  const role = roleOf(ruleSet, roleName, ctx.io);
  if (role === null) return 2;
  const day = 86_400_000;
  const answer = await withDatabase(ctx, async (database) => {
    const index = await loadOnCallIndex(database.db, config, { from: new Date(when.getTime() - day), to: new Date(when.getTime() + day) }, () => ctx.now);
    return index.onCall(role, when);
  });
  if (format === 'json') {
    ctx.io.out(JSON.stringify({ role: roleName, at: when.toISOString(), ...answer }, null, 2));
    return 0;
  }
  const zone = config.get(role.roster)?.zone ?? 'UTC';
  const local = (d: Date): string => DateTime.fromJSDate(d, { zone }).toFormat("ccc d LLL HH:mm");
  ctx.io.out(`${roleName} at ${when.toISOString()} (${local(when)} ${zone}):`);
  if (answer.people.length === 0) ctx.io.out('  nobody on call');
  for (const p of answer.people) {
    ctx.io.out(`  ${p.name} (${p.id}): ${p.shift.service} ${p.shift.shift}${p.shift.kind === 'override' ? ' (override)' : ''}, ${local(p.shift.start)} – ${local(p.shift.end)}`);
  }
  const f = answer.freshness;
  ctx.io.out(`  source ${f.source}: ${f.lastSuccessAt === null ? 'never imported' : `imported ${f.lastSuccessAt.toISOString()}`}${f.stale ? ' — STALE: the rules\' fallback takes over' : ''}`);
  return 0;
}

/** `pagerless roster gaps [--days 14]`: for every role in the rules, when nobody is on call. */
export async function rosterGaps(days: number, rulesDir: string, sourcesPath: string, ctx: RosterCliContext): Promise<number> {
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    ctx.io.err(`--days ${days}: a whole number of days from 1 to 366`);
    return 2;
  }
  const ruleSet = rules(rulesDir, ctx);
  const config = sources(sourcesPath, ctx.io);
  if (ruleSet === null || config === null) return 2;
  const from = ctx.now;
  const to = new Date(from.getTime() + days * 86_400_000);
  const index = await withDatabase(ctx, (database) => loadOnCallIndex(database.db, config, { from, to }, () => ctx.now));
  let any = false;
  for (const role of Object.values(ruleSet.targets)) {
    if (role.kind !== 'role') continue;
    const gaps = index.gaps(role, from, to);
    const zone = config.get(role.roster)?.zone ?? 'UTC';
    const local = (d: Date): string => DateTime.fromJSDate(d, { zone }).toFormat('ccc d LLL HH:mm');
    if (gaps.length === 0) continue;
    any = true;
    ctx.io.out(`${role.name} (${role.roster}${role.service === null ? '' : ` ${role.service}`}):`);
    for (const g of gaps) ctx.io.out(`  nobody on call ${local(g.from)} – ${local(g.to)} ${zone}`);
  }
  if (!any) ctx.io.out(`every role has someone on call for the next ${days} days`);
  return any ? 1 : 0;
}
