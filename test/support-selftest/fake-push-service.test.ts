// The fake push service against the real web-push library: if these pass, a gateway that
// reaches the fake would reach FCM or autopush with the same bytes.
import { createCipheriv, createECDH, createHmac, randomBytes } from 'node:crypto';
import webpush from 'web-push';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plainHttpAgent, startFakePushService, type FakePushService, type FakeSubscription } from '../support/fake-push-service.js';

const subject = 'mailto:ops@example.org';
const vapidKeys = webpush.generateVAPIDKeys();
const vapidDetails = { subject, publicKey: vapidKeys.publicKey, privateKey: vapidKeys.privateKey };
// web-push always calls https.request; the fake listens on plain http.
const agent = plainHttpAgent();

let service: FakePushService;
beforeEach(async () => {
  service = await startFakePushService();
});
afterEach(async () => {
  await service.close();
});

function send(subscription: FakeSubscription, payload: string, options: webpush.RequestOptions = {}) {
  return webpush.sendNotification(subscription, payload, { vapidDetails, TTL: 120, agent, ...options });
}

/** The status web-push reports when the push service refuses, or 'sent'. */
async function outcome(sending: Promise<webpush.SendResult>): Promise<number | 'sent'> {
  try {
    await sending;
    return 'sent';
  } catch (error) {
    if (error instanceof webpush.WebPushError) return error.statusCode;
    throw error;
  }
}

/** Sends what web-push would, with fetch, after letting the test change the request. */
async function sendRaw(subscription: FakeSubscription, payload: string, change: (headers: Record<string, string>, body: Buffer) => Buffer = (_h, b) => b) {
  const details = webpush.generateRequestDetails(subscription, payload, { vapidDetails, TTL: 60 });
  // web-push's header values are numbers for TTL and Content-Length, whatever its types say.
  const headers = Object.fromEntries(Object.entries(details.headers).map(([name, value]) => [name, String(value)]));
  delete headers['Content-Length'];
  const body = change(headers, details.body);
  return fetch(details.endpoint, { method: 'POST', headers, body });
}

