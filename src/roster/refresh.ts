// Keeps rosters fresh: node-cron ticks every minute in UTC, and each tick imports the sources
// whose refresh interval has passed. The interval is measured from the last attempt, so a
// failing feed is retried at the same pace, not hammered.
import cron from 'node-cron';
import type { Database } from '../db/index.js';
import { importFeed, readFeed, type ImportOutcome } from './import.js';
import type { SourcesConfig } from './sources-config.js';
import { loadSourceStates, recordImportFailure } from './store.js';

export interface RefreshDeps {
  readonly database: Database;
  readonly config: SourcesConfig;
  readonly now: () => Date;
  readonly fetchFeed?: typeof fetch;
  /** Told of every import, for logs and for reloading the on-call index. */
  readonly onImport?: (outcome: ImportOutcome) => void;
}

/** One tick: imports every source that is due. Exported so tests can tick with a moved clock. */
export async function refreshDueSources(deps: RefreshDeps): Promise<ImportOutcome[]> {
  const now = deps.now();
  const states = new Map((await loadSourceStates(deps.database.db)).map((s) => [s.name, s]));
  const due = [...deps.config.values()].filter((c) => {
    const last = states.get(c.name)?.lastAttemptAt ?? null;
    return last === null || now.getTime() - last.getTime() >= c.refreshEvery;
  });
  const outcomes: ImportOutcome[] = [];
  for (const source of due) {
    let outcome: ImportOutcome;
    let text: string;
    try {
      text = await readFeed(source, states.get(source.name)?.lastModified ?? null, deps.fetchFeed);
    } catch (e) {
      const message = `could not read the feed: ${(e as Error).message}`;
      await recordImportFailure(deps.database.db, source.name, now, message);
      outcome = { status: 'rejected', source: source.name, problems: [{ message }] };
      deps.onImport?.(outcome);
      outcomes.push(outcome);
      continue;
    }
    outcome = await importFeed(deps.database, source, text, now);
    deps.onImport?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Starts the minute tick; a tick still running when the next is due is skipped, not doubled. */
export function startRosterRefresh(deps: RefreshDeps): { stop(): void } {
  let running = false;
  const task = cron.schedule(
    '* * * * *',
    async () => {
      if (running) return;
      running = true;
      try {
        await refreshDueSources(deps);
      } finally {
        running = false;
      }
    },
    { timezone: 'UTC' },
  );
  return { stop: () => void task.stop() };
}
