// The legacy pager log in the database: a log lands whole or not at all, and landing the same
// log again (or one that overlaps it) adds only the pages not seen before.
import { appendAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { LegacyPageRow } from './legacy-log.js';

const { legacyPages } = tables;
/** Rows a statement: 1000 × 7 parameters stays far below PostgreSQL's 65535. */
const CHUNK = 1000;

export interface LegacyImportCounts {
  /** Pages new to the table. */
  readonly imported: number;
  /** Pages the table had already (same group, pager and sent time): left as they were. */
  readonly alreadyKnown: number;
}

/**
 * Writes the rows of a checked log in one transaction, with one `legacy.imported` audit event at
 * the end. A page already stored is skipped and counted, not changed: the first import of a page
 * stands. An empty log writes nothing.
 */
export async function importLegacyLog(db: Db, auditKey: Buffer, rows: readonly LegacyPageRow[], now: Date, by: string): Promise<LegacyImportCounts> {
  if (rows.length === 0) return { imported: 0, alreadyKnown: 0 };
  return db.transaction(async (tx) => {
    let imported = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const batch = rows.slice(i, i + CHUNK).map((r) => ({
        pagerGroup: r.group,
        pagerId: r.pagerId,
        sentAt: r.sentAt,
        acknowledgedAt: r.acknowledgedAt,
        category: r.category,
        workflow: r.workflow,
        importedAt: now,
      }));
      // Counted by what the insert returns: on PostgreSQL a concurrent import of the same pages
      // waits on the unique index and then skips them, so neither import counts them twice.
      const inserted = await tx
        .insert(legacyPages)
        .values(batch)
        .onConflictDoNothing({ target: [legacyPages.pagerGroup, legacyPages.pagerId, legacyPages.sentAt] })
        .returning({ id: legacyPages.id });
      imported += inserted.length;
    }
    const alreadyKnown = rows.length - imported;
    const groups = [...new Set(rows.map((r) => r.group))].sort();
    await appendAudit(tx, auditKey, { actor: by, kind: 'legacy.imported', subject: `legacy:${groups.join(',')}`, data: { imported, alreadyKnown, groups } }, now);
    return { imported, alreadyKnown };
  });
}
