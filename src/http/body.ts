// Request bodies: the size limit, and the text. On @hono/node-server, straight from Node's
// request. Hono's own way (its bodyLimit, `c.req.text()`) first builds a web Request around it,
// with a web stream over the Node stream, its reader and an AbortController: on a gateway taking
// alerts by the hundred a second that was CPU and garbage on every request (bench/README.md,
// "Load"), for a body of a few hundred bytes that Node has already read.
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

/** What @hono/node-server reads a body from when it builds a web Request later: the bytes already read. */
type NodeRequest = IncomingMessage & { rawBody?: unknown };

/** Node's request; null off @hono/node-server (`app.request` in tests). */
function nodeRequestOf(c: Context): NodeRequest | null {
  return ((c.env as Partial<HttpBindings> | undefined)?.incoming as NodeRequest | undefined) ?? null;
}

/** Node's request, while nobody has started reading its body. */
function unreadNodeRequest(c: Context): NodeRequest | null {
  const incoming = nodeRequestOf(c);
  // Flowing is null until a reader attaches: a web Request built around it reads it from then on.
  return incoming !== null && incoming.readableFlowing === null && !incoming.readableEnded ? incoming : null;
}

/**
 * 413 (`tooLarge`) for a body over `maxBytes`. A body with a Content-Length is judged by it (Node
 * reads no more than it says); a chunked one is read and counted, as Hono's bodyLimit does.
 */
export function bodyLimit(maxBytes: number, tooLarge: (c: Context) => Response): MiddlewareHandler {
  const counting = honoBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const incoming = unreadNodeRequest(c);
    if (incoming === null || incoming.headers['transfer-encoding'] !== undefined) return counting(c, next);
    const length = incoming.headers['content-length'];
    if (length !== undefined && Number(length) > maxBytes) return tooLarge(c);
    await next();
  };
}

/** Decodes as the web's `text()` does: UTF-8, a leading byte order mark dropped. */
const utf8 = new TextDecoder();

/** The request's body as text (UTF-8), read once. */
export async function requestText(c: Context): Promise<string> {
  const incoming = unreadNodeRequest(c);
  if (incoming === null) {
    const read = nodeRequestOf(c)?.rawBody;
    return read instanceof Buffer ? utf8.decode(read) : c.req.text();
  }
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  // For a web Request built later (a route reading c.req after all): it takes these bytes.
  incoming.rawBody = body;
  return utf8.decode(body);
}
