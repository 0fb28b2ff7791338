/**
 * Counts attempts per key in a sliding window, in memory. Enough for one API process; behind a
 * load balancer each process keeps its own count, so the effective limit is the limit times the
 * number of processes.
 */
export function createAttemptLimiter(options: { limit: number; windowMs: number; clock: { now(): Date } }) {
  const hits = new Map<string, number[]>();
  const recent = (key: string, now: number) => (hits.get(key) ?? []).filter((t) => t > now - options.windowMs);
  return {
    /** Records an attempt; false when the key already used up its window. */
    take(key: string): boolean {
      const now = options.clock.now().getTime();
      const list = recent(key, now);
      if (list.length >= options.limit) {
        hits.set(key, list);
        return false;
      }
      list.push(now);
      hits.set(key, list);
      // Keep the map from growing without bound under a spray of distinct keys.
      if (hits.size > 10_000) for (const [k, v] of hits) if (v.every((t) => t <= now - options.windowMs)) hits.delete(k);
      return true;
    },
    /** Seconds until the key may try again (0 when it may now). */
    retryAfterSeconds(key: string): number {
      const now = options.clock.now().getTime();
      const list = recent(key, now);
      if (list.length < options.limit) return 0;
      return Math.max(1, Math.ceil(((list[0] as number) + options.windowMs - now) / 1000));
    },
    reset(key: string): void {
      hits.delete(key);
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
