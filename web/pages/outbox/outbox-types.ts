import type { BatchOutcome, MessageHeader, MessagePart, OutboxAttempt, OutboxRow } from '../../../src/domain/api-types.ts';
import type { MailBounce } from '../../bounces.tsx';

/** The answers of /api/v1/outbox as this page reads them: the server's own types (src/domain/api-types.ts). */
export type OutboxMail = OutboxRow;
export type Attempt = OutboxAttempt;
export type OutboxDetail = OutboxMail & { history: Attempt[]; headers: MessageHeader[]; parts: MessagePart[]; masked: boolean; bounces?: MailBounce[] };
export type BatchResult = BatchOutcome;
