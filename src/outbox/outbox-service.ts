import { senderAddress } from '../domain/sender.ts';
import { MailroomError, isMailroomError } from '../errors.ts';
import { parseEmailAddress, printable } from '../domain/address.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import { finishMessage } from '../message/finish-message.ts';
import type { MessageInput } from './message-input.ts';
import { parseMessage } from '../message/mime-message.ts';
import type { FailedOwedMail, OutboxAttempt, OutboxRow } from '../domain/outbox.ts';
import type { BatchOutcome, OwedMailsView, OwedMailWhereabouts } from '../domain/api-types.ts';
import type { SecretBox } from '../config/secret-box.ts';
import type { MailQueued } from './mail-queued.ts';
import { maskLinkTokens } from '../domain/link-tokens.ts';
import { isSealedBytes, openBytes } from './sealed-raw.ts';

/**
 * The kinds of the account mails with a one-time link. Those queued before links were sealed are
 * masked in the view by their kind; the ones queued since are sealed and masked for that.
 */
const LINK_KINDS: ReadonlySet<string> = new Set(['welcome', 'lost_password', 'email_change_verify', 'email_change_notice']);

/** The outbox table as the service needs it (implemented by db/outbox-repo.ts). */
export interface OutboxStore {
  enqueue(rows: Array<{ messageId: string; kind: string; envelopeFrom: string; recipients: string[]; subject: string; raw: Buffer; idempotencyKey: string | null }>, now: number): Promise<Array<{ id: number; duplicate: boolean }>>;
  counts(): Promise<Record<string, number>>;
  pending(): Promise<number>;
  list(input: { state?: string | undefined; limit: number; beforeId?: number | undefined }): Promise<unknown[]>;
  page(input: { state?: string | undefined; limit: number; beforeId?: number | undefined; search?: string | undefined }): Promise<{ mails: OutboxRow[]; next: number | null }>;
  sendNow(input: { ids: number[]; now: number }): Promise<number[]>;
  requeueIds(input: { ids: number[]; now: number }): Promise<number[]>;
  states(ids: number[]): Promise<Map<number, string>>;
  get(id: number): Promise<(OutboxRow & { raw: Buffer; history: OutboxAttempt[] }) | undefined>;
  idByKey(key: string): Promise<number | undefined>;
  requeue(input: { ids?: number[]; allFailed?: boolean; now: number }): Promise<number>;
  /** The ids of those that were queued or failed and are cancelled now. */
  cancel(input: { ids: number[]; now: number }): Promise<number[]>;
  purge(before: number): Promise<number>;
}

/** The mails requests owe and no worker has rendered yet (implemented by db/owed-mail-repo.ts). */
export interface OwedMailView {
  counts(): Promise<{ owed: number; failed: number }>;
  failed(limit: number): Promise<FailedOwedMail[]>;
  retryFailed(now: number): Promise<number>;
  byKey(key: string): Promise<{ state: 'owed' } | { state: 'failed'; code: string; message: string } | undefined>;
}

/** Where the mail a request owed under a key is: not rendered yet, failed to render, or queued as outbox mail `id`. */
export type { OwedMailWhereabouts };

/** What a batch request answers for each id: done (with the new state), or why not. */
export type { BatchOutcome };

function refused(id: number, error: MailroomError): BatchOutcome {
  return { id, ok: false, error: { code: error.code, message: error.message } };
}

/** The ids in the order given, each once. */
function uniqueIds(ids: number[]): number[] {
  return [...new Set(ids)];
}

function notQueued(id: number, state: string): MailroomError {
  const message =
    state === 'failed' || state === 'cancelled'
      ? `Mail #${id} is ${state}: only a queued mail can be sent now; retry it instead, which queues it due at once`
      : state === 'sending'
        ? `Mail #${id} is sending: a worker is handing it to the mail server right now`
        : `Mail #${id} is sent already: only a queued mail can be sent now`;
  return new MailroomError('outbox_not_queued', message, { details: { id, state } });
}

/** The outbox row of a finished message. */
export function toOutboxRow(message: ComposedMessage, kind: string, key?: string | undefined) {
  return { messageId: message.messageId, kind, envelopeFrom: message.envelope.from, recipients: message.envelope.to, subject: message.subject, raw: message.raw, idempotencyKey: key ?? null };
}

