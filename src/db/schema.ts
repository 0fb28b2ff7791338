import type { Generated } from 'kysely';

/** The tables, as kysely sees them. Times are ISO-8601 text in both dialects. */
export interface DatabaseSchema {
  settings: SettingsTable;
  captured_mail: CapturedMailTable;
  api_tokens: ApiTokenTable;
  users: UserTable;
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
