// A stand-in for Twilio in tests: a real HTTP server on a loopback port that answers the REST
// calls the real `twilio` client makes (send a text, place a call), and plays the phone network
// back at the gateway: status callbacks, a phone answering, keys pressed, an inbound text. Every
// request it sends is signed the way Twilio signs, with an HMAC written here by hand rather than
// twilio's own helper, so the gateway's signature check is tested against an independent
// implementation and not against itself.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface FakeTwilioOptions {
  /** Default: 'AC' and 32 random hex digits. */
  accountSid?: string;
  /** Default: 32 random hex digits. */
  authToken?: string;
}

/** A text the gateway asked Twilio to send. */
export interface FakeMessage {
  sid: string;
  to: string;
  /** The From number, or the MessagingServiceSid when the gateway sent through a service. */
  from: string;
  /** The MessagingServiceSid the gateway sent through, if it did. */
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  status: string;
  /** Every status callback posted, in order. */
  callbacks: string[];
}

/** A call the gateway asked Twilio to place. */
export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  url: string;
  method: string;
  statusCallback: string | null;
  statusCallbackEvents: string[];
  machineDetection: string | null;
  status: string;
  /** The last <Gather> action URL seen in TwiML, absolute. */
  gatherAction: string | null;
}

/** What the gateway answered a webhook with, read the way a phone would play it. */
export interface TwimlResult {
  status: number;
  /** The raw body. */
  xml: string;
  /** Every <Say>, in document order, those inside the <Gather> included. */
  says: string[];
  /** Every <Message>'s text, in document order. */
  messages: string[];
  /** The <Gather> the phone waits on, its action resolved against the URL requested. */
  gather: { action: string; numDigits: number | null } | null;
  /** The <Redirect> URL, resolved against the URL requested. */
  redirect: string | null;
  hangup: boolean;
}

export interface TwilioFailure {
  code: number;
  status: number;
  message?: string;
  retryAfterSeconds?: number;
}

