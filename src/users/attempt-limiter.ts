import { createHmac } from 'node:crypto';

/** Where attempts are counted: the database, so every API process counts the same ones. */
export interface AttemptStore {
  recent(bucket: string, key: string, since: number): Promise<number[]>;
  add(bucket: string, key: string, at: number): Promise<void>;
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

/** Rows older than this are of no use to any limit; pruned now and then. */
const LONGEST_WINDOW_MS = 60 * 60_000;
const PRUNE_EVERY = 200;

/**
 * Counts attempts per key in a sliding window, in the shared database: behind a load balancer,
 * or with a CLI next to `serve`, the limit is the same however many processes answer. Keys
 * (user names, addresses, client IPs) are stored as keyed hashes (HMAC with a key derived from
 * the instance's secret key, the same in every process): the table says how often, not who.
 */
export function createAttemptLimiter(options: AttemptLimiterOptions) {
  let sincePrune = 0;
  const hashed = (key: string) => createHmac('sha256', options.secret).update(key).digest('base64url');
  const recent = (key: string, now: number) => options.store.recent(options.bucket, hashed(key), now - options.windowMs);
  const wait = (list: readonly number[], now: number) => (list.length < options.limit ? 0 : Math.max(1, Math.ceil(((list[list.length - options.limit] as number) + options.windowMs - now) / 1000)));
  return {
    /** Records an attempt; false (and nothing recorded) when the key already used up its window. */
    async take(key: string): Promise<boolean> {
      const now = options.clock.now().getTime();
      if ((await recent(key, now)).length >= options.limit) return false;
      await options.store.add(options.bucket, hashed(key), now);
      if (++sincePrune >= PRUNE_EVERY) {
        sincePrune = 0;
        await options.store.prune(now - Math.max(LONGEST_WINDOW_MS, options.windowMs));
      }
      return true;
    },
    /** Seconds until the key may try again (0 when it may now). */
    async retryAfterSeconds(key: string): Promise<number> {
      const now = options.clock.now().getTime();
      return wait(await recent(key, now), now);
    },
    async reset(key: string): Promise<void> {
      await options.store.clear(options.bucket, hashed(key));
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
