// The one drizzle schema, for PGlite and PostgreSQL alike. Each domain folder owns the queries
// on its tables; this file only says what the tables are.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A scheduling system Pagerless imports rosters from, and how its last import went. */
export const rosterSources = pgTable('roster_sources', {
  name: text('name').primaryKey(),
  lastSuccessAt: instant('last_success_at'),
  lastAttemptAt: instant('last_attempt_at'),
  lastError: text('last_error'),
  /** Newest last-modified time seen, for incremental feeds. */
  lastModified: instant('last_modified'),
  shiftCount: integer('shift_count').notNull().default(0),
});

/** A person as a source knows them; the id is `<source>:<source id>`. */
export const people = pgTable(
  'people',
  {
    id: text('id').primaryKey(),
    source: text('source')
      .notNull()
      .references(() => rosterSources.name),
    sourceId: text('source_id').notNull(),
    displayName: text('display_name').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('people_source_id').on(t.source, t.sourceId)],
);

/** Where a person can be reached. Phones come from rosters; push devices come with the channels. */
export const contactPoints = pgTable(
  'contact_points',
  {
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['phone'] }).notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.kind, t.value] })],
);

/** Who works which service and shift, from when to when. */
export const shifts = pgTable(
  'shifts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source')
      .notNull()
      .references(() => rosterSources.name),
    sourceId: text('source_id').notNull(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id),
    service: text('service').notNull(),
    shift: text('shift').notNull(),
    startsAt: instant('starts_at').notNull(),
    endsAt: instant('ends_at').notNull(),
    zone: text('zone').notNull(),
    kind: text('kind', { enum: ['base', 'override'] }).notNull(),
  },
  (t) => [
    uniqueIndex('shifts_source_id').on(t.source, t.sourceId),
    index('shifts_lookup').on(t.source, t.service, t.startsAt),
    check('shifts_end_after_start', sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/**
 * The audit trail: every state change, append-only (a trigger refuses UPDATE and DELETE) and
 * chained: each row's MAC covers its content and the previous row's MAC.
 */
export const auditEvents = pgTable('audit_events', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  at: instant('at').notNull(),
  /** Who caused it: `system`, `person:<id>`, `source:<name>`, `admin`. */
  actor: text('actor').notNull(),
  /** What happened, as a dotted name: `page.opened`, `notification.sent`, `roster.imported`. */
  kind: text('kind').notNull(),
  /** What it happened to: `page:<id>`, `roster:<source>`. */
  subject: text('subject').notNull(),
  /** Details without PHI: identifiers, counts, channels, versions. */
  data: jsonb('data').$type<AuditData>().notNull(),
  prevMac: text('prev_mac').notNull(),
  mac: text('mac').notNull(),
});

/** The chain's head, kept apart so that cutting rows off the end of the chain shows too. */
export const auditHead = pgTable('audit_head', {
  id: integer('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  count: integer('count').notNull(),
  mac: text('mac').notNull(),
});

export type AuditValue = string | number | boolean | null;
export type AuditData = Readonly<Record<string, AuditValue | readonly AuditValue[]>>;

/** Credentials for the HTTP API, stored as SHA-256 hashes: a leaked table pages nobody. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `admin` for operations; `source` for a clinical system posting alerts. */
    kind: text('kind', { enum: ['admin', 'source'] }).notNull(),
    /** Who holds it: `operations`, or the source's name (`lab`, `radiology`). */
    name: text('name').notNull(),
    hash: text('hash').notNull(),
    createdAt: instant('created_at').notNull(),
    revokedAt: instant('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.hash)],
);
