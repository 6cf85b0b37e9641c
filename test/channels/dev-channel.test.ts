// The development channel: it delivers each idempotency key once, like a provider that honours
// them, and keeps its records in memory unless told not to (a long load run).
import { describe, expect, it } from 'vitest';
import { createDevChannels, type OutboundNotification } from '../../src/channels/index.js';

const at = new Date('2026-11-01T07:30:00Z');

function sms(id: number, key: string): OutboundNotification {
  return {
    id,
    idempotencyKey: key,
    pageId: '7f1c2a9e-0000-4000-8000-000000000001',
    workflow: 'critical-lab',
    cycle: 0,
    step: 0,
    recipient: { kind: 'person', personId: 'dr-okafor' },
    message: { channel: 'sms', text: 'Critical lab, 5W. Reply {ack_code} to acknowledge.' },
    attempt: 1,
    links: { page: 'http://gw/p/1', ack: 'http://gw/ack/t', ackToken: 't' },
    ttlSeconds: 120,
  };
}

describe('the development channel', () => {
  it('records each delivery, and a repeated key as a duplicate', async () => {
    const dev = createDevChannels({ clock: () => at });
    expect(await dev.channels.sms.send(sms(1, 'k-1'))).toEqual({ status: 'delivered', providerId: 'dev-k-1' });
    await dev.channels.sms.send(sms(1, 'k-1'));
    expect(dev.records.map((r) => `${r.notification} ${r.duplicate ? 'duplicate' : 'new'}: ${r.text}`)).toEqual([
      '1 new: Critical lab, 5W. Reply 7f1c2a9e to acknowledge.',
      '1 duplicate: Critical lab, 5W. Reply 7f1c2a9e to acknowledge.',
    ]);
  });

  it('keeps no records with keepRecords false, and still delivers each key once', async () => {
    const printed: string[] = [];
    const dev = createDevChannels({ clock: () => at, keepRecords: false, print: (line) => printed.push(line) });
    for (const key of ['k-1', 'k-1', 'k-2']) expect((await dev.channels.sms.send(sms(1, key))).status).toBe('delivered');
    expect(dev.records).toEqual([]);
    expect(printed).toHaveLength(2); // the repeat of k-1 was swallowed, not delivered again
  });
});
