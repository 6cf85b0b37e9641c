// A generated year of a 600-bed hospital's pages, written with set-based SQL inside PostgreSQL
// (insert … select … from generate_series, random() seeded by setseed), so a million pages take
// under two minutes rather than the hours row-by-row inserts from Node would. The same seed and
// sizes give the same rows, relative to the history's end, on every run. The secondary indexes
// are dropped for the load and built again from their own definitions, as a restore would.
//
// Shape of the history:
// - Pages over the 365 days before `end`, with a daily rhythm (a trough at 02:00 Chicago time at
//   a fifth of the 14:00 peak) and a weekly one (weekends at three quarters of a weekday).
// - Workflow shares: critical-results 25%, radiology-critical 10%, nurse-call 40%,
//   rapid-response 5%, consults 20%; units from a list of 30, some busier than others.
// - Per page: its alert (clear fields as JSON, no PHI), its escalation row (`due_at` null: every
//   ladder is over), and its notifications: the ladder's step 0 at the page's opening, and each
//   later step (5, 10 and 15 min) only when nobody had acknowledged by then. The facts the
//   dispatch core keeps on the page as they happen (unit, escalated, acknowledged as, fell back,
//   pager before acknowledgement) are worked out from those notifications, as migration 0012
//   does for older pages.
// - Acknowledgement time log-normal (median 2–4 min by workflow, σ 0.7); 3% never acknowledged.
//   A page was missed when nobody had acknowledged five minutes after its last step (`missed`,
//   and `ran_out_at` then): every ladder here waits 5 minutes between steps, and the last
//   people get as long as the longest wait (src/dispatch/ladder.ts, answerWindowMs).
// - 2% of pages found the role's roster empty: step 0 went to the fallback inbox
//   (`stands_in_for` set) and someone outside the ladder acknowledged. 1% of notifications failed.
// - The legacy pager log: pages of the pager groups over the year before the history.
import type postgres from 'postgres';

export interface HistorySize {
  readonly pages: number;
  readonly legacyPages: number;
  readonly days: number;
  /** setseed() argument, in [-1, 1]. */
  readonly seed: number;
}

export interface GenerationStep {
  readonly step: string;
  readonly ms: number;
  readonly rows: number | null;
}

/** The hospital's zone: the daily rhythm follows its clock. */
export const hospitalZone = 'America/Chicago';

const units = [
  '4E', '4W', '5E', '5W', '6E', '6W', '7E', '7W', 'MICU', 'SICU', 'CVICU', 'NICU', 'PICU', 'ED', 'L&D',
  'MBU', 'PEDS', 'ONC', 'BMT', 'TELE', 'STEP', 'PACU', 'OR', 'CATH', 'IR', 'DIAL', 'REHAB', 'PSYCH', '3N', '3S',
];

/** The tables the history fills. */
const bulkTables = ['pages', 'alerts', 'escalations', 'notifications', 'legacy_pages'];

const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * One row per workflow of the example hospital (rules/): share of pages (cumulative upper bound),
 * alert source, the route most of its pages take, median seconds to acknowledge, the legacy pager
 * group, and the fallback inbox with the role it stands in for.
 */
const workflowRows = `
  (0, 'critical-results',   0.25, 'lab',       'critical-lab',  0, 180, 'LAB-CRIT-2231',     'lab-critical-desk',      'critical lab'),
  (1, 'radiology-critical', 0.35, 'radiology', 'rad-critical',  1, 240, 'RAD-CRIT-4410',     'radiology-reading-room', 'critical imaging'),
  (2, 'nurse-call',         0.75, 'nursecall', 'patient-call',  3, 120, 'NURSE-CALL-ASCOM',  'nursing-supervisor',     'nurse call'),
  (3, 'rapid-response',     0.80, 'rrt',       'rrt-day',       2, 120, 'CODE-TEAM-1000',    'operator',               'rapid response'),
  (4, 'consults',           1.00, 'consult',   'consult-other', 4, 240, 'CONSULT-PAGE-2000', 'operator',               'consult')`;

/**
 * Each workflow's ladder: step, seconds after the page opened, target, who (`first`: the person
 * paged first, who acknowledges; `second`: a second person; `team`: an inbox or the legacy pager
 * group, no person), channel. A step fires only when nobody has acknowledged before it.
 */