export type MessageCallbackStatus = 'sent' | 'delivered' | 'undelivered' | 'failed';
export type CallCallbackStatus = 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface FakeTwilio {
  /** e.g. http://127.0.0.1:54321: what `https://api.twilio.com` is rewritten to. */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** In the order created. */
  readonly messages: FakeMessage[];
  /** In the order created. */
  readonly calls: FakeCall[];
  /**
   * Makes the next create (message or call) for `to` fail with a Twilio error: e.g. (21211, 400)
   * invalid number, or (20429, 429, retryAfterSeconds) too many requests. `times` default 1,
   * Infinity for always. Failures queued for the same number are used in the order queued.
   */
  failFor(to: string, error: TwilioFailure, times?: number): void;
  /**
   * Moves a message on and posts a signed status callback to its StatusCallback (MessageSid,
   * SmsSid, MessageStatus, SmsStatus, AccountSid, From, To, ApiVersion, and ErrorCode when
   * failed or undelivered). Returns the gateway's HTTP status. Throws if the message has no
   * StatusCallback: Twilio would have nowhere to post.
   */
  messageStatus(sid: string, status: MessageCallbackStatus, opts?: { errorCode?: number }): Promise<number>;
  /**
   * Moves a call on and posts a signed status callback (CallSid, CallStatus, AccountSid, From,
   * To, Direction=outbound-api, CallDuration on the final callback, AnsweredBy if known).
   * Throws if the call has no StatusCallback, or did not subscribe to the event the status
   * belongs to (StatusCallbackEvent; only 'completed' when none was given), because Twilio
   * would not post it. Returns the gateway's HTTP status.
   */
  callStatus(sid: string, status: CallCallbackStatus): Promise<number>;
  /**
   * The phone answers: a signed request to the call's Url (its Method) with CallSid,
   * AccountSid, From, To, CallStatus=in-progress, Direction, and AnsweredBy ('human' by
   * default) when MachineDetection was requested. Returns the TwiML answered; records
   * gatherAction.
   */
  answerCall(sid: string, opts?: { answeredBy?: string }): Promise<TwimlResult>;
  /**
   * The caller presses keys while the last TwiML's <Gather> waits: a signed request to its
   * action with Digits and the call fields. A <Redirect> answered is not followed: the test
   * may call followRedirect.
   */
  pressKeys(sid: string, digits: string): Promise<TwimlResult>;
  /** Follows the last TwiML's <Redirect> (POST unless its method says GET) with the call fields. */
  followRedirect(sid: string): Promise<TwimlResult>;
  /**
   * An inbound text from a phone to one of our numbers: a signed POST to `webhookUrl` with a
   * new MessageSid, AccountSid, From, To, Body, NumMedia=0. Returns the TwiML reply.
   */
  inboundSms(input: { from: string; to: string; body: string; webhookUrl: string }): Promise<TwimlResult>;
  /** The X-Twilio-Signature Twilio would send with a POST of `params` to `url`, for tests that forge or tamper. */
  sign(url: string, params: Record<string, string>): string;
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';

/** The Twilio-shaped id of a new resource: two letters and 32 hex digits. */
function newSid(prefix: 'AC' | 'SM' | 'CA' | 'PN'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** The date format Twilio's JSON uses and the client's deserializer expects (RFC 2822, +0000). */
function rfc2822(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}

/**
 * Twilio's webhook signature: base64 HMAC-SHA1, keyed by the auth token, of the full URL
 * followed by each POST parameter's name and value, names sorted in byte order.
 */
function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const names = Object.keys(params).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const signed = names.reduce((data, name) => data + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(signed, 'utf8')).digest('base64');
}

// ---------------------------------------------------------------------------------------------
// Reading TwiML

// One parser, built once: document order kept, attributes read, text left as text (a <Say> of
// "1234" must not become a number), whitespace kept so SSML inside a <Say> joins with its spaces.
const twimlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

/** With preserveOrder each element is `{ [tag]: children, ':@': attributes }`, text is `{ '#text': s }`. */
type OrderedNode = Record<string, unknown>;

function isNode(value: unknown): value is OrderedNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tagOf(node: OrderedNode): string | null {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text') ?? null;
}

function childrenOf(node: OrderedNode, tag: string): unknown[] {
  const children = node[tag];
  return Array.isArray(children) ? children : [];
}

function attributesOf(node: OrderedNode): Record<string, string> {
  const attributes = node[':@'];
  if (!isNode(attributes)) return {};
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, String(value)]));
}

/** All text under these nodes, as a phone would read it: SSML tags dropped, whitespace collapsed. */
function textOf(nodes: unknown[]): string {
  const collect = (list: unknown[]): string =>
    list
      .filter(isNode)
      .map((node) => {
        if ('#text' in node) return String(node['#text']);
        const tag = tagOf(node);
        return tag === null ? '' : collect(childrenOf(node, tag));
      })
      .join('');
  return collect(nodes).replace(/\s+/g, ' ').trim();
}

interface NextRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
}

/** The TwiML as returned to the test, and where the call goes next, with the method to use. */
interface ReadTwiml {
  readonly result: TwimlResult;
  readonly gather: NextRequest | null;
  readonly redirect: NextRequest | null;
}

function methodOf(attributes: Record<string, string>): 'GET' | 'POST' {
  return attributes.method?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}

/**
 * Reads a TwiML answer the way Twilio runs it: verbs in order, stopping at <Redirect> or
 * <Hangup> (nothing after them is ever played), waiting on the first <Gather>. URLs are
 * resolved against the URL requested, and a <Gather> without an action posts back to it.
 */
