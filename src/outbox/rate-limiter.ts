/**
 * A token bucket for `mail_ratelimit` (mails a minute): a provider that throttles gets an even
 * stream instead of bursts it would answer with 421s. Time and waiting come in as dependencies.
 */
export interface RateLimiter {
  /** Resolves when one more mail may go out, or at once when `signal` is aborted (the worker stops). */
  take(signal?: AbortSignal): Promise<void>;
}

export function createRateLimiter(deps: { perMinute: () => number; clock: { now(): Date }; sleep: (ms: number, signal?: AbortSignal) => Promise<void> }): RateLimiter {
  let tokens = 0;
  let updatedAt = deps.clock.now().getTime();
  let lastRate = 0;
  let queue: Promise<void> = Promise.resolve();

  async function takeOne(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const rate = deps.perMinute();
      if (rate <= 0) return;
      const now = deps.clock.now().getTime();
      // A fresh or changed limit starts with one second's worth, never a minute's burst.
      if (rate !== lastRate) {
        tokens = Math.max(1, rate / 60);
        lastRate = rate;
        updatedAt = now;
      }
      tokens = Math.min(Math.max(1, rate / 60), tokens + ((now - updatedAt) * rate) / 60_000);
      updatedAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await deps.sleep(Math.ceil(((1 - tokens) * 60_000) / rate), signal);
    }
  }

  return {
    take(signal) {
      // One waiter at a time, so mails leave in the order they asked.
      const next = queue.then(() => takeOne(signal));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
