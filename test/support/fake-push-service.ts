// A Web Push service for tests, the part of a browser vendor's infrastructure the gateway talks
// to: a real HTTP server on a loopback port that holds subscriptions the way a browser would (it
// makes the key pair and auth secret, and keeps the private key to decrypt), checks each push's
// VAPID signature and claims (RFC 8292), decrypts its aes128gcm body (RFC 8291, RFC 8188), and
// answers the way FCM or Mozilla autopush do (RFC 8030), including the 404/410 that tell the
// gateway an app was uninstalled and the 429 that tells it to slow down.
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, randomUUID, verify, type ECDH, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';

/** What a browser hands the application: `PushSubscription.toJSON()`, keys in base64url. */
export interface FakeSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  endpoint: string;
  /** The decrypted payload, as text, and parsed as JSON when it is JSON (else null). */
  text: string;
  json: unknown;
  ttl: number | null;
  urgency: string | null;
  topic: string | null;
  /** The VAPID claims after verification. */
  vapid: { aud: string; sub: string; exp: number; publicKey: string };
  at: Date;
}

export interface RefusedPush {
  endpoint: string;
  status: number;
  reason: string;
}

export type ScriptedPushResponse = { status: 404 | 410 | 429 | 500; retryAfterSeconds?: number };

export interface FakePushService {
  readonly url: string;
  /**
   * A new browser subscription: a P-256 key pair and 16-byte auth secret made here (the private
   * key stays here to decrypt); endpoint `${url}/push/<random id>`. With an application server
   * key (base64url, as passed to `pushManager.subscribe`), the subscription is restricted: only
   * pushes signed with that VAPID key are accepted, as browsers require.
   */
  subscribe(applicationServerKey?: string): FakeSubscription;
  /** Pushes accepted (201), decrypted, in arrival order. */
  readonly received: ReceivedPush[];
  /**
   * Answer the next `times` (default 1; Infinity = always) otherwise valid pushes to this endpoint
   * with this status instead of 201: 404 or 410 (subscription gone), 429 (with Retry-After
   * seconds), 500.
   */
  respondWith(endpoint: string, response: ScriptedPushResponse, times?: number): void;
  /** Forget a subscription: pushes to it get 410 from now on (an uninstalled app). */
  expire(endpoint: string): void;
  /** Pushes refused and why (bad VAPID, bad encryption, unknown endpoint, scripted answers), for tests to assert on. */
  readonly refused: RefusedPush[];
  close(): Promise<void>;
}

export interface FakePushServiceOptions {
  /**
   * The time VAPID expiry is checked against and `at` is stamped with. Defaults to the real
   * clock, because web-push signs `exp` from `Date.now()` whatever clock the test moves.
   */
  readonly clock?: () => Date;
}

/**
 * An `https.Agent` whose sockets skip TLS. web-push's `sendNotification` always calls
 * `https.request`, whatever the endpoint's scheme, so this is what lets it reach the fake's
 * `http://127.0.0.1` endpoints (pass it as the `agent` option).
 */
export function plainHttpAgent(): HttpsAgent {
  return new PlainHttpAgent();
}

class PlainHttpAgent extends HttpsAgent {
  override createConnection(options: RequestOptions): Duplex {
    return createConnection({ host: options.host ?? '127.0.0.1', port: Number(options.port) });
  }
}

