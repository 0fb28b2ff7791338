/**
 * A person of the cloud as the services see them. The database keeps the flags as 0/1
 * (db/user-repo.ts maps them); here they are booleans, so no business rule compares with 1.
 * The other names are the API's (`display_name`, `created_at`), which toPublicUser copies.
 */
export interface User {
  uid: string;
  display_name: string;
  email: string | null;
  language: string;
  timezone: string;
  admin: boolean;
  /** Scrypt; null until the user sets a password (an invitation not yet followed). */
  password_hash: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

/** A sign-in session, kept by the hash of its id. */
export interface StoredSession {
  id_hash: string;
  uid: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

/** A mailed one-use link (password reset, invitation, address change and its undo), kept by the hash of its token. */
export interface StoredUserToken {
  token_hash: string;
  uid: string;
  /** 'password_reset', 'invitation' or 'email_change'. */
  purpose: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** JSON of what the link carries (the new address of an address change). */
  data: string | null;
}

/** A sign-in or reset limit's window for one key: how many attempts it has taken and when it began. */
export interface AttemptWindow {
  tries: number;
  windowStart: number;
}
