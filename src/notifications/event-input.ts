import { z } from 'zod';
import { LANGUAGE_CODES, type Language } from '../domain/languages.ts';
import { explainInvalidAddress, printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import { EVENT_TYPES, isEventType, type EventType } from '../domain/event-types.ts';
import { httpLink, oneLine, shareExpiration, shareNote } from './input-fields.ts';

/** Most events in one request or call. */
export const MAX_EVENTS = 1000;

/** Most outside addresses one `share.link.sent` event may mail the link to. */
export const MAX_LINK_RECIPIENTS = 20;

const uid = z.string().min(1).max(64);

const eventSchema = z
  .object({
    id: z.string().min(1).max(200).optional(),
    type: z.string().max(40),
    actor: uid.optional(),
    // Required for every type but share.link.sent, whose recipients are outside addresses.
    affected: z.array(uid).max(1000).optional(),
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
        expiration: shareExpiration.optional(),
        /** share.created: the sharer's note to the recipients (may span lines). */
        note: shareNote.optional(),
        /** The actor's name when the actor is not a Mailroom user (a public link, a federated user). */
        actor_name: oneLine(200).optional(),
        /** share.link.sent: the outside addresses to mail the public link to. */
        recipients: z.array(z.string().max(320)).optional(),
        /** share.link.sent: the language of that mail (else the sharer's). */
        language: z.enum(LANGUAGE_CODES).optional(),
      })
      .catchall(z.unknown())
      .optional(),
  })
  .strict();

export interface EventInput {
  id?: string | undefined;
  type: EventType;
  actor?: string | undefined;
  /** Users the event concerns; empty only for share.link.sent. */
  affected: string[];
  object: { type: 'file' | 'folder'; id: string; name: string; path?: string | undefined };
  link?: string | undefined;
  data?: { expiration?: string | undefined; note?: string | undefined; actor_name?: string | undefined; recipients?: string[] | undefined; language?: Language | undefined; [key: string]: unknown } | undefined;
}

/**
 * What `share.link.sent` needs beyond the common shape: the sharer (a user), the public link, 1–20
 * valid outside addresses (each refused one listed), and a note on one line: the mail goes to
 * people outside the cloud, so nothing in it may pass for another header or a second message.
 */
function checkLinkEvent(event: EventInput, where: string, index: number): EventInput {
  if (event.actor === undefined) throw new MailroomError('invalid_request', `${where}actor: name the user who sends the link`, { details: { index } });
  if (event.link === undefined) throw new MailroomError('invalid_request', `${where}link: give the public link to send`, { details: { index } });
  const given = event.data?.recipients ?? [];
  if (given.length === 0) throw new MailroomError('no_recipient', `${where}data.recipients: name at least one address to send the link to`, { details: { index } });
  const unique = [...new Map(given.map((a) => [a.trim().toLowerCase(), a.trim()])).values()];
  if (unique.length > MAX_LINK_RECIPIENTS) {
    throw new MailroomError('too_many_recipients', `${where}data.recipients: at most ${MAX_LINK_RECIPIENTS} addresses at once (got ${unique.length}); nothing was sent`, { details: { index, limit: MAX_LINK_RECIPIENTS } });
  }
  const refused = unique.flatMap((address) => {
    const problem = explainInvalidAddress(address);
    return problem ? [{ address: printable(address), reason: problem }] : [];
  });
  if (refused.length > 0) {
    const list = refused.map((r) => `"${r.address}" (${r.reason})`).join(', ');
    throw new MailroomError('invalid_address', `${where}data.recipients: not valid email addresses: ${list}; nothing was sent`, { details: { index, refused } });
  }
  if (event.data?.note !== undefined && /[\r\n]/.test(event.data.note)) {
    throw new MailroomError('invalid_request', `${where}data.note: a note sent to outside addresses must be one line (it holds a line break); nothing was sent`, { details: { index } });
  }
  return { ...event, data: { ...event.data, recipients: unique } };
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
    const event = result.data as EventInput;
    if (event.type === 'share.link.sent') return checkLinkEvent({ ...event, affected: event.affected ?? [] }, where, index);
    if (!event.affected || event.affected.length === 0) throw new MailroomError('invalid_request', `${where}affected: name at least one affected user`, { details: { index } });
    return event;
  });
}
