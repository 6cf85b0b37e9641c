// Acknowledge links: what an SMS or a push notification carries so its recipient can acknowledge
// in one tap. A link names one notification (so one page, one person, one channel) and when it
// stops working, under an HMAC of the gateway's link key; it is short enough for a text. Using
// it is recorded (ack_link_uses), so it works once.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a link works: a page is acknowledged within minutes or handed over at shift change. */
export const ackLinkLifetimeMs = 12 * 3_600_000;

const version = 1;
const macBytes = 12;
const bodyBytes = 1 + 8 + 4;

export type AckLinkCheck =
  | { readonly ok: true; readonly notificationId: number; readonly expiresAt: Date }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

function mac(key: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, macBytes);
}

export function ackLinkToken(key: Buffer, notificationId: number, expiresAt: Date): string {
  const body = Buffer.alloc(bodyBytes);
  body.writeUInt8(version, 0);
  body.writeBigUInt64BE(BigInt(notificationId), 1);
  body.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 9);
  return Buffer.concat([body, mac(key, body)]).toString('base64url');
}

export function checkAckLinkToken(key: Buffer, token: string, now: Date): AckLinkCheck {
  if (!/^[A-Za-z0-9_-]{34}$/.test(token)) return { ok: false, reason: 'malformed' };
  const raw = Buffer.from(token, 'base64url');
  // Only the canonical spelling: the last character's unused bits would otherwise let several tokens stand for one.
  if (raw.length !== bodyBytes + macBytes || raw.toString('base64url') !== token || raw.readUInt8(0) !== version) return { ok: false, reason: 'malformed' };
  const body = raw.subarray(0, bodyBytes);
  if (!timingSafeEqual(mac(key, body), raw.subarray(bodyBytes))) return { ok: false, reason: 'forged' };
  const expiresAt = new Date(body.readUInt32BE(9) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, notificationId: Number(body.readBigUInt64BE(1)), expiresAt };
}
