// The rules versions table and the active version: every rule set the gateway has run is kept
// with its sources, so a page escalates by the rules that routed it after a reload or restart.
import { eq } from 'drizzle-orm';
import type { SourceFile } from '../../grammar/index.js';
import type { DbExecutor } from '../db/index.js';
import { tables } from '../db/index.js';

const { rulesVersions, rulesActive } = tables;

export interface StoredVersion {
  readonly hash: string;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean;
  readonly files: readonly SourceFile[];
}

/** Keeps a version's sources; a version already kept is left as it is. */
export async function saveVersion(tx: DbExecutor, version: StoredVersion, at: Date): Promise<void> {
  await tx
    .insert(rulesVersions)
    .values({
      hash: version.hash,
      gitCommit: version.gitCommit,
      gitDirty: version.gitDirty,
      files: version.files.map((f) => ({ path: f.path, hashPath: f.hashPath ?? null, text: f.text })),
      firstLoadedAt: at,
    })
    .onConflictDoNothing();
}

export async function loadVersion(db: DbExecutor, hash: string): Promise<StoredVersion | null> {
  const [row] = await db.select().from(rulesVersions).where(eq(rulesVersions.hash, hash));
  if (row === undefined) return null;
  return {
    hash: row.hash,
    gitCommit: row.gitCommit,
    gitDirty: row.gitDirty,
    files: row.files.map((f) => ({ path: f.path, text: f.text, ...(f.hashPath === null ? {} : { hashPath: f.hashPath }) })),
  };
}

/** The active version's hash, or null before the first start. Locks the row inside a transaction when asked. */
export async function activeHash(db: DbExecutor, options: { forUpdate?: boolean } = {}): Promise<string | null> {
  const query = db.select({ hash: rulesActive.hash }).from(rulesActive).where(eq(rulesActive.id, 1));
  const [row] = options.forUpdate === true ? await query.for('update') : await query;
  return row?.hash ?? null;
}

export async function setActive(tx: DbExecutor, hash: string, by: string, at: Date): Promise<void> {
  await tx
    .insert(rulesActive)
    .values({ id: 1, hash, activatedAt: at, activatedBy: by })
    .onConflictDoUpdate({ target: rulesActive.id, set: { hash, activatedAt: at, activatedBy: by } });
}
