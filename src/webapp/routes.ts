// The physician's web app, served by the gateway: enrollment of a device, sign-in with the PIN
// on that device, the list of the person's open pages, the page view (PHI only when signed in),
// acknowledgement, the acknowledge links texts and notifications carry, and the push
// subscription and push acknowledgement the service worker uses.
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { wasReached, type Dispatcher } from '../dispatch/index.js';
import { HttpError } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { lookUpAckLink, redeemAckLink } from './ack-link.js';
import { appJs, manifestJson, serviceWorkerJs } from './assets.js';
import { pinPattern, type DeviceStore, type SignedIn } from './devices.js';
import { loadPageDetail, openPagesOf } from './page-detail.js';
import { ackLinkPage, appPage, enrollPage, messagePage, pageDetailPage, signInPage } from './views.js';
import { requestText } from '../http/body.js';

export interface WebAppDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly dispatcher: Dispatcher;
  readonly devices: DeviceStore;
  readonly phiKey: Buffer;
  readonly ackLinkKey: Buffer;
  readonly vapidPublicKey: string;
  readonly pushServices: readonly string[];
  readonly publicBaseUrl: () => string;
}

const deviceCookie = 'pagerless_device';
const sessionCookie = 'pagerless_session';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const base64urlOf = (bytes: number, check: (b: Buffer) => boolean = () => true) =>
  z.string().refine((s) => {
    const b = Buffer.from(s, 'base64url');
    return /^[A-Za-z0-9_-]+={0,2}$/.test(s) && b.length === bytes && check(b);
  }, `${bytes} bytes, base64url`);
const subscriptionBody = z.object({
  endpoint: z.url({ protocol: /^https?$/ }).max(2048),
  expirationTime: z.number().nullable().optional(),
  // An uncompressed P-256 point and a 16-byte secret (RFC 8291): anything else cannot be encrypted to.
  keys: z.object({ p256dh: base64urlOf(65, (b) => b[0] === 4), auth: base64urlOf(16) }),
});
const pushAckBody = z.object({ token: z.string().max(100) }).strict();

/**
 * A subscription's endpoint is where the gateway will post: only the configured push services'
 * hosts (else anyone signed in could make the gateway post anywhere), over HTTPS, or plain HTTP
 * to a push service on this machine that the configuration names (tests, development).
 */
function acceptableEndpoint(endpoint: string, services: readonly string[]): boolean {
  const url = new URL(endpoint);
  const host = url.hostname.toLowerCase();
  if (!services.some((s) => host === s || host.endsWith(`.${s}`))) return false;
  return url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(host);
}

