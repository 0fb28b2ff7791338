import type { Generated } from 'kysely';
import type { NewEvent } from '../domain/notifications.ts';
import type { OutboxAttempt } from '../domain/outbox.ts';
import type { StoredSession, StoredUserToken } from '../domain/user.ts';

/** The tables, as kysely sees them. Times are ISO-8601 text in both dialects. */
export interface DatabaseSchema {
  settings: SettingsTable;
  captured_mail: CapturedMailTable;
  api_tokens: ApiTokenTable;
  users: UserTable;
  outbox: OutboxTable;
  outbox_bodies: OutboxBodyTable;
  outbox_attempts: OutboxAttemptTable;
  template_versions: TemplateVersionTable;
  sessions: SessionTable;
  user_tokens: UserTokenTable;
  notification_settings: NotificationSettingsTable;
  events: EventTable;
  activities: ActivityTable;
  digests: DigestTable;
  share_notifications: ShareNotificationTable;
  link_share_mails: LinkShareMailTable;
  attempts: AttemptTable;
  smtp_host_cooldowns: HostCooldownTable;
  owed_mails: OwedMailTable;
  serve_address: ServeAddressTable;
  test_mails: TestMailTable;
  mail_bounces: MailBounceTable;
  bounce_scores: BounceScoreTable;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface CapturedMailTable {
  id: Generated<number>;
  message_id: string;
  envelope_from: string;
  envelope_to: string;
  subject: string;
  raw: string;
  created_at: string;
}

export interface ApiTokenTable {
  name: string;
  token_hash: string;
  scope: string;
  created_at: string;
  last_used_at: string | null;
  /** Set for a user's app password: the token acts as this user. */
  uid: string | null;
}

export interface UserTable {
  uid: string;
  display_name: string;
  email: string | null;
  language: string;
  timezone: string;
  is_admin: number;
  password_hash: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

/** A queued message's bytes, apart from its row (migration 0016). */
export interface OutboxBodyTable {
  outbox_id: number;
  raw: Buffer;
}

export interface OutboxTable {
  id: Generated<number>;
  message_id: string;
  kind: string;
  envelope_from: string;
  /** JSON array of addresses. */
  recipients: string;
  subject: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  last_reply: string | null;
  accepted_by: string | null;
  /** JSON array of { address, status, reply } when a mail has several recipients. */
  recipient_results: string | null;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

/** A row per delivery attempt (the domain's OutboxAttempt, with its keys). */
export interface OutboxAttemptTable extends OutboxAttempt {
  id: Generated<number>;
  outbox_id: number;
}

export interface TemplateVersionTable {
  id: Generated<number>;
  name: string;
  lang: string;
  subject: string;
  html: string;
  text: string;
  /** 'set' (the parts are the template), 'restore' (the parts of an older version, saved again) or 'reset' (the shipped default is back; parts empty). */
  action: string;
  created_by: string;
  /** Epoch ms. */
  created_at: number;
}

/** Times in the tables below are epoch ms. */
export type SessionTable = StoredSession;

export type UserTokenTable = StoredUserToken;

export interface NotificationSettingsTable {
  /** A user's uid, or '*' for the admin's defaults. */
  uid: string;
  frequency: string | null;
  own_actions: number | null;
  /** JSON: { [activity type]: { email?: boolean, stream?: boolean } }, only what was chosen. */
  types: string;
  updated_at: number;
}

/** The stored event (the domain's NewEvent), with its key. */
export interface EventTable extends NewEvent {
  id: Generated<number>;
}

export interface ActivityTable {
  id: Generated<number>;
  uid: string;
  event_id: number;
  type: string;
  actor: string | null;
  own: number;
  object_type: string;
  object_name: string;
  link: string | null;
  stream: number;
  /** 'pending' (waits for a digest), 'mailed', or 'none' (never mailed). */
  mail_state: string;
  digest_id: number | null;
  created_at: number;
}

export interface DigestTable {
  id: Generated<number>;
  uid: string;
  period_key: string;
  frequency: string;
  activity_count: number;
  outbox_id: number | null;
  created_at: number;
  /** The worker building this digest, until it is queued (outbox_id set). */
  claim_owner: string | null;
  /** When that claim runs out and another worker may build the digest (epoch ms). */
  claim_expires_at: number | null;
}

export interface ShareNotificationTable {
  share_id: string;
  uid: string;
  outbox_id: number;
  created_at: number;
}

export interface LinkShareMailTable {
  event_key: string;
  address: string;
  sharer: string;
  outbox_id: number;
  created_at: number;
}

export interface AttemptTable {
  /** Which limit: login_account, login_client, reset_client, reset_account, link_check_client. */
  bucket: string;
  /** A keyed hash of the user name, account or client address. */
  attempt_key: string;
  /** Attempts taken in the window that began at window_start. */
  tries: number;
  window_start: number;
}

/** A test mail, sent at once rather than through the outbox; times are epoch ms. */
export interface TestMailTable {
  id: Generated<number>;
  template: string;
  recipient: string;
  subject: string;
  mode: string;
  ok: number;
  via: string | null;
  response: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number | string;
}

/** One row (id 1): the address `serve` last listened on, e.g. http://127.0.0.1:18100. */
export interface ServeAddressTable {
  id: number;
  url: string;
  updated_at: string;
}

export interface HostCooldownTable {
  /** A server of mail_smtphost as the transport labels it: `host:port`. */
  host: string;
  /** Epoch ms at which the server is tried again. */
  failed_until: number;
}

/**
 * A mail a request owes and no worker has rendered yet: what to write (template, recipient,
 * data) rather than the finished message. Deleted in the transaction that queues its outbox
 * row; kept with its code when it cannot be rendered.
 */
export interface OwedMailTable {
  id: Generated<number>;
  /** The outbox kind it becomes (share, link_share, welcome, lost_password …). */
  kind: string;
  /** Also the outbox row's key: one mail per key, however often it is rendered. */
  idempotency_key: string;
  /** JSON; sealed with the instance key (sealed-raw prefix) when it holds a live one-time link. */
  payload: string;
  /** 'owed', 'rendering' (claimed under a lease) or 'failed'. */
  state: string;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_code: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface MailBounceTable {
  id: Generated<number>;
  outbox_id: number;
  address: string;
  kind: string;
  format: string;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
  reporting_mta: string | null;
  received_at: number;
}

export interface BounceScoreTable {
  address: string;
  score: number;
  day: string;
  day_weight: number;
  last_bounce_at: number;
  last_kind: string;
  last_status: string | null;
  last_diagnostic: string | null;
  last_outbox_id: number;
}
