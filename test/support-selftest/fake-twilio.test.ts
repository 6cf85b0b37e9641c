// The fake Twilio is only worth having if it behaves like Twilio: the real `twilio` client must
// be able to send through it, and the requests it sends back must pass twilio's own signature
// check. These tests hold it to that, against the client and a bare receiver standing in for
// the gateway.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';

/** The client's own HTTP stack, sent to the fake instead of api.twilio.com. */
class ToFakeTwilio extends twilio.RequestClient {
  constructor(private readonly fakeUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(/^https:\/\/api\.twilio\.com/, this.fakeUrl) });
  }
}

function clientFor(fake: FakeTwilio, credentials: { sid?: string; token?: string } = {}): twilio.Twilio {
  return twilio(credentials.sid ?? fake.accountSid, credentials.token ?? fake.authToken, { httpClient: new ToFakeTwilio(fake.url) });
}

/** What the receiver saw of one request, with the URL it was sent to as Twilio signed it. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly params: Record<string, string>;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** A bare HTTP server in the gateway's place: answers each path with the body given, 200 and empty otherwise. */
async function startReceiver(answers: Record<string, { status?: number; body: string }>): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? '/'}`;
      received.push({ method: req.method ?? '', url, headers: req.headers, params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) });
      const answer = answers[new URL(url).pathname];
      res.writeHead(answer?.status ?? 200, { 'Content-Type': 'text/xml' });
      res.end(answer?.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function signatureValid(fake: FakeTwilio, request: Received | undefined): boolean {
  if (request === undefined) throw new Error('the receiver got no request');
  const signature = request.headers['x-twilio-signature'];
  return typeof signature === 'string' && twilio.validateRequest(fake.authToken, signature, request.url, request.params);
}

const MENU = '<Response><Gather action="/gather?x=1" numDigits="1"><Say>Hi</Say></Gather><Redirect>/again</Redirect></Response>';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function fakeTwilio(): Promise<FakeTwilio> {
  const fake = await startFakeTwilio();
  stops.push(() => fake.close());
  return fake;
}

async function receiver(answers: Record<string, { status?: number; body: string }> = {}): Promise<Receiver> {
  const started = await startReceiver(answers);
  stops.push(() => started.close());
  return started;
}

async function restFailure(attempt: Promise<unknown>): Promise<{ code: unknown; status: unknown; moreInfo: unknown }> {
  const error: unknown = await attempt.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(twilio.RestException);
  const { code, status, moreInfo } = error as twilio.RestException;
  return { code, status, moreInfo };
}

describe('the fake Twilio, through the real twilio client', () => {
  it('sends a text and remembers what was asked', async () => {
    const fake = await fakeTwilio();
    const sent = await clientFor(fake).messages.create({ to: '+15551230001', from: '+15559990000', body: 'K+ 6.8 in bed 12', statusCallback: 'http://gateway.test/twilio/status' });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    expect(sent.dateCreated).toBeInstanceOf(Date);
    expect(sent.accountSid).toBe(fake.accountSid);
    expect(fake.messages).toEqual([
      { sid: sent.sid, to: '+15551230001', from: '+15559990000', messagingServiceSid: null, body: 'K+ 6.8 in bed 12', statusCallback: 'http://gateway.test/twilio/status', status: 'queued', callbacks: [] },
    ]);
  });

  it('places a call, keeping every status callback event asked for', async () => {
    const fake = await fakeTwilio();
    const placed = await clientFor(fake).calls.create({
      to: '+15551230001',
      from: '+15559990000',
      url: 'http://gateway.test/twilio/voice?page=p1',
      statusCallback: 'http://gateway.test/twilio/call-status',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'Enable',
    });
    expect(placed.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(placed.status).toBe('queued');
    expect(fake.calls).toEqual([
      {
        sid: placed.sid,
        to: '+15551230001',
        from: '+15559990000',
        url: 'http://gateway.test/twilio/voice?page=p1',
        method: 'POST',
        statusCallback: 'http://gateway.test/twilio/call-status',
        statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
        machineDetection: 'Enable',
        status: 'queued',
        gatherAction: null,
      },
    ]);
  });

  it('refuses a wrong auth token with 20003, and another account with 20404', async () => {
    const fake = await fakeTwilio();
    expect(await restFailure(clientFor(fake, { token: 'f'.repeat(32) }).messages.create({ to: '+15551230001', from: '+15559990000', body: 'x' }))).toEqual({
      code: 20003,
      status: 401,
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
    });
    const otherAccount = clientFor(fake).api.v2010.accounts(`AC${'0'.repeat(32)}`);
    expect(await restFailure(otherAccount.messages.create({ to: '+15551230001', from: '+15559990000', body: 'x' }))).toMatchObject({ code: 20404, status: 404 });
    expect(fake.messages).toEqual([]);
  });

  it('answers a text without a body, or a call without a Url, with a 400', async () => {
    const fake = await fakeTwilio();
    const client = clientFor(fake);
    expect(await restFailure(client.messages.create({ to: '+15551230001', from: '+15559990000', body: '' }))).toMatchObject({ code: 21602, status: 400 });
    expect(await restFailure(client.calls.create({ to: '+15551230001', from: '+15559990000', twiml: '<Response/>' }))).toMatchObject({ code: 21205, status: 400 });
  });

  it('fails the next create for a number as told, then lets the one after through', async () => {
    const fake = await fakeTwilio();
    const client = clientFor(fake);
    fake.failFor('+15550000000', { code: 21211, status: 400 });
    expect(await restFailure(client.messages.create({ to: '+15550000000', from: '+15559990000', body: 'x' }))).toEqual({
      code: 21211,
      status: 400,
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
    await client.messages.create({ to: '+15550000000', from: '+15559990000', body: 'x' });
    expect(fake.messages).toHaveLength(1);
  });

  it('rate-limits with 20429 and a Retry-After header, as often as told', async () => {
    const fake = await fakeTwilio();
    fake.failFor('+15551230001', { code: 20429, status: 429, retryAfterSeconds: 7 }, Infinity);
    expect(await restFailure(clientFor(fake).calls.create({ to: '+15551230001', from: '+15559990000', url: 'http://gateway.test/v' }))).toMatchObject({ code: 20429, status: 429 });
    // The client's RestException does not carry headers, so read this one by hand.
    const response = await fetch(`${fake.url}/2010-04-01/Accounts/${fake.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+15551230001', From: '+15559990000', Body: 'x' }).toString(),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 });
    expect(fake.calls).toEqual([]);
  });
});

