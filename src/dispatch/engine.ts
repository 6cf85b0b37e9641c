// The dispatch engine's loop, one per process: fire due escalation steps, send what they queued,
// sweep the outbox, then sleep until the next thing falls due. Timers are armed for exact due
// instants, but a timer armed just after a pass goes off no sooner than `passSpacingMs` after
// that pass began (steps due meanwhile fire together); NOTIFY wakes every replica for a step due
// soon (so an idle replica can take it), and a poll every `pollMs` is the safety net for
// anything a timer or a NOTIFY missed.
import type { Logger } from 'pino';
import { notify, type Database } from '../db/index.js';
import type { Escalator } from './escalations.js';
import type { Outbox, SendBatch } from './outbox.js';
import { errorFields } from '../log-fields.js';

/** NOTIFY channel; the payload is the due instant in epoch milliseconds. */
const wakeChannel = 'pagerless_wake';
/**
 * A wake-up sent this recently, for a step due no later, stands for the next one too: the other
 * replicas it woke arm for it and then find the later steps on their own (the pass re-arms for
 * the next due instant). This process fires its own steps on time regardless.
 */
const wakeCoalesceMs = 100;
/** How soon to look again at a due step another replica is firing, and after a pass that failed. */
const heldRetryMs = 25;
/**
 * Passes at once. A second claims the steps falling due while the first writes a batch of
 * several: in a storm (bench/README.md, "Load", steps 6 and 8) that took escalation lateness p99
 * from 123–252 ms to 64–118 ms.
 */
const concurrentPasses = 2;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EngineDeps {
  readonly database: Database;
  readonly escalator: Escalator;
  readonly outbox: Outbox;
  readonly clock: () => Date;
  readonly log: Logger;
  /** Longest sleep between looks at the database. */
  readonly pollMs: number;
  /** A timer armed after a pass goes off no sooner than this long after that pass began (DispatchTuning.writeSpacingMs). */
  readonly passSpacingMs: number;
  /** Real timers by default; tests hand in their own to see what would be armed. */
  readonly timers?: Timers;
}

export interface DispatchEngine {
  /** After a transaction that queued notifications or moved a ladder commits: send, and arm for what is next. */
  afterCommit(send: SendBatch, nextDueAt: Date | null): void;
  /** Something queued outbox work outside a step (a failover after a status callback): sweep at once. */
  outboxQueued(): void;
  /** A pass (fire what is due, send, sweep), then every pass running and send in flight finished. What tests call after moving the clock. */
  drain(): Promise<void>;
  /** Starts the loop: listens for wake-ups and keeps a timer armed. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** When the armed timer will go off (for tests and /readyz), or null when none is armed. */
  armedFor(): Date | null;
}

