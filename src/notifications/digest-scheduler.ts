import type { Logger } from '../log/logger.ts';
import type { DigestService } from './digest-service.ts';

/** How often the scheduler looks for due digests. */
export const DIGEST_CHECK_MS = 30_000;

/**
 * Runs the digest pass inside a worker: at start, then every DIGEST_CHECK_MS. A pass that fails
 * (the database is away) is logged and tried again at the next tick; nothing is lost, since
 * activities stay pending until a digest takes them.
 */
export function createDigestScheduler(deps: { digests: Pick<DigestService, 'runDue'>; log: Logger; intervalMs?: number }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = deps.digests
      .runDue()
      .then((report) => {
        if (report.digests > 0) deps.log.info({ event: 'digests_run', ...report }, `queued ${report.digests} digest(s)`);
      })
      .catch((error: unknown) => deps.log.error({ event: 'digests_failed', err: error }, 'the digest pass failed; trying again later'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start(): void {
      tick();
      timer = setInterval(tick, deps.intervalMs ?? DIGEST_CHECK_MS);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type DigestScheduler = ReturnType<typeof createDigestScheduler>;
