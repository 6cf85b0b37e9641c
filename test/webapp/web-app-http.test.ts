// The web app's edges over HTTP: every bad request gets a precise 4xx and changes nothing; a
// session only works on the device it was signed in on; a push subscription can only point at a
// configured push service, and cannot take over someone else's.
import { describe, expect, it } from 'vitest';
import { testDriver } from '../support/db.js';
import { channelFakesPerTest, enrollDevice } from '../support/channel-fakes.js';
import { gatewayPerTest } from '../support/gateway.js';

const start = gatewayPerTest();
const channels = channelFakesPerTest();
const night = '2026-11-01T07:30:00Z';

describe(`the web app over HTTP (${testDriver})`, () => {
  it('refuses bad push subscriptions precisely, and a subscription registered by someone else', async () => {
    const fakes = await channels();
    const t = await start({ at: night, ...fakes.gatewayOptions });
    const { jar, subscription } = await enrollDevice(t, fakes, 'amion:A-1004');
    const register = (body: unknown, cookie = jar.header()) =>
      fetch(`${t.url}/v1/push/subscriptions`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

    expect((await register(subscription, '')).status).toBe(401);
    expect((await register('{"endpoint":')).status).toBe(400);
    expect((await register({ ...subscription, keys: { ...subscription.keys, p256dh: 'AAAA' } })).status).toBe(400);
    expect((await register({ ...subscription, keys: { ...subscription.keys, auth: subscription.keys.p256dh } })).status).toBe(400);
    // Only a configured push service: not another host, not another port's plain HTTP elsewhere.
    const elsewhere = await register({ ...subscription, endpoint: 'https://attacker.example/push/1' });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe('invalid_body');
    expect((await register({ ...subscription, endpoint: 'ftp://127.0.0.1/push/1' })).status).toBe(400);
    // The same browser again is fine; another person claiming it is not.
    expect((await register(subscription)).status).toBe(201);
    const other = await enrollDevice(t, fakes, 'amion:A-1101');
    expect((await register(subscription, other.jar.header())).status).toBe(409);
  });

  it('answers a malformed or wrongly typed form with 400 or 415, and a session cookie alone is not a signed-in device', async () => {
    const fakes = await channels();
    const t = await start({ at: night, ...fakes.gatewayOptions });
    const { jar } = await enrollDevice(t, fakes, 'amion:A-1004');
    const multipart = await fetch(`${t.url}/signin`, { method: 'POST', headers: { origin: t.url, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\nbroken' });
    expect(multipart.status).toBe(415);
    const noPin = await fetch(`${t.url}/signin`, { method: 'POST', headers: { origin: t.url, 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() }, body: 'pin=' });
    expect(noPin.status).toBe(401);

    // The session cookie copied to another browser, without the device's own cookie.
    const session = jar.header().split('; ').find((c) => c.startsWith('pagerless_session='))!;
    const copied = await fetch(`${t.url}/app`, { headers: { cookie: session }, redirect: 'manual' });
    expect(copied.status).toBe(303);
    expect(copied.headers.get('location')).toBe('/signin?next=%2Fapp');
    const own = await fetch(`${t.url}/app`, { headers: { cookie: jar.header() }, redirect: 'manual' });
    expect(own.status).toBe(200);

    // An enrollment link for nobody, and a bad PIN choice.
    expect((await t.call('POST', '/v1/enrollments', t.admin, { person: 'amion:NOBODY' })).status).toBe(404);
    expect((await t.call('POST', '/v1/enrollments', t.admin, { person: 42 })).status).toBe(400);
    const lab = await t.token({ kind: 'source', name: 'lab' });
    expect((await t.call('POST', '/v1/enrollments', lab, { person: 'amion:A-1004' })).status).toBe(403);
    const { url } = (await (await t.call('POST', '/v1/enrollments', t.admin, { person: 'amion:A-1004' })).json()) as { url: string };
    const badPin = await fetch(url, { method: 'POST', headers: { origin: t.url, 'content-type': 'application/x-www-form-urlencoded' }, body: 'pin=12&pin2=12' });
    expect(badPin.status).toBe(400);
    expect(await badPin.text()).toContain('The PIN is 4 to 8 digits.');
    // The link was not used up by the refusal.
    expect((await fetch(url)).status).toBe(200);
  });
});
