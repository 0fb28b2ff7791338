/** The input schema of "notify by email" for a share, beside event-input.ts: zod at the boundary, read by the route. */
import { z } from 'zod';
import { httpLink, oneLine, shareExpiration, shareNote } from './input-fields.ts';

/** `POST /api/v1/shares/notify`: "notify by email" for a share that exists already. */
export const shareNotifySchema = z
  .object({
    share_id: z.union([z.string().min(1).max(200), z.number().int()]).transform(String),
    sharer: z.string().min(1).max(64),
    recipients: z.array(z.string().min(1).max(64)).min(1, 'name at least one recipient').max(100),
    object: z
      .object({
        type: z.enum(['file', 'folder']),
        id: z.union([z.string().min(1).max(200), z.number().int()]).transform(String),
        name: oneLine(1000).refine((v) => v.trim() !== '', 'must not be empty'),
      })
      .strict(),
    link: httpLink.optional(),
    expiration: shareExpiration.optional(),
    note: shareNote.optional(),
  })
  .strict();
export type ShareNotifyInput = z.infer<typeof shareNotifySchema>;
