// Keeps a second process off a PGlite data directory: PGlite is an embedded database, and two
// processes writing one directory would corrupt it.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the database directory ${dataDir} is in use by process ${pid}; stop it, or set DATABASE_URL to share a PostgreSQL server between processes`);
  }
}

/** Locks this process holds; a lock file with our pid that is not here was left by an earlier life of this pid. */
const heldHere = new Set<string>();

/**
 * Takes `<dataDir>.lock` for this process and returns its release. A lock left by a process that
 * has died is taken over, under a second lock so that two processes starting at once cannot
 * both take it.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = `${dataDir.replace(/\/+$/, '')}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(lockPath, String(process.pid))) {
      heldHere.add(lockPath);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(lockPath);
        // Only our own lock: never one another process has since taken over.
        if (readPid(lockPath) === process.pid) unlinkQuietly(lockPath);
      };
    }
    const holder = readPid(lockPath);
    if (holder !== null && isAlive(holder) && (holder !== process.pid || heldHere.has(lockPath))) {
      throw new DataDirInUseError(dataDir, holder);
    }
    takeOver(lockPath, holder);
  }
  throw new Error(`could not take the lock ${lockPath}: it keeps changing hands`);
}

/** Removes a dead holder's lock, if it is still that holder's, while holding `<lock>.takeover`. */
function takeOver(lockPath: string, deadHolder: number | null): void {
  const guard = `${lockPath}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    // Someone else is taking over; a guard older than a few seconds was left by a crash.
    try {
      if (Date.now() - statSync(guard).mtimeMs > 5000) unlinkQuietly(guard);
    } catch {
      // gone already
    }
    return;
  }
  try {
    if (readPid(lockPath) === deadHolder) unlinkQuietly(lockPath);
  } finally {
    unlinkQuietly(guard);
  }
}

function createExclusive(path: string, content: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
