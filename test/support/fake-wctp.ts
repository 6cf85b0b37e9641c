// A paging carrier's WCTP gateway for tests (Wireless Communications Transfer Protocol 1.3: XML
// over HTTP POST): a real HTTP server on a loopback port that accepts wctp-SubmitRequest the way
// the hospital's paging vendor does, answers with a wctp-Confirmation, and can be told to refuse a
// pager id or to be down, so the gateway's pager channel is tested against the wire format.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, type EntityDecoderOptions } from 'fast-xml-parser';

/** An accepted wctp-SubmitRequest, as the carrier would page it. */
export interface WctpSubmit {
  messageId: string;
  senderId: string;
  recipientId: string;
  /** The wctp-Alphanumeric text, entities decoded. */
  text: string;
  submitTimestamp: string | null;
  rawXml: string;
}

/** A WCTP error: 3xx the request's syntax or format, 4xx its content (401 Invalid recipientID). */
export interface WctpFailure {
  code: number;
  text: string;
}

/** A submit answered with a wctp-Failure, with whatever ids could be read from it. */
export interface RefusedWctpSubmit extends WctpFailure {
  messageId: string | null;
  recipientId: string | null;
}

export interface FakeWctp {
  /** The endpoint to POST to, e.g. http://127.0.0.1:port/wctp */
  readonly url: string;
  /** Accepted submits only, each message once. */
  readonly received: WctpSubmit[];
  /** Submits of a messageID already accepted from the same sender: answered with success, not recorded again. */
  readonly duplicates: number;
  /** Submits answered with a wctp-Failure, and why. */
  readonly refused: RefusedWctpSubmit[];
  /** Answer submits to this pager id with a wctp-Failure (e.g. 401 "Invalid recipientID"), `times` default Infinity. */
  failFor(recipientId: string, failure: WctpFailure, times?: number): void;
  /** Answer the next submits with HTTP 503 (an outage), `times` default 1. */
  unavailable(times?: number): void;
  close(): Promise<void>;
}

/** Starts a WCTP gateway on a random loopback port. */
export async function startFakeWctp(): Promise<FakeWctp> {
  const received: WctpSubmit[] = [];
  const refused: RefusedWctpSubmit[] = [];
  const acceptedKeys = new Set<string>();
  const scriptedFailures = new Map<string, { failure: WctpFailure; remaining: number }[]>();
  let duplicates = 0;
  let outagesLeft = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake should fail the test loudly, not look like a carrier outage.
      console.error('fake WCTP gateway failed', error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/wctp') return void response.writeHead(404).end();
    if (request.method !== 'POST') return void response.writeHead(405, { Allow: 'POST' }).end();
    const body = await readBody(request);
    if (outagesLeft > 0) {
      outagesLeft -= 1;
      return void response.writeHead(503, { 'Content-Type': 'text/plain' }).end('Service Unavailable');
    }
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'text/xml' && mediaType !== 'application/xml') {
      return void response.writeHead(415, { 'Content-Type': 'text/plain' }).end('WCTP is text/xml');
    }
    if (body === null) return void response.writeHead(413).end();

    const rawXml = body.toString('utf8');
    const read = readSubmitRequest(rawXml);
    if (!read.ok) return answerFailure(response, read.failure, read.ids);
    const submit = read.submit;
    const ids = { messageId: submit.messageId, recipientId: submit.recipientId };
    if ([...submit.text].length > MAX_ALPHANUMERIC_CHARACTERS) return answerFailure(response, { code: 411, text: 'Message too long' }, ids);

    // A client that did not see our answer sends the same message again; page it once.
    const key = `${submit.senderId}\u0000${submit.messageId}`;
    if (acceptedKeys.has(key)) {
      duplicates += 1;
      return answerSuccess(response);
    }
    const failure = nextScriptedFailure(submit.recipientId);
    if (failure) return answerFailure(response, failure, ids);
    acceptedKeys.add(key);
    received.push(submit);
    answerSuccess(response);
  }

  function answerFailure(response: ServerResponse, failure: WctpFailure, ids: Omit<RefusedWctpSubmit, keyof WctpFailure>): void {
    refused.push({ ...ids, ...failure });
    answer(response, `<wctp-Failure errorCode="${failure.code}" errorText="${escapeXml(failure.text)}"/>`);
  }

  function nextScriptedFailure(recipientId: string): WctpFailure | undefined {
    const queue = scriptedFailures.get(recipientId);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    return next.failure;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wctp`;

  return {
    url,
    received,
    refused,
    get duplicates() {
      return duplicates;
    },
    failFor(recipientId, failure, times = Infinity) {
      const queue = scriptedFailures.get(recipientId) ?? [];
      queue.push({ failure, remaining: times });
      scriptedFailures.set(recipientId, queue);
    },
    unavailable(times = 1) {
      outagesLeft += times;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What one-way alphanumeric pagers on this carrier display; longer messages are refused, not cut. */
const MAX_ALPHANUMERIC_CHARACTERS = 240;
/** Far more than any page; a bigger body is a client bug, not a message. */
const MAX_BODY_BYTES = 64 * 1024;
const WCTP_VERSION = 'wctp-dtd-v1r3';

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks);
}

function answer(response: ServerResponse, confirmation: string): void {
  response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<!DOCTYPE wctp-Operation SYSTEM "http://dtd.wctp.org/${WCTP_VERSION}.dtd">\n` +
      `<wctp-Operation wctpVersion="${WCTP_VERSION}"><wctp-Confirmation>${confirmation}</wctp-Confirmation></wctp-Operation>`,
  );
}

