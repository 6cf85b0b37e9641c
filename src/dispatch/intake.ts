// Alerts arriving together commit together (group commit): while a batch commits, the alerts
// that come in wait and then go as the next batch, in one transaction. An idle gateway opens an
// alert's page at once; a storm of them costs a few statements per batch instead of per alert,
// and each answer still goes out only after its own alert is committed.
import type { Db } from '../db/index.js';
import { dedupKeyOf, openPages, type OpenPageDeps, type OpenPageInput, type OpenPageResult } from './open-page.js';

export type OpenedPage = Extract<OpenPageResult, { kind: 'opened' }> & { readonly input: OpenPageInput };

export interface PageIntakeDeps extends OpenPageDeps {
  readonly db: Db;
  /** Batches committing at once; more wait. Leaves the rest of the request pool to other requests. */
  readonly concurrency: number;
  readonly maxBatch: number;
  /** The pages a batch opened, once it has committed and before their answers go out. */
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
    deps.committed(results.flatMap((r, i) => (r.kind === 'opened' ? [{ ...r, input: batch[i]!.input }] : [])));
    batch.forEach((w, i) => w.resolve(results[i]!));
  };

  const commit = async (batch: readonly Waiting[]): Promise<void> => {
    const inputs = batch.map((w) => w.input);
    let results: readonly OpenPageResult[];
    try {
      results = await attempt(inputs);
    } catch (e) {
      // One alert's fault is not its batch-mates': each goes again on its own, one after
      // another (in this batch's place, so no more transactions are open than allowed).
      if (batch.length > 1) {
        for (const w of batch) await commit([w]);
        return;
      }
      // Two requests raced: one with the same Idempotency-Key, or the same dedup key, committed
      // first. Its answer is ours now, which the second try finds.
      if (!isUniqueViolation(e)) return batch[0]!.reject(e);
      try {
        results = await attempt(inputs);
      } catch (again) {
        return batch[0]!.reject(again);
      }
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
      void commit(batch).finally(() => {
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
  if (input.dedupKey !== null) keys.push(`dedup:${dedupKeyOf(input.source, input.dedupKey)}`);
  if (input.idempotencyKey !== null) keys.push(`idempotency:${dedupKeyOf(input.source, input.idempotencyKey)}`);
  return keys;
}

function isUniqueViolation(e: unknown): boolean {
  for (let err: unknown = e; err instanceof Error || (typeof err === 'object' && err !== null); err = (err as { cause?: unknown }).cause) {
    if ((err as { code?: unknown }).code === '23505') return true;
    if ((err as { cause?: unknown }).cause === undefined) break;
  }
  return false;
}
