import type { EventType } from './event-types.ts';
import type { NewOwedMail } from './outbox.ts';

/** An event as it is stored: the caller's idempotency key, the object, and its `data` as JSON. */
export interface NewEvent {
  event_key: string;
  type: string;
  actor: string | null;
  object_type: string;
  object_id: string;
  object_name: string;
  object_path: string | null;
  link: string | null;
  data: string | null;
  created_at: number;
}

/** What one event means for one affected user, tied to its event by the event's key. */
export interface NewActivity {
  eventKey: string;
  uid: string;
  type: string;
  actor: string | null;
  /** The user's own action. */
  own: boolean;
  object_type: string;
  object_name: string;
  link: string | null;
  /** Shown in the user's stream. */
  stream: boolean;
  /** 'pending' (waits for a digest), 'mailed', or 'none' (never mailed). */
  mail_state: string;
  created_at: number;
}

/** A public link to be mailed to one outside address. */
export interface NewLinkMail {
  eventKey: string;
  sharer: string;
  address: string;
  owed: NewOwedMail;
}

/** How many outside addresses one sharer may mail links to in a window. */
export interface LinkMailLimit {
  max: number;
  windowMs: number;
}

/** What one batch of events writes, all in one transaction. */
export interface IngestInput {
  events: NewEvent[];
  activities: NewActivity[];
  /** The mails the events owe, rendered later by a worker (owed_mails). */
  mails: Array<{ eventKey: string; owed: NewOwedMail }>;
  linkMails?: NewLinkMail[];
  linkLimit?: LinkMailLimit;
  now: number;
}

/** The events newly recorded and the mails owed, or the limit that refused the whole batch. */
export type IngestOutcome = { inserted: Set<string>; owedIds: number[] } | { limited: LinkLimitHit };

/** Why an ingest was refused: the sharer's window is full. */
export interface LinkLimitHit {
  sharer: string;
  /** Addresses mailed in the window before this request. */
  used: number;
  /** When the oldest of them leaves the window (epoch ms). */
  freesAt: number;
}

/** What `activities:purge` removed. */
export interface ActivityPurge {
  activities: number;
  digests: number;
  events: number;
  linkMails: number;
}

/** An activity as the digest and the stream read it, with its actor's name. */
export interface ActivityRecord {
  id: number;
  uid: string;
  type: EventType;
  actor: string | null;
  own: boolean;
  objectType: 'file' | 'folder';
  objectName: string;
  link: string | null;
  stream: boolean;
  mailState: string;
  createdAt: number;
  actorName: string | null;
  /** The cloud's id of the file or folder (the event's), for a link to it when the event gave none. */
  objectId: string | null;
}
