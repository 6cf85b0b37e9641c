// The dashboard's chart: acknowledgement-time percentiles of one workflow per day or ISO week.
// A year of a busy workflow is hundreds of thousands of pages, so finished buckets are worked
// out once and kept (ack_trend_buckets); only the buckets still changing, and a first bucket
// the period cuts in two, are read from the pages each time.
//
// A kept bucket stays right because nothing changes a finished bucket's figures except a late
// acknowledgement of one of its pages, and acknowledging deletes the buckets that page is in
// (`forgetTrendBuckets`). Buckets are kept only once they ended `settleMs` ago, so the
// acknowledgement of any page younger than that has nothing to delete and costs nothing.
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { rowsOf, tables, type Db, type DbTransaction } from '../db/index.js';
import { ackTimes, type AckTimes, type Period } from './figures.js';

const { ackTrendBuckets } = tables;

export type TrendBucket = 'day' | 'week';

export interface TrendPoint {
  /** The start of the bucket (a day or an ISO week, in the report's zone). */
  readonly at: Date;
  readonly pages: number;
  readonly ackSeconds: AckTimes | null;
}

/** A bucket is kept once it ended this long ago. */
export const settleMs = 86_400_000;

/** The longest bucket: a page is in no kept bucket that started more than this before it opened. */
const longestBucketMs = 8 * 86_400_000;

interface BucketRow {
  at: string | Date;
  pages: string | number;
  acknowledged: string | number;
  ps: readonly (string | number)[] | string | null;
  mean: string | number | null;
}

const pointOf = (r: BucketRow): TrendPoint => ({
  at: new Date(r.at),
  pages: Number(r.pages),
  ackSeconds: Number(r.acknowledged) === 0 ? null : ackTimes(r.ps, r.mean),
});

/** The bucket's unit as SQL: one of two literals, never the caller's text. */
const unitOf = (bucket: TrendBucket) => (bucket === 'day' ? sql`'day'` : sql`'week'`);
const stepOf = (bucket: TrendBucket) => (bucket === 'day' ? sql`interval '1 day'` : sql`interval '1 week'`);

/** The buckets the period touches, in `zone`: each one's start and end (local midnights, so DST moves them as it should). */
async function bucketsOf(db: Db, period: Period, zone: string, bucket: TrendBucket): Promise<{ startsAt: Date; endsAt: Date }[]> {
  const result = await db.execute(sql`select s at time zone ${zone} as starts_at, (s + ${stepOf(bucket)}) at time zone ${zone} as ends_at
    from generate_series(date_trunc(${unitOf(bucket)}, ${period.from.toISOString()}::timestamptz at time zone ${zone}),
      ${period.to.toISOString()}::timestamptz at time zone ${zone} - interval '1 microsecond', ${stepOf(bucket)}) s
    order by s`);
  return rowsOf<{ starts_at: string | Date; ends_at: string | Date }>(result).map((r) => ({ startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at) }));
}

/** The figures per bucket of the workflow's pages opened in [from, to), read from the pages. */
async function bucketsFromPages(db: Db, input: { readonly workflow: string; readonly zone: string; readonly bucket: TrendBucket }, from: Date, to: Date): Promise<BucketRow[]> {
  const { zone } = input;
  const result = await db.execute(sql`select (date_trunc(${unitOf(input.bucket)}, p.opened_at at time zone ${zone}) at time zone ${zone}) as at,
      count(*) as pages, count(p.acknowledged_at) as acknowledged,
      percentile_cont(array[0.5, 0.9, 0.95]) within group (order by extract(epoch from (p.acknowledged_at - p.opened_at))) as ps,
      avg(extract(epoch from (p.acknowledged_at - p.opened_at))) as mean
    from pages p
    where p.workflow = ${input.workflow} and p.opened_at >= ${from.toISOString()}::timestamptz and p.opened_at < ${to.toISOString()}::timestamptz
    group by 1 order by 1`);
  return rowsOf<BucketRow>(result);
}

