import { z } from 'zod';
import { printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import { EVENT_TYPES, isEventType, type EventType } from '../domain/event-types.ts';

/** Most events in one request or call. */
export const MAX_EVENTS = 1000;

const uid = z.string().min(1).max(64);
const oneLine = (max: number) => z.string().max(max).refine((v) => !/[\r\n]/.test(v), 'must not contain a line break');
const httpLink = z.string().max(2000).refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s) URL');

const eventSchema = z
  .object({
    id: z.string().min(1).max(200).optional(),
    type: z.string().max(40),
    actor: uid.optional(),
    affected: z.array(uid).min(1, 'name at least one affected user').max(1000),
    object: z
      .object({
        type: z.enum(['file', 'folder']),
        id: z.union([z.string().min(1).max(200), z.number().int()]).transform(String),
        name: oneLine(1000).refine((v) => v.trim() !== '', 'must not be empty'),
        path: z.string().max(4000).optional(),
      })
      .strict(),
    link: httpLink.optional(),
    data: z
      .object({
        /** share.created: when the share ends (ISO 8601 date or time). */
        expiration: z.string().max(40).refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date such as 2026-12-31').optional(),
        /** share.created: the sharer's note to the recipients (may span lines). */
        note: z.string().max(4000).optional(),
        /** The actor's name when the actor is not a Mailroom user (a public link, a federated user). */
        actor_name: oneLine(200).optional(),
      })
      .catchall(z.unknown())
      .optional(),
  })
  .strict();

export interface EventInput {
  id?: string | undefined;
  type: EventType;
  actor?: string | undefined;
  affected: string[];
  object: { type: 'file' | 'folder'; id: string; name: string; path?: string | undefined };
  link?: string | undefined;
  data?: { expiration?: string | undefined; note?: string | undefined; actor_name?: string | undefined; [key: string]: unknown } | undefined;
}

/** Checks one event or a batch from outside; the first problem throws, naming the event. */
export function parseEventInputs(input: unknown): EventInput[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new MailroomError('invalid_request', 'No event given');
  if (list.length > MAX_EVENTS) throw new MailroomError('batch_too_large', `At most ${MAX_EVENTS} events at once (got ${list.length}); send them in several requests`);
  return list.map((item, index) => {
    const where = list.length > 1 ? `event ${index + 1}: ` : '';
    const type = typeof item === 'object' && item !== null ? (item as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !isEventType(type)) {
      throw new MailroomError('event_type_unknown', `${where}"${printable(type)}" is not an event type; the types are ${EVENT_TYPES.join(', ')}`, { details: { index } });
    }
    const result = eventSchema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new MailroomError('invalid_request', `${where}${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}`, { details: { index } });
    }
    return result.data as EventInput;
  });
}
