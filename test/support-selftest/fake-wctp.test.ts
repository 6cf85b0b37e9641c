// The fake WCTP gateway against requests built the way the WCTP 1.3 DTD lays them out.
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeWctp, type FakeWctp } from '../support/fake-wctp.js';

interface SubmitToBuild {
  messageId: string;
  senderId: string;
  recipientId: string;
  text: string;
  at: Date;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** A wctp-SubmitRequest as a pager client sends it; WCTP timestamps are UTC without a zone. */
function wctpSubmitXml(submit: SubmitToBuild): string {
  const timestamp = submit.at.toISOString().slice(0, 19);
  return `<?xml version="1.0"?>
<!DOCTYPE wctp-Operation SYSTEM "http://dtd.wctp.org/wctp-dtd-v1r3.dtd">
<wctp-Operation wctpVersion="wctp-dtd-v1r3">
  <wctp-SubmitRequest>
    <wctp-SubmitHeader submitTimestamp="${timestamp}">
      <wctp-Originator senderID="${escapeXml(submit.senderId)}"/>
      <wctp-MessageControl messageID="${escapeXml(submit.messageId)}" allowResponse="false" notifyWhenDelivered="false"/>
      <wctp-Recipient recipientID="${escapeXml(submit.recipientId)}"/>
    </wctp-SubmitHeader>
    <wctp-Payload><wctp-Alphanumeric>${escapeXml(submit.text)}</wctp-Alphanumeric></wctp-Payload>
  </wctp-SubmitRequest>
</wctp-Operation>`;
}

const labCritical: SubmitToBuild = {
  messageId: 'notification-42',
  senderId: 'pagerless',
  recipientId: 'LAB-CRIT-2231',
  text: 'LAB CRIT K 5W 1a2b3c4d',
  at: new Date('2026-11-01T07:40:00Z'),
};

type Confirmation = { status: number; success: { code: number; text: string } | null; failure: { code: number; text: string } | null };

const confirmationParser = new XMLParser({ ignoreAttributes: false, parseAttributeValue: false });

async function post(wctp: FakeWctp, body: string, contentType = 'text/xml; charset=utf-8'): Promise<Confirmation> {
  const response = await fetch(wctp.url, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  if (response.status !== 200) return { status: response.status, success: null, failure: null };
  expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
  const document = confirmationParser.parse(await response.text(), true) as {
    'wctp-Operation': { 'wctp-Confirmation': Record<string, Record<string, string> | undefined> };
  };
  const confirmation = document['wctp-Operation']['wctp-Confirmation'];
  const success = confirmation['wctp-Success'];
  const failure = confirmation['wctp-Failure'];
  return {
    status: 200,
    success: success ? { code: Number(success['@_successCode']), text: success['@_successText'] ?? '' } : null,
    failure: failure ? { code: Number(failure['@_errorCode']), text: failure['@_errorText'] ?? '' } : null,
  };
}

let wctp: FakeWctp;
beforeEach(async () => {
  wctp = await startFakeWctp();
});
afterEach(async () => {
  await wctp.close();
});

describe('the fake WCTP gateway', () => {
  it('accepts a lab critical page and records every field', async () => {
    const xml = wctpSubmitXml(labCritical);
    const answer = await post(wctp, xml);
    expect(answer).toEqual({ status: 200, success: { code: 200, text: 'Message accepted' }, failure: null });
    expect(wctp.received).toEqual([
      { messageId: 'notification-42', senderId: 'pagerless', recipientId: 'LAB-CRIT-2231', text: 'LAB CRIT K 5W 1a2b3c4d', submitTimestamp: '2026-11-01T07:40:00', rawXml: xml },
    ]);
  });

  it('gives back text with XML special characters, accents and spacing exactly as sent', async () => {
    const text = ' K<2.5 & Na>150 "now" it\'s 5W-12 — café ';
    const xml = wctpSubmitXml({ ...labCritical, text, messageId: 'a&b<"00042">' });
    expect(xml).toContain('K&lt;2.5 &amp; Na&gt;150');
    expect((await post(wctp, xml, 'application/xml')).success?.code).toBe(200);
    expect(wctp.received[0]).toMatchObject({ text, messageId: 'a&b<"00042">' });
  });

  it('decodes numeric character references', async () => {
    const xml = wctpSubmitXml(labCritical).replace('LAB CRIT', 'caf&#233; &#x2713; &amp;#38;');
    expect((await post(wctp, xml)).success?.code).toBe(200);
    expect(wctp.received[0]?.text).toBe('café ✓ &#38; K 5W 1a2b3c4d');
  });

  it('refuses a pager id it was told to, as many times as it was told', async () => {
    wctp.failFor('LAB-CRIT-2231', { code: 401, text: 'Invalid recipientID' }, 2);
    for (let i = 0; i < 2; i += 1) {
      expect((await post(wctp, wctpSubmitXml({ ...labCritical, messageId: `m-${i}` }))).failure).toEqual({ code: 401, text: 'Invalid recipientID' });
    }
    expect((await post(wctp, wctpSubmitXml({ ...labCritical, recipientId: 'RT-4410' }))).success?.code).toBe(200);
    expect((await post(wctp, wctpSubmitXml({ ...labCritical, messageId: 'm-2' }))).success?.code).toBe(200);
    expect(wctp.received.map((s) => s.recipientId)).toEqual(['RT-4410', 'LAB-CRIT-2231']);
    expect(wctp.refused).toEqual([
      { messageId: 'm-0', recipientId: 'LAB-CRIT-2231', code: 401, text: 'Invalid recipientID' },
      { messageId: 'm-1', recipientId: 'LAB-CRIT-2231', code: 401, text: 'Invalid recipientID' },
    ]);
  });

  it('keeps refusing a pager id when no count is given', async () => {
    wctp.failFor('LAB-CRIT-2231', { code: 401, text: 'Invalid recipientID' });
    for (let i = 0; i < 5; i += 1) expect((await post(wctp, wctpSubmitXml({ ...labCritical, messageId: `m-${i}` }))).failure?.code).toBe(401);
    expect(wctp.received).toEqual([]);
  });

  it('answers 503 through an outage, then pages again', async () => {
    wctp.unavailable(2);
    expect((await post(wctp, wctpSubmitXml(labCritical))).status).toBe(503);
    expect((await post(wctp, wctpSubmitXml(labCritical))).status).toBe(503);
    expect((await post(wctp, wctpSubmitXml(labCritical))).success?.code).toBe(200);
    expect(wctp.received).toHaveLength(1);
  });

  it('answers malformed XML and submits missing their parts with a 300 syntax error', async () => {
    const complete = wctpSubmitXml(labCritical);
    const broken = [
      complete.replace('</wctp-SubmitHeader>', ''),
      'LAB CRIT K 5W',
      complete.replace(' recipientID="LAB-CRIT-2231"', ''),
      complete.replace(/<wctp-Recipient[^>]*>/, ''),
      complete.replace(' messageID="notification-42"', ''),
      complete.replace(/<wctp-Payload>.*<\/wctp-Payload>/, ''),
      complete.replace('LAB CRIT K 5W 1a2b3c4d', '  '),
      complete.replace('LAB CRIT', 'LAB &nbsp; CRIT'),
      complete.replace('LAB CRIT', 'LAB & CRIT'),
      complete.replace(/<wctp-Recipient[^>]*>/, '<wctp-Recipient recipientID="A"/><wctp-Recipient recipientID="B"/>'),
    ];
    for (const xml of broken) {
      const answer = await post(wctp, xml);
      expect(answer.failure?.code, xml).toBe(300);
      expect(answer.failure?.text).toMatch(/^Syntax error/);
    }
    expect(wctp.received).toEqual([]);
  });

  it('refuses entities a DOCTYPE declares, and never reads an external one', async () => {
    const external = wctpSubmitXml(labCritical)
      .replace('wctp-dtd-v1r3.dtd">', 'wctp-dtd-v1r3.dtd" [<!ENTITY secret SYSTEM "file:///etc/passwd">]>')
      .replace('LAB CRIT', '&secret;');
    const internal = wctpSubmitXml(labCritical).replace('wctp-dtd-v1r3.dtd">', 'wctp-dtd-v1r3.dtd" [<!ENTITY ward "5W">]>');
    for (const xml of [external, internal]) expect((await post(wctp, xml)).failure?.code).toBe(300);
    expect(wctp.received).toEqual([]);
  });

  it('pages a message sent twice only once, and says so with success both times', async () => {
    expect((await post(wctp, wctpSubmitXml(labCritical))).success?.code).toBe(200);
    expect((await post(wctp, wctpSubmitXml(labCritical))).success?.code).toBe(200);
    expect(wctp.received).toHaveLength(1);
    expect(wctp.duplicates).toBe(1);
  });

  it('refuses a message longer than 240 characters with 411', async () => {
    expect((await post(wctp, wctpSubmitXml({ ...labCritical, text: 'é'.repeat(240) }))).success?.code).toBe(200);
    const answer = await post(wctp, wctpSubmitXml({ ...labCritical, messageId: 'long', text: 'x'.repeat(241) }));
    expect(answer.failure).toEqual({ code: 411, text: 'Message too long' });
    expect(wctp.received.map((s) => s.messageId)).toEqual(['notification-42']);
  });

  it('answers 415 to a body that is not XML by its content type', async () => {
    expect((await post(wctp, wctpSubmitXml(labCritical), 'application/json')).status).toBe(415);
    expect((await post(wctp, wctpSubmitXml(labCritical), 'text/plain')).status).toBe(415);
    expect(wctp.received).toEqual([]);
  });
});