/** The last people's time to answer, in seconds: answerWindowMs of these ladders (steps 5 minutes apart). */
const answerWindowS = 300;

const stepRows = `
  (0, 0,   0, 'ordering-provider',      'first',  'push'),  (0, 0, 0, 'ordering-provider', 'first', 'sms'),
  (0, 1, 300, 'ordering-provider',      'first',  'voice'),
  (0, 2, 600, 'hospitalist-nocturnist', 'second', 'voice'),
  (0, 3, 900, 'legacy-pager',           'team',   'pager'),
  (1, 0,   0, 'ordering-provider',      'first',  'push'),  (1, 0, 0, 'ordering-provider', 'first', 'sms'),
  (1, 1, 300, 'ordering-provider',      'first',  'voice'),
  (1, 2, 600, 'radiology-resident',     'second', 'voice'),
  (1, 3, 900, 'radiology-reading-room', 'team',   'push'),
  (2, 0,   0, 'charge-nurse',           'first',  'push'),  (2, 0, 0, 'charge-nurse', 'first', 'voice'),
  (2, 1, 300, 'nursing-supervisor',     'team',   'push'),
  (2, 2, 600, 'charge-nurse',           'first',  'sms'),
  (2, 3, 900, 'nursing-supervisor',     'team',   'voice'),
  (3, 0,   0, 'rrt-nurse',              'first',  'push'),  (3, 0, 0, 'rrt-nurse', 'first', 'voice'), (3, 0, 0, 'legacy-pager', 'team', 'pager'),
  (3, 1, 300, 'code-team-lead',         'second', 'voice'),
  (3, 2, 600, 'rrt-medical-director',   'second', 'voice'),
  (4, 0,   0, 'cardiology-fellow',      'first',  'push'),  (4, 0, 0, 'cardiology-fellow', 'first', 'voice'),
  (4, 1, 300, 'operator',               'team',   'push'),
  (4, 2, 600, 'legacy-pager',           'team',   'pager'),
  (4, 3, 900, 'cardiology-consult-desk', 'team',  'push')`;

/** Relative weight of an hour starting at `start` (a timestamptz expression): the daily and the weekly rhythm. */
const rhythm = (start: string): string =>
  `(0.6 + 0.4 * cos(2 * pi() * (extract(hour from ${start} at time zone ${literal(hospitalZone)}) - 14) / 24))
   * (case when extract(isodow from ${start} at time zone ${literal(hospitalZone)}) in (6, 7) then 0.75 else 1 end)`;

