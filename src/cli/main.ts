// The `pagerless` command line. Each command lives in its own file; this one only parses.
import { Command, CommanderError, Option } from 'commander';
import { processIo, type CliIo } from './io.js';
import { auditVerify } from './audit.js';
import { serveCommand } from './serve.js';
import { tokenIssue } from './token.js';
import { onCall, rosterGaps, rosterImport } from './roster.js';
import { rulesCheck, rulesDiagram, rulesExplain, rulesTest, type Format } from './rules.js';

export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  now: () => Date = () => new Date(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let exitCode = 0;
  const program = new Command('pagerless')
    .description('Pagerless: the notification gateway that retires pagers')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const format = new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text');

  const rules = program.command('rules').description('check, test and explain the rule files');
  rules
    .command('check')
    .description('compile the rules; exit 1 on errors, show warnings')
    .argument('[dir]', 'rules directory', 'rules')
    .addOption(format)
    .action((dir: string, opts: { format: Format }) => {
      exitCode = rulesCheck(dir, opts.format, io, now());
    });
  rules
    .command('test')
    .description('run the tests written in the rule files')
    .argument('[dir]', 'rules directory', 'rules')
    .action((dir: string) => {
      exitCode = rulesTest(dir, io, now());
    });
  rules
    .command('explain')
    .description('route one alert and say why')
    .argument('<alert>', 'alert JSON file')
    .argument('[dir]', 'rules directory', 'rules')
    .option('--at <instant>', 'ISO instant with offset, e.g. 2026-03-08T08:30Z (default: now)')
    .addOption(format)
    .action((alert: string, dir: string, opts: { at?: string; format: Format }) => {
      exitCode = rulesExplain(alert, opts.at, dir, opts.format, io, now());
    });
  rules
    .command('diagram')
    .description('regenerate the grammar diagram in grammar/diagram/')
    .action(() => {
      exitCode = rulesDiagram(io);
    });

  const rosterCtx = () => ({ io, now: now(), env });
  const sourcesOption = new Option('--sources <file>', 'roster sources mapping').default('schedules/sources.json');
  const rulesOption = new Option('--rules <dir>', 'rules directory (where roles are bound to rosters)').default('rules');
  const roster = program.command('roster').description('import rosters and find gaps in them');
  roster
    .command('import')
    .description('import a roster file as a source of schedules/sources.json')
    .argument('<file>', 'the feed: iCal, CSV or JSON as the source says')
    .requiredOption('--source <name>', 'the source it comes from')
    .addOption(sourcesOption)
    .action(async (file: string, opts: { source: string; sources: string }) => {
      exitCode = await rosterImport(file, opts.source, opts.sources, rosterCtx());
    });
  roster
    .command('gaps')
    .description('list when a role has nobody on call; exit 1 when there is any gap')
    .option('--days <n>', 'how many days ahead', '14')
    .addOption(rulesOption)
    .addOption(sourcesOption)
    .action(async (opts: { days: string; rules: string; sources: string }) => {
      exitCode = await rosterGaps(Number(opts.days), opts.rules, opts.sources, rosterCtx());
    });
  program
    .command('oncall')
    .description('who is on call for a role at an instant')
    .argument('<role>', 'a role of the rules')
    .option('--at <instant>', 'ISO instant with offset (default: now)')
    .addOption(rulesOption)
    .addOption(sourcesOption)
    .addOption(format)
    .action(async (role: string, opts: { at?: string; rules: string; sources: string; format: Format }) => {
      exitCode = await onCall(role, opts.at, opts.rules, opts.sources, opts.format, rosterCtx());
    });

  program
    .command('serve')
    .description('run the gateway (configuration from the environment; see README)')
    .action(async () => {
      exitCode = await serveCommand(io, env, now);
    });
  program
    .command('token')
    .description('API tokens')
    .command('issue')
    .description('make a token for a clinical system (--source), a person paged (--person) or operations (--admin); shown once')
    .option('--source <name>', 'the clinical system that will post alerts with it')
    .option('--person <id>', 'a person of the rosters, as <source>:<id> (amion:A-1004), to acknowledge their pages')
    .option('--admin <name>', 'an operations token, named for who holds it')
    .action(async (opts: { source?: string; person?: string; admin?: string }) => {
      const given = (['source', 'person', 'admin'] as const).filter((k) => opts[k] !== undefined);
      if (given.length !== 1) {
        io.err('give exactly one of --source <name>, --person <id> and --admin <name>');
        exitCode = 2;
        return;
      }
      exitCode = await tokenIssue({ kind: given[0]!, name: opts[given[0]!]! }, { io, env, now: now() });
    });
  program
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('check the audit chain; exit 1 when a row was altered, deleted or inserted')
    .action(async () => {
      exitCode = await auditVerify({ io, env });
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) {
      io.err(e.message);
      return 2;
    }
    throw e;
  }
  return exitCode;
}
