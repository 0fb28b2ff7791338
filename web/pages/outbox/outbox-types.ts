import type { MessageHeader, MessagePart } from '../../../src/domain/api-types.ts';
import type { MailBounce } from '../../bounces.tsx';

/**
 * The answers of /api/v1/outbox that are not yet in domain/api-types.ts: the outbox row, its
 * attempts and the batch outcomes (src/db/outbox-repo.ts, src/outbox/outbox-service.ts).
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