/** The statements, in order; `end` is the instant the history stops (the dashboard's "now"). */
function statements(size: HistorySize, end: Date): { step: string; sql: string; counts: boolean }[] {
  const endLit = `${literal(end.toISOString())}::timestamptz`;
  const hours = size.days * 24;
  const rulesVersion = literal('b'.repeat(64));
  return [
    // Bulk load: the foreign keys' triggers are skipped (every row is consistent by construction),
    // and nothing waits for the WAL to reach the disk.
    { step: 'session settings', sql: `set session_replication_role = replica; set synchronous_commit = off; set work_mem = '256MB'; set temp_buffers = '512MB'; set maintenance_work_mem = '512MB'`, counts: false },
    { step: 'seed', sql: `select setseed(${size.seed})`, counts: false },
    {
      step: 'workflows and ladders',
      sql: `create temp table bench_workflows (wf int primary key, name text, share_to float8, source text, route text, route_order int, median_s float8, legacy_group text, fallback_team text, category text);
        insert into bench_workflows values ${workflowRows};
        create temp table bench_steps (wf int, step int, delay_s int, target text, who text, channel text);
        insert into bench_steps values ${stepRows};
        create temp table bench_ladders as select wf, max(delay_s) as ladder_s, max(step) as last_step from bench_steps group by wf`,
      counts: false,
    },
    {
      // Hours of two years, each with its weight; how many pages an hour gets is drawn below.
      step: 'hours',
      sql: `create temp table bench_hours as
        select h, start, ${rhythm('start')} as w, h >= ${hours} as this_year
        from (select h, ${endLit} - ${hours * 2} * interval '1 hour' + h * interval '1 hour' as start from generate_series(0, ${hours * 2 - 1}) h) s`,
      counts: false,
    },
    {
      // The random draws of each page, in the order pages were opened (i = 1, 2, …). The count of
      // an hour is its share of the year's pages, rounded up or down at random.
      step: 'page draws',
      sql: `create temp table bench_draws as
        with counted as (
          select h, start, floor(${size.pages}::float8 * w / sum(w) over () + random())::int as n from bench_hours where this_year
        )
        select row_number() over (order by c.h, g) as i, c.start + random() * interval '1 hour' as opened_at,
          random() as u_wf, random() as u_unit, random() as u_never,
          sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z,
          random() as u_person, random() as u_via, random() as u_fallback, random() as u_status, random() as u_field
        from counted c cross join lateral generate_series(1, c.n) g`,
      counts: true,
    },
    {
      step: 'page facts',
      sql: `create temp table bench_pages as
        with drawn as materialized (
          select d.i, d.opened_at, w.wf, w.name as workflow, w.source, w.route, w.route_order, w.fallback_team, l.ladder_s, l.last_step,
            (array[${units.map(literal).join(', ')}])[1 + floor(power(d.u_unit, 1.6) * ${units.length})::int] as unit,
            case when d.u_never < 0.03 then null else greatest(5, w.median_s * exp(0.7 * d.z)) end as ack_s,
            'amion:A-' || (1000 + floor(d.u_person * 180)::int) as person,
            'amion:A-' || (1200 + (floor(d.u_person * 7919)::int % 60)) as second_person,
            d.u_fallback < 0.02 as fell_back,
            case when d.u_via < 0.45 then 'push' when d.u_via < 0.70 then 'app' when d.u_via < 0.85 then 'sms' when d.u_via < 0.95 then 'voice' else 'api' end as via,
            d.u_status, d.u_field, d.u_person
          from bench_draws d
          join bench_workflows w on w.wf = width_bucket(d.u_wf, (select array_agg(share_to order by wf) from bench_workflows where share_to < 1))
          join bench_ladders l on l.wf = w.wf
        )
        select *, opened_at + ack_s * interval '1 second' as acked_at,
          case when ack_s is null then null when fell_back then 'amion:A-' || (1300 + floor(u_person * 40)::int) else person end as acked_by
        from drawn order by i;
        create index on bench_pages (i); analyze bench_pages`,
      counts: false,
    },
    {
      // Every notification of every page: step 0 at the opening (to the fallback inbox in the
      // role's place when its roster was empty), each later step only if nobody had acknowledged.
      step: 'notification facts',
      sql: `create temp table bench_fired as
        with fired as materialized (
          select p.i, s.step, s.channel, p.opened_at + s.delay_s * interval '1 second' as created_at,
            case when p.fell_back and s.step = 0 and s.who <> 'team' then p.fallback_team else s.target end as target,
            case when p.fell_back and s.step = 0 and s.who <> 'team' then '' when s.who = 'first' then p.person when s.who = 'second' then p.second_person else '' end as person_id,
            case when p.fell_back and s.step = 0 and s.who <> 'team' then s.target end as stands_in_for,
            random() < 0.01 as failed, random() as u
          from bench_pages p join bench_steps s on s.wf = p.wf and (s.step = 0 or p.ack_s is null or s.delay_s < p.ack_s)
          order by p.i, s.step, s.channel
        )
        select *, case when failed then null else created_at + (0.5 + 2 * u) * interval '1 second' end as sent_at from fired order by i, step, channel;
        analyze bench_fired`,
      counts: false,
    },
    {
      // What the dispatch core keeps on the page and the escalation row as it happens, worked out
      // from the page's notifications as migration 0012 does for older pages.
      step: 'page outcomes',
      sql: `create temp table bench_outcomes as
        select p.i, max(n.step) + 1 as next_step,
          p.acked_at is not null and bool_or(n.step > 0 and n.created_at <= p.acked_at) as escalated,
          (array_agg(n.target order by n.step, n.channel) filter (where n.person_id = p.acked_by))[1] as acknowledged_as,
          bool_or(n.stands_in_for is not null) as fell_back,
          bool_or(n.channel = 'pager' and n.sent_at is not null and (p.acked_at is null or n.sent_at < p.acked_at)) as pager_before_ack
        from bench_pages p join bench_fired n on n.i = p.i group by p.i, p.acked_at;
        create index on bench_outcomes (i); analyze bench_outcomes`,
      counts: false,
    },
    {
      // Loading into indexed tables costs several times building the indexes afterwards. The
      // secondary indexes are dropped here and made again, from their own definitions, below.
      step: 'drop indexes',
      sql: `create temp table bench_indexes as
        select x.indexrelid::regclass::text as name, pg_get_indexdef(x.indexrelid) as def
        from pg_index x join pg_class t on t.oid = x.indrelid
        where t.relname in (${bulkTables.map(literal).join(', ')}) and t.relnamespace = 'public'::regnamespace
          and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid);
        do $$ declare r record; begin for r in select name from bench_indexes loop execute 'drop index ' || r.name; end loop; end $$`,
      counts: false,
    },
    {
      step: 'pages',
      sql: `insert into pages (id, source, dedup_key, alert_id, workflow, route, route_order, rules_version, rules_git_commit, status, opened_at, alert_count,
          acknowledged_at, acknowledged_by, acknowledged_via, resolved_at, resolved_by, unit, escalated, missed, acknowledged_as, fell_back, pager_before_ack)
        select md5('page' || p.i)::uuid, source, null, md5('alert' || p.i)::uuid, workflow, route, route_order, ${rulesVersion}, null,
          case when ack_s is null then (case when u_status < 0.7 then 'resolved' else 'open' end) when u_status < 0.9 then 'resolved' else 'acknowledged' end,
          opened_at, 1 + (u_field < 0.05)::int, acked_at, acked_by,
          case when ack_s is null then null else via end,
          case when u_status >= (case when ack_s is null then 0.7 else 0.9 end) then null
            else opened_at + coalesce(ack_s, ladder_s) * interval '1 second' + (20 + 100 * u_field) * interval '1 minute' end,
          case when u_status >= (case when ack_s is null then 0.7 else 0.9 end) then null when ack_s is null then 'source:' || source else 'person:' || person end,
          unit, o.escalated, p.ack_s is null or p.ack_s > p.ladder_s + ${answerWindowS}, o.acknowledged_as, o.fell_back, o.pager_before_ack
        from bench_pages p join bench_outcomes o on o.i = p.i order by p.i`,
      counts: true,
    },
    {
      step: 'alerts',
      sql: `insert into alerts (id, source, received_at, dedup_key, idempotency_key, fields, phi, page_id)
        select md5('alert' || i)::uuid, source, opened_at - interval '40 milliseconds', null, null,
          case wf
            when 0 then jsonb_build_object('source', 'lab', 'test', (array['K', 'Na', 'Ca', 'Glu', 'Mg', 'Hgb', 'Plt', 'TropI', 'Lac', 'INR'])[1 + floor(u_field * 10)::int],
              'flag', (array['HH', 'LL', 'AA'])[1 + floor(u_person * 3)::int], 'priority', case when u_status < 0.6 then 'stat' else 'urgent' end,
              'value', round((u_field * 20)::numeric, 1), 'unit', unit, 'bed', (1 + floor(u_person * 40)::int)::text)
            when 1 then jsonb_build_object('source', 'radiology', 'modality', (array['CT', 'MR', 'XR', 'US', 'NM'])[1 + floor(u_field * 5)::int],
              'priority', case when u_status < 0.5 then 'stat' else 'urgent' end, 'unit', unit, 'bed', (1 + floor(u_person * 40)::int)::text)
            when 2 then jsonb_build_object('source', 'nursecall', 'call.kind', (array['patient', 'patient', 'bath', 'staff', 'bed-exit'])[1 + floor(u_field * 5)::int],
              'unit', unit, 'bed', (1 + floor(u_person * 40)::int)::text)
            when 3 then jsonb_build_object('source', 'rrt', 'priority', 'stat', 'unit', unit, 'bed', (1 + floor(u_person * 40)::int)::text)
            else jsonb_build_object('source', 'consult', 'service', (array['Cardiology', 'Neurology', 'Nephrology', 'GI', 'ID'])[1 + floor(u_field * 5)::int],
              'priority', case when u_status < 0.3 then 'urgent' else 'routine' end, 'unit', unit, 'bed', (1 + floor(u_person * 40)::int)::text)
          end,
          null, md5('page' || i)::uuid
        from bench_pages order by i`,
      counts: true,
    },
    {
      // The ladder's position after its last fired step; it ran out when nobody acknowledged
      // before its last step, and the page was missed when nobody had once its time to answer passed.
      step: 'escalations',
      sql: `insert into escalations (page_id, cycle, next_step, due_at, ran_out_at)
        select md5('page' || p.i)::uuid, 0, o.next_step, null,
          case when p.ack_s is null or p.ack_s > p.ladder_s + ${answerWindowS} then p.opened_at + (p.ladder_s + ${answerWindowS}) * interval '1 second' end
        from bench_pages p join bench_outcomes o on o.i = p.i order by p.i`,
      counts: true,
    },
    {
      step: 'notifications',
      sql: `insert into notifications (page_id, cycle, step, target, person_id, channel, status, created_at, stands_in_for, attempts, next_attempt_at,
          lease_until, provider_id, error, sent_at, delivered_at, updated_at)
        select md5('page' || i)::uuid, 0, step, target, person_id, channel,
          case when failed then 'failed' when channel = 'pager' then 'sent' else 'delivered' end, created_at,
          stands_in_for, case when failed then 3 else 1 end, created_at, null,
          case when failed then null else 'bench-' || md5(i || '/' || step || '/' || channel) end,
          case when failed then 'the provider rejected the message' end,
          sent_at,
          case when failed or channel = 'pager' then null else created_at + (2 + 6 * u) * interval '1 second' end,
          created_at + (3 + 6 * u) * interval '1 second'
        from bench_fired order by i, step, channel`,
      counts: true,
    },
    {
      // The vendor's log: acknowledged or called back for 82% of pages (median 7 min), unknown for the rest.
      step: 'legacy pages',
      sql: `insert into legacy_pages (pager_group, pager_id, sent_at, acknowledged_at, category, workflow, imported_at)
        with counted as (
          select h, start, floor(${size.legacyPages}::float8 * w / sum(w) over () + random())::int as n from bench_hours where not this_year
        ), drawn as materialized (
          select c.start + random() * interval '1 hour' as sent_at, random() as u_wf, random() as u_pager, random() as u_ack,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z
          from counted c cross join lateral generate_series(1, c.n) g order by c.h, g
        )
        select w.legacy_group, w.legacy_group || '-' || lpad(floor(d.u_pager * 400)::int::text, 3, '0'), d.sent_at,
          case when d.u_ack < 0.82 then d.sent_at + greatest(10, 420 * exp(0.9 * d.z)) * interval '1 second' end,
          w.category, w.name, ${endLit} - interval '300 days'
        from drawn d join bench_workflows w on w.wf = (select min(x.wf) from bench_workflows x where d.u_wf < x.share_to)
        on conflict do nothing`,
      counts: true,
    },
    {
      step: 'indexes',
      sql: `do $$ declare r record; begin for r in select def from bench_indexes loop execute r.def; end loop; end $$`,
      counts: false,
    },
    { step: 'drop scratch tables', sql: `drop table bench_draws, bench_pages, bench_fired, bench_outcomes, bench_indexes, bench_hours, bench_steps, bench_ladders, bench_workflows`, counts: false },
    // A year-old database has been vacuumed and analysed by autovacuum: visibility map set (index-only scans), statistics current.
    { step: 'vacuum analyze', sql: `vacuum (analyze) ${bulkTables.join(', ')}`, counts: false },
  ];
}

/**
 * Writes the history into a migrated, empty database over one session (setseed holds per
 * session), and says how long each step took.
 */
export async function generateHistory(session: postgres.Sql, size: HistorySize, end: Date, log: (line: string) => void): Promise<GenerationStep[]> {
  const steps: GenerationStep[] = [];
  for (const s of statements(size, end)) {
    const started = performance.now();
    const result = await session.unsafe(s.sql).simple();
    const ms = performance.now() - started;
    // A multi-statement query gives one result per statement; the inserts are single statements.
    const rows = s.counts && !Array.isArray((result as unknown as unknown[])[0]) ? ((result as unknown as { count: number }).count ?? null) : null;
    steps.push({ step: s.step, ms, rows });
    log(`  ${s.step.padEnd(22)} ${(ms / 1000).toFixed(1).padStart(6)} s${rows === null ? '' : `  ${rows.toLocaleString('en-US')} rows`}`);
  }
  return steps;
}