/** Acknowledgement-time percentiles of one workflow per day or per week over the period; buckets without pages are left out. */
export async function ackTrend(
  db: Db,
  input: { readonly period: Period; readonly zone: string; readonly workflow: string; readonly bucket: TrendBucket; readonly now: Date },
): Promise<TrendPoint[]> {
  const { period, zone, bucket } = input;
  const buckets = await bucketsOf(db, period, zone, bucket);
  // Kept: wholly inside the period, and ended long enough ago. They are one run of buckets.
  const settled = buckets.filter((b) => b.startsAt >= period.from && b.endsAt <= period.to && b.endsAt.getTime() <= input.now.getTime() - settleMs);
  const points: TrendPoint[] = [];
  const live = async (from: Date, to: Date) => {
    if (from < to) points.push(...(await bucketsFromPages(db, input, from, to)).map(pointOf));
  };
  if (settled.length === 0) {
    await live(period.from, period.to);
  } else {
    const keptFrom = settled[0]!.startsAt;
    const keptTo = settled[settled.length - 1]!.endsAt;
    await live(period.from, keptFrom);
    points.push(...(await keptBuckets(db, input, settled)));
    await live(keptTo, period.to);
  }
  return points.filter((p) => p.pages > 0).sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The settled buckets' figures: those kept already, and the rest worked out from the pages and kept now. */
async function keptBuckets(db: Db, input: { readonly workflow: string; readonly zone: string; readonly bucket: TrendBucket }, settled: readonly { startsAt: Date; endsAt: Date }[]): Promise<TrendPoint[]> {
  const { workflow, zone, bucket } = input;
  const kept = await db
    .select()
    .from(ackTrendBuckets)
    .where(and(eq(ackTrendBuckets.workflow, workflow), eq(ackTrendBuckets.zone, zone), eq(ackTrendBuckets.bucket, bucket), gte(ackTrendBuckets.startsAt, settled[0]!.startsAt), lte(ackTrendBuckets.startsAt, settled[settled.length - 1]!.startsAt)));
  const keptAt = new Set(kept.map((k) => k.startsAt.getTime()));
  const missing = settled.filter((b) => !keptAt.has(b.startsAt.getTime()));
  const points: TrendPoint[] = kept.map((k) => pointOf({ at: k.startsAt, pages: k.pages, acknowledged: k.acknowledged, ps: k.ps, mean: k.mean }));
  if (missing.length === 0) return points;

  const computed = await bucketsFromPages(db, input, missing[0]!.startsAt, missing[missing.length - 1]!.endsAt);
  const byStart = new Map(computed.map((r) => [new Date(r.at).getTime(), r]));
  const rows = missing.map((b) => {
    const r = byStart.get(b.startsAt.getTime());
    const point = r === undefined ? { at: b.startsAt, pages: 0, ackSeconds: null } : pointOf(r);
    points.push(point);
    const ack = point.ackSeconds;
    // Empty buckets are kept too, so that they are not looked for again.
    return { workflow, zone, bucket, startsAt: b.startsAt, pages: point.pages, acknowledged: r === undefined ? 0 : Number(r.acknowledged), ps: ack === null ? null : [ack.p50, ack.p90, ack.p95], mean: ack?.mean ?? null };
  });
  // Two dashboards loading at once work the same bucket out; the first one kept wins, and they agree.
  await db.insert(ackTrendBuckets).values(rows).onConflictDoNothing();
  return points;
}

/**
 * Deletes the kept buckets a page acknowledged at `at` is in (any zone, day or week), so the next
 * chart works them out again with its acknowledgement. Nothing to do for a page younger than
 * `settleMs`: no kept bucket holds it.
 */
export async function forgetTrendBuckets(tx: DbTransaction, page: { readonly workflow: string; readonly openedAt: Date }, at: Date): Promise<void> {
  if (page.openedAt.getTime() > at.getTime() - settleMs) return;
  await tx
    .delete(ackTrendBuckets)
    .where(and(eq(ackTrendBuckets.workflow, page.workflow), lte(ackTrendBuckets.startsAt, page.openedAt), gte(ackTrendBuckets.startsAt, new Date(page.openedAt.getTime() - longestBucketMs))));
}
