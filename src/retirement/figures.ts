// The figures pager retirement is judged by, per workflow, over a period: how many pages, how
// long acknowledgement took (p50, p90, p95, mean), how many were missed (nobody acknowledged
// before the ladder ran out), how many were escalated (acknowledged only after a later step
// fired), how many fell back to a team inbox, how often the legacy pager was still paged, and
// deliveries failed per channel; optionally broken down by unit, channel, role, hour of day or
// day of week. The same, where its data allows, for the legacy pager log.
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/index.js';

export const breakdowns = ['unit', 'channel', 'role', 'hour', 'dow'] as const;
export type Breakdown = (typeof breakdowns)[number];

export interface Period {
  readonly from: Date;
  readonly to: Date;
}

export interface AckTimes {
  /** Seconds, interpolated percentiles (PostgreSQL's percentile_cont). */
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly mean: number;
}

export interface PageFigures {
  readonly pages: number;
  readonly acknowledged: number;
  /** Null when nothing was acknowledged. */
  readonly ackSeconds: AckTimes | null;
  readonly missed: number;
  readonly escalated: number;
  readonly fellBack: number;
  /** Pages on which the legacy pager went off before anyone acknowledged (the parallel stage's fallback, still needed). */
  readonly pagerPaged: number;
  /** Shares of `pages`, 0…1; null without pages. */
  readonly missedRate: number | null;
  readonly escalationRate: number | null;
}

export interface LegacyFigures {
  readonly pages: number;
  /** Pages the vendor's log has an acknowledgement or call-back time for. */
  readonly acknowledged: number;
  readonly ackSeconds: AckTimes | null;
  /** Pages with no acknowledgement known: missed, or not recorded. */
  readonly unacknowledged: number;
}

export interface WorkflowFigures {
  readonly workflow: string;
  readonly figures: PageFigures;
  readonly failedDeliveries: Readonly<Record<string, number>>;
  readonly legacy: LegacyFigures | null;
  readonly by: { readonly breakdown: Breakdown; readonly rows: readonly ({ readonly key: string } & PageFigures)[] } | null;
}

type FigureRow = {
  workflow: string;
  key: string | null;
  pages: string | number;
  acknowledged: string | number;
  /** p50, p90, p95 (one sort for the three), null without acknowledgements. */
  ps: readonly (string | number)[] | string | null;
  mean: string | number | null;
  missed: string | number;
  escalated: string | number;
  fell_back: string | number;
  pager_paged: string | number;
};

/** Seconds to the millisecond: the figures are compared with targets and with the legacy baseline, not to the microsecond. */
const seconds = (v: string | number | null): number => Math.round(Number(v) * 1000) / 1000;

/** The three percentiles and the mean, from a percentile_cont(array[…]) (PGlite may hand the array back as its text form). */
export function ackTimes(ps: readonly (string | number)[] | string | null, mean: string | number | null): AckTimes {
  const values = typeof ps === 'string' ? ps.replace(/[{}]/g, '').split(',') : (ps ?? []);
  const [p50, p90, p95] = values.map((v) => seconds(v));
  return { p50: p50!, p90: p90!, p95: p95!, mean: seconds(mean) };
}

function pageFigures(r: FigureRow): PageFigures {
  const pages = Number(r.pages);
  const acknowledged = Number(r.acknowledged);
  const missed = Number(r.missed);
  const escalated = Number(r.escalated);
  return {
    pages,
    acknowledged,
    ackSeconds: acknowledged === 0 ? null : ackTimes(r.ps, r.mean),
    missed,
    escalated,
    fellBack: Number(r.fell_back),
    pagerPaged: Number(r.pager_paged),
    missedRate: pages === 0 ? null : missed / pages,
    escalationRate: pages === 0 ? null : escalated / pages,
  };
}

const keyed = (r: FigureRow): { readonly key: string } & PageFigures => ({ key: r.key ?? '', ...pageFigures(r) });

/** A workflow without pages in the period. */
const empty: FigureRow = { workflow: '', key: null, pages: 0, acknowledged: 0, ps: null, mean: null, missed: 0, escalated: 0, fell_back: 0, pager_paged: 0 };

/** The breakdown's key for each page, as SQL over the facts below. */
function keyOf(by: Breakdown | null) {
  switch (by) {
    case null:
      return sql`null::text`;
    case 'unit':
      return sql`coalesce(unit, '(none)')`;
    case 'channel':
      return sql`coalesce(via, '(not acknowledged)')`;
    case 'role':
      return sql`coalesce(role, '(not acknowledged)')`;
    case 'hour':
      return sql`lpad(hour::text, 2, '0')`;
    case 'dow':
      return sql`dow::text`;
  }
}

/**
 * One row of facts per page opened in the period, from the page alone (the dispatch core keeps
 * the facts on the page as they happen). `role` is what the
 * acknowledger was paged as; hour and day of week are local to `zone` (ISO day of week: 1 is
 * Monday).
 */
function pageFacts(period: Period, zone: string, workflow: string | null) {
  return sql`select p.workflow, p.unit, p.acknowledged_via as via,
      extract(epoch from (p.acknowledged_at - p.opened_at)) as ack_s,
      p.missed, p.escalated, p.fell_back, p.pager_before_ack as pager_paged, p.acknowledged_as as role,
      extract(hour from p.opened_at at time zone ${zone})::int as hour,
      extract(isodow from p.opened_at at time zone ${zone})::int as dow
    from pages p
    where p.opened_at >= ${period.from.toISOString()}::timestamptz and p.opened_at < ${period.to.toISOString()}::timestamptz
      ${workflow === null ? sql`` : sql`and p.workflow = ${workflow}`}`;
}

