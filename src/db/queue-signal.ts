import { sql, type Kysely } from 'kysely';
import type { Logger } from '../log/logger.ts';
import type { DatabaseSchema } from './schema.ts';

/**
 * The PostgreSQL channel on which "mail was queued" goes to the workers of every process and
 * machine: the enqueue NOTIFYs it in its own transaction (outbox-repo.ts), so the workers hear of
 * a mail once it is committed, never before and never for a rolled-back one.
 */
export const QUEUE_CHANNEL = 'mailroom_outbox';

/**
 * Says on QUEUE_CHANNEL that mail is due, for what is committed apart from the enqueue (owed
 * mails a request queued, a mail made due again); a NOTIFY outside a transaction is sent at once.
 */
export async function signalQueued(db: Kysely<DatabaseSchema>): Promise<void> {
  await sql`select pg_notify(${QUEUE_CHANNEL}, '')`.execute(db);
}

export interface QueueListener {
  /** Ends the listening connection; no call to onQueued after it resolves. */
  stop(): Promise<void>;
}

export interface QueueListenDeps {
  url: string;
  log: Logger;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Waits after a lost listening connection: 1 s, doubling up to 30 s while it keeps failing. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * LISTENs on QUEUE_CHANNEL over a connection of its own (a pooled one would hand the LISTEN to
 * whichever query borrows it next) and calls onQueued for each notification. A lost connection
 * is opened again after a pause; meanwhile the worker's polling goes on, and onQueued is called
 * once on every (re)connect, because mail queued while nobody listened said so to nobody.
 */
export function listenForQueued(deps: QueueListenDeps, onQueued: () => void): QueueListener {
  const stopped = new AbortController();
  let client: import('pg').Client | undefined;
  const loop = (async () => {
    const { default: pg } = await import('pg');
    let retryMs = RETRY_FIRST_MS;
    while (!stopped.signal.aborted) {
      const c = new pg.Client({ connectionString: deps.url, keepAlive: true, application_name: 'mailroom worker (listen)' });
      client = c;
      // 'error' stays handled for the client's whole life: an unhandled one would end the process.
      const lost = new Promise<unknown>((resolve) => {
        c.on('error', resolve);
        c.on('end', () => resolve(new Error('the server closed the connection')));
      });
      try {
        await c.connect();
        c.on('notification', (n) => {
          if (n.channel === QUEUE_CHANNEL) onQueued();
        });
        await c.query(`LISTEN ${QUEUE_CHANNEL}`);
        retryMs = RETRY_FIRST_MS;
        onQueued();
        const cause = await Promise.race([lost, new Promise((resolve) => stopped.signal.addEventListener('abort', resolve, { once: true }))]);
        if (stopped.signal.aborted) break;
        throw cause;
      } catch (error) {
        await c.end().catch(() => undefined);
        if (stopped.signal.aborted) break;
        deps.log.warn({ event: 'queue_listen_lost', err: error, retryInMs: retryMs }, 'the worker does not hear of new mail at once (LISTEN); it looks at the queue every MAILROOM_WORKER_IDLE_MS until the connection is back');
        await deps.sleep(retryMs, stopped.signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await client?.end().catch(() => undefined);
      await loop;
    },
  };
}
