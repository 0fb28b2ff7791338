import { z } from 'zod';
import { assertHeaderSafe, parseEmailAddress } from '../domain/address.ts';
import { isMailroomError, MailroomError } from '../errors.ts';

/** Largest text or HTML part accepted from the API, the CLI or the library. */
export const MAX_PART_BYTES = 5 * 1024 * 1024;
/** Most messages in one request or call; larger sets are split by the caller. */
export const MAX_BATCH = 1000;

export const messageInputSchema = z
  .object({
    to: z.string().max(320),
    subject: z.string().max(998),
    text: z.string().optional(),
    html: z.string().optional(),
    key: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((m) => m.text !== undefined || m.html !== undefined, { message: 'needs text or html' });

export type MessageInput = z.infer<typeof messageInputSchema>;

/** Checks a batch of messages from outside; the first problem throws, naming which message. */
export function parseMessageInputs(input: unknown): MessageInput[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new MailroomError('invalid_request', 'No message given');
  if (list.length > MAX_BATCH) throw new MailroomError('batch_too_large', `At most ${MAX_BATCH} messages at once (got ${list.length})`);
  return list.map((item, index) => {
    const where = list.length > 1 ? `message ${index + 1}: ` : '';
    const result = messageInputSchema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new MailroomError('invalid_request', `${where}${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`, { details: { index } });
    }
    // The address and the subject are checked here too, not only when the service composes the
    // mail, so a caller that queues in several batches (mail:send --jsonl) finds every bad
    // message before the first batch is committed.
    try {
      parseEmailAddress(result.data.to, 'recipient');
      assertHeaderSafe(result.data.subject, 'subject');
    } catch (error) {
      if (isMailroomError(error)) throw new MailroomError(error.code, `${where}${error.message}`, { cause: error, details: { ...(error.details ?? {}), index } });
      throw error;
    }
    for (const part of ['text', 'html'] as const) {
      const value = result.data[part];
      if (value !== undefined && Buffer.byteLength(value) > MAX_PART_BYTES) {
        throw new MailroomError('message_too_large', `${where}the ${part} part is ${(Buffer.byteLength(value) / 1048576).toFixed(1)} MiB; at most ${MAX_PART_BYTES / 1048576} MiB`, { details: { index } });
      }
    }
    return result.data;
  });
}
