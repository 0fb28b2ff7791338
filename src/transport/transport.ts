import { MailroomError, type ErrorCode } from '../errors.ts';
import type { Transcript } from './transcript.ts';
import type { DiagnosisFix, HostAttempt as ApiHostAttempt } from '../domain/api-types.ts';

/** A finished message: the bytes are final, so a retry sends exactly the same mail. */
export interface OutgoingMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly raw: Buffer;
  readonly messageId: string;
  /** Kept for the captured-mail inbox and logs; the raw bytes carry the real header. */
  readonly subject: string;
  /** It holds a live one-time link (a reset, an invitation): a copy kept at rest must be sealed. */
  readonly holdsLiveLink?: boolean;
}

/** One server that was tried for a send, in order, and why it was left if it was (the API's shape: domain/api-types.ts). */
export type HostAttempt = ApiHostAttempt<ErrorCode>;

export interface SendResult {
  readonly accepted: readonly string[];
  readonly rejected: ReadonlyArray<{ readonly address: string; readonly reply: string }>;
  /** The server's final reply, verbatim (e.g. `250 2.0.0 Ok: queued as 4ABC`). */
  readonly response: string;
  /** Which server took it (`host:port`), or the binary / `capture`. */
  readonly via: string;
  readonly attempts: readonly HostAttempt[];
  /** Mode capture: the number the mail was kept under (the Outbox's captured mails). */
  readonly capturedId?: number;
}

export interface SendOptions {
  readonly signal?: AbortSignal;
  /**
   * When it fires, a send that has not started to reach the server yet (waiting for its turn on
   * a connection) is given back: rejected with the signal's reason. One under way goes on, unlike
   * with `signal`.
   */
  readonly giveBack?: AbortSignal;
  /** When given, the protocol conversation is recorded here (secrets masked). */
  readonly transcript?: Transcript;
}

/** The port every way of sending implements. One call is one attempt; retrying is the outbox's job. */
export interface Transport {
  /** `smtp`, `sendmail`, `qmail`, `php` or `capture`. */
  readonly name: string;
  /** Sends one message; resolves when a server (or binary) took it, throws a TransportError otherwise. */
  send(mail: OutgoingMail, options?: SendOptions): Promise<SendResult>;
  /** Releases connections and timers. */
  close(): Promise<void>;
  /**
   * How many sends it takes at once to keep it busy (the SMTP pool: its connections times the
   * messages pipelined on each); the worker starts no more than that. Unset: one at a time per
   * `mail_smtp_connections`.
   */
  readonly concurrency?: number;
}

/** How a send failed, decided once here so the worker can choose retry or fail from it alone. */
export type FailureKind = 'connection' | 'timeout' | 'tls' | 'auth' | 'envelope' | 'message' | 'sendmail' | 'config';

export interface TransportFailure {
  readonly kind: FailureKind;
  /** A 5xx reply or a setting that must change: retrying the same way will not help. */
  readonly permanent: boolean;
  /** The server's reply, verbatim, when there was one. */
  readonly reply?: string;
  readonly host?: string;
  readonly command?: string;
  /** What went wrong without the words that say how to fix it (those are the CLI's; a page says them with its own labels from `fix`). */
  readonly problem?: string;
  readonly fix?: DiagnosisFix;
}

export type { DiagnosisFix };

export class TransportError extends MailroomError {
  readonly failure: TransportFailure;
  readonly attempts: readonly HostAttempt[];

  constructor(code: ErrorCode, message: string, failure: TransportFailure, options: { cause?: unknown; attempts?: readonly HostAttempt[] } = {}) {
    super(code, message, {
      cause: options.cause,
      details: { kind: failure.kind, permanent: failure.permanent, ...(failure.reply ? { reply: failure.reply } : {}), ...(failure.host ? { host: failure.host } : {}), ...(failure.problem ? { problem: failure.problem } : {}), ...(failure.fix ? { fix: failure.fix } : {}) },
    });
    this.name = 'TransportError';
    this.failure = failure;
    this.attempts = options.attempts ?? [];
  }
}

export function isTransportError(error: unknown): error is TransportError {
  return error instanceof TransportError;
}
