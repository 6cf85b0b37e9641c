// Bearer-token authentication: 401 without a valid token, 403 with one that may not do this.
import { createMiddleware } from 'hono/factory';
import type { TokenHolder, TokenKind, TokenLookup } from '../auth/tokens.js';
import { HttpError } from './errors.js';

export type AuthVariables = { holder: TokenHolder };

export function requireToken(lookup: TokenLookup, kinds: readonly TokenKind[]) {
  return createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const header = c.req.header('authorization');
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (token === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="pagerless"');
      throw new HttpError(401, 'unauthenticated', 'send a token: Authorization: Bearer <token>');
    }
    const holder = await lookup(token);
    if (holder === null) {
      c.header('WWW-Authenticate', 'Bearer realm="pagerless", error="invalid_token"');
      throw new HttpError(401, 'invalid_token', 'this token is not valid (unknown or revoked)');
    }
    if (!kinds.includes(holder.kind)) throw new HttpError(403, 'forbidden', `a ${holder.kind} token may not do this`);
    c.set('holder', holder);
    await next();
  });
}
