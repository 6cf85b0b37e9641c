// The one drizzle schema, for PGlite and PostgreSQL alike. Each domain folder owns the queries
// on its tables; this file only says what the tables are.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
 * chained: each row's MAC covers its content, its place in its chain and the previous row's
 * MAC. There are several chains, so that writers on different chains never wait for each other.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    /** The order rows were written in, across chains: the export's cursor. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    /** Which chain the row is on (0 … auditChains − 1). */
    chain: integer('chain').notNull().default(0),
    /** The row's place in its chain, increasing: 1, 2, 3 … (older rows keep their sequence number). */
    position: bigint('position', { mode: 'number' }).notNull(),
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
  },
  (t) => [
    uniqueIndex('audit_events_chain_position').on(t.chain, t.position),
    // A page's history (GET /v1/pages/:id, the audit query by subject): without it, every read
    // of one page scans the whole trail, which grows by several rows a page.
    index('audit_events_subject').on(t.subject, t.seq),
  ],
);

/**
 * Each chain's head, kept apart so that cutting rows off the end of a chain shows too. A writer
 * locks its chain's head row for its turn.
 */
export const auditHead = pgTable('audit_head', {
  /** The chain. */
  id: integer('id').primaryKey(),
  /** The position of the chain's last row (0 for an empty chain). */
  position: bigint('position', { mode: 'number' }).notNull(),
  count: integer('count').notNull(),
  mac: text('mac').notNull(),
  /**
   * The head's own MAC over chain, position, count and mac, so that a head rewritten to an
   * earlier row (rows cut off the end) does not verify. Null until a process holding the key
   * first opens the trail (a migration cannot sign).
   */
  seal: text('seal'),
});

export type AuditValue = string | number | boolean | null;
export type AuditData = Readonly<Record<string, AuditValue | readonly AuditValue[]>>;

/** Credentials for the HTTP API, stored as SHA-256 hashes: a leaked table pages nobody. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `admin` for operations; `source` for a clinical system posting alerts; `person` for someone paged. */
    kind: text('kind', { enum: ['admin', 'source', 'person', 'manager'] }).notNull(),
    /** Who holds it: `operations`, the source's name (`lab`, `radiology`), or the person's id (`amion:A-1004`). */
    name: text('name').notNull(),
    hash: text('hash').notNull(),
    createdAt: instant('created_at').notNull(),
    revokedAt: instant('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.hash)],
);

