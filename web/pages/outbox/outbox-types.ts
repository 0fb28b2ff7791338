import type { MessageHeader, MessagePart } from '../../../src/domain/api-types.ts';
import type { MailBounce } from '../../bounces.tsx';

/**
 * The answers of /api/v1/outbox as this page reads them: a mail's row, its attempts and what a
 * batch request answers per id (src/db/outbox-repo.ts, src/outbox/outbox-service.ts). Their
 * states and recipient results are the outbox's own domain types, which use Node.js; the
 * messages' headers and parts come from domain/api-types.ts.
 */
export interface OutboxMail {
  id: number;
  messageId: string;
  kind: string;
  envelopeFrom: string;
  recipients: string[];
  subject: string;
  state: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastReply: string | null;
  acceptedBy: string | null;
  recipientResults: Array<{ address: string; status: 'accepted' | 'rejected'; reply?: string }> | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
}

export interface Attempt {
  attempt: number;
  at: number;
  host: string | null;
  outcome: string;
  code: string | null;
  message: string | null;
  reply: string | null;
}

export type OutboxDetail = OutboxMail & { history: Attempt[]; headers: MessageHeader[]; parts: MessagePart[]; masked: boolean; bounces?: MailBounce[] };

export type BatchResult = { id: number; ok: true; state: string } | { id: number; ok: false; error: { code: string; message: string } };
