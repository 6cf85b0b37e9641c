// `pagerless rules check | test | explain | diagram`: what operations run in review.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  compileRulesDirectory,
  diagnosticsToJson,
  renderDiagnostics,
  runRuleTests,
  validateAlert,
  type CompileResult,
  type Decision,
  type RosterLookup,
} from '../../grammar/index.js';
import { diagramFiles } from '../../grammar/diagram.js';
import { offsetInstant } from '../../grammar/time/local-time.js';
import type { CliIo } from './io.js';

export type Format = 'text' | 'json';

function compile(dir: string, now: Date): CompileResult {
  return compileRulesDirectory(dir, { dstFromYear: now.getUTCFullYear() });
}

/** Exit 0 when the rules compile (warnings allowed), 1 on any error. */
export function rulesCheck(dir: string, format: Format, io: CliIo, now: Date): number {
  const result = compile(dir, now);
  if (format === 'json') {
    io.out(JSON.stringify({ ok: result.ruleSet !== null, version: result.ruleSet?.version ?? null, diagnostics: diagnosticsToJson(result.diagnostics) }, null, 2));
  } else {
    io.out(renderDiagnostics(result.diagnostics, result.sources));
    if (result.ruleSet !== null) {
      const { version } = result.ruleSet;
      io.out(`rules version ${version.hash.slice(0, 12)}${version.gitCommit === null ? '' : ` (git ${version.gitCommit.slice(0, 12)}${version.gitDirty ? ', uncommitted changes' : ''})`}: ${result.ruleSet.routes.length} routes in ${result.ruleSet.workflows.length} workflows`);
    }
  }
  return result.ruleSet === null ? 1 : 0;
}

/** Runs the tests in the rule files; ends with `N passed, N failed`. */
export function rulesTest(dir: string, io: CliIo, now: Date): number {
  const result = compile(dir, now);
  if (result.ruleSet === null) {
    io.err(renderDiagnostics(result.diagnostics, result.sources));
    io.out('0 passed, 0 failed: the rules do not compile');
    return 1;
  }
  const results = runRuleTests(result.ruleSet, result.tests);
  let failed = 0;
  for (const r of results) {
    const where = `${r.test.span.file}:${r.test.span.line}:${r.test.span.col}`;
    if (r.failures.length === 0) {
      io.out(`ok   ${r.test.name}`);
      continue;
    }
    failed++;
    io.out(`FAIL ${r.test.name}  (${where})`);
    for (const f of r.failures) {
      const at = f.expectation.span;
      io.out(`     ${at.file}:${at.line}:${at.col}`);
      io.out(`       expected: ${f.expected}`);
      io.out(`       actual:   ${f.actual}`);
    }
  }
  io.out(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

/** Explain has no rosters to read yet: every role reads as staffed, so the ladder shows in full. */
const everyRoleStaffed: RosterLookup = {
  onCall: (role) => ({ people: [{ id: `${role.roster}:?`, name: `whoever is on call for ${role.name}` }], stale: false }),
};

export function rulesExplain(alertFile: string, at: string | undefined, dir: string, format: Format, io: CliIo, now: Date): number {
  const result = compile(dir, now);
  if (result.ruleSet === null) {
    io.err(renderDiagnostics(result.diagnostics, result.sources));
    return 1;
  }
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(alertFile, 'utf8'));
  } catch (e) {
    io.err(`${alertFile}: not a JSON file: ${(e as Error).message}`);
    return 1;
  }
  const when = at === undefined ? now : offsetInstant(at);
  if (when === null) {
    io.err(`--at ${at}: not an ISO instant with a zone offset (e.g. 2026-03-08T08:30Z)`);
    return 1;
  }
  const validation = validateAlert(result.ruleSet.schema, input);
  if (!validation.ok) {
    for (const issue of validation.issues) io.err(`${alertFile}: ${issue.field === '' ? '' : `${issue.field}: `}${issue.message}`);
    return 1;
  }
  const decision = result.ruleSet.route(validation.alert, when, everyRoleStaffed, { explain: true });
  io.out(format === 'json' ? JSON.stringify(decision, null, 2) : describeDecision(decision, when));
  return 0;
}

function describeDecision(d: Decision, at: Date): string {
  const lines = [`at ${at.toISOString()} with rules ${d.rulesVersion.slice(0, 12)}:`];
  for (const miss of d.misses) lines.push(`  route ${miss.route} (${miss.workflow}) did not match: ${miss.reasons.join('; ')}`);
  if (d.kind === 'unmatched') {
    lines.push('  no route matches this alert');
    return lines.join('\n');
  }
  for (const m of [d.match, ...d.also]) {
    lines.push(`  matched workflow ${m.workflow}, route ${m.route} (stage ${m.stage})`);
    for (const s of m.steps) {
      const who = s.notifications.map((n) => `${n.target.name} via ${n.channels.join(', ')}${n.standsInFor.map((s) => ` (fallback: ${s.role} roster ${s.reason})`).join('')}`);
      lines.push(`    at +${s.delayMs / 60_000}m${s.unlessAcked ? ' unless acked' : ''}${s.active ? '' : ' (skipped: outside its time window)'}: ${who.join('; ')}`);
    }
    if (m.repeat !== null) lines.push(`    then ${m.repeat.times} more cycle(s), every ${m.repeat.everyMs / 60_000}m`);
    const msgs = m.messages;
    if (msgs.push !== null) lines.push(`    push:  ${msgs.push.title} / ${msgs.push.body}`);
    for (const channel of ['sms', 'voice', 'pager'] as const) if (msgs[channel] !== null) lines.push(`    ${channel.padEnd(6)} ${msgs[channel]}`);
  }
  return lines.join('\n');
}

/** Writes the railroad diagram and serialized grammar into grammar/diagram/. */
export function rulesDiagram(io: CliIo): number {
  for (const [path, content] of diagramFiles()) {
    writeFileSync(path, content);
    io.out(`wrote ${path}`);
  }
  return 0;
}
