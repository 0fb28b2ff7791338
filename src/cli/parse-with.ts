import type { z } from 'zod';
import { MailroomError } from '../errors.ts';

/** A whole number of 1 or more given on the command line (an ID, a count of days). */
export function positiveInteger(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new MailroomError('invalid_request', `${name} must be a whole number of 1 or more (got "${value}")`);
  return Number(value);
}

/** Checks command-line input with zod; the first problem becomes `invalid_request` naming the option. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = String(issue?.path[0] ?? 'input').replace(/_/g, '-');
    throw new MailroomError('invalid_request', `--${field}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
