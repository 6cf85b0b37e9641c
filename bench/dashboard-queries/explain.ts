// The statements a dashboard query sends, and their plans: a second drizzle handle on the same
// database that writes down every statement (text and parameters) instead of hiding it, so the
// benchmark can run EXPLAIN (ANALYZE, BUFFERS) on exactly what src/retirement sends.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Db } from '../../src/db/index.js';
import { tables } from '../../src/db/index.js';

export interface Statement {
  readonly text: string;
  readonly params: readonly unknown[];
}

export interface RecordingDb {
  readonly db: Db;
  /** Runs `fn` and gives the statements it sent, each once, in the order first sent. */
  record(fn: (db: Db) => Promise<unknown>): Promise<Statement[]>;
  readonly sql: postgres.Sql;
  close(): Promise<void>;
}

export function recordingDb(url: string): RecordingDb {
  const client = postgres(url, { max: 4, onnotice: () => {} });
  let sink: Statement[] | null = null;
  const db = drizzle({
    client,
    schema: tables,
    logger: {
      logQuery(text: string, params: unknown[]) {
        sink?.push({ text, params: [...params] });
      },
    },
  }) as unknown as Db;
  return {
    db,
    sql: client,
    async record(fn) {
      sink = [];
      try {
        await fn(db);
        const seen = new Set<string>();
        return sink.filter((s) => {
          const key = `${s.text}\u0000${JSON.stringify(s.params)}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
      } finally {
        sink = null;
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** A plan node's own share of the time: its total less its children's (per loop × loops), the figure that says where time goes. */
export interface HeavyNode {
  readonly node: string;
  readonly selfMs: number;
  readonly loops: number;
  readonly rows: number;
}

export interface StatementPlan {
  /** What the statement is, from its text (the first table it reads and what it computes). */
  readonly label: string;
  readonly text: string;
  readonly executionMs: number;
  readonly planningMs: number;
  /** JIT compilation (PostgreSQL compiles expressions of costly plans), included in executionMs. */
  readonly jitMs: number | null;
  readonly sharedHit: number;
  readonly sharedRead: number;
  readonly tempWritten: number;
  readonly heaviest: readonly HeavyNode[];
  readonly plan: string;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Subplan Name'?: string;
  'Parent Relationship'?: string;
  'Actual Total Time': number;
  'Actual Loops': number;
  'Actual Rows': number;
  'Workers Launched'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Temp Written Blocks'?: number;
  Plans?: PlanNode[];
}

function describe(n: PlanNode): string {
  const on = n['Index Name'] !== undefined ? ` using ${n['Index Name']}${n['Relation Name'] === undefined ? '' : ` on ${n['Relation Name']}`}` : n['Relation Name'] !== undefined ? ` on ${n['Relation Name']}` : '';
  return `${n['Subplan Name'] === undefined ? '' : `${n['Subplan Name']}: `}${n['Node Type']}${on}`;
}

/**
 * Self time of each node. Actual Total Time is per loop and, under a Gather, per worker (the
 * workers' average), so loops × time approximates the node's time summed over the processes
 * that ran it; a Gather's self time is then its wait, not work, and is left at what remains.
 */
function selfTimes(n: PlanNode, out: HeavyNode[]): number {
  const total = n['Actual Total Time'] * n['Actual Loops'];
  let children = 0;
  for (const c of n.Plans ?? []) children += selfTimes(c, out);
  out.push({ node: describe(n), selfMs: Math.max(0, total - children), loops: n['Actual Loops'], rows: n['Actual Rows'] });
  return total;
}

/** What a statement computes, and the tables it reads (outside its subqueries). */
function labelOf(text: string): string {
  const outer = text.replace(/\((?:select|\s*select)[^()]*\)/gi, '');
  const read = [...new Set([...outer.matchAll(/\b(?:from|join)\s+"?([a-z_]+)"?(?![.\w])/gi)].map((m) => m[1]!).filter((t) => t !== 'facts'))];
  const kind = /with facts as/.test(text)
    ? /percentile_cont\(\$\d+/.test(text)
      ? 'one percentile'
      : /group by workflow, null::text/.test(text)
        ? 'page figures: totals'
        : 'page figures: breakdown'
    : /date_trunc/.test(text)
      ? 'trend per bucket'
      : /status = 'failed'/.test(text)
        ? 'failed deliveries'
        : /legacy_pages/.test(text)
          ? 'legacy figures'
          : /count\(\*\) from pages/.test(text)
            ? 'count(*) baseline'
            : 'statement';
  return `${kind} (${read.join(' ⋈ ')})`;
}

/** EXPLAIN (ANALYZE, BUFFERS) of each statement: in JSON for the numbers, in text for people. */
export async function explainAll(sql: postgres.Sql, statements: readonly Statement[]): Promise<StatementPlan[]> {
  const plans: StatementPlan[] = [];
  for (const s of statements) {
    const params = s.params as postgres.ParameterOrJSON<never>[];
    const [json] = await sql.unsafe<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Planning Time': number; 'Execution Time': number; JIT?: { Timing: { Total: number } } }] }[]>(
      `explain (analyze, buffers, format json) ${s.text}`,
      params,
    );
    const top = json!['QUERY PLAN'][0];
    const nodes: HeavyNode[] = [];
    selfTimes(top.Plan, nodes);
    const text = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${s.text}`, params);
    plans.push({
      label: labelOf(s.text),
      text: s.text,
      executionMs: top['Execution Time'],
      planningMs: top['Planning Time'],
      jitMs: top.JIT?.Timing.Total ?? null,
      sharedHit: top.Plan['Shared Hit Blocks'] ?? 0,
      sharedRead: top.Plan['Shared Read Blocks'] ?? 0,
      tempWritten: top.Plan['Temp Written Blocks'] ?? 0,
      heaviest: nodes.sort((a, b) => b.selfMs - a.selfMs).slice(0, 4),
      plan: text.map((r) => r['QUERY PLAN']).join('\n'),
    });
  }
  return plans;
}
