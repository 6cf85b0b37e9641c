// Alerts arriving together commit together (group commit): while a batch commits, the alerts
// that come in wait and then go as the next batch, in one transaction. An idle gateway opens an
// alert's page at once; a storm of them costs a few statements per batch instead of per alert,
// and each answer still goes out only after its own alert is committed.
import type { Logger } from 'pino';
import { errorCodesOf, type Db } from '../db/index.js';
import { errorFields } from '../log-fields.js';
import { openPages, sourceKey, type OpenPageDeps, type OpenPageInput, type OpenPageResult } from './open-page.js';

export type OpenedPage = Extract<OpenPageResult, { kind: 'opened' }>;

export interface PageIntakeDeps extends OpenPageDeps {
  readonly db: Db;
  readonly log: Logger;
  /** Batches committing at once; more wait. Leaves the rest of the request pool to other requests. */
  readonly concurrency: number;
  readonly maxBatch: number;
  /** The pages a batch opened, once it has committed and their answers have gone out. */
  readonly committed: (opened: readonly OpenedPage[]) => void;
}

export interface PageIntake {
  open(input: OpenPageInput): Promise<OpenPageResult>;
}

interface Waiting {
  readonly input: OpenPageInput;
  readonly resolve: (result: OpenPageResult) => void;
  readonly reject: (e: unknown) => void;
}

export function createPageIntake(deps: PageIntakeDeps): PageIntake {
  let queue: Waiting[] = [];
  let committing = 0;
  /** The dedup keys and Idempotency-Keys of the batches committing now. */
  const held = new Set<string>();

  const attempt = (inputs: readonly OpenPageInput[]) => deps.db.transaction((tx) => openPages(tx, deps, inputs));

  const answer = (batch: readonly Waiting[], results: readonly OpenPageResult[]): void => {
    batch.forEach((w, i) => w.resolve(results[i]!));
    // After the answers: nothing the engine does with the pages can undo their commit. Should
    // it fail, their notifications are the sweeper's once their lease has passed.
    try {
      deps.committed(results.filter((r): r is OpenedPage => r.kind === 'opened'));
    } catch (e) {
      deps.log.error(errorFields(e), 'handing committed pages to the engine failed; the sweeper will send them');
    }
  };

  /**
   * Commits a batch. A lost race (another transaction took a key first, a deadlock, a
   * serialization failure) tries the whole batch once more, which finds the winner's rows;
   * another refusal, each alert alone, so that one alert's fault is not its batch-mates'.
   */
  const commit = async (batch: readonly Waiting[], raced = false): Promise<void> => {
    let results: readonly OpenPageResult[];
    try {
      results = await attempt(batch.map((w) => w.input));
    } catch (e) {
      // A lost connection may have lost the answer to a COMMIT that happened: another try could
      // open the pages twice, so the callers hear of it (a source retries with its Idempotency-Key).
      if (mayHaveCommitted(e)) return batch.forEach((w) => w.reject(e));
      if (!raced && lostRace(e)) return commit(batch, true);
      if (batch.length === 1) return batch[0]!.reject(e);
      deps.log.warn({ alerts: batch.length, ...errorFields(e) }, 'a batch of alerts was refused; opening each alone');
      // One after another, in this batch's place: no more transactions open than allowed.
      for (const w of batch) await commit([w]);
      return;
    }
    answer(batch, results);
  };

  /**
   * The next batch: the oldest alerts, but none with a key that an alert committing now, or
   * one already in the batch, holds. That one is a repeat or a retry, and waits to see the
   * first committed (a concurrent insert would only fail on the unique key).
   */
  const takeBatch = (): { batch: Waiting[]; keys: string[] } => {
    const batch: Waiting[] = [];
    const keys: string[] = [];
    const later: Waiting[] = [];
    for (const w of queue) {
      const own = keysOf(w.input);
      if (batch.length >= deps.maxBatch || own.some((k) => held.has(k))) {
        later.push(w);
        continue;
      }
      for (const k of own) held.add(k);
      keys.push(...own);
      batch.push(w);
    }
    queue = later;
    return { batch, keys };
  };

  const pump = (): void => {
    while (committing < deps.concurrency && queue.length > 0) {
      const { batch, keys } = takeBatch();
      // Everything waiting holds a key a committing batch has: it goes once that one is done.
      if (batch.length === 0) return;
      committing++;
      void commit(batch)
        .catch((e: unknown) => {
          deps.log.error(errorFields(e), 'committing a batch of alerts failed');
          for (const w of batch) w.reject(e);
        })
        .finally(() => {
          committing--;
          for (const k of keys) held.delete(k);
          pump();
        });
    }
  };

  return {
    open: (input) =>
      new Promise<OpenPageResult>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        pump();
      }),
  };
}

function keysOf(input: OpenPageInput): string[] {
  const keys: string[] = [];
  if (input.dedupKey !== null) keys.push(`dedup:${sourceKey(input.source, input.dedupKey)}`);
  if (input.idempotencyKey !== null) keys.push(`idempotency:${sourceKey(input.source, input.idempotencyKey)}`);
  return keys;
}

/** unique_violation, deadlock_detected, serialization_failure: another transaction came first. */
function lostRace(e: unknown): boolean {
  return errorCodesOf(e).some((c) => c === '23505' || c === '40P01' || c === '40001');
}

/** The connection went (postgres.js: CONNECTION_CLOSED, CONNECTION_DESTROYED, CONNECT_TIMEOUT…). */
function mayHaveCommitted(e: unknown): boolean {
  return errorCodesOf(e).some((c) => c.startsWith('CONNECT'));
}
