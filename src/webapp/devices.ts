// Enrolled devices and their sessions. An admin issues a one-time enrollment link for a person;
// opening it on a phone enrolls that phone (the person chooses a PIN) and signs it in. PHI is
// shown only in a signed-in session on an enrolled device; a session ends after a spell of
// inactivity, and signing in again takes the PIN on that device. Five wrong PINs lock the device
// for a quarter of an hour.
import { createHash, randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

const { devices, enrollments, sessions, people } = tables;

export const enrollmentLifetimeMs = 24 * 3_600_000;
const lockAfterFailures = 5;
const lockMs = 15 * 60_000;
/** A session's last activity is written at most this often (not on every request). */
const touchEveryMs = 60_000;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url');
const secret = (): string => randomBytes(24).toString('base64url');

export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('base64url')}.${scryptSync(pin, salt, 32).toString('base64url')}`;
}

function pinMatches(pin: string, stored: string): boolean {
  const [salt, hash] = stored.split('.');
  if (salt === undefined || hash === undefined) return false;
  return timingSafeEqual(scryptSync(pin, Buffer.from(salt, 'base64url'), 32), Buffer.from(hash, 'base64url'));
}

export const pinPattern = /^\d{4,8}$/;

export interface SignedIn {
  readonly personId: string;
  readonly deviceId: string;
  readonly name: string;
}

export type EnrollmentCheck =
  | { readonly ok: true; readonly personId: string; readonly name: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired' };

export type SignInResult =
  | { readonly ok: true; readonly session: string; readonly person: SignedIn }
  | { readonly ok: false; readonly reason: 'no-device' | 'wrong-pin' | 'locked'; readonly lockedUntil?: Date };

export interface DeviceStore {
  issueEnrollment(personId: string, by: string): Promise<{ code: string; expiresAt: Date } | null>;
  checkEnrollment(code: string): Promise<EnrollmentCheck>;
  /** Uses the code (once), enrolls a device with this PIN and signs it in. */
  enroll(code: string, pin: string): Promise<({ ok: true; deviceCookie: string; session: string } & { person: SignedIn }) | { ok: false; reason: 'unknown' | 'used' | 'expired' }>;
  signIn(deviceCookie: string | undefined, pin: string): Promise<SignInResult>;
  /** The signed-in person of a session cookie still in use, on the device it was signed in on; null when there is none or it lapsed. */
  session(cookie: string | undefined, deviceCookie: string | undefined): Promise<SignedIn | null>;
  signOut(cookie: string | undefined): Promise<void>;
  /** Whose device this is (for the sign-in page), without signing in. */
  device(deviceCookie: string | undefined): Promise<{ deviceId: string; name: string } | null>;
}

export function createDeviceStore(db: Db, clock: () => Date, idleMs: number): DeviceStore {
  const nameOf = async (personId: string) => (await db.select({ name: people.displayName }).from(people).where(eq(people.id, personId)))[0]?.name ?? personId;

  const newSession = async (deviceId: string, personId: string, now: Date): Promise<string> => {
    const cookie = secret();
    await db.insert(sessions).values({ hash: sha256(cookie), deviceId, personId, createdAt: now, lastActiveAt: now });
    return cookie;
  };

  const deviceOf = async (deviceCookie: string | undefined) => {
    const [id, token] = (deviceCookie ?? '').split('.');
    if (id === undefined || token === undefined || !/^[0-9a-f-]{36}$/.test(id)) return null;
    const [device] = await db.select().from(devices).where(and(eq(devices.id, id), isNull(devices.revokedAt)));
    return device !== undefined && device.secretHash === sha256(token) ? device : null;
  };

  const checkEnrollment = async (code: string): Promise<EnrollmentCheck> => {
    const [row] = await db.select().from(enrollments).where(eq(enrollments.hash, sha256(code)));
    if (row === undefined) return { ok: false, reason: 'unknown' };
    if (row.usedAt !== null) return { ok: false, reason: 'used' };
    if (row.expiresAt <= clock()) return { ok: false, reason: 'expired' };
    return { ok: true, personId: row.personId, name: await nameOf(row.personId) };
  };

  return {
    async issueEnrollment(personId, by) {
      const [person] = await db.select({ id: people.id }).from(people).where(eq(people.id, personId));
      if (person === undefined) return null;
      const code = secret();
      const now = clock();
      const expiresAt = new Date(now.getTime() + enrollmentLifetimeMs);
      await db.insert(enrollments).values({ hash: sha256(code), personId, createdBy: by, createdAt: now, expiresAt });
      return { code, expiresAt };
    },
    checkEnrollment,
    async enroll(code, pin) {
      const check = await checkEnrollment(code);
      if (!check.ok) return check;
      const now = clock();
      const deviceId = randomUUID();
      const deviceSecret = secret();
      // Used once: the update only succeeds for the first of two racing enrollments.
      const used = await db
        .update(enrollments)
        .set({ usedAt: now })
        .where(and(eq(enrollments.hash, sha256(code)), isNull(enrollments.usedAt)))
        .returning({ hash: enrollments.hash });
      if (used.length === 0) return { ok: false, reason: 'used' };
      await db.insert(devices).values({ id: deviceId, personId: check.personId, secretHash: sha256(deviceSecret), pinHash: hashPin(pin), createdAt: now });
      const session = await newSession(deviceId, check.personId, now);
      return { ok: true, deviceCookie: `${deviceId}.${deviceSecret}`, session, person: { personId: check.personId, deviceId, name: check.name } };
    },
    async signIn(deviceCookie, pin) {
      const device = await deviceOf(deviceCookie);
      if (device === null) return { ok: false, reason: 'no-device' };
      const now = clock();
      if (device.lockedUntil !== null && device.lockedUntil > now) return { ok: false, reason: 'locked', lockedUntil: device.lockedUntil };
      if (!pinPattern.test(pin) || !pinMatches(pin, device.pinHash)) {
        const failures = device.failedSignIns + 1;
        const lockedUntil = failures >= lockAfterFailures ? new Date(now.getTime() + lockMs) : null;
        await db.update(devices).set({ failedSignIns: lockedUntil === null ? failures : 0, lockedUntil }).where(eq(devices.id, device.id));
        return lockedUntil === null ? { ok: false, reason: 'wrong-pin' } : { ok: false, reason: 'locked', lockedUntil };
      }
      await db.update(devices).set({ failedSignIns: 0, lockedUntil: null }).where(eq(devices.id, device.id));
      const session = await newSession(device.id, device.personId, now);
      return { ok: true, session, person: { personId: device.personId, deviceId: device.id, name: await nameOf(device.personId) } };
    },
    async session(cookie, deviceCookie) {
      if (cookie === undefined || cookie === '') return null;
      // A session is only good on the enrolled device it was signed in on.
      const deviceId = (deviceCookie ?? '').split('.')[0];
      const [row] = await db
        .select({ s: sessions, revokedAt: devices.revokedAt })
        .from(sessions)
        .innerJoin(devices, eq(devices.id, sessions.deviceId))
        .where(eq(sessions.hash, sha256(cookie)));
      const now = clock();
      if (row === undefined || row.s.endedAt !== null || row.revokedAt !== null || row.s.deviceId !== deviceId) return null;
      if (now.getTime() - row.s.lastActiveAt.getTime() >= idleMs) return null;
      if (now.getTime() - row.s.lastActiveAt.getTime() >= touchEveryMs) await db.update(sessions).set({ lastActiveAt: now }).where(eq(sessions.hash, row.s.hash));
      return { personId: row.s.personId, deviceId: row.s.deviceId, name: await nameOf(row.s.personId) };
    },
    async signOut(cookie) {
      if (cookie === undefined || cookie === '') return;
      await db.update(sessions).set({ endedAt: clock() }).where(eq(sessions.hash, sha256(cookie)));
    },
    async device(deviceCookie) {
      const device = await deviceOf(deviceCookie);
      return device === null ? null : { deviceId: device.id, name: await nameOf(device.personId) };
    },
  };
}
