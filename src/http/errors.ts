// Every error the API answers looks the same: {"error": {"code", "message", "details"}} with a
// status that fits. Routes throw HttpError; the app turns it (and anything else) into that.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

export class HttpError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function errorResponse(c: Context, status: ErrorStatus, code: string, message: string, details?: unknown): Response {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status as ContentfulStatusCode);
}
