/**
 * What a host cloud can tell Mailroom about. `share.created` mails the `share` template to each
 * recipient at once; `share.link.sent` mails a public link (`link_share`) to outside addresses;
 * every type becomes activities, mailed in digests by each user's choices. New types go at the
 * end: unsubscribe links name types by their position here.
 */
export const EVENT_TYPES = ['share.created', 'file.created', 'file.changed', 'file.deleted', 'file.restored', 'share.received', 'comment.created', 'tag.assigned', 'share.link.sent'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export const FREQUENCIES = ['asap', 'hourly', 'daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