function readTwiml(status: number, xml: string, requestedUrl: string): ReadTwiml {
  const result: TwimlResult = { status, xml, says: [], messages: [], gather: null, redirect: null, hangup: false };
  const empty = { result, gather: null, redirect: null };
  // A gateway that refused the request, or (for texts) answered nothing: there is nothing to play.
  if (status < 200 || status >= 300 || xml.trim() === '') return empty;
  // Twilio gives up on a document it cannot parse (error 12100); a test should hear about it loudly.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`TwiML from ${requestedUrl} does not parse (Twilio error 12100): ${valid.err.msg}\n${xml}`);
  const documentNodes: unknown[] = twimlParser.parse(xml);
  const response = documentNodes.filter(isNode).find((node) => tagOf(node) === 'Response');
  if (response === undefined) throw new Error(`TwiML from ${requestedUrl} has no <Response> root (Twilio error 12100):\n${xml}`);

  let gather: NextRequest | null = null;
  let redirect: NextRequest | null = null;
  const resolve = (target: string) => new URL(target, requestedUrl).href;
  for (const verb of childrenOf(response, 'Response').filter(isNode)) {
    const tag = tagOf(verb);
    if (tag === null) continue;
    const attributes = attributesOf(verb);
    const children = childrenOf(verb, tag);
    if (tag === 'Say') {
      result.says.push(textOf(children));
    } else if (tag === 'Gather') {
      for (const inner of children.filter(isNode)) {
        if (tagOf(inner) === 'Say') result.says.push(textOf(childrenOf(inner, 'Say')));
      }
      if (gather === null) {
        gather = { url: resolve(attributes.action ?? requestedUrl), method: methodOf(attributes) };
        const numDigits = attributes.numDigits === undefined ? null : Number(attributes.numDigits);
        result.gather = { action: gather.url, numDigits: numDigits !== null && Number.isFinite(numDigits) ? numDigits : null };
      }
    } else if (tag === 'Message') {
      // A <Message> holds its text directly, or in a <Body> beside <Media>.
      const body = children.filter(isNode).find((node) => tagOf(node) === 'Body');
      result.messages.push(textOf(body === undefined ? children.filter((node) => !isNode(node) || tagOf(node) !== 'Media') : childrenOf(body, 'Body')));
    } else if (tag === 'Redirect') {
      redirect = { url: resolve(textOf(children)), method: methodOf(attributes) };
      result.redirect = redirect.url;
      break;
    } else if (tag === 'Hangup') {
      result.hangup = true;
      break;
    }
  }
  return { result, gather, redirect };
}

// ---------------------------------------------------------------------------------------------
// The REST side

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Twilio's error body, which the client turns into a RestException with code, status and moreInfo. */
function sendTwilioError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

const defaultFailureMessages: Record<number, string> = {
  20429: 'Too Many Requests',
  21211: "The 'To' number is not a valid phone number.",
  21408: 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number.',
  21610: 'Attempt to send to unsubscribed recipient',
  21614: "'To' number is not a valid mobile number",
  30007: 'Message filtered',
};

/** How many segments a text is billed as: GSM-7 texts take 160 characters (153 when split), others 70 (67). */
function segmentsOf(body: string): number {
  const gsm7 = /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[\]~|€]*$/.test(body);
  const length = [...body].length;
  const [single, split] = gsm7 ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / split);
}

/** Which StatusCallbackEvent a call status is posted under. */
function eventOf(status: CallCallbackStatus): string {
  switch (status) {
    case 'initiated':
      return 'initiated';
    case 'ringing':
      return 'ringing';
    case 'in-progress':
      return 'answered';
    case 'completed':
    case 'busy':
    case 'no-answer':
    case 'failed':
    case 'canceled':
      return 'completed';
  }
}

/** What the fake remembers about a call beyond what a test reads on FakeCall. */
interface CallProgress {
  readonly statusCallbackMethod: 'GET' | 'POST';
  /** When the call was answered, by the status callback or by answerCall, whichever came first. */
  answeredAt: number | null;
  answeredBy: string | null;
  /** Whether answerCall has fetched the call's Url: a phone answers once. */
  answered: boolean;
  /** What the current TwiML document waits on or moves to; null when it does neither. */
  gather: NextRequest | null;
  redirect: NextRequest | null;
  sequence: number;
}

interface QueuedFailure {
  readonly to: string;
  readonly error: TwilioFailure;
  remaining: number;
}

