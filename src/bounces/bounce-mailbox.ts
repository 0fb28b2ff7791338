import { MailroomError } from '../errors.ts';
import type { Settings } from '../config/settings-schema.ts';
import type { Logger } from '../log/logger.ts';
import { MAX_BOUNCE_BYTES, type ReceiveOutcome } from './bounce-service.ts';
import type { Pop3Options, Pop3Session } from './pop3-client.ts';

/** At most this many messages a session: the rest wait for the next fetch, and a crash re-reads no more than these. */
export const FETCH_BATCH = 100;

export interface FetchReport {
  /** Messages read and deleted from the mailbox. */
  fetched: number;
  recorded: number;
  ignored: number;
  /** Messages still in the mailbox after this fetch (beyond the batch, or after a failure). */
  left: number;
}

export interface BounceMailboxDeps {
  settings: { get(): Promise<Settings> };
  receive(raw: Buffer, options: { truncated?: boolean }): Promise<ReceiveOutcome>;
  open(options: Pop3Options): Promise<Pop3Session>;
  readCa(path: string): Promise<string>;
  log: Logger;
}

type MailboxSettings = Pick<Settings, 'mail_bounce_pop3_host' | 'mail_bounce_pop3_user' | 'mail_bounce_pop3_password'>;

export const bounceMailboxConfigured = (s: MailboxSettings): boolean => s.mail_bounce_pop3_host !== '' && s.mail_bounce_pop3_user !== '' && s.mail_bounce_pop3_password !== '';

/**
 * The second way bounces come in: a mailbox that receives them, fetched over POP3 with TLS.
 * Each message goes through the same `receive` as bounce:receive's, and is marked deleted only
 * once that returned (recorded, or ignored with its log line); the server deletes the marked ones
 * when the session ends with QUIT. A failure to record (the database away) ends the session
 * at once, leaving that message and the rest for the next fetch; a crash quits nothing and so
 * deletes nothing. A message is never lost, at worst read twice.
 */
export function createBounceMailbox(deps: BounceMailboxDeps) {
  const { log } = deps;
  return {
    async fetch(): Promise<FetchReport> {
      const s = await deps.settings.get();
      if (!bounceMailboxConfigured(s)) {
        throw new MailroomError('bounce_mailbox_not_configured', 'no bounce mailbox is set: set mail_bounce_pop3_host, mail_bounce_pop3_user and mail_bounce_pop3_password (and mail_bounce_pop3_port, mail_bounce_pop3_tls)');
      }
      const ca = s.mail_bounce_pop3_tls_ca ? await deps.readCa(s.mail_bounce_pop3_tls_ca) : undefined;
      const session = await deps.open({ host: s.mail_bounce_pop3_host, port: s.mail_bounce_pop3_port, tls: s.mail_bounce_pop3_tls, user: s.mail_bounce_pop3_user, password: s.mail_bounce_pop3_password, ca });
      const report: FetchReport = { fetched: 0, recorded: 0, ignored: 0, left: 0 };
      let messages: Array<{ number: number; size: number }>;
      try {
        messages = await session.list();
        for (const { number } of messages.slice(0, FETCH_BATCH)) {
          const { raw, truncated } = await session.retrieve(number, MAX_BOUNCE_BYTES);
          // Throws when the database cannot be used: the session is dropped below, nothing deleted.
          const outcome = await deps.receive(raw, { truncated });
          await session.delete(number);
          report.fetched++;
          report[outcome.outcome]++;
        }
      } catch (error) {
        // What was recorded before the failure is deleted: QUIT, if the connection still can.
        await session.quit().catch(() => session.close());
        throw error;
      }
      await session.quit();
      report.left = messages.length - report.fetched;
      if (report.fetched > 0 || report.left > 0) {
        log.info({ event: 'bounce_mailbox_fetched', ...report }, `bounce mailbox: ${report.fetched} message(s) fetched (${report.recorded} recorded, ${report.ignored} ignored), ${report.left} left`);
      }
      return report;
    },
  };
}

export type BounceMailbox = ReturnType<typeof createBounceMailbox>;

/**
 * Fetches the bounce mailbox inside a worker, every mail_bounce_pop3_interval seconds (read again
 * before each wait, so a changed setting applies without a restart). A worker without a
 * configured mailbox looks again a minute later. A failed fetch is logged with its code and tried
 * at the next interval; the messages wait in the mailbox.
 */
export function createBounceMailboxPoller(deps: { mailbox: BounceMailbox; settings: { get(): Promise<Settings> }; log: Logger; idleCheckMs?: number }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    running = (async () => {
      let next = deps.idleCheckMs ?? 60_000;
      try {
        const s = await deps.settings.get();
        if (bounceMailboxConfigured(s)) {
          next = s.mail_bounce_pop3_interval * 1000;
          await deps.mailbox.fetch();
        }
      } catch (error) {
        const code = error instanceof MailroomError ? error.code : undefined;
        deps.log.error({ event: 'bounce_mailbox_failed', code, err: error }, `fetching the bounce mailbox failed; trying again later: ${error instanceof Error ? error.message : String(error)}`);
      }
      schedule(next);
    })();
  };
  return {
    start(): void {
      stopped = false;
      schedule(0);
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type BounceMailboxPoller = ReturnType<typeof createBounceMailboxPoller>;
