// Channels that note when the dispatch core hands them a notification, then deliver it through
// the development channel as the gateway would. The instant is taken as send() is called,
// before the channel does anything: "handed to the channel", the figure the issue asks for.
import type { Channel, ChannelKind, ChannelSet } from '../../src/channels/index.js';
import { monotonicMs } from './clock.js';

export interface Handoff {
  /** Monotonic ms (clock.ts), comparable with the load generator's request starts. */
  readonly monotonicMs: number;
  /** Epoch ms (Date.now(), the gateway's clock), comparable with its due instants. */
  readonly epochMs: number;
}

export interface RecordingChannels {
  readonly channels: ChannelSet;
  /** The first handoff of each ladder step, by `pageId/cycle/step`. */
  readonly firstByStep: ReadonlyMap<string, Handoff>;
  /** Notifications handed over per page (first attempts only). */
  readonly perPage: ReadonlyMap<string, number>;
  /** Sends beyond a notification's first attempt (retries, lease takeovers): zero in a healthy run. */
  readonly repeatedAttempts: () => number;
}

export const stepKey = (pageId: string, cycle: number, step: number): string => `${pageId}/${cycle}/${step}`;

/** Wraps `inner`, noting every handoff on both clocks. */
export function recordingChannels(inner: ChannelSet): RecordingChannels {
  const firstByStep = new Map<string, Handoff>();
  const perPage = new Map<string, number>();
  let repeated = 0;
  const wrap = (channel: Channel): Channel => ({
    kind: channel.kind,
    send(n) {
      const at = monotonicMs();
      const epochMs = Date.now();
      if (n.attempt === 1) {
        const key = stepKey(n.pageId, n.cycle, n.step);
        if (!firstByStep.has(key)) firstByStep.set(key, { monotonicMs: at, epochMs });
        perPage.set(n.pageId, (perPage.get(n.pageId) ?? 0) + 1);
      } else {
        repeated++;
      }
      return channel.send(n);
    },
  });
  const channels = Object.fromEntries(Object.entries(inner).map(([kind, channel]) => [kind, wrap(channel)])) as Record<ChannelKind, Channel>;
  return { channels, firstByStep, perPage, repeatedAttempts: () => repeated };
}
