// Reading a JSON request body: 415 for another content type, 400 for text that is not JSON.
import type { Context } from 'hono';
import { requestText } from './body.js';
import { HttpError } from './errors.js';

/** The parsed body; with `optional`, an empty body (and no content type) is undefined. */
export async function readJsonBody(c: Context, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = await requestText(c);
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (options.optional === true && text.trim() === '') return undefined;
  if (type !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json', { got: type || null });
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `the body is not JSON: ${(e as Error).message}`);
  }
}
