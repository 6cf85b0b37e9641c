// Request bodies as the gateway reads them (src/http/body.ts): straight from Node's request on
// @hono/node-server, under the size limit, with or without a Content-Length, and still readable
// by Hono afterwards; the same answers from `app.request`, where there is no Node request.
import { request } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyLimit, requestText } from '../../src/http/body.js';

const limit = 64;

/** Whether @hono/node-server built a web Request for this request (it keeps the one it built). */
const builtWebRequest = (c: Context): boolean => Object.getOwnPropertySymbols(c.req.raw).some((s) => s.description === 'requestCache');

function app(): Hono {
  return new Hono()
    .use(bodyLimit(limit, (c) => c.json({ error: 'too large' }, 413)))
    .post('/text', async (c) => {
      const text = await requestText(c);
      return c.json({ text, builtWebRequest: builtWebRequest(c) });
    })
    .post('/twice', async (c) => c.json({ ours: await requestText(c), again: await requestText(c), hono: await c.req.text() }));
}

let server: ServerType | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
  server = null;
});

async function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
}

/** A POST whose body goes in `chunks` (chunked transfer encoding) or, with `length`, in one piece with its Content-Length. */
async function post(port: number, path: string, chunks: readonly Buffer[], options: { length?: boolean } = {}): Promise<{ status: number; body: string }> {
  const whole = Buffer.concat(chunks);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: options.length === true ? { 'content-length': whole.length } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    // A refused upload may be cut off before the client has sent it all.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    if (options.length === true) req.end(whole);
    else {
      for (const chunk of chunks) req.write(chunk);
      req.end();
    }
  });
}

describe('request bodies', () => {
  it('reads a body from Node\'s request without building a web Request around it', async () => {
    const port = await listen();
    const res = await post(port, '/text', [Buffer.from('{"alert":{"test":"K"}}')], { length: true });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ text: '{"alert":{"test":"K"}}', builtWebRequest: false });
  });

  it('refuses a body over the limit by its Content-Length, and a chunked one once it has counted past it', async () => {
    const port = await listen();
    expect((await post(port, '/text', [Buffer.alloc(limit + 1, 'x')], { length: true })).status).toBe(413);
    expect((await post(port, '/text', [Buffer.alloc(limit / 2, 'x'), Buffer.alloc(limit / 2 + 1, 'y')])).status).toBe(413);
    expect((await post(port, '/text', [Buffer.alloc(limit, 'x')], { length: true })).status).toBe(200);
  });

  it('reads a chunked body whole, a character split between two chunks included', async () => {
    const port = await listen();
    const text = 'Kalium 6,9 mmol/l — ÅÄÖ';
    const bytes = Buffer.from(text);
    const split = bytes.indexOf(Buffer.from('—')) + 1; // in the middle of the dash's three bytes
    const res = await post(port, '/text', [bytes.subarray(0, split), bytes.subarray(split)]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ text });
  });

  it('drops a leading byte order mark, as the web\'s text() does, whatever the framing', async () => {
    const port = await listen();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const framing of [{ length: true }, { length: false }]) {
      const res = await post(port, '/text', [bom, Buffer.from('{"alert":{}}')], framing);
      expect(JSON.parse(res.body), JSON.stringify(framing)).toMatchObject({ text: '{"alert":{}}' });
    }
  });

  it('reads the same body again, and Hono still can after it', async () => {
    const port = await listen();
    const expected = { ours: 'a=1&b=2', again: 'a=1&b=2', hono: 'a=1&b=2' };
    expect(JSON.parse((await post(port, '/twice', [Buffer.from('a=1&b=2')], { length: true })).body)).toEqual(expected);
    expect(JSON.parse((await post(port, '/twice', [Buffer.from('a=1&'), Buffer.from('b=2')])).body)).toEqual(expected);
  });

  it('answers the same without Node\'s request (app.request)', async () => {
    const res = await app().request('/text', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
    expect(await res.json()).toMatchObject({ text: 'hello' });
    expect((await app().request('/text', { method: 'POST', body: 'x'.repeat(limit + 1) })).status).toBe(413);
  });
});
