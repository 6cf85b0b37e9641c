// Acknowledge links: a token names one notification until it expires, and no other spelling of
// it, no altered token and no token of another key is accepted.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ackLinkToken, checkAckLinkToken } from '../../src/channels/index.js';

describe('acknowledge link tokens', () => {
  const key = randomBytes(32);
  const now = new Date('2026-11-01T07:30:00Z');
  const expires = new Date('2026-11-01T19:30:00Z');

  it('name their notification until they expire', () => {
    const token = ackLinkToken(key, 123_456_789, expires);
    expect(token).toMatch(/^[A-Za-z0-9_-]{34}$/);
    expect(checkAckLinkToken(key, token, now)).toEqual({ ok: true, notificationId: 123_456_789, expiresAt: expires });
    expect(checkAckLinkToken(key, token, expires)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuse every altered character, another spelling of the same bytes, and another key', () => {
    const token = ackLinkToken(key, 42, expires);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        expect(checkAckLinkToken(key, altered, now).ok).toBe(false);
      }
    }
    expect(checkAckLinkToken(randomBytes(32), token, now)).toEqual({ ok: false, reason: 'forged' });
    expect(checkAckLinkToken(key, `${token}=`, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkAckLinkToken(key, '', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
