import { createHash, randomBytes } from 'node:crypto';
import { MailroomError } from '../errors.ts';
import type { StoredSession } from '../domain/user.ts';
import type { User } from '../domain/user.ts';
import type { AttemptLimiter } from './attempt-limiter.ts';
import { hashPassword } from './password-hash.ts';

/** A session lives this long after the last request it served. */
export const SESSION_IDLE_MS = 12 * 3600_000;

export interface SessionStore {
  insert(row: StoredSession): Promise<void>;
  find(idHash: string): Promise<StoredSession | undefined>;
  touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  deleteForUser(uid: string, exceptIdHash?: string): Promise<number>;
  deleteExpired(now: number): Promise<void>;
}

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex');

const rateLimited = (wait: number) => new MailroomError('rate_limited', `Too many failed sign-ins; try again in ${wait} seconds`, { details: { retry_after: wait } });

/** Failed sign-ins of a known account are counted by its uid, whichever name (uid or address) was typed. */
const accountKeyOf = (uid: string) => `uid:${uid}`;

/**
 * Sign-in for the web UI: a random session id in an HttpOnly cookie (only its hash is stored)
 * and a CSRF token the page sends back with every change. Failed sign-ins are limited per account
 * and per client address.
 */
export function createSessionService(deps: {
  store: SessionStore;
  findUser(login: string): Promise<User | undefined>;
  clock: { now(): Date };
  failuresPerAccount: AttemptLimiter;
  failuresPerClient: AttemptLimiter;
  /** Tests a password against its stored hash (scrypt; given so that a test can count the tests). */
  verifyPassword(password: string, stored: string): Promise<boolean>;
}) {
  // Verified when the user does not exist, so a wrong uid costs as much time as a wrong password.
  // Made on the first sign-in, not at start: scrypt takes 16 MiB, which a worker that never
  // serves a sign-in should not carry.
  let decoy: Promise<string> | undefined;
  const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));
  return {
    async login(input: { login: string; password: string; client: string }): Promise<{ sessionId: string; csrfToken: string; uid: string; expiresAt: number }> {
      const user = await deps.findUser(input.login);
      // An account is counted by its uid, so naming it by uid and by address does not double its tries.
      const accountKey = user ? accountKeyOf(user.uid) : input.login.toLowerCase();
      // Each limit is taken before the password is tested, not recorded after: otherwise every
      // sign-in of a parallel burst passes the check before the first failure is written, and all
      // of them get their password tested. A failure keeps what it took; a success gives it back.
      const byClient = await deps.failuresPerClient.take(input.client);
      if (!byClient.granted) throw rateLimited(byClient.retryAfterSeconds);
      const byAccount = await deps.failuresPerAccount.take(accountKey);
      if (!byAccount.granted) {
        // The address did not get to test a password; it is not charged for the locked account.
        await deps.failuresPerClient.release(input.client, byClient);
        throw rateLimited(byAccount.retryAfterSeconds);
      }
      const ok = user?.password_hash ? await deps.verifyPassword(input.password, user.password_hash) : (await deps.verifyPassword(input.password, await decoyHash()), false);
      if (!user || !ok || user.disabled) {
        throw new MailroomError('login_failed', 'Wrong user name or password');
      }
      await deps.failuresPerClient.release(input.client, byClient);
      await deps.failuresPerAccount.reset(accountKey);
      const now = deps.clock.now().getTime();
      const sessionId = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(24).toString('base64url');
      const expiresAt = now + SESSION_IDLE_MS;
      await deps.store.deleteExpired(now);
      await deps.store.insert({ id_hash: hashSessionId(sessionId), uid: user.uid, csrf_token: csrfToken, created_at: now, expires_at: expiresAt, last_seen_at: now });
      return { sessionId, csrfToken, uid: user.uid, expiresAt };
    },
    /** The session behind a cookie value, if it is still alive; extends it. */
    async resolve(sessionId: string): Promise<{ uid: string; csrfToken: string; idHash: string } | undefined> {
      const idHash = hashSessionId(sessionId);
      const row = await deps.store.find(idHash);
      const now = deps.clock.now().getTime();
      if (!row) return undefined;
      if (row.expires_at <= now) {
        await deps.store.delete(idHash);
        return undefined;
      }
      // One write a minute at most, not one per request.
      if (now - row.last_seen_at > 60_000) await deps.store.touch(idHash, now, now + SESSION_IDLE_MS);
      return { uid: row.uid, csrfToken: row.csrf_token, idHash };
    },
    logout: (sessionId: string) => deps.store.delete(hashSessionId(sessionId)),
    /** Ends a user's sessions (all, or all but the one given by its hash). */
    endAll: (uid: string, exceptIdHash?: string) => deps.store.deleteForUser(uid, exceptIdHash),
    /**
     * Tests the current password of a signed-in user who changes their password or address. A
     * wrong one counts as a failed sign-in of the account and a locked account is refused: else
     * whoever holds a session or an app password could test passwords here without any limit.
     */
    async checkPassword(uid: string, password: string, stored: string | null): Promise<boolean> {
      const grant = await deps.failuresPerAccount.take(accountKeyOf(uid));
      if (!grant.granted) throw rateLimited(grant.retryAfterSeconds);
      const ok = stored !== null && (await deps.verifyPassword(password, stored));
      if (ok) await deps.failuresPerAccount.reset(accountKeyOf(uid));
      return ok;
    },
    /** Forgets an account's failed sign-ins: they were guesses at a password that is no longer in force. */
    forgetFailures: (uid: string) => deps.failuresPerAccount.reset(accountKeyOf(uid)),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
