// Token lookups under load: a valid token is remembered briefly, so a storm of alerts is not a
// storm of lookups; a revoked one stops working once that moment has passed.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cachedTokenLookup, issueToken } from '../../src/auth/tokens.js';
import { tables } from '../../src/db/index.js';
import { databasePerTest, testDriver } from '../support/db.js';
import { movableClock } from '../support/gateway.js';

const fresh = databasePerTest();

describe(`token lookups (${testDriver})`, () => {
  it('remember a valid token for ten seconds, and a revoked one stops working after them', async () => {
    const d = await fresh();
    const clock = movableClock('2026-11-01T07:30:00Z');
    const lookup = cachedTokenLookup(d.db, clock);
    const token = await issueToken(d.db, { kind: 'source', name: 'lab' }, clock());
    expect(await lookup(token)).toEqual({ kind: 'source', name: 'lab' });
    await d.db.update(tables.apiTokens).set({ revokedAt: clock() }).where(eq(tables.apiTokens.name, 'lab'));
    clock.advance(9_999);
    expect(await lookup(token)).toEqual({ kind: 'source', name: 'lab' });
    clock.advance(1);
    expect(await lookup(token)).toBeNull();
  });

  it('do not remember an unknown token: one issued a moment later works at once', async () => {
    const d = await fresh();
    const clock = movableClock('2026-11-01T07:30:00Z');
    const lookup = cachedTokenLookup(d.db, clock);
    expect(await lookup('plk_source_not-yet')).toBeNull();
    const token = await issueToken(d.db, { kind: 'person', name: 'amion:A-1004' }, clock());
    expect(await lookup(token)).toEqual({ kind: 'person', name: 'amion:A-1004' });
  });
});
