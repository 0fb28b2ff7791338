import type { Logger } from '../log/logger.ts';

/**
 * The one hook for "mail was queued in this process": a mail queued or made due again, and the
 * mails a request owes (which a worker's render lane then queues). Whoever queues tells it;
 * whoever waits for mail listens to it (this process's workers, and `serve`'s link to the worker
 * process it started). The workers of other processes hear of it through `tellOtherProcesses`.
 */
export interface MailQueued {
  /** `othersTold`: the enqueue's own transaction told the other processes already (PostgreSQL's NOTIFY at commit). */
  notify(options?: { othersTold?: boolean }): void;
  /** Calls `listener` each time mail is queued here, in the order they began to listen; answers the way to stop. */
  listen(listener: () => void): () => void;
}

export interface MailQueuedDeps {
  /** Tells the workers of other processes and machines (PostgreSQL's NOTIFY); none on SQLite, where every worker polls. */
  tellOtherProcesses?: (() => Promise<void>) | undefined;
  log: Logger;
}

export function createMailQueued(deps: MailQueuedDeps): MailQueued {
  const listeners = new Set<() => void>();
  let tellingPending = false;
  return {
    notify(options = {}) {
      for (const listener of listeners) listener();
      const tell = deps.tellOtherProcesses;
      // One signal per turn of the event loop, however many requests queued mail in it. Lost, it
      // costs the other workers one poll's wait.
      if (!tell || options.othersTold || tellingPending) return;
      tellingPending = true;
      setImmediate(() => {
        tellingPending = false;
        tell().catch((error: unknown) => deps.log.warn({ event: 'queue_signal_failed', err: error }, 'could not tell the other workers of new mail; they find it at their next look'));
      });
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
