// The VAPID key pair web push is signed with (RFC 8292): made on first start and kept in the
// database, so every replica signs with the same key and a subscription outlives a restart.
import { createECDH } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url: what browsers subscribe with (applicationServerKey). */
  readonly publicKey: string;
  /** The private scalar, base64url. */
  readonly privateKey: string;
}

/** The gateway's VAPID keys, made now if this is the first start (a replica racing it keeps the winner's). */
export async function ensureVapidKeys(db: Db, now: Date): Promise<VapidKeys> {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  await db
    .insert(tables.gatewayKeys)
    .values({ name: 'vapid', publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: ecdh.getPrivateKey().toString('base64url'), createdAt: now })
    .onConflictDoNothing();
  const [row] = await db.select().from(tables.gatewayKeys).where(eq(tables.gatewayKeys.name, 'vapid'));
  return { publicKey: row!.publicKey, privateKey: row!.privateKey };
}
