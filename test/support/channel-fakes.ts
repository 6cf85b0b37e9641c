// The real channels against fakes on loopback, for one test: a fake Twilio (REST API, phones,
// signed callbacks), a push service that decrypts what it gets, and a WCTP pager gateway. The
// gateway is configured for them as production would be, plus the two test seams: Twilio's REST
// base URL and the agent web push connects with.
import { afterEach } from 'vitest';
import type { TestGateway, TestGatewayOptions } from './gateway.js';
import { plainHttpAgent, startFakePushService, type FakePushService, type FakeSubscription } from './fake-push-service.js';
import { startFakeTwilio, type FakeTwilio } from './fake-twilio.js';
import { startFakeWctp, type FakeWctp } from './fake-wctp.js';

/** Our Twilio number. */
export const ourNumber = '+13125550100';

export interface ChannelFakes {
  readonly twilio: FakeTwilio;
  readonly push: FakePushService;
  readonly wctp: FakeWctp;
  /** What to start the gateway with: `gateway({ at, ...fakes.gatewayOptions })`. */
  readonly gatewayOptions: Pick<TestGatewayOptions, 'env' | 'deps'>;
}

export function channelFakesPerTest(): (env?: Record<string, string>) => Promise<ChannelFakes> {
  const open: ChannelFakes[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).flatMap((f) => [f.twilio.close(), f.push.close(), f.wctp.close()]));
  });
  return async (env = {}) => {
    const [twilio, push, wctp] = await Promise.all([startFakeTwilio(), startFakePushService(), startFakeWctp()]);
    const fakes: ChannelFakes = {
      twilio,
      push,
      wctp,
      gatewayOptions: {
        env: {
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM_NUMBER: ourNumber,
          TWILIO_API_BASE_URL: twilio.url,
          PAGERLESS_PUSH_SUBJECT: 'mailto:operations@hospital.example',
          PAGERLESS_PUSH_SERVICES: new URL(push.url).hostname,
          PAGERLESS_WCTP_URL: wctp.url,
          ...env,
        },
        deps: { pushAgent: plainHttpAgent() },
      },
    };
    open.push(fakes);
    return fakes;
  };
}

/** Cookies a browser would keep, from responses' Set-Cookie headers. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Enrolls a device for a person the way the web app does, over HTTP: operations issue the
 * link, the phone opens it and chooses a PIN, then registers its push subscription.
 */
export async function enrollDevice(t: TestGateway, fakes: ChannelFakes, personId: string, pin = '2468'): Promise<{ jar: CookieJar; subscription: FakeSubscription }> {
  const issued = await t.call('POST', '/v1/enrollments', t.admin, { person: personId });
  if (issued.status !== 201) throw new Error(`enrollment link: ${issued.status} ${await issued.text()}`);
  const { url } = (await issued.json()) as { url: string };
  const jar = new CookieJar();
  const enrolled = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url }, body: new URLSearchParams({ pin, pin2: pin }) });
  if (enrolled.status !== 303) throw new Error(`enrolling: ${enrolled.status} ${await enrolled.text()}`);
  jar.take(enrolled);
  const vapid = /data-vapid="([^"]+)"/.exec(await (await fetch(`${t.url}/app`, { headers: { cookie: jar.header() } })).text())?.[1];
  const subscription = fakes.push.subscribe(vapid);
  const registered = await fetch(`${t.url}/v1/push/subscriptions`, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/json' }, body: JSON.stringify(subscription) });
  if (registered.status !== 201) throw new Error(`push subscription: ${registered.status} ${await registered.text()}`);
  return { jar, subscription };
}
