import type { CapturedMailSummary, OutboxAttempt, OutboxRow, OutboxState, RecipientResult } from './api-types.ts';

/** The life of an outbox row. */
export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const satisfies readonly OutboxState[];
// The API's shapes (api-types.ts), which the web interface reads too.
export type { OutboxAttempt, OutboxRow, OutboxState, RecipientResult };

/** A mail a worker claimed: the finished message and what the retry policy needs. */
export interface ClaimedMail {
  id: number;
  messageId: string;
  envelopeFrom: string;
  recipients: string[];
  subject: string;
  /** The finished message's bytes (sealed for account mails, see outbox/sealed-raw.ts). */
  raw: Buffer;
  attempts: number;
  createdAt: number;
}

export interface RetryPolicy {
  /** Delay before the second attempt; each later one doubles it. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** After this long since the mail was queued, a temporary failure becomes final. */
  readonly giveUpAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { minDelayMs: 60_000, maxDelayMs: 6 * 3600_000, giveUpAfterMs: 3 * 24 * 3600_000 };

/**
 * Exponential backoff with ±20 % jitter, so mails that failed together (a server outage) do not
 * all come back in the same second.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

export type FailureDecision = { state: 'failed'; reason: string } | { state: 'queued'; nextAttemptAt: number };

/** What becomes of a mail after a failed attempt: a 5xx ends it, anything else waits and retries. */
export function decideAfterFailure(input: { permanent: boolean; attempt: number; createdAt: number; now: number; policy: RetryPolicy; random: () => number }): FailureDecision {
  if (input.permanent) return { state: 'failed', reason: 'the server refused it permanently' };
  const nextAttemptAt = input.now + retryDelayMs(input.policy, input.attempt, input.random);
  if (nextAttemptAt - input.createdAt > input.policy.giveUpAfterMs) {
    return { state: 'failed', reason: `gave up after ${input.attempt} attempts over ${Math.round((input.now - input.createdAt) / 3600_000)} h` };
  }
  return { state: 'queued', nextAttemptAt };
}

/** A finished mail to be queued. */
export interface NewOutboxRow {
  messageId: string;
  kind: string;
  envelopeFrom: string;
  recipients: string[];
  subject: string;
  /** The finished message's bytes. */
  raw: Buffer;
  idempotencyKey: string | null;
  notBefore?: number;
}

/** A claimed mail a server took. */
export interface SentOutcome {
  id: number;
  host: string;
  reply: string;
  /** Only for mails with several recipients. */
  recipientResults: RecipientResult[] | null;
}

/** A claimed mail whose attempt failed: retried later or failed for good. */
export interface FailedOutcome {
  id: number;
  attempt: number;
  /** 'queued' to retry at nextAttemptAt, or 'failed' for good. */
  state: 'queued' | 'failed';
  nextAttemptAt: number | null;
  host: string | null;
  code: string;
  message: string;
  reply: string | null;
}

/** A mail to be rendered later: its outbox kind, its key, and what to render (JSON, maybe sealed). */
export interface NewOwedMail {
  kind: string;
  key: string;
  payload: string;
}

/** An owed mail a render lane holds under its lease. */
export interface ClaimedOwedMail {
  id: number;
  kind: string;
  key: string;
  payload: string;
  attempts: number;
}

// The API's shapes (api-types.ts), which the web interface reads too.
export type { FailedOwedMail, TestMailRecord } from './api-types.ts';

/** A mail kept instead of sent while the mode is `capture`: the API's summary and the message itself. */
export interface CapturedMail extends CapturedMailSummary {
  raw: string;
}
