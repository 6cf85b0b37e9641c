// The roster tables: an import lands whole or not at all, and landing the same feed twice
// changes nothing.
import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { ContactPoint, FeedParse, ImportedPerson, ShiftKind } from './model.js';

export interface SyncCounts {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
}

export interface StoredShift {
  readonly source: string;
  readonly sourceId: string;
  readonly personId: string;
  readonly personName: string;
  readonly service: string;
  readonly shift: string;
  readonly start: Date;
  readonly end: Date;
  readonly zone: string;
  readonly kind: ShiftKind;
}

export interface SourceState {
  readonly name: string;
  readonly lastSuccessAt: Date | null;
  readonly lastAttemptAt: Date | null;
  readonly lastError: string | null;
  readonly lastModified: Date | null;
  readonly shiftCount: number;
}

const { rosterSources, people, contactPoints, shifts } = tables;
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Makes the stored roster of `source` what the feed says, in one transaction. A full feed
 * replaces the source's shifts (what it no longer lists is removed); an incremental one adds and
 * changes what it lists and removes only `deleted`.
 */
export async function syncSource(
  db: Db,
  source: string,
  feed: Pick<Extract<FeedParse, { ok: true }>, 'mode' | 'shifts' | 'deleted' | 'lastModified' | 'covers'>,
  now: Date,
): Promise<SyncCounts> {
  return db.transaction(async (tx) => {
    await tx.insert(rosterSources).values({ name: source }).onConflictDoNothing();

    // People: one row per person of the source, rewritten only when their name changed. A person
    // appears on many rows; their contact points are every phone any row gives.
    const persons = peopleOf(feed.shifts.map((s) => s.person));
    for (const batch of chunks([...persons.values()])) {
      await tx
        .insert(people)
        .values(batch.map((p) => ({ id: personId(source, p.sourceId), source, sourceId: p.sourceId, displayName: p.name, updatedAt: now })))
        .onConflictDoUpdate({
          target: people.id,
          set: { displayName: sql`excluded.display_name`, updatedAt: sql`excluded.updated_at` },
          setWhere: sql`${people.displayName} is distinct from excluded.display_name`,
        });
    }
    for (const batch of chunks([...persons.values()])) {
      const ids = batch.map((p) => personId(source, p.sourceId));
      const wanted = new Map(batch.flatMap((p) => p.contacts.map((c) => [contactKey(personId(source, p.sourceId), c), { personId: personId(source, p.sourceId), ...c }] as const)));
      const current = await tx.select().from(contactPoints).where(inArray(contactPoints.personId, ids));
      for (const c of current.filter((c) => !wanted.has(contactKey(c.personId, c)))) {
        await tx.delete(contactPoints).where(and(eq(contactPoints.personId, c.personId), eq(contactPoints.kind, c.kind), eq(contactPoints.value, c.value)));
      }
      if (wanted.size > 0) await tx.insert(contactPoints).values([...wanted.values()]).onConflictDoNothing();
    }

    // Shifts: compare with what is stored, and write only the difference.
    const existing = new Map((await tx.select().from(shifts).where(eq(shifts.source, source))).map((s) => [s.sourceId, s]));
    const toInsert: (typeof shifts.$inferInsert)[] = [];
    let changed = 0;
    let unchanged = 0;
    for (const s of feed.shifts) {
      const row = {
        source,
        sourceId: s.sourceId,
        personId: personId(source, s.person.sourceId),
        service: s.service,
        shift: s.shift,
        startsAt: s.start,
        endsAt: s.end,
        zone: s.zone,
        kind: s.kind,
      };
      const stored = existing.get(s.sourceId);
      if (stored === undefined) {
        toInsert.push(row);
      } else if (
        stored.personId !== row.personId ||
        stored.service !== row.service ||
        stored.shift !== row.shift ||
        stored.startsAt.getTime() !== row.startsAt.getTime() ||
        stored.endsAt.getTime() !== row.endsAt.getTime() ||
        stored.zone !== row.zone ||
        stored.kind !== row.kind
      ) {
        await tx.update(shifts).set(row).where(eq(shifts.id, stored.id));
        changed++;
      } else {
        unchanged++;
      }
    }
    for (const batch of chunks(toInsert)) await tx.insert(shifts).values(batch);

    const listed = new Set(feed.shifts.map((s) => s.sourceId));
    const covered = (s: { startsAt: Date; endsAt: Date }): boolean => feed.covers === undefined || feed.covers === null || (s.startsAt < feed.covers.to && s.endsAt > feed.covers.from);
    const gone =
      feed.mode === 'full'
        ? [...existing.values()].filter((s) => !listed.has(s.sourceId) && covered(s)).map((s) => s.sourceId)
        : feed.deleted.filter((id) => existing.has(id) && !listed.has(id));
    for (const batch of chunks(gone)) await tx.delete(shifts).where(and(eq(shifts.source, source), inArray(shifts.sourceId, batch)));

    const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(shifts).where(eq(shifts.source, source));
    await tx
      .update(rosterSources)
      .set({
        lastSuccessAt: now,
        lastAttemptAt: now,
        lastError: null,
        shiftCount: count?.n ?? 0,
        ...(feed.lastModified === null ? {} : { lastModified: sql`greatest(${rosterSources.lastModified}, ${feed.lastModified.toISOString()}::timestamptz)` }),
      })
      .where(eq(rosterSources.name, source));
    return { added: toInsert.length, changed, removed: gone.length, unchanged };
  });
}