export function createDispatchEngine(deps: EngineDeps): DispatchEngine {
  const timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const inFlight = new Set<Promise<unknown>>();
  /** The sends of the passes' fired batches, until their outcomes are recorded. */
  const passSends = new Set<Promise<unknown>>();
  const running = new Set<Promise<void>>();
  /** Passes that claimed steps and have not finished firing them. */
  let claiming = 0;
  /** Passes that failed one after another, for the wait before the next. */
  let failuresInARow = 0;
  let again = false;
  let started = false;
  let stopped = false;
  let timer: { handle: unknown; at: number } | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  let lastWake: { sentAt: number; dueAt: number } | null = null;
  /** When the outbox next has something for the sweeper, as of the last pass; null before the first. */
  let outboxDueAt: number | null = null;
  /** When the last pass started, on the monotonic clock: spacing is about load, not the hospital's time. */
  let lastPassAt = -Infinity;

  const track = (p: Promise<unknown>): void => {
    const tracked = p.catch((e: unknown) => deps.log.error(errorFields(e), 'dispatch work failed; the sweeper will retry it')).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const arm = (at: number): void => {
    // Infinity: nothing known to come (setTimeout would take it for 1 ms).
    if (!started || stopped || !Number.isFinite(at)) return;
    if (timer !== null && timer.at <= at) return;
    if (timer !== null) timers.clearTimeout(timer.handle);
    const handle = timers.setTimeout(
      () => {
        timer = null;
        void runOnce();
      },
      // Steps falling due within the spacing of the last pass wait for the next one, together.
      Math.max(0, at - deps.clock().getTime(), lastPassAt + deps.passSpacingMs - performance.now()),
    );
    timer = { handle, at };
  };

  const pass = async (): Promise<void> => {
    lastPassAt = performance.now();
    // Each fired batch is sent while the next one fires.
    const sends: Promise<unknown>[] = [];
    // In a storm, steps that fall due while this batch is written are claimed by a second pass at
    // once, not after it: SKIP LOCKED keeps the two apart, as it keeps replicas apart.
    let claimed = false;
    let moved: number;
    try {
      moved = await deps.escalator.fireDue(
        (batch) => {
          const send = deps.outbox.sendClaimed(batch).catch((e: unknown) => deps.log.error(errorFields(e), 'sending failed; the sweeper will retry it'));
          // In flight at once, not only once the pass has looked ahead: stop() and drain() wait for
          // its outcomes to be recorded even when that look fails (else a send left `sending` is
          // sent again once its lease passes).
          track(send);
          sends.push(send);
          passSends.add(send);
          void send.then(() => passSends.delete(send));
        },
        (steps) => {
          if (!claimed) claiming++;
          claimed = true;
          // Several steps due at once: they fall due faster than passes come round (a storm), and
          // more will while this batch is written. One alone (a steady rate) leaves the next to
          // its timer or this pass's look for it; a second pass would most often find nothing.
          if (steps > 1 && running.size < concurrentPasses && !stopped) void runOnce();
        },
      );
    } finally {
      if (claimed) claiming--;
    }
    // Nothing taken while the other pass fires what it claimed: what is due is its own, and it
    // looks for what comes next once it is done. (Arming to look again shortly, as for a step
    // another replica holds, would only wake a pass to find nothing.)
    if (!claimed && claiming > 0) return;
    // The sweep has work only when the outbox's earliest retry or lease (as last looked up,
    // across every replica) has come; most passes are for escalation steps and skip it.
    const swept = outboxDueAt === null || outboxDueAt <= deps.clock().getTime() ? await deps.outbox.sweep() : 0;
    // Work due but not taken is held by another replica's transaction (SKIP LOCKED passed it
    // by): look again shortly, not at once and again and again.
    const notBefore = (at: Date | null, took: number, now: number): number => (at === null ? Infinity : took === 0 && at.getTime() <= now ? now + heldRetryMs : at.getTime());
    // The next step is armed for now (or the spacing after this pass began), and the pass ends
    // without waiting for its sends: a step falling due while they record their outcomes (slow in
    // a storm) fires on time, not behind them.
    const escalation = await deps.escalator.nextDueAt();
    const now = deps.clock().getTime();
    arm(Math.min(now + deps.pollMs, notBefore(escalation, moved, now)));
    // The outbox's next work is looked up once the passes' sends (this one's and the other's) are
    // recorded, so that their claims (leased) do not look like work falling due when the lease
    // passes. Not a request's sends: a slow call there must not hold back a retry falling due.
    track(
      Promise.all([...sends, ...passSends]).then(async () => {
        const outbox = await deps.outbox.nextDueAt();
        outboxDueAt = notBefore(outbox, swept, deps.clock().getTime());
        arm(outboxDueAt);
      }),
    );
  };

  /**
   * Passes at once in this process: up to two, the second started when the first claims several
   * steps (pass), or by a timer, a wake-up or a drain while the first runs. A request while both
   * run runs another right after one of them ends.
   */
  const runOnce = (): Promise<void> => {
    if (running.size >= concurrentPasses) {
      again = true;
      return Promise.all(running).then(() => {});
    }
    // The loop starts after it is counted: a pass claiming at once must see it among those running.
    const loop: Promise<void> = Promise.resolve().then(async () => {
      do {
        again = false;
        try {
          await pass();
          failuresInARow = 0;
        } catch (e) {
          // Soon after one failure (a deadlock, a connection dropped): the other pass may have
          // left what fell due to this one. Later and later while they go on (the database down),
          // up to the poll.
          failuresInARow++;
          const retryMs = Math.min(deps.pollMs, heldRetryMs * 2 ** (failuresInARow - 1));
          deps.log.error({ ...errorFields(e), retryMs }, 'dispatch pass failed; trying again shortly');
          arm(deps.clock().getTime() + retryMs);
        }
      } while (again && !stopped);
    });
    const ended = (): void => void running.delete(loop);
    void loop.then(ended, ended);
    running.add(loop);
    return loop;
  };

  return {
    afterCommit(send, nextDueAt) {
      if (send.rows.length > 0) track(deps.outbox.sendClaimed(send));
      if (nextDueAt === null) return;
      arm(nextDueAt.getTime());
      // Other replicas poll anyway; a step due before their next poll is worth a wake-up. One
      // wake-up says "look at what is due from then on", so a burst of pages needs few.
      const now = deps.clock().getTime();
      const soon = nextDueAt.getTime() - now < deps.pollMs * 2;
      const covered = lastWake !== null && now - lastWake.sentAt < wakeCoalesceMs && lastWake.dueAt <= nextDueAt.getTime();
      if (soon && !covered) {
        lastWake = { sentAt: now, dueAt: nextDueAt.getTime() };
        track(notify(deps.database.dispatchDb, wakeChannel, String(nextDueAt.getTime())));
      }
    },
    outboxQueued() {
      outboxDueAt = null;
      arm(deps.clock().getTime());
    },
    async drain() {
      // Sends in flight first: their claims would otherwise count as work due when their lease passes.
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await runOnce();
      // A pass already running holds rows this one skipped: done only once every pass is.
      while (running.size > 0 || inFlight.size > 0) await Promise.all([...running, ...inFlight]);
    },
    async start() {
      started = true;
      unlisten = await deps.database.listen(wakeChannel, (payload) => {
        const at = Number(payload);
        if (Number.isFinite(at)) arm(at);
      });
      void runOnce();
    },
    async stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer.handle);
      timer = null;
      await unlisten?.();
      await Promise.all(running);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    armedFor: () => (timer === null ? null : new Date(timer.at)),
  };
}
