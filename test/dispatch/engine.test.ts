// The engine's timing: it arms a timer for the exact instant the next step falls due, and a
// page opened on one replica wakes the others (NOTIFY) so whichever is free fires the step, once.
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { createDispatchEngine, defaultTuning, type Escalator, type Outbox, type Timers } from '../../src/dispatch/index.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE } from '../support/gateway.js';

const start = gatewayPerTest();
const night = new Date('2026-11-01T07:30:00Z');
const critical = { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W' } };

/** Timers the test fires by hand: what the engine armed, and for how long. */
function handTimers(): Timers & { armed(): { ms: number; fire(): void }[] } {
  let next = 0;
  const pending = new Map<number, { ms: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      const id = ++next;
      pending.set(id, { ms, fn });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    armed: () =>
      [...pending.entries()].map(([id, t]) => ({
        ms: t.ms,
        fire: () => {
          pending.delete(id);
          t.fn();
        },
      })),
  };
}

// A long poll, so that what is armed is the due instant itself, not the safety net.
const tuning = { pollMs: 30 * MINUTE };

describe(`the dispatch engine (${testDriver})`, () => {
  it('arms its timer for the instant the next step falls due, and fires it then', async () => {
    const timers = handTimers();
    const t = await start({ at: night, deps: { background: true, timers, tuning } });
    await t.g.drain();
    const lab = await t.token({ kind: 'source', name: 'lab' });
    await t.call('POST', '/v1/alerts', lab, critical);
    await t.g.drain();
    expect(t.g.dispatcher.engine.armedFor()).toEqual(new Date(night.getTime() + 2 * MINUTE));
    expect(timers.armed().map((a) => a.ms)).toEqual([2 * MINUTE]);

    t.clock.advance(2 * MINUTE);
    timers.armed()[0]!.fire();
    await vi.waitFor(() => expect(t.g.devDeliveries.map((d) => d.channel)).toContain('voice'));
    await t.g.drain();
    // Next: the nocturnist at 5m.
    expect(t.g.dispatcher.engine.armedFor()).toEqual(new Date(night.getTime() + 5 * MINUTE));
  });

  it('a page opened on one replica wakes another, and the step fires on exactly one of them', async () => {
    const timersA = handTimers();
    const timersB = handTimers();
    const a = await start({ at: night, deps: { background: true, timers: timersA, tuning } });
    const b = await start({ at: night, database: a.g.database, keys: a, deps: { background: true, timers: timersB, tuning, clock: a.clock } });
    await Promise.all([a.g.drain(), b.g.drain()]);
    const lab = await a.token({ kind: 'source', name: 'lab' });
    const res = await a.call('POST', '/v1/alerts', lab, critical);
    expect(res.status).toBe(202);
    const due = new Date(night.getTime() + 2 * MINUTE);
    // B learns of the step from the NOTIFY, not from a poll: its poll is half an hour away.
    await vi.waitFor(() => expect(b.g.dispatcher.engine.armedFor()).toEqual(due), { timeout: 5000 });

    a.clock.advance(2 * MINUTE);
    const fireAll = (timers: ReturnType<typeof handTimers>) => timers.armed().forEach((t) => t.fire());
    fireAll(timersB);
    fireAll(timersA);
    await Promise.all([a.g.drain(), b.g.drain()]);
    const voice = [...a.g.devDeliveries, ...b.g.devDeliveries].filter((d) => d.channel === 'voice');
    expect(voice).toHaveLength(1);
  });
});

/** A promise and the hand that settles it. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every callback already queued run (no I/O is involved): for checking that something has not happened. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const idleOutbox: Outbox = { sendClaimed: async () => 0, sweep: async () => 0, nextDueAt: async () => null };

/** An engine over fakes of its escalator and outbox, with timers fired by hand; the in-memory database is for its LISTEN. */
async function engineOver(escalator: Escalator, outbox: Outbox = idleOutbox, passSpacingMs = defaultTuning.writeSpacingMs) {
  const database = await openDatabase({ driver: 'pglite', dataDir: null });
  const timers = handTimers();
  const engine = createDispatchEngine({ database, escalator, outbox, clock: () => night, log: pino({ level: 'silent' }), pollMs: 30 * MINUTE, passSpacingMs, timers });
  return { database, timers, engine };
}

describe('the dispatch engine between passes', () => {
  it('arms nothing for an outbox with nothing to come, even when the lookup ends while no timer is armed', async () => {
    // The outbox's next work is looked up after a pass's sends, while the next pass may already
    // be running with its timer spent: "nothing to come" must leave the timer alone, not arm
    // one for 1 ms (what setTimeout makes of Infinity) and spin.
    const outboxLookups = [deferred<Date | null>(), deferred<Date | null>()];
    const stepLookups = [Promise.resolve(null), new Promise<null>(() => {})];
    let outboxCalls = 0;
    let stepCalls = 0;
    const escalator: Escalator = { fireDue: async () => 0, nextDueAt: () => stepLookups[stepCalls++] ?? Promise.resolve(null) };
    const outbox: Outbox = { sendClaimed: async () => 0, sweep: async () => 0, nextDueAt: () => outboxLookups[outboxCalls++]?.promise ?? Promise.resolve(null) };
    const { database, timers, engine } = await engineOver(escalator, outbox);
    try {
      await engine.start();
      // The first pass armed its poll and is waiting for the outbox's lookup.
      await vi.waitFor(() => expect(outboxCalls).toBe(1));
      expect(timers.armed().map((a) => a.ms)).toEqual([30 * MINUTE]);
      // The poll goes off: a second pass starts and stays in its step lookup, no timer armed.
      timers.armed()[0]!.fire();
      await vi.waitFor(() => expect(stepCalls).toBe(2));
      expect(timers.armed()).toEqual([]);
      // The first pass's outbox lookup ends now: nothing to come.
      outboxLookups[0]!.resolve(null);
      await settle();
      expect(timers.armed().map((a) => a.ms)).toEqual([]);
      expect(engine.armedFor()).toBeNull();
    } finally {
      outboxLookups[1]!.resolve(null);
      await database.close();
    }
  });

  it('looks again soon after a pass fails, later while failures go on, and at its poll once a pass succeeds', async () => {
    // A pass that took nothing while another claimed relies on that one to look again: when it
    // fails, the steps falling due meanwhile must not wait for the poll.
    const outcomes: ('fail' | 'ok')[] = ['fail', 'fail', 'fail', 'ok', 'fail'];
    let calls = 0;
    const escalator: Escalator = {
      async fireDue() {
        if (outcomes[calls++] === 'fail') throw new Error('deadlock detected');
        return 0;
      },
      nextDueAt: async () => null,
    };
    const { database, timers, engine } = await engineOver(escalator);
    const armedAfter = async (call: number) => {
      await vi.waitFor(() => expect({ calls, armed: timers.armed().length }).toEqual({ calls: call, armed: 1 }));
      return timers.armed()[0]!;
    };
    try {
      await engine.start();
      const waits: number[] = [];
      for (let call = 1; call <= outcomes.length; call++) {
        const next = await armedAfter(call);
        waits.push(next.ms);
        next.fire();
      }
      expect(waits).toEqual([25, 50, 100, 30 * MINUTE, 25]);
    } finally {
      await engine.stop();
      await database.close();
    }
  });

  it('stops only once both passes have ended, and arms and starts nothing after', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    let calls = 0;
    const escalator: Escalator = {
      async fireDue(_onQueued, onClaimed) {
        const gate = gates[calls++];
        onClaimed?.(2);
        await gate?.promise;
        return 2;
      },
      nextDueAt: async () => new Date(night.getTime() + MINUTE),
    };
    const { database, timers, engine } = await engineOver(escalator);
    try {
      await engine.start();
      await vi.waitFor(() => expect(calls).toBe(2));
      let stopped = false;
      const stopping = engine.stop().then(() => (stopped = true));
      gates[1]!.resolve();
      await settle();
      expect(stopped).toBe(false); // the first pass is still writing
      gates[0]!.resolve();
      await stopping;
      // Both passes found more due and would have armed for it, or run again: not once stopped.
      await settle();
      expect({ calls, armed: timers.armed().length, armedFor: engine.armedFor() }).toEqual({ calls: 2, armed: 0, armedFor: null });
    } finally {
      for (const g of gates) g.resolve();
      await database.close();
    }
  });

  it('starts no second pass for a pass that claimed one step alone (a steady rate): only a timer starts one', async () => {
    const gate = deferred<void>();
    let calls = 0;
    const escalator: Escalator = {
      async fireDue(_onQueued, onClaimed) {
        calls++;
        onClaimed?.(1);
        await gate.promise;
        return 1;
      },
      nextDueAt: async () => new Date(night.getTime() + MINUTE),
    };
    const { database, timers, engine } = await engineOver(escalator);
    try {
      await engine.start();
      await settle();
      expect(calls).toBe(1);
      // A step armed for falls due while the first pass still writes: its timer starts the second.
      engine.afterCommit({ rows: [], pages: new Map() }, night);
      timers.armed()[0]!.fire();
      await vi.waitFor(() => expect(calls).toBe(2));
    } finally {
      gate.resolve();
      await engine.stop();
      await database.close();
    }
  });

  it('arms for a step that fell due while a pass wrote the one step it claimed: its spacing after that pass began, or at once without spacing', async () => {
    // A steady rate of pages: each pass finds the next step already due. Spaced, the steps
    // falling due meanwhile go together in the next pass's transaction, not one transaction each.
    const armedAfterOnePass = async (spacingMs: number) => {
      let calls = 0;
      const escalator: Escalator = {
        async fireDue(_onQueued, onClaimed) {
          calls++;
          onClaimed?.(1);
          return 1;
        },
        // The next step was due by the time the pass looked (the clock stands at `night`).
        nextDueAt: async () => night,
      };
      const { database, timers, engine } = await engineOver(escalator, idleOutbox, spacingMs);
      try {
        await engine.start();
        await vi.waitFor(() => expect(timers.armed()).toHaveLength(1));
        expect(calls).toBe(1);
        return timers.armed()[0]!.ms;
      } finally {
        await engine.stop();
        await database.close();
      }
    };
    expect(await armedAfterOnePass(0)).toBe(0);
    const spaced = await armedAfterOnePass(500);
    expect(spaced).toBeGreaterThan(0);
    expect(spaced).toBeLessThanOrEqual(500);
  });

  it('claims the steps falling due while a pass writes its batch of several in a second pass, never a third, and drains only once both are done', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    let calls = 0;
    let active = 0;
    let most = 0;
    // Each batch claims steps at once (onClaimed), then waits to be let through its writes.
    const escalator: Escalator = {
      async fireDue(_onQueued, onClaimed) {
        const gate = gates[calls++];
        most = Math.max(most, ++active);
        onClaimed?.(2);
        await gate?.promise;
        active--;
        return 1;
      },
      nextDueAt: async () => null,
    };
    const { database, engine } = await engineOver(escalator);
    try {
      await engine.start();
      // The first pass claimed, and a second started while the first still writes.
      await vi.waitFor(() => expect(calls).toBe(2));
      await settle();
      expect({ calls, active, most }).toEqual({ calls: 2, active: 2, most: 2 });
      let drained = false;
      const drain = engine.drain().then(() => (drained = true));
      gates[1]!.resolve();
      await settle();
      expect(drained).toBe(false); // the first pass is still writing
      gates[0]!.resolve();
      await drain;
      expect({ active, most }).toEqual({ active: 0, most: 2 });
    } finally {
      for (const g of gates) g.resolve();
      await engine.stop();
      await database.close();
    }
  });
});
