// Keys the gateway makes for itself on first start and keeps in the database, so every replica
// uses the same ones and they outlive a restart: the VAPID key pair web push is signed with
// (RFC 8292), and the secret acknowledge links are signed with.
import { createECDH, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url: what browsers subscribe with (applicationServerKey). */
  readonly publicKey: string;
  /** The private scalar, base64url. */
  readonly privateKey: string;
}

export interface GatewayKeys {
  readonly vapid: VapidKeys;
  /** HMAC key of acknowledge links (32 bytes). */
  readonly ackLinkKey: Buffer;
}

/** The gateway's keys, made now if this is the first start (a replica racing it keeps the winner's). */
export async function ensureGatewayKeys(db: Db, now: Date): Promise<GatewayKeys> {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const made = [
    { name: 'vapid', publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: ecdh.getPrivateKey().toString('base64url'), createdAt: now },
    { name: 'ack-links', publicKey: '', privateKey: randomBytes(32).toString('base64url'), createdAt: now },
  ];
  await db.insert(tables.gatewayKeys).values(made).onConflictDoNothing();
  const rows = new Map((await db.select().from(tables.gatewayKeys)).map((r) => [r.name, r]));
  const vapid = rows.get('vapid')!;
  return { vapid: { publicKey: vapid.publicKey, privateKey: vapid.privateKey }, ackLinkKey: Buffer.from(rows.get('ack-links')!.privateKey, 'base64url') };
}

