import type { z } from 'zod';
import { MailroomError } from '../errors.ts';

/** The list of a batch body: `{ "<key>": [...] }`, or the body itself (one item, or a bare array). */
export function batchItems(body: unknown, key: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !(key in body)) return body;
  const list = (body as Record<string, unknown>)[key];
  if (!Array.isArray(list)) throw new MailroomError('invalid_request', `${key}: must be an array`);
  return list;
}

/** Validates a request part with zod; the first problem becomes `invalid_request` naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what = 'request'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MailroomError('invalid_request', `${issue?.path.join('.') || what}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