export function webAppRoutes(deps: WebAppDeps): Hono {
  const app = new Hono();
  const secure = () => deps.publicBaseUrl().startsWith('https:');
  const cookieOptions = () => ({ httpOnly: true, sameSite: 'Lax' as const, secure: secure(), path: '/' });
  const signedIn = (c: Context): Promise<SignedIn | null> => deps.devices.session(getCookie(c, sessionCookie), getCookie(c, deviceCookie));
  /** To the sign-in page, and back to `path` (a page to see) afterwards. */
  const toSignIn = (c: Context, path: string) => c.redirect(`/signin?next=${encodeURIComponent(path)}`, 303);

  // The app's pages can show PHI: never cached, never framed, and no link (they hold tokens)
  // leaks as a referrer. Forms post only from our own pages.
  const pagePaths = ['/enroll/*', '/signin', '/signout', '/app', '/pages/*', '/ack/*'];
  for (const path of pagePaths) {
    app.use(path, async (c, next) => {
      await next();
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      c.header('X-Frame-Options', 'DENY');
      c.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'");
    });
    app.use(path, csrf({ origin: (origin) => origin === new URL(deps.publicBaseUrl()).origin }));
  }

  app.get('/sw.js', (c) => c.body(serviceWorkerJs, 200, { 'content-type': 'text/javascript; charset=utf-8', 'service-worker-allowed': '/' }));
  app.get('/app.js', (c) => c.body(appJs, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/manifest.webmanifest', (c) => c.body(manifestJson, 200, { 'content-type': 'application/manifest+json' }));

  app.get('/enroll/:code', async (c) => {
    const code = c.req.param('code');
    const check = await deps.devices.checkEnrollment(code);
    if (!check.ok) return c.html(messagePage('Enrollment link not valid', enrollmentProblem(check.reason)), check.reason === 'unknown' ? 404 : 410);
    return c.html(enrollPage({ name: check.name, code, error: null }));
  });
  app.post('/enroll/:code', async (c) => {
    const code = c.req.param('code');
    const form = await readForm(c);
    const pin = form.get('pin') ?? '';
    const check = await deps.devices.checkEnrollment(code);
    if (!check.ok) return c.html(messagePage('Enrollment link not valid', enrollmentProblem(check.reason)), check.reason === 'unknown' ? 404 : 410);
    const problem = !pinPattern.test(pin) ? 'The PIN is 4 to 8 digits.' : pin !== (form.get('pin2') ?? '') ? 'The two PINs differ.' : null;
    if (problem !== null) return c.html(enrollPage({ name: check.name, code, error: problem }), 400);
    const enrolled = await deps.devices.enroll(code, pin);
    if (!enrolled.ok) return c.html(messagePage('Enrollment link not valid', enrollmentProblem(enrolled.reason)), 410);
    setCookie(c, deviceCookie, enrolled.deviceCookie, { ...cookieOptions(), maxAge: 365 * 86_400 });
    setCookie(c, sessionCookie, enrolled.session, cookieOptions());
    return c.redirect('/app?enrolled=1', 303);
  });

  app.get('/signin', async (c) => {
    const device = await deps.devices.device(getCookie(c, deviceCookie));
    return c.html(signInPage({ name: device?.name ?? null, next: safeNext(c.req.query('next')), error: null }), device === null ? 403 : 200);
  });
  app.post('/signin', async (c) => {
    const form = await readForm(c);
    const next = safeNext(form.get('next') ?? '');
    const result = await deps.devices.signIn(getCookie(c, deviceCookie), form.get('pin') ?? '');
    if (result.ok) {
      setCookie(c, sessionCookie, result.session, cookieOptions());
      return c.redirect(next, 303);
    }
    const device = await deps.devices.device(getCookie(c, deviceCookie));
    const error = result.reason === 'locked' ? `Too many wrong PINs: this device is locked until ${result.lockedUntil!.toISOString()}.` : 'That PIN is not right.';
    return c.html(signInPage({ name: device?.name ?? null, next, error }), result.reason === 'no-device' ? 403 : 401);
  });
  app.post('/signout', async (c) => {
    await deps.devices.signOut(getCookie(c, sessionCookie));
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.redirect('/signin', 303);
  });

  app.get('/app', async (c) => {
    const person = await signedIn(c);
    if (person === null) return toSignIn(c, '/app');
    return c.html(appPage({ name: person.name, pages: await openPagesOf(deps.db, person.personId), vapidPublicKey: deps.vapidPublicKey, enrolled: c.req.query('enrolled') === '1' }));
  });

  app.get('/pages/:id', async (c) => {
    const id = c.req.param('id').toLowerCase();
    if (!uuidPattern.test(id)) return c.html(messagePage('No such page', 'That is not a page link.'), 404);
    const person = await signedIn(c);
    if (person === null) return toSignIn(c, `/pages/${id}`);
    if (!(await wasReached(deps.db, id, person.personId))) return c.html(messagePage('Not your page', 'This page was not sent to you.'), 403);
    const detail = await loadPageDetail(deps.db, deps.phiKey, id, person.personId);
    if (detail === null) return c.html(messagePage('No such page', 'There is no such page.'), 404);
    return c.html(pageDetailPage(detail));
  });
  app.post('/pages/:id/ack', async (c) => {
    const id = c.req.param('id').toLowerCase();
    if (!uuidPattern.test(id)) return c.html(messagePage('No such page', 'That is not a page link.'), 404);
    const person = await signedIn(c);
    // Back to the page, not to this POST: the acknowledgement is one more tap once signed in.
    if (person === null) return toSignIn(c, `/pages/${id}`);
    const result = await deps.dispatcher.acknowledge({ pageId: id, personId: person.personId, via: 'app' });
    if (result.kind === 'not-found') return c.html(messagePage('No such page', 'There is no such page.'), 404);
    if (result.kind === 'not-paged') return c.html(messagePage('Not your page', 'This page was not sent to you.'), 403);
    return c.redirect(`/pages/${id}`, 303);
  });

  app.get('/ack/:token', async (c) => {
    const link = await lookUpAckLink(deps, c.req.param('token'));
    if (!link.ok) return c.html(messagePage('Link not valid', linkProblem(link.reason), { href: '/app', label: 'Open Pagerless' }), link.reason === 'expired' ? 410 : 404);
    const page = link.page;
    if (link.used && page.status === 'open') return c.html(messagePage('Link already used', 'This link has been used. Open the page in Pagerless to acknowledge it.', { href: `/pages/${page.id}`, label: 'Open the page' }), 410);
    const [by] = page.acknowledgedBy === null ? [] : await deps.db.select({ name: tables.people.displayName }).from(tables.people).where(eq(tables.people.id, page.acknowledgedBy));
    return c.html(ackLinkPage({ token: c.req.param('token'), pageId: page.id, workflow: page.workflow, status: page.status, openedAt: page.openedAt, acknowledgedBy: page.acknowledgedBy === null ? null : (by?.name ?? page.acknowledgedBy) }));
  });
  app.post('/ack/:token', async (c) => {
    const token = c.req.param('token');
    const result = await redeemAckLink(deps, token, 'link');
    switch (result.kind) {
      case 'invalid':
        return c.html(messagePage('Link not valid', linkProblem(result.reason), { href: '/app', label: 'Open Pagerless' }), result.reason === 'expired' ? 410 : 404);
      case 'used':
        return c.html(messagePage('Link already used', 'This link has been used. Open the page in Pagerless.', { href: '/app', label: 'Open Pagerless' }), 410);
      case 'not-found':
      case 'not-paged':
        return c.html(messagePage('Link not valid', 'This link is for no page of yours.'), 404);
      case 'resolved':
        return c.html(messagePage('Page resolved', 'This page is resolved: nothing more to do.'), 409);
      case 'acknowledged':
      case 'already-acknowledged':
        return c.html(messagePage('Acknowledged', result.kind === 'acknowledged' ? 'Thank you: the page is acknowledged and its escalation stopped.' : 'The page was already acknowledged.', { href: `/app`, label: 'Open Pagerless' }));
    }
  });

  app.post('/v1/push/subscriptions', async (c) => {
    const person = await signedIn(c);
    if (person === null) throw new HttpError(401, 'unauthenticated', 'sign in on an enrolled device to register it for push');
    const body = subscriptionBody.safeParse(await readJsonBody(c));
    if (!body.success) throw new HttpError(400, 'invalid_body', 'a push subscription is { endpoint, keys: { p256dh, auth } } as PushSubscription.toJSON() gives it', { issues: body.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) });
    if (!acceptableEndpoint(body.data.endpoint, deps.pushServices)) throw new HttpError(400, 'invalid_body', 'the endpoint is not on a push service this gateway posts to', { endpoint: new URL(body.data.endpoint).host });
    const values = { personId: person.personId, deviceId: person.deviceId, endpoint: body.data.endpoint, p256dh: body.data.keys.p256dh, auth: body.data.keys.auth, createdAt: deps.clock() };
    // The same browser registering again updates its keys; another person's subscription is not taken over.
    const written = await deps.db
      .insert(tables.pushSubscriptions)
      .values(values)
      .onConflictDoUpdate({ target: tables.pushSubscriptions.endpoint, set: values, setWhere: eq(tables.pushSubscriptions.personId, person.personId) })
      .returning({ id: tables.pushSubscriptions.id });
    if (written.length === 0) throw new HttpError(409, 'subscription_taken', 'this push subscription is registered for someone else');
    return c.json({ subscribed: true }, 201);
  });
  app.post('/v1/push/ack', async (c) => {
    const body = pushAckBody.safeParse(await readJsonBody(c));
    if (!body.success) throw new HttpError(400, 'invalid_body', 'the body is { "token": "<the notification\'s acknowledge token>" }');
    const result = await redeemAckLink(deps, body.data.token, 'push');
    switch (result.kind) {
      case 'invalid':
        throw new HttpError(result.reason === 'expired' ? 403 : 401, `link_${result.reason}`, linkProblem(result.reason));
      case 'used':
        throw new HttpError(409, 'link_used', 'this acknowledge token has been used');
      case 'not-found':
      case 'not-paged':
        throw new HttpError(404, 'unknown_page', 'the token is for no page of yours');
      case 'resolved':
        throw new HttpError(409, 'page_resolved', 'the page is resolved');
      case 'acknowledged':
      case 'already-acknowledged':
        return c.json({ acknowledgement: result.acknowledgement, alreadyAcknowledged: result.kind === 'already-acknowledged' });
    }
  });
  return app;
}



/** A form the app's pages post: URL-encoded only (415 otherwise), small. */
async function readForm(c: Context): Promise<URLSearchParams> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(415, 'unsupported_media_type', 'the app\'s forms post application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await requestText(c));
}

/** Only a path on this site: never a redirect elsewhere. */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?!\/)[\w\-/.?=&%]*$/.test(next) ? next : '/app';
}

function enrollmentProblem(reason: 'unknown' | 'used' | 'expired'): string {
  return reason === 'used' ? 'This enrollment link has been used. Ask operations for a new one.' : reason === 'expired' ? 'This enrollment link has expired. Ask operations for a new one.' : 'This is not an enrollment link.';
}

function linkProblem(reason: 'malformed' | 'forged' | 'expired' | 'team'): string {
  switch (reason) {
    case 'expired':
      return 'This link has expired. Open Pagerless to see the page.';
    case 'team':
      return 'A team inbox page is acknowledged in Pagerless by the person taking it.';
    default:
      return 'This is not a Pagerless link.';
  }
}
