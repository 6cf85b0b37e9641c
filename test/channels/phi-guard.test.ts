// The runtime PHI guard: no value of an alert's PHI field reaches SMS, voice, a lock-screen push
// or a pager, even through a template the compiler accepted (a clinical system put a patient's
// name where the unit belongs).
import { describe, expect, it } from 'vitest';
import { phiGuard } from '../../src/channels/index.js';
import { testDriver } from '../support/db.js';
import { channelFakesPerTest, enrollDevice } from '../support/channel-fakes.js';
import { gatewayPerTest, MINUTE } from '../support/gateway.js';
import type { PageView } from '../../src/dispatch/index.js';

const start = gatewayPerTest();
const channels = channelFakesPerTest();

describe('the PHI guard', () => {
  const guard = phiGuard({ 'patient.name': 'Jane Roe', 'patient.mrn': 'MRN 00-778-899', 'patient.dob': '1980-03-04' });

  it('finds a name however it is cased, spaced, ordered, joined or cut down to one part of it', () => {
    for (const text of ['Critical K on JANE  ROE', 'Critical K on ROE^JANE', 'ROE, JANE', 'JaneRoe', 'Jane-Roe', 'Jane_Roe', 'J a n e R o e', 'Jane\u200bRoe', 'for Roe', 'Jáne']) {
      expect(guard(text), text).toEqual({ field: 'patient.name' });
    }
  });

  it('finds an identifier however it is separated, and a date in its usual spellings', () => {
    for (const text of ['bed 00778899 now', 'call about 00.778.899', 'MRN 00-778-899']) expect(guard(text), text).toEqual({ field: 'patient.mrn' });
    for (const text of ['born 03/04/1980', '19800304', '4.3.1980', '3/4/1980']) expect(guard(text), text).toEqual({ field: 'patient.dob' });
  });

  it('passes a text with none of it', () => {
    expect(guard('Critical K on 5W. Open Pagerless: {link} (reply {ack_code} to acknowledge)')).toBeNull();
    expect(guard('Rapid response 5 West bed 12')).toBeNull();
    expect(guard('Janet Roeder on 5W')).toBeNull();
  });
});

describe(`the PHI guard in the gateway (${testDriver})`, () => {
  it('refuses every channel a text that holds a PHI value, records each refusal as an incident, and sends nothing of it', async () => {
    const fakes = await channels();
    const t = await start({ at: '2026-11-01T07:30:00Z', ...fakes.gatewayOptions });
    await enrollDevice(t, fakes, 'amion:A-1004');
    await enrollDevice(t, fakes, 'amion:A-1101');
    const lab = await t.token({ kind: 'source', name: 'lab' });
    // `unit` is not PHI, so every template may use it; this sender put the patient's name in it.
    const res = await t.call('POST', '/v1/alerts', lab, { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: 'Jane Roe', bed: '12', patient: { name: 'Jane Roe', mrn: 'MRN-778899' } } });
    expect(res.status).toBe(202);
    const { page } = (await res.json()) as { page: { id: string } };
    await t.g.drain();
    for (let i = 0; i < 11; i++) await t.advance(MINUTE);

    // Nothing reached a phone, a lock screen or a pager.
    expect(fakes.push.received).toHaveLength(0);
    expect(fakes.twilio.messages).toHaveLength(0);
    expect(fakes.twilio.calls).toHaveLength(0);
    expect(fakes.wctp.received).toHaveLength(0);

    const v = (await (await t.call('GET', `/v1/pages/${page.id}`, t.admin)).json()) as PageView;
    const refusals = v.timeline.filter((e) => e.kind === 'phi.guard.refused');
    expect(new Set(refusals.map((e) => e.data['channel']))).toEqual(new Set(['push', 'sms', 'voice', 'pager']));
    expect(refusals.every((e) => e.data['field'] === 'patient.name')).toBe(true);
    // The incident names the field, never the value: not in the timeline, not in the page view.
    expect(JSON.stringify(v)).not.toMatch(/Jane|Roe/);
    for (const n of v.notifications) {
      // The desk's inbox is the gateway's own page view, not a channel leaving the building; its push is refused too.
      expect(n.delivery).toMatchObject({ status: 'failed', error: expect.stringMatching(/^refused by the PHI guard/) });
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/pagerless_phi_guard_refusals_total\{channel="sms"\} [1-9]/);
  });
});
