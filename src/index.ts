/**
 * Mailroom as a library: the same outbox, settings and worker as the `mailroom` command, inside
 * your own Node.js process.
 *
 * @example
 * import { createMailroom } from 'mailroom-server';
 * const mailroom = await createMailroom({ env: { MAILROOM_DATA_DIR: './data' } });
 * const [{ id }] = await mailroom.enqueue([{ to: 'alice@example.com', subject: 'Hello', text: 'Hi Alice' }]);
 * const worker = mailroom.startWorker();   // or run `mailroom worker` next to your app
 * await worker.stop();
 * await mailroom.close();
 */
import type { AppContext } from './context.ts';
import { buildContext } from './main.ts';
import { parseMessageInputs, type MessageInput } from './outbox/message-input.ts';
import type { OutboxWorker } from './outbox/outbox-worker.ts';
import { parseEventInputs, type EventInput } from './notifications/event-input.ts';
import type { IngestResult } from './notifications/event-service.ts';

export { MailroomError, errorCodes, isMailroomError, type ErrorCode } from './errors.ts';
export type { MessageInput } from './outbox/message-input.ts';
export type { EventInput } from './notifications/event-input.ts';
export type { IngestResult } from './notifications/event-service.ts';
export type { Settings, SettingKey } from './config/settings-schema.ts';

/**
 * What createMailroom reads; each may be left out. A type of this module's own rather than the
 * composition root's options, whose other fields are for the tests and the command line.
 */
export interface MailroomOptions {
  /** The environment read for MAILROOM_* (data folder, database URL, settings); process.env unless given. */
  env?: NodeJS.ProcessEnv;
  /** The folder that relative MAILROOM_DATA_DIR and MAILROOM_CONFIG paths start from; process.cwd() unless given. */
  cwd?: string;
  /** The log level (fatal, error, warn, info, debug, trace or silent); warn unless given. */
  logLevel?: string;
  /** Where log lines go, a JSON object each; standard error unless given. */
  logDestination?: { write(line: string): void };
}

export interface Mailroom {
  /**
   * Queues mails (at most 1000 a call) in one transaction; resolves once they are committed.
   * A `key` seen before yields the earlier mail's id with `duplicate: true` instead of a new mail.
   * @example await mailroom.enqueue([{ to: 'bob@example.com', subject: 'Report', html: '<p>Done</p>', key: 'report-42' }])
   */
  enqueue(messages: MessageInput[]): Promise<Array<{ id: number; duplicate: boolean }>>;
  /**
   * Records events (at most 1000 a call), as POST /api/v1/events does: share.created owes the
   * share mail to each recipient (a worker renders and sends it; `mails` says how many), every
   * type becomes activities for the digests. Resolves once committed, without rendering.
   * @example await mailroom.emit([{ id: 'share-4711', type: 'share.created', actor: 'alice', affected: ['bob'], object: { type: 'file', id: '4711', name: 'Budget.xlsx' }, link: 'https://cloud.example.com/s/Xk3p' }])
   */
  emit(events: EventInput[]): Promise<IngestResult>;
  /**
   * Starts a worker in this process that renders owed mails, delivers the outbox and sends due
   * digests until stopped.
   * @example const worker = mailroom.startWorker(); process.on('SIGTERM', () => worker.stop());
   */
  startWorker(): { stop(): Promise<void> };
  /** The settings, outbox and test-mail services, as the CLI and the API use them. */
  readonly context: AppContext;
  /** Closes the database; stop workers first. */
  close(): Promise<void>;
}

/**
 * Opens Mailroom's database (SQLite in MAILROOM_DATA_DIR, or MAILROOM_DATABASE_URL) with the
 * settings layers of the environment given (defaults to process.env).
 * @example const mailroom = await createMailroom({ env: { ...process.env, MAILROOM_DATABASE_URL: 'postgres://…' } });
 */
export async function createMailroom(options: MailroomOptions = {}): Promise<Mailroom> {
  const context = await buildContext({ logLevel: 'warn', ...options });
  return {
    context,
    enqueue: async (messages) => context.outbox.send(parseMessageInputs(messages)),
    emit: async (events) => context.events.ingest(parseEventInputs(events)),
    startWorker: () => {
      const worker: OutboxWorker = context.createWorker();
      const digests = context.createDigestScheduler();
      worker.start();
      digests.start();
      return {
        async stop() {
          await digests.stop();
          await worker.stop();
        },
      };
    },
    close: () => context.close(),
  };
}