describe('the fake push service', () => {
  it('decrypts a web-push notification and reports its TTL, urgency, topic and VAPID claims', async () => {
    const subscription = service.subscribe();
    const payload = { title: 'LAB CRIT', body: 'K 6.9 bed 5W-12', page: 'p-42', accents: 'é ✓' };

    const result = await send(subscription, JSON.stringify(payload), { urgency: 'high', topic: 'abc123' });

    expect(result.statusCode).toBe(201);
    expect(result.headers['location']).toMatch(new RegExp(`^${service.url}/message/`));
    expect(service.received).toHaveLength(1);
    const [push] = service.received;
    expect(push).toMatchObject({ endpoint: subscription.endpoint, text: JSON.stringify(payload), json: payload, ttl: 120, urgency: 'high', topic: 'abc123' });
    expect(push?.vapid).toMatchObject({ aud: service.url, sub: subject, publicKey: vapidKeys.publicKey });
    const hoursLeft = ((push?.vapid.exp ?? 0) * 1000 - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(11);
    expect(hoursLeft).toBeLessThanOrEqual(12);
    expect(service.refused).toEqual([]);
  });

  it('takes a 3000-byte notification, and refuses one over the 4096 bytes push services accept', async () => {
    const subscription = service.subscribe();
    const long = 'x'.repeat(3000);
    await send(subscription, long);
    expect(service.received[0]?.text).toBe(long);

    expect(await outcome(send(subscription, 'y'.repeat(5000)))).toBe(413);
  });

  it('decrypts a body split across several records', async () => {
    const subscription = service.subscribe();
    const text = 'ward 5W '.repeat(40);
    const response = await sendRaw(subscription, 'ignored', () => encryptAes128gcm(subscription, Buffer.from(text), 64));
    expect(response.status).toBe(201);
    expect(service.received[0]?.text).toBe(text);
  });

  it('refuses a body that was tampered with', async () => {
    const subscription = service.subscribe();
    const response = await sendRaw(subscription, 'K 6.9', (_headers, body) => {
      const tampered = Buffer.from(body);
      tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 1;
      return tampered;
    });
    expect(response.status).toBe(400);
    expect(service.refused[0]).toMatchObject({ endpoint: subscription.endpoint, status: 400, reason: expect.stringMatching(/does not decrypt/) });
  });

  it('refuses a push signed by another key than the one it names, as web-push shows with a 403', async () => {
    const subscription = service.subscribe();
    const other = webpush.generateVAPIDKeys();
    const sending = send(subscription, '{}', { vapidDetails: { subject, publicKey: vapidKeys.publicKey, privateKey: other.privateKey } });
    await expect(sending).rejects.toBeInstanceOf(webpush.WebPushError);
    await expect(sending).rejects.toMatchObject({ statusCode: 403 });
    expect(service.refused[0]?.reason).toMatch(/signature does not verify/);
    expect(service.received).toEqual([]);
  });

  it('refuses a push without VAPID', async () => {
    const subscription = service.subscribe();
    // Without vapidDetails (and none set globally) web-push sends no Authorization at all.
    expect(await outcome(webpush.sendNotification(subscription, '{}', { TTL: 60, agent }))).toBe(403);
    expect(service.refused[0]?.reason).toMatch(/no Authorization/);
  });

  it('refuses a VAPID token for another push service, or one that has expired', async () => {
    const subscription = service.subscribe();
    const forFcm = webpush.getVapidHeaders('https://fcm.googleapis.com', subject, vapidKeys.publicKey, vapidKeys.privateKey, 'aes128gcm');
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const stale = webpush.getVapidHeaders(service.url, subject, vapidKeys.publicKey, vapidKeys.privateKey, 'aes128gcm', anHourAgo);

    expect((await sendRaw(subscription, '{}', (headers, body) => ((headers['Authorization'] = forFcm.Authorization), body))).status).toBe(403);
    expect((await sendRaw(subscription, '{}', (headers, body) => ((headers['Authorization'] = stale.Authorization), body))).status).toBe(403);
    expect(service.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/aud/), expect.stringMatching(/expired/)]);
  });

  it('refuses a VAPID token whose expiry is judged on a clock that has moved on a day', async () => {
    const tomorrow = await startFakePushService({ clock: () => new Date(Date.now() + 24 * 3_600_000) });
    try {
      expect(await outcome(send(tomorrow.subscribe(), '{}'))).toBe(403);
      expect(tomorrow.refused[0]?.reason).toMatch(/expired/);
    } finally {
      await tomorrow.close();
    }
  });

  it('holds a restricted subscription to the application server key it was made with', async () => {
    const subscription = service.subscribe(vapidKeys.publicKey);
    const other = webpush.generateVAPIDKeys();
    expect(await outcome(send(subscription, '{}', { vapidDetails: { subject, ...other } }))).toBe(403);
    expect(await outcome(send(subscription, '{}'))).toBe('sent');
  });

  it('refuses a push without TTL, or in the old aesgcm coding', async () => {
    const subscription = service.subscribe();
    const withoutTtl = await sendRaw(subscription, '{}', (headers, body) => (delete headers['TTL'], body));
    expect(withoutTtl.status).toBe(400);
    expect(await outcome(send(subscription, '{}', { contentEncoding: 'aesgcm' }))).toBe(415);
    expect(service.refused.map((r) => r.status)).toEqual([400, 415]);
  });

  it('answers with what respondWith scripted, then with 201 again', async () => {
    const subscription = service.subscribe();
    service.respondWith(subscription.endpoint, { status: 410 });
    expect(await outcome(send(subscription, '{"n":1}'))).toBe(410);
    expect(await outcome(send(subscription, '{"n":2}'))).toBe('sent');
    expect(service.received.map((p) => p.json)).toEqual([{ n: 2 }]);
    expect(service.refused).toEqual([{ endpoint: subscription.endpoint, status: 410, reason: 'scripted by respondWith' }]);
  });

  it('tells a sender that is going too fast when to come back', async () => {
    const subscription = service.subscribe();
    service.respondWith(subscription.endpoint, { status: 429, retryAfterSeconds: 30 }, 2);
    for (let i = 0; i < 2; i += 1) {
      const error: unknown = await send(subscription, '{}').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(webpush.WebPushError);
      expect(error).toMatchObject({ statusCode: 429, headers: { 'retry-after': '30' } });
    }
    expect(await outcome(send(subscription, '{}'))).toBe('sent');
  });

  it('keeps answering 500 when scripted for ever, and 404 for an endpoint it never issued', async () => {
    const subscription = service.subscribe();
    service.respondWith(subscription.endpoint, { status: 500 }, Infinity);
    for (let i = 0; i < 3; i += 1) expect(await outcome(send(subscription, '{}'))).toBe(500);

    const stranger = { ...subscription, endpoint: `${service.url}/push/never-issued` };
    expect(await outcome(send(stranger, '{}'))).toBe(404);
    expect(() => service.respondWith(stranger.endpoint, { status: 410 })).toThrow(/not a subscription/);
  });

  it('answers 410 once an app is uninstalled', async () => {
    const subscription = service.subscribe();
    await send(subscription, '{}');
    service.expire(subscription.endpoint);
    expect(await outcome(send(subscription, '{}'))).toBe(410);
    expect(await outcome(send(subscription, '{}'))).toBe(410);
    expect(service.received).toHaveLength(1);
    expect(service.refused.map((r) => [r.status, r.reason])).toEqual([
      [410, 'subscription expired'],
      [410, 'subscription expired'],
    ]);
  });
});

/**
 * An aes128gcm encrypter with a chosen record size, because web-push always uses one 4096-byte
 * record: RFC 8291 §3.4 keys, RFC 8188 records, each padded with its delimiter only.
 */
function encryptAes128gcm(subscription: FakeSubscription, plaintext: Buffer, recordSize: number): Buffer {
  const hmac = (key: Buffer, ...data: Buffer[]) => data.reduce((mac, part) => mac.update(part), createHmac('sha256', key)).digest();
  const sender = createECDH('prime256v1');
  const senderPublicKey = sender.generateKeys();
  const receiverPublicKey = Buffer.from(subscription.keys.p256dh, 'base64url');
  const salt = randomBytes(16);
  const one = Buffer.from([1]);
  const prkKey = hmac(Buffer.from(subscription.keys.auth, 'base64url'), sender.computeSecret(receiverPublicKey));
  const ikm = hmac(prkKey, Buffer.from('WebPush: info\0'), receiverPublicKey, senderPublicKey, one);
  const prk = hmac(salt, ikm);
  const key = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), one).subarray(0, 16);
  const nonceBase = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), one).subarray(0, 12);
  const header = Buffer.alloc(21);
  salt.copy(header);
  header.writeUInt32BE(recordSize, 16);
  header[20] = senderPublicKey.length;
  const chunkSize = recordSize - 17;
  const records: Buffer[] = [header, senderPublicKey];
  for (let start = 0, sequence = 0; start < plaintext.length; start += chunkSize, sequence += 1) {
    const last = start + chunkSize >= plaintext.length;
    const nonce = Buffer.from(nonceBase);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ sequence) >>> 0, 8);
    const cipher = createCipheriv('aes-128-gcm', key, nonce);
    const padded = Buffer.concat([plaintext.subarray(start, start + chunkSize), Buffer.from([last ? 2 : 1])]);
    records.push(cipher.update(padded), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(records);
}
