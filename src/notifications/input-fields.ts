import { z } from 'zod';

/** The fields the notification inputs (events, "notify by email" for a share) have in common. */

/** A text that goes into a mail's header or one line of it: no line break. */
export const oneLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[\r\n]/.test(v), 'must not contain a line break');

/** A link a mail leads to: http(s) only, so a mail never carries a javascript: or file: link. */
export const httpLink = z
  .string()
  .max(2000)
  .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s) URL');

/** When a share ends (ISO 8601 date or time). */
export const shareExpiration = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date such as 2026-12-31');

/** The sharer's note to the recipients (may span lines). */
export const shareNote = z.string().max(4000);
