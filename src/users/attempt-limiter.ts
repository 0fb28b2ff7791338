import { createHmac } from 'node:crypto';
import type { AttemptWindow } from '../domain/user.ts';

/** Where attempts are counted: the database, so every API process counts the same ones. */
export interface AttemptStore {
  /** Takes one attempt atomically when the window has room; undefined (and nothing counted) when it is full. */
  take(bucket: string, key: string, input: { now: number; windowMs: number; limit: number }): Promise<AttemptWindow | undefined>;
  peek(bucket: string, key: string): Promise<AttemptWindow | undefined>;
  /** Gives back one attempt of the window that began at windowStart. */
  release(bucket: string, key: string, windowStart: number): Promise<void>;
  clear(bucket: string, key: string): Promise<void>;
  prune(before: number): Promise<void>;
}

export interface AttemptLimiterOptions {
  /** Names this limit in the store (login_account, reset_client, …). */
  bucket: string;
  limit: number;
  windowMs: number;
  clock: { now(): Date };
  store: AttemptStore;
  /** Keys the hashes: without it, the hash of an IPv4 address could be reversed by trying them all. */
  secret: Buffer;
}

/** An attempt the limit let through, or the wait before the next one may. */
export type AttemptGrant = { granted: true; windowStart: number } | { granted: false; retryAfterSeconds: number };

/** Windows older than this are of no use to any limit; pruned now and then. */
const LONGEST_WINDOW_MS = 60 * 60_000;
const PRUNE_EVERY = 200;

/**
 * Counts attempts per key in the shared database: behind a load balancer, or with a CLI next to
 * `serve`, the limit is the same however many processes answer. An attempt is taken before the
 * work it guards (a password tested, a mail sent) and in one statement, so callers racing for the
 * last place cannot both get it. A window opens with the first attempt and lasts `windowMs`; when
 * it is full, the key waits for its end. Keys (user names, addresses, client IPs) are stored as
 * keyed hashes (HMAC with a key derived from the instance's secret key, the same in every
 * process): the table says how often, not who.
 */
export function createAttemptLimiter(options: AttemptLimiterOptions) {
  let sincePrune = 0;
  const hashed = (key: string) => createHmac('sha256', options.secret).update(key).digest('base64url');
  return {
    /** Takes one attempt; refused (and nothing counted) when the key already used up its window. */
    async take(key: string): Promise<AttemptGrant> {
      const now = options.clock.now().getTime();
      const taken = await options.store.take(options.bucket, hashed(key), { now, windowMs: options.windowMs, limit: options.limit });
      if (++sincePrune >= PRUNE_EVERY) {
        sincePrune = 0;
        await options.store.prune(now - Math.max(LONGEST_WINDOW_MS, options.windowMs));
      }
      if (taken) return { granted: true, windowStart: taken.windowStart };
      // Read after the refusal, so the wait is that of the window that refused (or a newer one).
      const window = await options.store.peek(options.bucket, hashed(key));
      const ends = (window?.windowStart ?? now) + options.windowMs;
      // At most a whole window: another process may have opened it a moment after our `now`.
      return { granted: false, retryAfterSeconds: Math.min(Math.ceil(options.windowMs / 1000), Math.max(1, Math.ceil((ends - now) / 1000))) };
    },
    /** Gives back an attempt that turned out not to count (a sign-in that succeeded, or was refused by another limit). */
    async release(key: string, grant: { windowStart: number }): Promise<void> {
      await options.store.release(options.bucket, hashed(key), grant.windowStart);
    },
    /** Forgets the key's attempts. */
    async reset(key: string): Promise<void> {
      await options.store.clear(options.bucket, hashed(key));
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