describe('the fake Twilio, as the phone network', () => {
  it('posts message status callbacks that twilio.validateRequest accepts', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({ '/twilio/status': { status: 204, body: '' } });
    const sent = await clientFor(fake).messages.create({ to: '+15551230001', from: '+15559990000', body: 'x', statusCallback: `${gateway.url}/twilio/status?channel=sms` });

    expect(await fake.messageStatus(sent.sid, 'sent')).toBe(204);
    expect(await fake.messageStatus(sent.sid, 'undelivered', { errorCode: 30005 })).toBe(204);

    const [sentCallback, undeliveredCallback] = gateway.received;
    expect(signatureValid(fake, sentCallback)).toBe(true);
    expect(signatureValid(fake, undeliveredCallback)).toBe(true);
    expect(sentCallback).toMatchObject({
      method: 'POST',
      url: `${gateway.url}/twilio/status?channel=sms`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1' },
      params: { MessageSid: sent.sid, SmsSid: sent.sid, MessageStatus: 'sent', SmsStatus: 'sent', AccountSid: fake.accountSid, From: '+15559990000', To: '+15551230001' },
    });
    expect(sentCallback?.params).not.toHaveProperty('ErrorCode');
    expect(undeliveredCallback?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30005' });
    expect(fake.messages[0]).toMatchObject({ status: 'undelivered', callbacks: ['sent', 'undelivered'] });
  });

  it('posts call status callbacks, with the duration at the end, only for events subscribed to', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver();
    const placed = await clientFor(fake).calls.create({
      to: '+15551230001',
      from: '+15559990000',
      url: `${gateway.url}/voice`,
      statusCallback: `${gateway.url}/call-status`,
      statusCallbackEvent: ['ringing', 'completed'],
    });

    expect(await fake.callStatus(placed.sid, 'ringing')).toBe(200);
    await expect(fake.callStatus(placed.sid, 'in-progress')).rejects.toThrow(/not 'answered'/);
    expect(await fake.callStatus(placed.sid, 'no-answer')).toBe(200);

    const [ringing, noAnswer] = gateway.received;
    expect(signatureValid(fake, ringing)).toBe(true);
    expect(ringing?.params).toMatchObject({ CallSid: placed.sid, CallStatus: 'ringing', AccountSid: fake.accountSid, From: '+15559990000', To: '+15551230001', Direction: 'outbound-api' });
    expect(ringing?.params).not.toHaveProperty('CallDuration');
    expect(noAnswer?.params).toMatchObject({ CallStatus: 'no-answer', CallDuration: '0' });
    expect(fake.calls[0]?.status).toBe('no-answer');
  });

  it('answers a call, reads the menu, and sends the keys pressed to the Gather action', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({
      '/voice': { body: `<?xml version="1.0" encoding="UTF-8"?>${MENU}` },
      '/gather': { body: '<Response><Say>Acknowledged.</Say><Redirect>/next</Redirect></Response>' },
      '/next': { body: '<Response><Say voice="alice">Goodbye &amp; thanks.</Say><Hangup/><Say>never played</Say></Response>' },
    });
    const placed = await clientFor(fake).calls.create({ to: '+15551230001', from: '+15559990000', url: `${gateway.url}/voice?page=p1`, machineDetection: 'Enable' });

    const menu = await fake.answerCall(placed.sid);
    expect(menu).toEqual({
      status: 200,
      xml: `<?xml version="1.0" encoding="UTF-8"?>${MENU}`,
      says: ['Hi'],
      messages: [],
      gather: { action: `${gateway.url}/gather?x=1`, numDigits: 1 },
      redirect: `${gateway.url}/again`,
      hangup: false,
    });
    const answered = gateway.received[0];
    expect(signatureValid(fake, answered)).toBe(true);
    expect(answered).toMatchObject({
      url: `${gateway.url}/voice?page=p1`,
      params: { CallSid: placed.sid, AccountSid: fake.accountSid, From: '+15559990000', To: '+15551230001', CallStatus: 'in-progress', Direction: 'outbound-api', AnsweredBy: 'human' },
    });
    expect(fake.calls[0]).toMatchObject({ status: 'in-progress', gatherAction: `${gateway.url}/gather?x=1` });

    const acknowledged = await fake.pressKeys(placed.sid, '1');
    const keys = gateway.received[1];
    expect(signatureValid(fake, keys)).toBe(true);
    expect(keys).toMatchObject({ method: 'POST', url: `${gateway.url}/gather?x=1`, params: { Digits: '1', CallSid: placed.sid, CallStatus: 'in-progress' } });
    expect(acknowledged).toMatchObject({ says: ['Acknowledged.'], gather: null, redirect: `${gateway.url}/next` });
    // The redirect is the test's to follow, and nothing is listening for keys any more.
    expect(gateway.received).toHaveLength(2);
    await expect(fake.pressKeys(placed.sid, '2')).rejects.toThrow(/no <Gather>/);

    const goodbye = await fake.followRedirect(placed.sid);
    expect(signatureValid(fake, gateway.received[2])).toBe(true);
    expect(gateway.received[2]?.url).toBe(`${gateway.url}/next`);
    expect(goodbye).toMatchObject({ says: ['Goodbye & thanks.'], hangup: true, redirect: null });
  });

  it('tells the gateway a machine answered when it asked to detect one', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({ '/voice': { body: '<Response><Hangup/></Response>' } });
    const detecting = await clientFor(fake).calls.create({ to: '+15551230001', from: '+15559990000', url: `${gateway.url}/voice`, machineDetection: 'Enable' });
    const plain = await clientFor(fake).calls.create({ to: '+15551230002', from: '+15559990000', url: `${gateway.url}/voice` });

    expect(await fake.answerCall(detecting.sid, { answeredBy: 'machine_start' })).toMatchObject({ hangup: true });
    expect(gateway.received[0]?.params.AnsweredBy).toBe('machine_start');
    await fake.answerCall(plain.sid);
    expect(gateway.received[1]?.params).not.toHaveProperty('AnsweredBy');
  });

  it('fetches a call asked for with Method GET with its fields in the query string, signed over that URL', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({ '/voice': { body: '<Response><Gather numDigits="2"><Say>Press <emphasis>one</emphasis> then two.</Say></Gather></Response>' } });
    const placed = await clientFor(fake).calls.create({ to: '+15551230001', from: '+15559990000', url: `${gateway.url}/voice?page=p1`, method: 'GET' });

    const menu = await fake.answerCall(placed.sid);
    const answered = gateway.received[0];
    expect(answered?.method).toBe('GET');
    const query = new URL(answered?.url ?? '').searchParams;
    expect([query.get('page'), query.get('CallSid'), query.get('CallStatus')]).toEqual(['p1', placed.sid, 'in-progress']);
    expect(twilio.validateRequest(fake.authToken, String(answered?.headers['x-twilio-signature']), answered?.url ?? '', {})).toBe(true);
    // A Gather without an action sends the keys back to the document it came from.
    expect(menu).toMatchObject({ says: ['Press one then two.'], gather: { action: `${gateway.url}/voice?page=p1`, numDigits: 2 } });
  });

  it('reports a gateway that refuses a webhook without reading its body as TwiML', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({ '/voice': { status: 403, body: '<html>forbidden</html>' } });
    const placed = await clientFor(fake).calls.create({ to: '+15551230001', from: '+15559990000', url: `${gateway.url}/voice` });
    expect(await fake.answerCall(placed.sid)).toEqual({ status: 403, xml: '<html>forbidden</html>', says: [], messages: [], gather: null, redirect: null, hangup: false });
  });

  it('delivers an inbound text and reads the reply', async () => {
    const fake = await fakeTwilio();
    const gateway = await receiver({ '/sms': { body: '<Response><Message>Got it: page ACKED</Message></Response>' } });
    const reply = await fake.inboundSms({ from: '+15551230001', to: '+15559990000', body: 'ACK 4821', webhookUrl: `${gateway.url}/sms` });
    expect(reply).toMatchObject({ status: 200, messages: ['Got it: page ACKED'], says: [] });
    const inbound = gateway.received[0];
    expect(signatureValid(fake, inbound)).toBe(true);
    expect(inbound?.params).toMatchObject({ AccountSid: fake.accountSid, From: '+15551230001', To: '+15559990000', Body: 'ACK 4821', NumMedia: '0' });
    expect(inbound?.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('signs forged requests the way twilio checks them, and a tampered one fails', async () => {
    const fake = await fakeTwilio();
    const url = 'https://pagerless.example.org/twilio/status?channel=sms&x=a%20b';
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered', Body: 'ünïcode & = +', a: '1', B: '2' };
    const signature = fake.sign(url, params);
    expect(twilio.validateRequest(fake.authToken, signature, url, params)).toBe(true);
    expect(twilio.validateRequest(fake.authToken, signature, url, { ...params, MessageStatus: 'failed' })).toBe(false);
    expect(twilio.validateRequest('0'.repeat(32), signature, url, params)).toBe(false);
  });
});
