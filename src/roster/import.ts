// One import of one source: read the feed, parse it with its format's importer, and land it
// whole, or record why not and keep the roster that was there.
import { readFile, stat } from 'node:fs/promises';
import type { Database } from '../db/index.js';
import { parseCsvRoster } from './importers/csv.js';
import { parseIcalRoster } from './importers/ical.js';
import { parseJsonRoster } from './importers/json.js';
import type { FeedParse, FeedProblem, ImportedShift } from './model.js';
import type { SourceConfig } from './sources-config.js';
import { recordImportFailure, syncSource, type SyncCounts } from './store.js';

export type ImportOutcome =
  | { readonly status: 'imported'; readonly source: string; readonly counts: SyncCounts }
  | { readonly status: 'rejected'; readonly source: string; readonly problems: readonly FeedProblem[] }
  /** Another import of the same source was running (here or on another replica). */
  | { readonly status: 'busy'; readonly source: string };

/** A feed larger than this is refused rather than read into memory: no roster is that big. */
export const maxFeedBytes = 32 * 1024 * 1024;

/** Recurring iCalendar events are expanded from a week back, so yesterday's on-call still answers. */
const icalLookbackMs = 7 * 86_400_000;

export function parseFeed(config: SourceConfig, text: string, now: Date): FeedParse {
  switch (config.format) {
    case 'csv':
      return parseCsvRoster(text, { zone: config.zone, ...(config.columns === undefined ? {} : { columns: config.columns }), ...(config.aliases === undefined ? {} : { aliases: config.aliases }) });
    case 'json':
      return parseJsonRoster(text, { zone: config.zone, tasks: config.tasks, incremental: config.incremental, ...(config.aliases === undefined ? {} : { aliases: config.aliases }) });
    case 'ical':
      return parseIcalRoster(text, {
        zone: config.zone,
        from: new Date(now.getTime() - icalLookbackMs),
        to: new Date(now.getTime() + config.horizonDays * 86_400_000),
        ...(config.service === undefined ? {} : { service: config.service }),
        ...(config.shift === undefined ? {} : { shift: config.shift }),
        ...(config.aliases === undefined ? {} : { aliases: config.aliases }),
      });
  }
}

/** Imports `text` as the feed of `config`'s source; never two imports of one source at once. */
export async function importFeed(database: Database, config: SourceConfig, text: string, now: Date): Promise<ImportOutcome> {
  const source = config.name;
  const result = await database.tryExclusive(`roster:${source}`, async (): Promise<ImportOutcome> => {
    if (Buffer.byteLength(text) > maxFeedBytes) {
      const problems = [{ message: `the feed is larger than ${maxFeedBytes / 1024 / 1024} MiB` }];
      await recordImportFailure(database.db, source, now, problems[0]!.message);
      return { status: 'rejected', source, problems };
    }
    const parsed = parseFeed(config, text, now);
    const problems = parsed.ok ? duplicateIds(parsed.shifts) : parsed.problems;
    if (!parsed.ok || problems.length > 0) {
      await recordImportFailure(database.db, source, now, describeProblems(problems));
      return { status: 'rejected', source, problems };
    }
    try {
      return { status: 'imported', source, counts: await syncSource(database.db, source, parsed, now) };
    } catch (e) {
      // The transaction rolled back, so the roster in force is untouched. The database's own
      // message can quote the feed (names, addresses): keep it out of what is stored and shown.
      const problem = { message: `the roster could not be stored (${(e as { code?: string }).code ?? (e as Error).name}); the previous roster stays in force` };
      await recordImportFailure(database.db, source, now, problem.message);
      return { status: 'rejected', source, problems: [problem] };
    }
  });
  return result.ran ? result.value : { status: 'busy', source };
}

/** A shift id the feed gives twice would make the sync ambiguous: which one is the shift? */
function duplicateIds(shifts: readonly ImportedShift[]): FeedProblem[] {
  const seen = new Set<string>();
  const problems: FeedProblem[] = [];
  for (const s of shifts) {
    if (seen.has(s.sourceId)) problems.push({ record: s.sourceId, message: `the feed gives the shift ${s.sourceId} twice` });
    seen.add(s.sourceId);
  }
  return problems;
}

/**
 * The feed's text, from its file or URL. An incremental feed is asked only for what changed
 * since the newest last-modified time already imported (QGenda's `ModifiedSince`).
 */
export async function readFeed(config: SourceConfig, since: Date | null = null, fetchFeed: typeof fetch = fetch): Promise<string> {
  if (config.file !== undefined) {
    if ((await stat(config.file)).size > maxFeedBytes) throw new FeedTooLargeError();
    return readFile(config.file, 'utf8');
  }
  const url = new URL(config.url!);
  if (config.format === 'json' && config.incremental && since !== null) url.searchParams.set('ModifiedSince', since.toISOString());
  const response = await fetchFeed(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${url.origin}${url.pathname} answered ${response.status} ${response.statusText}`);
  return readCapped(response);
}

export class FeedTooLargeError extends Error {
  constructor() {
    super(`the feed is larger than ${maxFeedBytes / 1024 / 1024} MiB`);
  }
}

/** Reads a response body, stopping as soon as it passes the size limit rather than after. */
async function readCapped(response: Response): Promise<string> {
  if (Number(response.headers.get('content-length') ?? 0) > maxFeedBytes) throw new FeedTooLargeError();
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxFeedBytes) {
      await reader.cancel();
      throw new FeedTooLargeError();
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

export function describeProblems(problems: readonly FeedProblem[]): string {
  const where = (p: FeedProblem): string => (p.line !== undefined ? `line ${p.line}: ` : p.record !== undefined ? `record ${p.record}: ` : '');
  const shown = problems.slice(0, 20).map((p) => `${where(p)}${p.message}`);
  return [...shown, ...(problems.length > 20 ? [`… and ${problems.length - 20} more`] : [])].join('\n');
}
