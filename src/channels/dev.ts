// The development channel: stands in for push, SMS, voice and the pager until the real ones are
// configured. It delivers nothing; it records each delivery (in memory unless told not to, in a
// JSON-lines file when given one) and prints it under `pagerless serve`. Tests and benchmarks
// read its records.
//
// Like a provider that honours idempotency keys, it delivers each key once: a send repeated
// after a crash between "sent" and "recorded" is recorded as a duplicate, not delivered again.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { channelKinds, type ChannelKind } from '../../grammar/index.js';
import { ackCodePlaceholder, type Channel, type ChannelSet, type DeliveryResult, type OutboundNotification, type Recipient } from './channel.js';

export interface DevDelivery {
  readonly at: string;
  readonly idempotencyKey: string;
  readonly notification: number;
  readonly pageId: string;
  readonly workflow: string;
  readonly cycle: number;
  readonly step: number;
  readonly channel: ChannelKind;
  readonly recipient: Recipient;
  readonly text: string;
  readonly attempt: number;
  /** Which gateway process delivered it (several replicas can share one file). */
  readonly replica: string;
  /** This key had been delivered before: a repeat the provider swallowed. */
  readonly duplicate: boolean;
}

export interface DevChannelOptions {
  readonly clock: () => Date;
  /** Append every record to this JSON-lines file, and learn the keys already in it at start. */
  readonly file?: string | null;
  /** Print each delivery (under `pagerless serve`). */
  readonly print?: ((line: string) => void) | null;
  readonly replica?: string;
  /**
   * Keep each record in memory (the default: tests and the latency benchmark read them). Off for
   * a long load run, whose figures come from /metrics: a real channel holds nothing once it has
   * handed a message over, and records by the ten thousand would make every major garbage
   * collection of the gateway's process longer than a real one's. The keys delivered are kept
   * either way (a short string each), to swallow a repeat as a provider would.
   */
  readonly keepRecords?: boolean;
  /** For tests: answer some sends differently (a failure, a retry); undefined delivers. */
  readonly outcome?: (n: OutboundNotification) => DeliveryResult | undefined;
}

export interface DevChannels {
  readonly channels: ChannelSet;
  /** Every record this process made, in order (none when `keepRecords` is false). */
  readonly records: readonly DevDelivery[];
}

export function createDevChannels(options: DevChannelOptions): DevChannels {
  const records: DevDelivery[] = [];
  const file = options.file ?? null;
  const delivered = new Set<string>(file === null ? [] : keysIn(file));
  if (file !== null) mkdirSync(dirname(file), { recursive: true });
  const replica = options.replica ?? `pid-${process.pid}`;

  const channel = (kind: ChannelKind): Channel => ({
    kind,
    async send(n) {
      const scripted = options.outcome?.(n);
      if (scripted !== undefined && scripted.status !== 'delivered' && scripted.status !== 'sent') return scripted;
      const duplicate = delivered.has(n.idempotencyKey);
      delivered.add(n.idempotencyKey);
      const record: DevDelivery = {
        at: options.clock().toISOString(),
        idempotencyKey: n.idempotencyKey,
        notification: n.id,
        pageId: n.pageId,
        workflow: n.workflow,
        cycle: n.cycle,
        step: n.step,
        channel: kind,
        recipient: n.recipient,
        // No phones here to number replies for: the page's reference stands in for the reply code.
        text: n.message.channel === 'push' ? `${n.message.title} / ${n.message.body}` : n.message.text.replaceAll(ackCodePlaceholder, n.pageId.slice(0, 8)),
        attempt: n.attempt,
        replica,
        duplicate,
      };
      if (options.keepRecords !== false) records.push(record);
      // One write per record with O_APPEND: replicas sharing the file never interleave a line.
      if (file !== null) appendFileSync(file, `${JSON.stringify(record)}\n`);
      if (!duplicate) options.print?.(`[dev ${kind}] ${describe(n.recipient)} · page ${n.pageId.slice(0, 8)} step ${n.cycle}.${n.step}: ${record.text}`);
      return { status: 'delivered', providerId: `dev-${n.idempotencyKey}` };
    },
  });
  const channels = Object.fromEntries(channelKinds.map((k) => [k, channel(k)])) as Record<ChannelKind, Channel>;
  return { channels, records };
}

/** Reads a dev channel file: every record, in the order written. */
export function readDevDeliveries(file: string): DevDelivery[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DevDelivery);
}

function keysIn(file: string): string[] {
  return readDevDeliveries(file).map((r) => r.idempotencyKey);
}

function describe(r: Recipient): string {
  switch (r.kind) {
    case 'person':
      return r.personId;
    case 'team':
      return `team ${r.team} (${r.inbox})`;
    case 'legacy-pager':
      return `pager group ${r.group}`;
  }
}
