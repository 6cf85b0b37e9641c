// The channels' configuration is checked at start: a half-configured channel is named, not
// silently left on the development channel.
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config.js';

describe('channel configuration', () => {
  const twilio = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), TWILIO_FROM_NUMBER: '+13125550100' };

  it('needs all of Twilio, and the public address Twilio calls back', () => {
    expect(() => configFromEnv({ TWILIO_ACCOUNT_SID: twilio.TWILIO_ACCOUNT_SID })).toThrow(/Twilio needs all of .*missing TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER/);
    expect(() => configFromEnv(twilio)).toThrow(/PUBLIC_BASE_URL: Twilio calls the gateway back/);
    expect(configFromEnv({ ...twilio, PUBLIC_BASE_URL: 'https://pagerless.hospital.example' }).twilio).toMatchObject({ from: '+13125550100', apiBaseUrl: null });
    expect(() => configFromEnv({ ...twilio, TWILIO_FROM_NUMBER: '3125550100', PUBLIC_BASE_URL: 'https://p.example' })).toThrow(/TWILIO_FROM_NUMBER: an E\.164 number/);
  });

  it('leaves each channel on the development channel until it is configured, and checks VAPID keys given', () => {
    const none = configFromEnv({});
    expect([none.push, none.twilio, none.wctp]).toEqual([null, null, null]);
    expect(() => configFromEnv({ PAGERLESS_PUSH_SUBJECT: 'ops@example.org' })).toThrow(/PAGERLESS_PUSH_SUBJECT: a mailto: or https: URL/);
    expect(() => configFromEnv({ PAGERLESS_VAPID_PUBLIC_KEY: Buffer.alloc(65, 4).toString('base64url') })).toThrow(/go together/);
    expect(() => configFromEnv({ PAGERLESS_VAPID_PUBLIC_KEY: 'short', PAGERLESS_VAPID_PRIVATE_KEY: Buffer.alloc(32).toString('base64url') })).toThrow(/uncompressed P-256 public key/);
    expect(configFromEnv({ PAGERLESS_WCTP_URL: 'https://wctp.vendor.example/wctp' }).wctp).toEqual({ url: 'https://wctp.vendor.example/wctp', senderId: 'pagerless', maxChars: 240 });
  });
});
