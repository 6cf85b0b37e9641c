// API tokens: random, shown once when made, kept only as a hash. A bearer token is looked up
// by its hash, so the comparison is an index lookup, not a string compare an attacker can time.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { DbExecutor } from '../db/index.js';
import { tables } from '../db/index.js';

/** Operations; a clinical system; someone paged; a manager who reads the retirement dashboard. */
export type TokenKind = 'admin' | 'source' | 'person' | 'manager';

export interface TokenHolder {
  readonly kind: TokenKind;
  readonly name: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Makes a token and stores its hash; the token itself is returned once and kept nowhere. */
export async function issueToken(db: DbExecutor, holder: TokenHolder, now: Date): Promise<string> {
  const token = `plk_${holder.kind}_${randomBytes(32).toString('base64url')}`;
  await db.insert(tables.apiTokens).values({ kind: holder.kind, name: holder.name, hash: hashToken(token), createdAt: now });
  return token;
}

/** Who holds this token, or null for an unknown or revoked one. */
export async function tokenHolder(db: DbExecutor, token: string): Promise<TokenHolder | null> {
  const [row] = await db
    .select({ kind: tables.apiTokens.kind, name: tables.apiTokens.name })
    .from(tables.apiTokens)
    .where(and(eq(tables.apiTokens.hash, hashToken(token)), isNull(tables.apiTokens.revokedAt)));
  return row ?? null;
}

export async function hasToken(db: DbExecutor, kind: TokenKind): Promise<boolean> {
  const [row] = await db.select({ id: tables.apiTokens.id }).from(tables.apiTokens).where(eq(tables.apiTokens.kind, kind)).limit(1);
  return row !== undefined;
}

export type TokenLookup = (token: string) => Promise<TokenHolder | null>;

/**
 * Looks tokens up, remembering a valid one for `ttlMs`: a clinical system posting a storm of
 * alerts is not looked up once per alert. Only valid tokens are remembered, so a token issued a
 * moment ago works at once; a revoked one stops working within `ttlMs`.
 */
export function cachedTokenLookup(db: DbExecutor, clock: () => Date, ttlMs = 10_000, maxEntries = 10_000): TokenLookup {
  const known = new Map<string, { holder: TokenHolder; until: number }>();
  return async (token) => {
    const hash = hashToken(token);
    const now = clock().getTime();
    const hit = known.get(hash);
    if (hit !== undefined && hit.until > now) return hit.holder;
    const holder = await tokenHolder(db, token);
    if (holder === null) {
      known.delete(hash);
      return null;
    }
    if (known.size >= maxEntries) known.clear();
    known.set(hash, { holder, until: now + ttlMs });
    return holder;
  };
}