/**
 * Queues mails: each is finished to its final bytes (finishMessage: the same step as template
 * mails, DKIM included) and committed before the caller hears "accepted", so nothing is lost
 * when the server or Mailroom goes down afterwards. Every mail queued or made due again is told
 * to `onQueued`, so a worker sends it now, not when it next looks.
 */
export function createOutboxService(deps: { store: OutboxStore; owed: OwedMailView; settings: SettingsReader; clock: { now(): Date }; secretBox: SecretBox; onQueued: MailQueued['notify'] }) {
  return {
    /** Queues a batch in one transaction; any invalid message means none is queued. */
    async send(messages: MessageInput[], kind = 'message'): Promise<Array<{ id: number; duplicate: boolean }>> {
      const settings = await deps.settings.get();
      // A sender that is not an address fails the whole batch once, before any message.
      parseEmailAddress(senderAddress(settings), 'sender (mail_from_address@mail_domain)');
      const now = deps.clock.now();
      const rows = [];
      for (const [index, m] of messages.entries()) {
        const where = messages.length > 1 ? `message ${index + 1}: ` : '';
        try {
          const to = parseEmailAddress(m.to, 'recipient');
          // The same finishing step as template mails: sender, plaintext-only, Auto-Submitted, DKIM.
          const composed = await finishMessage({ to, subject: m.subject, text: m.text, html: m.html }, settings, deps);
          rows.push(toOutboxRow(composed, kind, m.key));
        } catch (error) {
          if (isMailroomError(error)) throw new MailroomError(error.code, `${where}${error.message}`, { cause: error, details: { ...(error.details ?? {}), index } });
          throw error;
        }
      }
      const queued = await deps.store.enqueue(rows, now.getTime());
      // On PostgreSQL the enqueue's transaction told the other processes' workers already.
      deps.onQueued({ othersTold: true });
      return queued;
    },
    counts: () => deps.store.counts(),
    /** Owed (not rendered yet), queued or sending: cheap enough to poll. */
    pending: async () => (await deps.store.pending()) + (await deps.owed.counts()).owed,
    /**
     * The mails requests owe that no worker has rendered yet, and those that could not be
     * rendered, newest first, with their codes (a template over its budget, say).
     */
    async owed(limit = 100): Promise<OwedMailsView> {
      const counts = await deps.owed.counts();
      return { ...counts, failed_mails: await deps.owed.failed(Math.min(limit, 1000)) };
    },
    /**
     * The mail a request owed under `key` (an invitation's `mail_key`), wherever it is now. The
     * owed row is read first: rendering deletes it and queues the mail in one transaction, so a
     * key missing from both was never owed (or its mail was purged).
     */
    async owedByKey(key: string): Promise<OwedMailWhereabouts> {
      const owed = await deps.owed.byKey(key);
      if (owed?.state === 'owed') return { key, state: 'owed' };
      if (owed?.state === 'failed') return { key, state: 'failed', error: { code: owed.code, message: owed.message } };
      const id = await deps.store.idByKey(key);
      if (id === undefined) throw new MailroomError('not_found', `No mail owed or queued under the key "${printable(key)}"`);
      return { key, state: 'queued', id };
    },
    /** Renders the failed owed mails again, after their template was fixed; how many. */
    retryOwed: () => deps.owed.retryFailed(deps.clock.now().getTime()),
    list: (input: { state?: string | undefined; limit?: number; beforeId?: number | undefined }) => deps.store.list({ ...input, limit: Math.min(input.limit ?? 100, 1000) }),
    /**
     * One mail: its row, its failed attempts (`history`), the `raw` message, and its `headers` and
     * `parts` read from it. One-time links are masked (`masked: true`), before and after sending:
     * an admin reading the outbox must not be able to take over the account the mail is for.
     */
    async show(id: number) {
      const row = await deps.store.get(id);
      if (!row) throw new MailroomError('not_found', `No mail #${id} in the outbox`);
      const masked = isSealedBytes(row.raw) || LINK_KINDS.has(row.kind);
      // `raw` is answered as a string of one character a byte (latin1), as it always was.
      const stored = openBytes(deps.secretBox, row.raw).toString('latin1');
      const raw = masked ? maskLinkTokens(stored) : stored;
      return { ...row, raw, masked, ...parseMessage(Buffer.from(raw, 'latin1')) };
    },
    /** One page of the list, with a search by recipient or subject; `next` pages on (see OutboxRepo.page). */
    page: (input: { state?: string | undefined; limit?: number; beforeId?: number | undefined; search?: string | undefined }) => deps.store.page({ ...input, search: input.search?.trim() || undefined, limit: Math.min(input.limit ?? 100, 1000) }),
    /**
     * The message as a `.eml` file, under the same rule as `show`: a mail with a one-time link
     * comes masked, so a download hands out no more than the page shows.
     */
    async eml(id: number): Promise<{ fileName: string; bytes: Buffer; masked: boolean }> {
      const mail = await this.show(id);
      return { fileName: `mail-${id}.eml`, bytes: Buffer.from(mail.raw, 'latin1'), masked: mail.masked };
    },
    /**
     * A queued mail due now: one deferred after a failed attempt waits no longer for its next
     * one. A failed or cancelled mail is not queued; `retry` queues it again.
     */
    async sendNow(id: number): Promise<void> {
      if ((await deps.store.sendNow({ ids: [id], now: deps.clock.now().getTime() })).length > 0) {
        deps.onQueued();
        return;
      }
      const { state } = await this.show(id);
      throw notQueued(id, state);
    },
    /** `retry` for each of several mails; each answered on its own, none stops the others. */
    async retryMany(ids: number[]): Promise<BatchOutcome[]> {
      const unique = uniqueIds(ids);
      const done = new Set(await deps.store.requeueIds({ ids: unique, now: deps.clock.now().getTime() }));
      if (done.size > 0) deps.onQueued();
      const states = await deps.store.states(unique.filter((id) => !done.has(id)));
      return unique.map((id) => {
        if (done.has(id)) return { id, ok: true, state: 'queued' };
        const state = states.get(id);
        if (state === undefined) return refused(id, new MailroomError('not_found', `No mail #${id} in the outbox`));
        return refused(id, new MailroomError('outbox_not_retryable', `Mail #${id} is ${state}: only a failed or cancelled mail can be retried`, { details: { id, state } }));
      });
    },
    /** `cancel` for each of several mails; each answered on its own. */
    async cancelMany(ids: number[]): Promise<BatchOutcome[]> {
      const unique = uniqueIds(ids);
      const done = new Set(await deps.store.cancel({ ids: unique, now: deps.clock.now().getTime() }));
      const states = await deps.store.states(unique.filter((id) => !done.has(id)));
      return unique.map((id) => {
        if (done.has(id)) return { id, ok: true, state: 'cancelled' };
        const state = states.get(id);
        if (state === undefined) return refused(id, new MailroomError('not_found', `No mail #${id} in the outbox`));
        return refused(id, new MailroomError('outbox_not_cancellable', `Mail #${id} is ${state}: only a queued or failed mail can be cancelled`, { details: { id, state } }));
      });
    },
    async retry(id: number): Promise<void> {
      if ((await deps.store.requeue({ ids: [id], now: deps.clock.now().getTime() })) === 0) {
        await this.show(id);
        throw new MailroomError('invalid_request', `Mail #${id} is not failed or cancelled; only those can be retried`);
      }
      deps.onQueued();
    },
    /** Stops a queued or failed mail from being sent; `retry` queues it again. */
    async cancel(id: number): Promise<{ id: number; state: 'cancelled' }> {
      // A mail can change state between the update and the look (a worker puts a mail it could
      // not send back in the queue): then it is cancellable again, and one more try settles it.
      for (let attempt = 1; ; attempt++) {
        if ((await deps.store.cancel({ ids: [id], now: deps.clock.now().getTime() })).length > 0) return { id, state: 'cancelled' };
        const { state } = await this.show(id);
        if ((state === 'queued' || state === 'failed') && attempt < 3) continue;
        const why = state === 'sending' ? 'a worker is handing it to the mail server right now; look again in a few seconds' : state === 'sent' ? 'it was sent already, and a sent mail cannot be called back' : state === 'cancelled' ? 'it was cancelled already' : 'it keeps changing state; try again';
        throw new MailroomError('outbox_not_cancellable', `Mail #${id} is ${state}: ${why}`, { details: { id, state } });
      }
    },
    async retryAllFailed(): Promise<number> {
      const requeued = await deps.store.requeue({ allFailed: true, now: deps.clock.now().getTime() });
      if (requeued > 0) deps.onQueued();
      return requeued;
    },
    purge: (olderThanDays: number) => deps.store.purge(deps.clock.now().getTime() - olderThanDays * 86_400_000),
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
