// When each workflow moved legacy → parallel → retired: read from the rules versions as they
// were activated (the audit trail's `rules.activated`), so charts can mark the changes.
import { asc, eq } from 'drizzle-orm';
import type { Stage } from '../../grammar/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { RulesRegistry } from '../rules/index.js';

export interface StageChange {
  readonly workflow: string;
  readonly stage: Stage;
  /** When the rules version that set it was activated. */
  readonly at: Date;
  readonly rulesVersion: string;
}

export async function stageHistory(db: Db, rules: RulesRegistry): Promise<StageChange[]> {
  const activations = await db
    .select({ at: tables.auditEvents.at, subject: tables.auditEvents.subject })
    .from(tables.auditEvents)
    .where(eq(tables.auditEvents.kind, 'rules.activated'))
    .orderBy(asc(tables.auditEvents.seq));
  const current = new Map<string, Stage>();
  const changes: StageChange[] = [];
  for (const { at, subject } of activations) {
    const hash = subject.replace(/^rules:/, '');
    const ruleSet = await rules.byVersion(hash);
    for (const w of ruleSet.workflows) {
      if (current.get(w.name) === w.stage) continue;
      current.set(w.name, w.stage);
      changes.push({ workflow: w.name, stage: w.stage, at, rulesVersion: hash });
    }
  }
  return changes;
}