/** An alert as received. Non-PHI fields in the clear, for routing and metrics; PHI encrypted at rest. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    source: text('source').notNull(),
    receivedAt: instant('received_at').notNull(),
    dedupKey: text('dedup_key'),
    idempotencyKey: text('idempotency_key'),
    fields: jsonb('fields').$type<Record<string, string | number>>().notNull(),
    /** AES-256-GCM of the PHI fields as JSON: version, iv, tag and ciphertext, base64. */
    phi: text('phi'),
    pageId: uuid('page_id'),
  },
  (t) => [uniqueIndex('alerts_idempotency').on(t.source, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`)],
);

/** A page: one alert's (or one dedup key's) call for someone to act, until acknowledged or resolved. */
export const pages = pgTable(
  'pages',
  {
    id: uuid('id').primaryKey(),
    source: text('source').notNull(),
    dedupKey: text('dedup_key'),
    /** The alert that opened the page: its non-PHI fields fill the channels' templates. */
    alertId: uuid('alert_id').notNull(),
    workflow: text('workflow').notNull(),
    route: text('route').notNull(),
    routeOrder: integer('route_order').notNull(),
    rulesVersion: text('rules_version').notNull(),
    rulesGitCommit: text('rules_git_commit'),
    status: text('status', { enum: ['open', 'acknowledged', 'resolved'] }).notNull(),
    openedAt: instant('opened_at').notNull(),
    alertCount: integer('alert_count').notNull().default(1),
    acknowledgedAt: instant('acknowledged_at'),
    /** The person who acknowledged (`amion:A-1004`). */
    acknowledgedBy: text('acknowledged_by'),
    /** How they did: `api`, `app`, `push`, `sms`, `voice`. */
    acknowledgedVia: text('acknowledged_via'),
    resolvedAt: instant('resolved_at'),
    /** Who resolved it: `person:<id>`, `source:<name>`, `admin:<name>`. */
    resolvedBy: text('resolved_by'),
    // Facts the retirement figures count, kept as they happen so a year of pages is read without
    // looking at every page's notifications.
    /** The alert's unit (a non-PHI field), for the figures by unit. */
    unit: text('unit'),
    /** Acknowledged only after a later step of the ladder fired. */
    escalated: boolean('escalated').notNull().default(false),
    /** Nobody acknowledged before the ladder ran out (its last people's time to answer passed). */
    missed: boolean('missed').notNull().default(false),
    /** The role (or target) the acknowledger was paged as. */
    acknowledgedAs: text('acknowledged_as'),
    /** A fallback (a team inbox) was paged in a role's place. */
    fellBack: boolean('fell_back').notNull().default(false),
    /** The legacy pager went off before anyone acknowledged. */
    pagerBeforeAck: boolean('pager_before_ack').notNull().default(false),
  },
  // One unresolved page per dedup key of a source: a repeat is counted on it, not paged again,
  // also after someone acknowledged it. A resolved page frees the key.
  (t) => [
    uniqueIndex('pages_unresolved_dedup').on(t.source, t.dedupKey).where(sql`${t.status} <> 'resolved' and ${t.dedupKey} is not null`),
    // The retirement figures read a workflow's pages over a period.
    index('pages_workflow_opened').on(t.workflow, t.openedAt),
    index('pages_opened').on(t.openedAt),
  ],
);

/**
 * Where a page's ladder stands: the next step to fire and when. A row, not a timer, so any
 * replica can fire it after a crash; claimed with FOR UPDATE SKIP LOCKED.
 */
export const escalations = pgTable(
  'escalations',
  {
    pageId: uuid('page_id')
      .primaryKey()
      .references(() => pages.id),
    cycle: integer('cycle').notNull(),
    nextStep: integer('next_step').notNull(),
    /**
     * When the next step falls due. Null once the ladder has run out, the page is resolved, or it
     * is acknowledged and only `unless acked` steps were left.
     */
    dueAt: instant('due_at'),
    /** When the ladder ran out (its last step fired, nothing left to come): an acknowledgement after it, or none, is a missed one. */
    ranOutAt: instant('ran_out_at'),
  },
  (t) => [index('escalations_due').on(t.dueAt).where(sql`${t.dueAt} is not null`)],
);

/**
 * The outbox: one row per message to send. The unique key makes "this step pages this person
 * over this channel" happen once, however many times a step is fired.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pageId: uuid('page_id')
      .notNull()
      .references(() => pages.id),
    cycle: integer('cycle').notNull(),
    step: integer('step').notNull(),
    target: text('target').notNull(),
    /** The person paged, or '' for a team inbox or the legacy pager group. */
    personId: text('person_id').notNull(),
    channel: text('channel', { enum: ['push', 'sms', 'voice', 'pager'] }).notNull(),
    /**
     * queued → sending (claimed, under a lease) → sent / delivered, or back to queued for a
     * retry, or failed for good; cancelled when the page is resolved, or acknowledged before an
     * `unless acked` step's message left.
     */
    status: text('status', { enum: ['queued', 'sending', 'sent', 'delivered', 'failed', 'cancelled'] }).notNull(),
    createdAt: instant('created_at').notNull(),
    /** The role this notification stands in for as its fallback, if any. */
    standsInFor: text('stands_in_for'),
    /** Send attempts made so far. */
    attempts: integer('attempts').notNull().default(0),
    /** When a sweeper may take a queued notification: after the in-process send had its chance, or the retry backoff. */
    nextAttemptAt: instant('next_attempt_at').notNull(),
    /** A sending notification whose lease has passed was left by a dead process: another takes it over. */
    leaseUntil: instant('lease_until'),
    /** The channel provider's id for the message (Twilio SID, push service location). */
    providerId: text('provider_id'),
    /** The last error, when an attempt failed. */
    error: text('error'),
    sentAt: instant('sent_at'),
    deliveredAt: instant('delivered_at'),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('notifications_once').on(t.pageId, t.cycle, t.step, t.target, t.personId, t.channel),
    index('notifications_due').on(t.nextAttemptAt).where(sql`${t.status} = 'queued'`),
    index('notifications_leased').on(t.leaseUntil).where(sql`${t.status} = 'sending'`),
    index('notifications_page').on(t.pageId),
    // The retirement figures count failed deliveries per channel over a period, from this index alone.
    index('notifications_failed').on(t.createdAt, t.pageId, t.channel).where(sql`${t.status} = 'failed'`),
  ],
);

/** Every rule set the gateway has run, by version hash, with its sources: a page escalates by the rules that routed it. */
export const rulesVersions = pgTable('rules_versions', {
  hash: text('hash').primaryKey(),
  gitCommit: text('git_commit'),
  gitDirty: boolean('git_dirty').notNull(),
  /** The rule files as compiled: `[{ path, hashPath, text }]`. */
  files: jsonb('files').$type<readonly { path: string; hashPath: string | null; text: string }[]>().notNull(),
  firstLoadedAt: instant('first_loaded_at').notNull(),
});

/** The one active rules version, shared by every replica. */
export const rulesActive = pgTable('rules_active', {
  id: integer('id').primaryKey(),
  hash: text('hash')
    .notNull()
    .references(() => rulesVersions.hash),
  activatedAt: instant('activated_at').notNull(),
  activatedBy: text('activated_by').notNull(),
});

/** Keys the gateway makes for itself on first start, shared by replicas (the VAPID key pair for web push). */
export const gatewayKeys = pgTable('gateway_keys', {
  name: text('name').primaryKey(),
  publicKey: text('public_key').notNull(),
  privateKey: text('private_key').notNull(),
  createdAt: instant('created_at').notNull(),
});

/**
 * Each provider message a notification became: one per phone for SMS and voice, one per device
 * for push, one for the pager group. Written before the provider is called (`requested`), so a
 * voice call's TwiML can say what was rendered and a retry skips the contacts already reached;
 * status callbacks move it on, never back (`rank`).
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    notificationId: bigint('notification_id', { mode: 'number' })
      .notNull()
      .references(() => notifications.id),
    channel: text('channel', { enum: ['push', 'sms', 'voice', 'pager'] }).notNull(),
    /** The phone number, the push subscription's id, or the pager id. */
    contact: text('contact').notNull(),
    /** requested → sent → delivered, or failed. */
    status: text('status', { enum: ['requested', 'sent', 'delivered', 'failed'] }).notNull(),
    /** The provider's own word for it (`queued`, `ringing`, `no-answer`, `undelivered`). */
    providerStatus: text('provider_status'),
    /** How far the provider's status has come; an older or repeated callback does not move it back. */
    rank: integer('rank').notNull().default(0),
    /** Twilio's SID, the push service's message location, the WCTP message id. */
    providerId: text('provider_id'),
    /** What was sent, as rendered from the rules' template (no PHI: the guard passed it). */
    text: text('text').notNull(),
    error: text('error'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    index('deliveries_notification').on(t.notificationId),
    uniqueIndex('deliveries_provider').on(t.providerId).where(sql`${t.providerId} is not null`),
    index('deliveries_contact_recent').on(t.channel, t.contact, t.createdAt),
  ],
);

/** A browser's Web Push subscription, registered from an enrolled device. */
export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    deviceId: uuid('device_id').references(() => devices.id, { onDelete: 'cascade' }),
    endpoint: text('endpoint').notNull(),
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [uniqueIndex('push_subscriptions_endpoint').on(t.endpoint), index('push_subscriptions_person').on(t.personId)],
);

/** A phone or browser a person enrolled, and signs in on with their PIN to see PHI. */
export const devices = pgTable('devices', {
  id: uuid('id').primaryKey(),
  personId: text('person_id')
    .notNull()
    .references(() => people.id, { onDelete: 'cascade' }),
  /** SHA-256 of the secret in the device's cookie. */
  secretHash: text('secret_hash').notNull(),
  /** scrypt of the PIN chosen at enrollment: `salt.hash`, base64url. */
  pinHash: text('pin_hash').notNull(),
  failedSignIns: integer('failed_sign_ins').notNull().default(0),
  lockedUntil: instant('locked_until'),
  createdAt: instant('created_at').notNull(),
  revokedAt: instant('revoked_at'),
});

/** A one-time enrollment link an admin issued for a person. */
export const enrollments = pgTable('enrollments', {
  /** SHA-256 of the code in the link. */
  hash: text('hash').primaryKey(),
  personId: text('person_id')
    .notNull()
    .references(() => people.id, { onDelete: 'cascade' }),
  createdBy: text('created_by').notNull(),
  createdAt: instant('created_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
  usedAt: instant('used_at'),
});

/** A signed-in session on an enrolled device; it ends after a spell of inactivity. */
export const sessions = pgTable('sessions', {
  /** SHA-256 of the session cookie. */
  hash: text('hash').primaryKey(),
  deviceId: uuid('device_id')
    .notNull()
    .references(() => devices.id, { onDelete: 'cascade' }),
  personId: text('person_id').notNull(),
  createdAt: instant('created_at').notNull(),
  lastActiveAt: instant('last_active_at').notNull(),
  endedAt: instant('ended_at'),
});

/**
 * The number a person replies with to acknowledge by SMS: small (1, 2, 3 …), one per open page
 * per phone, so "1" from this phone means this page.
 */
export const smsReplyCodes = pgTable(
  'sms_reply_codes',
  {
    phone: text('phone').notNull(),
    code: integer('code').notNull(),
    pageId: uuid('page_id')
      .notNull()
      .references(() => pages.id),
    personId: text('person_id').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.phone, t.code] }), uniqueIndex('sms_reply_codes_page').on(t.phone, t.pageId)],
);

/** Phones that texted STOP: no SMS goes to them until they text START. */
export const smsOptOuts = pgTable('sms_opt_outs', {
  phone: text('phone').primaryKey(),
  at: instant('at').notNull(),
});

/** Acknowledge links (SMS, push) that have been used: each works once. */
export const ackLinkUses = pgTable('ack_link_uses', {
  notificationId: bigint('notification_id', { mode: 'number' }).primaryKey(),
  usedAt: instant('used_at').notNull(),
});

/**
 * The paging vendor's log of the legacy pager groups: what the pagers achieved, the baseline a
 * workflow's acknowledgement times are judged against. One row per page the vendor sent.
 */
export const legacyPages = pgTable(
  'legacy_pages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pagerGroup: text('pager_group').notNull(),
    pagerId: text('pager_id').notNull(),
    sentAt: instant('sent_at').notNull(),
    /** When the page was acknowledged or called back, when the vendor's log says. */
    acknowledgedAt: instant('acknowledged_at'),
    category: text('category'),
    /** The workflow whose `legacy-pager-group` this group is, at import. */
    workflow: text('workflow').notNull(),
    importedAt: instant('imported_at').notNull(),
  },
  (t) => [
    uniqueIndex('legacy_pages_once').on(t.pagerGroup, t.pagerId, t.sentAt),
    index('legacy_pages_workflow').on(t.workflow, t.sentAt),
    // Every workflow's baseline over a period.
    index('legacy_pages_sent').on(t.sentAt),
  ],
);

/**
 * Acknowledgement-time figures of a workflow's finished days or weeks, kept once worked out: a
 * finished bucket's pages no longer change, so a year's chart reads 52 rows instead of a year of
 * pages. Acknowledging a page that a kept bucket holds deletes that bucket (see ack-trend.ts).
 */
export const ackTrendBuckets = pgTable(
  'ack_trend_buckets',
  {
    workflow: text('workflow').notNull(),
    /** The IANA zone the bucket's day or week is local to. */
    zone: text('zone').notNull(),
    bucket: text('bucket', { enum: ['day', 'week'] }).notNull(),
    startsAt: instant('starts_at').notNull(),
    pages: integer('pages').notNull(),
    acknowledged: integer('acknowledged').notNull(),
    /** p50, p90, p95 of seconds to acknowledge; null without acknowledgements. */
    ps: doublePrecision('ps').array(),
    mean: doublePrecision('mean'),
  },
  (t) => [primaryKey({ columns: [t.workflow, t.zone, t.bucket, t.startsAt] })],
);