/** Starts the fake on a random loopback port. */
export async function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? newSid('AC');
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const expectedAuthorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const messages: FakeMessage[] = [];
  const calls: FakeCall[] = [];
  const progress = new Map<string, CallProgress>();
  const failures: QueuedFailure[] = [];
  const accountUri = `/${API_VERSION}/Accounts/${accountSid}`;

  /** The queued failure for this number, used up by one create; undefined when the create goes through. */
  const takeFailure = (to: string): TwilioFailure | undefined => {
    const queued = failures.find((failure) => failure.to === to && failure.remaining > 0);
    if (queued === undefined) return undefined;
    queued.remaining -= 1;
    return queued.error;
  };

  const createMessage = (form: URLSearchParams, res: ServerResponse): void => {
    const to = form.get('To');
    const from = form.get('From');
    const messagingServiceSid = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return sendTwilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!from && !messagingServiceSid) return sendTwilioError(res, 400, 21603, "A 'From' phone number is required.");
    // The gateway sends text only, so MediaUrl does not stand in for a Body here.
    if (!body) return sendTwilioError(res, 400, 21602, 'Message body is required.');
    const failure = takeFailure(to);
    if (failure !== undefined) return sendFailure(res, failure);
    // Through a Messaging Service Twilio has not yet picked a sender: the message is 'accepted'.
    const status = from ? 'queued' : 'accepted';
    const message: FakeMessage = {
      sid: newSid('SM'),
      to,
      from: from || (messagingServiceSid ?? ''),
      messagingServiceSid: messagingServiceSid || null,
      body,
      statusCallback: form.get('StatusCallback') || null,
      status,
      callbacks: [],
    };
    messages.push(message);
    const now = rfc2822(new Date());
    const uri = `${accountUri}/Messages/${message.sid}.json`;
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: API_VERSION,
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from || null,
      messaging_service_sid: message.messagingServiceSid,
      num_media: '0',
      num_segments: String(segmentsOf(body)),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status,
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json'), feedback: uri.replace(/\.json$/, '/Feedback.json') },
      to,
      uri,
    });
  };

  const createCall = (form: URLSearchParams, res: ServerResponse): void => {
    const to = form.get('To');
    const from = form.get('From');
    const url = form.get('Url');
    if (!to) return sendTwilioError(res, 400, 21201, "No 'To' number is specified");
    if (!from) return sendTwilioError(res, 400, 21213, "No 'From' number is specified");
    // Twilio also takes inline Twiml or an ApplicationSid; the gateway uses a Url, so the fake does too.
    if (!url) return sendTwilioError(res, 400, 21205, 'Url parameter is required (this fake does not run inline Twiml or ApplicationSid).');
    const failure = takeFailure(to);
    if (failure !== undefined) return sendFailure(res, failure);
    const call: FakeCall = {
      sid: newSid('CA'),
      to,
      from,
      url,
      method: form.get('Method')?.toUpperCase() || 'POST',
      statusCallback: form.get('StatusCallback') || null,
      statusCallbackEvents: form.getAll('StatusCallbackEvent').flatMap((events) => events.split(/[\s,]+/).filter(Boolean)),
      machineDetection: form.get('MachineDetection') || null,
      status: 'queued',
      gatherAction: null,
    };
    calls.push(call);
    progress.set(call.sid, {
      statusCallbackMethod: form.get('StatusCallbackMethod')?.toUpperCase() === 'GET' ? 'GET' : 'POST',
      answeredAt: null,
      answeredBy: null,
      answered: false,
      gather: null,
      redirect: null,
      sequence: 0,
    });
    const now = rfc2822(new Date());
    const uri = `${accountUri}/Calls/${call.sid}.json`;
    sendJson(res, 201, {
      account_sid: accountSid,
      annotation: null,
      answered_by: null,
      api_version: API_VERSION,
      caller_name: null,
      date_created: now,
      date_updated: now,
      direction: 'outbound-api',
      duration: null,
      end_time: null,
      forwarded_from: null,
      from,
      from_formatted: from,
      group_sid: null,
      parent_call_sid: null,
      phone_number_sid: null,
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid: call.sid,
      start_time: null,
      status: 'queued',
      subresource_uris: {
        notifications: uri.replace(/\.json$/, '/Notifications.json'),
        recordings: uri.replace(/\.json$/, '/Recordings.json'),
        events: uri.replace(/\.json$/, '/Events.json'),
      },
      to,
      to_formatted: to,
      trunk_sid: null,
      uri,
    });
  };

  const sendFailure = (res: ServerResponse, failure: TwilioFailure): void =>
    sendTwilioError(
      res,
      failure.status,
      failure.code,
      failure.message ?? defaultFailureMessages[failure.code] ?? `Twilio error ${failure.code}`,
      failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) },
    );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://fake-twilio').pathname;
    const body = await readBody(req);
    // Twilio authenticates before it looks at the path.
    if (req.headers.authorization !== expectedAuthorization) {
      return sendTwilioError(res, 401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    if (route === null || req.method !== 'POST' || route[1] !== accountSid) {
      return sendTwilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    }
    // The client always sends application/x-www-form-urlencoded, repeating a name for each value.
    const form = new URLSearchParams(body);
    if (route[2] === 'Messages') createMessage(form, res);
    else createCall(form, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendTwilioError(res, 500, 20500, `fake Twilio failed: ${String(error)}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (target: string, params: Record<string, string>) => twilioSignature(authToken, target, params);

  /**
   * Sends a signed webhook as Twilio does: a form POST signed over URL and parameters, or a GET
   * with the parameters in the query string, signed over that full URL alone.
   */
  const sendWebhook = async (target: string, method: 'GET' | 'POST', params: Record<string, string>): Promise<{ status: number; body: string }> => {
    const headers: Record<string, string> = { 'User-Agent': 'TwilioProxy/1.1', Accept: '*/*' };
    let response: Response;
    if (method === 'GET') {
      const withQuery = new URL(target);
      for (const [name, value] of Object.entries(params)) withQuery.searchParams.append(name, value);
      const requested = withQuery.href;
      response = await fetch(requested, { method, redirect: 'manual', headers: { ...headers, 'X-Twilio-Signature': sign(requested, {}) } });
    } else {
      response = await fetch(target, {
        method,
        redirect: 'manual',
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sign(target, params) },
        body: new URLSearchParams(params).toString(),
      });
    }
    return { status: response.status, body: await response.text() };
  };

  const messageBySid = (sid: string): FakeMessage => {
    const message = messages.find((m) => m.sid === sid);
    if (message === undefined) throw new Error(`fake Twilio has no message ${sid} (it has ${messages.map((m) => m.sid).join(', ') || 'none'})`);
    return message;
  };

  const callBySid = (sid: string): { call: FakeCall; state: CallProgress } => {
    const call = calls.find((c) => c.sid === sid);
    const state = progress.get(sid);
    if (call === undefined || state === undefined) throw new Error(`fake Twilio has no call ${sid} (it has ${calls.map((c) => c.sid).join(', ') || 'none'})`);
    return { call, state };
  };

  /** The fields Twilio sends with every voice request about a call. */
  const callFields = (call: FakeCall, state: CallProgress): Record<string, string> => ({
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    CallSid: call.sid,
    CallStatus: call.status,
    Called: call.to,
    Caller: call.from,
    Direction: 'outbound-api',
    From: call.from,
    To: call.to,
    ...(state.answeredBy === null ? {} : { AnsweredBy: state.answeredBy }),
  });

  /** Runs one TwiML request for a call and remembers what the answered document waits on. */
  const fetchTwiml = async (call: FakeCall, state: CallProgress, next: NextRequest, extra: Record<string, string> = {}): Promise<TwimlResult> => {
    const answer = await sendWebhook(next.url, next.method, { ...callFields(call, state), ...extra });
    // The document's URL is the one asked for: a GET's call fields in the query are not part of it.
    const read = readTwiml(answer.status, answer.body, next.url);
    state.gather = read.gather;
    state.redirect = read.redirect;
    if (read.gather !== null) call.gatherAction = read.gather.url;
    return read.result;
  };

  const ended = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
  const assertLive = (call: FakeCall, doing: string): void => {
    if (call.status !== 'in-progress') throw new Error(`cannot ${doing} on call ${call.sid}: it is ${call.status}, not in-progress`);
  };

  let closed = false;

  return {
    url,
    accountSid,
    authToken,
    messages,
    calls,

    failFor(to, error, times = 1) {
      failures.push({ to, error, remaining: times });
    },

    async messageStatus(sid, status, opts = {}) {
      const message = messageBySid(sid);
      if (message.statusCallback === null) throw new Error(`message ${sid} was sent without a StatusCallback: Twilio would post no status`);
      message.status = status;
      message.callbacks.push(status);
      const failed = status === 'failed' || status === 'undelivered';
      // 30003 unreachable handset, 30008 unknown error: what a carrier most often reports for each.
      const errorCode = opts.errorCode ?? (status === 'undelivered' ? 30003 : 30008);
      const answer = await sendWebhook(message.statusCallback, 'POST', {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        From: message.from,
        MessageSid: message.sid,
        MessageStatus: status,
        SmsSid: message.sid,
        SmsStatus: status,
        To: message.to,
        ...(message.messagingServiceSid === null ? {} : { MessagingServiceSid: message.messagingServiceSid }),
        ...(failed ? { ErrorCode: String(errorCode) } : {}),
      });
      return answer.status;
    },

    async callStatus(sid, status) {
      const { call, state } = callBySid(sid);
      if (call.statusCallback === null) throw new Error(`call ${sid} was placed without a StatusCallback: Twilio would post no status`);
      const event = eventOf(status);
      const subscribed = call.statusCallbackEvents.length === 0 ? ['completed'] : call.statusCallbackEvents;
      if (!subscribed.includes(event)) {
        throw new Error(`call ${sid} subscribed to [${subscribed.join(', ')}], not '${event}': Twilio would not post '${status}'`);
      }
      call.status = status;
      if (status === 'in-progress' && state.answeredAt === null) state.answeredAt = Date.now();
      const final = ended.has(status);
      if (final) {
        state.gather = null;
        state.redirect = null;
      }
      const seconds = state.answeredAt === null ? 0 : Math.round((Date.now() - state.answeredAt) / 1000);
      const answer = await sendWebhook(call.statusCallback, state.statusCallbackMethod, {
        ...callFields(call, state),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(state.sequence++),
        Timestamp: rfc2822(new Date()),
        ...(final ? { CallDuration: String(seconds) } : {}),
      });
      return answer.status;
    },

    async answerCall(sid, opts = {}) {
      const { call, state } = callBySid(sid);
      if (state.answered) throw new Error(`cannot answer call ${sid}: it was answered already`);
      if (ended.has(call.status)) throw new Error(`cannot answer call ${sid}: it is ${call.status}`);
      if (opts.answeredBy !== undefined && call.machineDetection === null) {
        throw new Error(`call ${sid} did not ask for MachineDetection: Twilio would send no AnsweredBy`);
      }
      call.status = 'in-progress';
      state.answered = true;
      state.answeredAt ??= Date.now();
      state.answeredBy = call.machineDetection === null ? null : (opts.answeredBy ?? 'human');
      return fetchTwiml(call, state, { url: call.url, method: call.method === 'GET' ? 'GET' : 'POST' });
    },

    async pressKeys(sid, digits) {
      const { call, state } = callBySid(sid);
      assertLive(call, 'press keys');
      if (state.gather === null) throw new Error(`call ${sid}: the last TwiML has no <Gather>, so nothing is listening for '${digits}'`);
      return fetchTwiml(call, state, state.gather, { Digits: digits });
    },

    async followRedirect(sid) {
      const { call, state } = callBySid(sid);
      assertLive(call, 'follow a redirect');
      if (state.redirect === null) throw new Error(`call ${sid}: the last TwiML has no <Redirect> to follow`);
      return fetchTwiml(call, state, state.redirect);
    },

    async inboundSms({ from, to, body, webhookUrl }) {
      const messageSid = newSid('SM');
      const answer = await sendWebhook(webhookUrl, 'POST', {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        Body: body,
        From: from,
        MessageSid: messageSid,
        NumMedia: '0',
        NumSegments: String(segmentsOf(body)),
        SmsMessageSid: messageSid,
        SmsSid: messageSid,
        SmsStatus: 'received',
        To: to,
      });
      return readTwiml(answer.status, answer.body, webhookUrl).result;
    },

    sign,

    async close() {
      if (closed) return;
      closed = true;
      // The twilio client keeps its connections alive; without this close() would wait on them.
      const stopped = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeAllConnections();
      await stopped;
    },
  };
}