/** The page figures of one workflow over a period, without failed deliveries or the legacy baseline: what readiness judges. */
export async function pageFiguresOf(db: Db, period: Period, workflow: string): Promise<PageFigures> {
  const [row] = await figureRows(db, period, 'UTC', workflow, null);
  return pageFigures(row ?? empty);
}

/** One workflow's page figures over a period, per key of a breakdown (the dashboard's drill-down). */
export async function pageFiguresBy(db: Db, period: Period, zone: string, workflow: string, by: Breakdown): Promise<({ readonly key: string } & PageFigures)[]> {
  return (await figureRows(db, period, zone, workflow, by)).map(keyed);
}

async function figureRows(db: Db, period: Period, zone: string, workflow: string | null, by: Breakdown | null): Promise<FigureRow[]> {
  const key = keyOf(by);
  const result = await db.execute(sql`with facts as (${pageFacts(period, zone, workflow)})
    select workflow, ${key} as key, count(*) as pages, count(ack_s) as acknowledged,
      percentile_cont(array[0.5, 0.9, 0.95]) within group (order by ack_s) as ps,
      avg(ack_s) as mean,
      count(*) filter (where missed) as missed,
      count(*) filter (where escalated) as escalated,
      count(*) filter (where fell_back) as fell_back,
      count(*) filter (where pager_paged) as pager_paged
    from facts group by workflow, ${key} order by workflow, ${key}`);
  return rowsOf<FigureRow>(result);
}

async function failedDeliveries(db: Db, period: Period, workflow: string | null): Promise<Map<string, Record<string, number>>> {
  // A page's notifications are written when or after it opens: bounding them by the period's
  // start lets the partial index of failed ones answer without visiting every notification.
  const result = await db.execute(sql`select p.workflow, n.channel, count(*) as failed
    from notifications n join pages p on p.id = n.page_id
    where n.status = 'failed' and n.created_at >= ${period.from.toISOString()}::timestamptz and p.opened_at >= ${period.from.toISOString()}::timestamptz and p.opened_at < ${period.to.toISOString()}::timestamptz
      ${workflow === null ? sql`` : sql`and p.workflow = ${workflow}`}
    group by p.workflow, n.channel`);
  const byWorkflow = new Map<string, Record<string, number>>();
  for (const r of rowsOf<{ workflow: string; channel: string; failed: string | number }>(result)) {
    byWorkflow.set(r.workflow, { ...byWorkflow.get(r.workflow), [r.channel]: Number(r.failed) });
  }
  return byWorkflow;
}

async function legacyFigures(db: Db, period: Period, workflow: string | null): Promise<Map<string, LegacyFigures>> {
  const result = await db.execute(sql`select workflow, count(*) as pages, count(acknowledged_at) as acknowledged,
      percentile_cont(array[0.5, 0.9, 0.95]) within group (order by extract(epoch from (acknowledged_at - sent_at))) as ps,
      avg(extract(epoch from (acknowledged_at - sent_at))) as mean
    from legacy_pages
    where sent_at >= ${period.from.toISOString()}::timestamptz and sent_at < ${period.to.toISOString()}::timestamptz
      ${workflow === null ? sql`` : sql`and workflow = ${workflow}`}
    group by workflow`);
  const byWorkflow = new Map<string, LegacyFigures>();
  for (const r of rowsOf<Omit<FigureRow, 'key' | 'missed' | 'escalated' | 'fell_back' | 'pager_paged'>>(result)) {
    const acknowledged = Number(r.acknowledged);
    byWorkflow.set(r.workflow, {
      pages: Number(r.pages),
      acknowledged,
      ackSeconds: acknowledged === 0 ? null : ackTimes(r.ps, r.mean),
      unacknowledged: Number(r.pages) - acknowledged,
    });
  }
  return byWorkflow;
}

/**
 * The figures of every workflow named (each appears, with zeros when it had no pages), and of
 * any other workflow that had pages in the period.
 */
export async function workflowFigures(
  db: Db,
  input: { readonly period: Period; readonly zone: string; readonly workflows: readonly string[]; readonly only?: string; readonly by?: Breakdown },
): Promise<WorkflowFigures[]> {
  const only = input.only ?? null;
  const by = input.by ?? null;
  const [totals, split, failed, legacy] = await Promise.all([
    figureRows(db, input.period, input.zone, only, null),
    by === null ? Promise.resolve([]) : figureRows(db, input.period, input.zone, only, by),
    failedDeliveries(db, input.period, only),
    legacyFigures(db, input.period, only),
  ]);
  const names = [...new Set([...input.workflows, ...totals.map((t) => t.workflow), ...legacy.keys()])].filter((w) => only === null || w === only);
  return names.map((workflow) => ({
    workflow,
    figures: pageFigures(totals.find((t) => t.workflow === workflow) ?? empty),
    failedDeliveries: failed.get(workflow) ?? {},
    legacy: legacy.get(workflow) ?? null,
    by: by === null ? null : { breakdown: by, rows: split.filter((s) => s.workflow === workflow).map(keyed) },
  }));
}


/** One percentile of acknowledgement time (seconds) over a period, for a target that is not p50, p90 or p95. */
export async function ackPercentile(db: Db, period: Period, workflow: string, fraction: number): Promise<number | null> {
  const result = await db.execute(sql`with facts as (${pageFacts(period, 'UTC', workflow)})
    select percentile_cont(${fraction}::float8) within group (order by ack_s) as p from facts`);
  const p = rowsOf<{ p: string | number | null }>(result)[0]?.p ?? null;
  return p === null ? null : seconds(p);
}
