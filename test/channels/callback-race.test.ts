// A provider's failure callback can arrive while the gateway is still recording the send it is
// about (the request returned, the outcome not yet written). The failure must still count: the
// notification ends failed and fails over, whatever the channel answered.
import { describe, expect, it } from 'vitest';
import { createDevChannels, type Channel } from '../../src/channels/index.js';
import { tables } from '../../src/db/index.js';
import type { PageView } from '../../src/dispatch/index.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, type TestGateway } from '../support/gateway.js';

const start = gatewayPerTest();

describe(`a failure callback during the send (${testDriver})`, () => {
  it('fails the notification over even though the channel answered sent', async () => {
    let t: TestGateway | null = null;
    const clock = () => t!.clock();
    const dev = createDevChannels({ clock });
    // An SMS channel whose provider reports the text undelivered before the send is recorded.
    const sms: Channel = {
      kind: 'sms',
      async send(n) {
        const now = clock();
        await t!.g.database.db.insert(tables.deliveries).values({ notificationId: n.id, channel: 'sms', contact: '+13125550104', status: 'failed', providerId: `SM-${n.id}`, providerStatus: 'undelivered', rank: 5, text: n.message.channel === 'sms' ? n.message.text : '', createdAt: now, updatedAt: now });
        return { status: 'sent', providerId: `SM-${n.id}` };
      },
    };
    t = await start({ at: '2026-11-01T07:30:00Z', deps: { channels: { ...dev.channels, sms } } });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const res = await t.call('POST', '/v1/alerts', lab, { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W', bed: '12', patient: { name: 'Jane Roe' } } });
    const { page } = (await res.json()) as { page: { id: string } };
    await t.g.drain();
    const v = (await (await t.call('GET', `/v1/pages/${page.id}`, t.admin)).json()) as PageView;
    expect(v.notifications.find((n) => n.channel === 'sms')!.delivery).toMatchObject({ status: 'failed', error: 'every delivery failed, as the provider reported' });
    // Failover: the step had push and SMS; the next channel after SMS is a call.
    expect(dev.records.map((r) => `${r.step} ${r.channel}`).sort()).toEqual(['0 push', '0 voice']);
    expect(v.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['notification.failed', 'notification.failed-over']));
  });
});