function answerSuccess(response: ServerResponse): void {
  answer(response, '<wctp-Success successCode="200" successText="Message accepted"/>');
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type SubmitRead =
  | { ok: true; submit: WctpSubmit }
  | { ok: false; failure: WctpFailure; ids: Omit<RefusedWctpSubmit, keyof WctpFailure> };

type XmlElement = Record<string, unknown>;

/**
 * fast-xml-parser leaves numeric character references (&#233;) undecoded unless its HTML
 * entities are on, which would also accept &nbsp; and the other names XML does not have. WCTP is
 * XML: decode its five names and numeric references, and refuse anything else, including entities
 * a DOCTYPE declares (external ones are never fetched; internal ones are refused before parsing).
 */
const xmlEntities: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (text) => text.replace(/&([^;&\s]*);/g, (_, name: string) => decodeEntity(name)),
};

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntity(name: string): string {
  const named = NAMED_ENTITIES[name];
  if (named !== undefined) return named;
  const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name);
  const codePoint = numeric ? Number.parseInt(numeric[1] ?? numeric[2] ?? '', numeric[1] ? 16 : 10) : NaN;
  const allowedInXml =
    codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd || (codePoint >= 0x20 && codePoint <= 0xd7ff) || (codePoint >= 0xe000 && codePoint <= 0xfffd) || (codePoint >= 0x10000 && codePoint <= 0x10ffff);
  if (!allowedInXml) throw new Error(`&${name}; is not an XML entity`);
  return String.fromCodePoint(codePoint);
}

// Values stay strings (a messageID of "00042" must not become 42) and text keeps its spaces.
const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, parseAttributeValue: false, trimValues: false, entityDecoder: xmlEntities });

function syntaxError(detail: string, ids: Omit<RefusedWctpSubmit, keyof WctpFailure> = { messageId: null, recipientId: null }): SubmitRead {
  return { ok: false, failure: { code: 300, text: `Syntax error: ${detail}` }, ids };
}

/** The one child element of this name, when there is exactly one and it is an element. */
function element(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  const child = parent?.[name];
  if (typeof child === 'string') return {};
  return typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as XmlElement) : undefined;
}

function attribute(node: XmlElement | undefined, name: string): string | null {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : null;
}

/** An element's text: the parser gives a bare string, or `#text` when it also has attributes. */
function textOf(parent: XmlElement | undefined, name: string): string | null {
  const child = parent?.[name];
  if (typeof child === 'string') return child;
  if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
    const text = (child as XmlElement)['#text'];
    return typeof text === 'string' ? text : '';
  }
  return null;
}

function readSubmitRequest(rawXml: string): SubmitRead {
  if (/<!ENTITY/i.test(rawXml)) return syntaxError('entity declarations are not accepted');
  let document: XmlElement;
  try {
    document = parser.parse(rawXml, true) as XmlElement;
  } catch (error) {
    return syntaxError(error instanceof Error ? error.message : 'not XML');
  }
  const roots = Object.keys(document).filter((key) => key !== '?xml' && key !== '#text');
  if (roots.length !== 1 || roots[0] !== 'wctp-Operation') return syntaxError('the document must be one wctp-Operation');
  const operation = element(document, 'wctp-Operation');
  const request = element(operation, 'wctp-SubmitRequest');
  if (!request) return syntaxError('only wctp-SubmitRequest is accepted here');
  const header = element(request, 'wctp-SubmitHeader');
  const messageId = attribute(element(header, 'wctp-MessageControl'), 'messageID');
  const recipientId = attribute(element(header, 'wctp-Recipient'), 'recipientID');
  const senderId = attribute(element(header, 'wctp-Originator'), 'senderID');
  const ids = { messageId, recipientId };
  if (!header) return syntaxError('wctp-SubmitRequest needs one wctp-SubmitHeader', ids);
  if (!messageId) return syntaxError('wctp-MessageControl messageID is missing', ids);
  if (Array.isArray(header['wctp-Recipient'])) return syntaxError('a submit has one wctp-Recipient', ids);
  if (!recipientId) return syntaxError('wctp-Recipient recipientID is missing', ids);
  if (!senderId) return syntaxError('wctp-Originator senderID is missing', ids);
  const text = textOf(element(request, 'wctp-Payload'), 'wctp-Alphanumeric');
  if (text === null) return syntaxError('wctp-Payload needs one wctp-Alphanumeric', ids);
  // A blank page wakes someone for nothing; carriers refuse it as a missing payload.
  if (text.trim() === '') return syntaxError('wctp-Alphanumeric is empty', ids);
  return { ok: true, submit: { messageId, senderId, recipientId, text, submitTimestamp: attribute(header, 'submitTimestamp'), rawXml } };
}
