import type { z } from 'zod';
import { MailroomError } from '../errors.ts';

/** Validates a request part with zod; the first problem becomes `invalid_request` naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what = 'request'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MailroomError('invalid_request', `${issue?.path.join('.') || what}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