/** Starts a push service on a random loopback port. */
export async function startFakePushService(options: FakePushServiceOptions = {}): Promise<FakePushService> {
  const clock = options.clock ?? (() => new Date());
  const subscribers = new Map<string, Subscriber>();
  const expiredIds = new Set<string>();
  const scripted = new Map<string, ScriptedAnswer[]>();
  const received: ReceivedPush[] = [];
  const refused: RefusedPush[] = [];
  let url = '';

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake should fail the test loudly, not look like a push service outage.
      console.error('fake push service failed', error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', url).pathname;
    const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(path)?.[1];
    if (id === undefined) return void response.writeHead(404).end();
    if (request.method !== 'POST') return void response.writeHead(405, { Allow: 'POST' }).end();
    const endpoint = `${url}/push/${id}`;
    const body = await readBody(request);
    try {
      const push = acceptPush(request, body, id, endpoint);
      const answer = nextScriptedAnswer(endpoint);
      if (answer) {
        refused.push({ endpoint, status: answer.status, reason: 'scripted by respondWith' });
        const headers = answer.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(answer.retryAfterSeconds) };
        return void response.writeHead(answer.status, headers).end();
      }
      received.push(push);
      response.writeHead(201, { Location: `${url}/message/${randomUUID()}`, TTL: String(push.ttl) }).end();
    } catch (error) {
      if (!(error instanceof PushRefused)) throw error;
      refused.push({ endpoint, status: error.status, reason: error.message });
      response.writeHead(error.status, { 'Content-Type': 'text/plain' }).end(error.message);
    }
  }

  /** Checks a push as a push service would, in the order they usually do, and decrypts it. */
  function acceptPush(request: IncomingMessage, body: Buffer, id: string, endpoint: string): ReceivedPush {
    const subscriber = subscribers.get(id);
    if (!subscriber) {
      throw expiredIds.has(id) ? new PushRefused(410, 'subscription expired') : new PushRefused(404, 'unknown endpoint');
    }
    // Before VAPID: the older aesgcm coding carries its key differently, and 415 says why.
    const encoding = header(request, 'content-encoding');
    if (encoding !== 'aes128gcm') throw new PushRefused(415, `Content-Encoding ${encoding ?? '(none)'} is not aes128gcm`);
    const now = clock();
    const vapid = verifyVapid(header(request, 'authorization'), new URL(url).origin, now);
    if (subscriber.applicationServerKey !== null && vapid.publicKey !== subscriber.applicationServerKey) {
      throw new PushRefused(403, 'VAPID key is not the application server key the subscription was made with');
    }
    const ttlHeader = header(request, 'ttl');
    if (ttlHeader === null || !/^\d+$/.test(ttlHeader)) throw new PushRefused(400, 'TTL header missing or not a non-negative integer');
    const urgency = header(request, 'urgency');
    if (urgency !== null && !URGENCIES.includes(urgency)) throw new PushRefused(400, `unknown Urgency ${urgency}`);
    const topic = header(request, 'topic');
    if (topic !== null && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) throw new PushRefused(400, 'Topic must be 1 to 32 base64url characters');
    if (body.length > MAX_BODY_BYTES) throw new PushRefused(413, `body of ${body.length} bytes is over the ${MAX_BODY_BYTES} push services accept`);
    const text = decryptAes128gcm(body, subscriber).toString('utf8');
    return { endpoint, text, json: parseJsonOrNull(text), ttl: Number(ttlHeader), urgency, topic, vapid, at: now };
  }

  function nextScriptedAnswer(endpoint: string): ScriptedAnswer | undefined {
    const queue = scripted.get(endpoint);
    const answer = queue?.[0];
    if (!queue || !answer) return undefined;
    answer.remaining -= 1;
    if (answer.remaining <= 0) queue.shift();
    return answer;
  }

  function subscriberId(endpoint: string): string {
    const prefix = `${url}/push/`;
    const id = endpoint.startsWith(prefix) ? endpoint.slice(prefix.length) : '';
    if (!subscribers.has(id) && !expiredIds.has(id)) throw new Error(`not a subscription of this fake push service: ${endpoint}`);
    return id;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    received,
    refused,
    subscribe(applicationServerKey) {
      const ecdh = createECDH('prime256v1');
      const publicKey = ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const id = randomUUID().replaceAll('-', '');
      subscribers.set(id, { ecdh, publicKey, authSecret, applicationServerKey: applicationServerKey ?? null });
      return { endpoint: `${url}/push/${id}`, keys: { p256dh: publicKey.toString('base64url'), auth: authSecret.toString('base64url') } };
    },
    respondWith(endpoint, answer, times = 1) {
      subscriberId(endpoint);
      const queue = scripted.get(endpoint) ?? [];
      queue.push({ ...answer, remaining: times });
      scripted.set(endpoint, queue);
    },
    expire(endpoint) {
      const id = subscriberId(endpoint);
      subscribers.delete(id);
      expiredIds.add(id);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface Subscriber {
  readonly ecdh: ECDH;
  /** The uncompressed P-256 point, 65 bytes: `p256dh`. */
  readonly publicKey: Buffer;
  readonly authSecret: Buffer;
  readonly applicationServerKey: string | null;
}

interface ScriptedAnswer extends ScriptedPushResponse {
  remaining: number;
}

/** A push the service will not deliver; the message is the reason tests see in `refused`. */
class PushRefused extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

const URGENCIES: readonly string[] = ['very-low', 'low', 'normal', 'high'];
/** RFC 8030 lets a push service refuse bodies over 4096 bytes; FCM and autopush do. */
const MAX_BODY_BYTES = 4096;
/** RFC 8292: a JWT that lives longer than a day is refused. */
const MAX_VAPID_LIFETIME_SECONDS = 24 * 60 * 60;

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' ? value : null;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** base64url without padding, strictly: Buffer.from silently skips characters it does not know. */
function fromBase64url(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new PushRefused(403, `${what} is not base64url`);
  return Buffer.from(text, 'base64url');
}

/**
 * Verifies `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292 §3): an ES256 JWT signed by
 * the key in `k`, for this service's origin, expiring within the next 24 hours, with a contact.
 */
function verifyVapid(authorization: string | null, audience: string, now: Date): ReceivedPush['vapid'] {
  if (authorization === null) throw new PushRefused(403, 'no Authorization header (VAPID required)');
  const scheme = /^vapid\s+(.*)$/is.exec(authorization);
  if (!scheme?.[1]) throw new PushRefused(403, `Authorization is not the vapid scheme: ${authorization.split(' ')[0] ?? ''}`);
  const params = new Map<string, string>();
  for (const part of scheme[1].split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(part);
    if (match?.[1] && match[2]) params.set(match[1].toLowerCase(), match[2]);
  }
  const jwt = params.get('t');
  const k = params.get('k');
  if (!jwt || !k) throw new PushRefused(403, 'vapid Authorization needs both t= and k=');

  const publicKey = vapidPublicKey(k);
  const [encodedHeader = '', encodedClaims = '', encodedSignature = '', ...rest] = jwt.split('.');
  if (rest.length > 0 || !encodedSignature) throw new PushRefused(403, 'VAPID token is not a three-part JWT');
  const joseHeader = parseJwtPart(encodedHeader, 'JWT header');
  if (joseHeader['alg'] !== 'ES256') throw new PushRefused(403, `VAPID JWT alg is ${String(joseHeader['alg'])}, not ES256`);
  // JOSE carries an ECDSA signature as r||s, 32 bytes each, not DER.
  const signature = fromBase64url(encodedSignature, 'JWT signature');
  const signed = Buffer.from(`${encodedHeader}.${encodedClaims}`, 'ascii');
  if (signature.length !== 64 || !verify('sha256', signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new PushRefused(403, 'VAPID JWT signature does not verify with the k= public key');
  }

  const claims = parseJwtPart(encodedClaims, 'JWT claims');
  const { aud, sub, exp } = claims;
  if (aud !== audience) throw new PushRefused(403, `VAPID aud ${String(aud)} is not this push service's origin ${audience}`);
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw new PushRefused(403, 'VAPID exp is not an integer');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (exp <= nowSeconds) throw new PushRefused(403, `VAPID JWT expired at ${new Date(exp * 1000).toISOString()}`);
  if (exp > nowSeconds + MAX_VAPID_LIFETIME_SECONDS) throw new PushRefused(403, 'VAPID exp is more than 24 hours ahead');
  if (typeof sub !== 'string' || !isContact(sub)) throw new PushRefused(403, `VAPID sub ${String(sub)} is not a mailto: or https: URL`);
  return { aud, sub, exp, publicKey: k };
}

function vapidPublicKey(k: string): KeyObject {
  const point = fromBase64url(k, 'VAPID k');
  if (point.length !== 65 || point[0] !== 0x04) throw new PushRefused(403, 'VAPID k is not an uncompressed P-256 public key');
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    throw new PushRefused(403, 'VAPID k is not a point on P-256');
  }
}

function parseJwtPart(encoded: string, what: string): Record<string, unknown> {
  const parsed = parseJsonOrNull(fromBase64url(encoded, what).toString('utf8'));
  if (!isRecord(parsed)) throw new PushRefused(403, `${what} is not a JSON object`);
  return parsed;
}

function isContact(sub: string): boolean {
  if (/^mailto:\S+@\S+$/.test(sub)) return true;
  try {
    return new URL(sub).protocol === 'https:';
  } catch {
    return false;
  }
}

function hmac(key: Buffer, ...data: Buffer[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of data) mac.update(part);
  return mac.digest();
}

const ONE = Buffer.from([0x01]);
const TAG_BYTES = 16;

/**
 * Decrypts an aes128gcm body (RFC 8188) with the Web Push key schedule (RFC 8291 §3.4):
 * salt(16) | rs(4) | idlen(1) | keyid (the sender's ephemeral public key) | records.
 * The HKDFs here all want one block of output, so each is a single HMAC over `info || 0x01`.
 */
function decryptAes128gcm(body: Buffer, subscriber: Subscriber): Buffer {
  if (body.length < 21) throw new PushRefused(400, 'body too short for an aes128gcm header');
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const keyIdLength = body[20] ?? 0;
  if (recordSize < TAG_BYTES + 2) throw new PushRefused(400, `record size ${recordSize} is too small`);
  if (keyIdLength !== 65) throw new PushRefused(400, `keyid is ${keyIdLength} bytes, not the 65-byte sender public key`);
  const senderPublicKey = body.subarray(21, 21 + keyIdLength);
  const records = body.subarray(21 + keyIdLength);
  if (records.length === 0) throw new PushRefused(400, 'no encrypted records');

  let ecdhSecret: Buffer;
  try {
    ecdhSecret = subscriber.ecdh.computeSecret(senderPublicKey);
  } catch {
    throw new PushRefused(400, 'keyid is not a P-256 public key');
  }
  const prkKey = hmac(subscriber.authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0', 'ascii'), subscriber.publicKey, senderPublicKey]);
  const ikm = hmac(prkKey, keyInfo, ONE);
  const prk = hmac(salt, ikm);
  const contentKey = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0', 'ascii'), ONE).subarray(0, 16);
  const nonceBase = hmac(prk, Buffer.from('Content-Encoding: nonce\0', 'ascii'), ONE).subarray(0, 12);

  const plaintexts: Buffer[] = [];
  for (let offset = 0, sequence = 0; offset < records.length; offset += recordSize, sequence += 1) {
    const record = records.subarray(offset, offset + recordSize);
    const last = offset + recordSize >= records.length;
    if (record.length < TAG_BYTES + 1) throw new PushRefused(400, `record ${sequence} is too short`);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-128-gcm', contentKey, recordNonce(nonceBase, sequence), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(record.subarray(0, record.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PushRefused(400, `record ${sequence} does not decrypt (wrong keys, or tampered)`);
    }
    plaintexts.push(withoutPadding(plaintext, sequence, last));
  }
  return Buffer.concat(plaintexts);
}

/** The nonce base XOR the record's sequence number, a 96-bit big-endian integer. */
function recordNonce(nonceBase: Buffer, sequence: number): Buffer {
  const nonce = Buffer.from(nonceBase);
  for (let i = 0, rest = sequence; i < 6 && rest > 0; i += 1, rest = Math.floor(rest / 256)) {
    nonce[11 - i] = (nonce[11 - i] ?? 0) ^ rest % 256;
  }
  return nonce;
}

/** Each record ends with a delimiter and zeros: 0x02 on the last record, 0x01 on the others. */
function withoutPadding(plaintext: Buffer, sequence: number, last: boolean): Buffer {
  let end = plaintext.length - 1;
  while (end >= 0 && plaintext[end] === 0) end -= 1;
  const delimiter = plaintext[end];
  if (delimiter !== (last ? 2 : 1)) {
    throw new PushRefused(400, `record ${sequence} ${delimiter === undefined ? 'has no padding delimiter' : `has delimiter ${delimiter}, expected ${last ? 2 : 1}`}`);
  }
  return plaintext.subarray(0, end);
}