/** A failed import: noted on the source, and nothing else touched, so the last good roster stays in force. */
export async function recordImportFailure(db: Db, source: string, now: Date, error: string): Promise<void> {
  await db
    .insert(rosterSources)
    .values({ name: source, lastAttemptAt: now, lastError: error })
    .onConflictDoUpdate({ target: rosterSources.name, set: { lastAttemptAt: now, lastError: error } });
}

/** Each person once: the last name given wins, and their contact points are the union of all rows. */
function peopleOf(rows: readonly ImportedPerson[]): Map<string, ImportedPerson> {
  const out = new Map<string, ImportedPerson>();
  for (const p of rows) {
    const seen = out.get(p.sourceId);
    const contacts = seen === undefined ? p.contacts : [...seen.contacts, ...p.contacts.filter((c) => !seen.contacts.some((d) => d.kind === c.kind && d.value === c.value))];
    out.set(p.sourceId, { ...p, contacts });
  }
  return out;
}

function contactKey(person: string, c: ContactPoint): string {
  return JSON.stringify([person, c.kind, c.value]);
}

export function personId(source: string, sourceId: string): string {
  return `${source}:${sourceId}`;
}

/** Every shift that overlaps [from, to), with its person's name. */
export async function loadShifts(db: Db, from: Date, to: Date): Promise<StoredShift[]> {
  const rows = await db
    .select({
      source: shifts.source,
      sourceId: shifts.sourceId,
      personId: shifts.personId,
      personName: people.displayName,
      service: shifts.service,
      shift: shifts.shift,
      start: shifts.startsAt,
      end: shifts.endsAt,
      zone: shifts.zone,
      kind: shifts.kind,
    })
    .from(shifts)
    .innerJoin(people, eq(people.id, shifts.personId))
    .where(and(lt(shifts.startsAt, to), gt(shifts.endsAt, from)));
  return rows;
}

export async function loadSourceStates(db: Db): Promise<SourceState[]> {
  return db.select().from(rosterSources).orderBy(rosterSources.name);
}

export async function loadContacts(db: Db, personIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const batch of chunks(personIds)) {
    for (const c of await db.select().from(contactPoints).where(inArray(contactPoints.personId, batch))) {
      out.set(c.personId, [...(out.get(c.personId) ?? []), c.value]);
    }
  }
  return out;
}
