import { randomBytes } from 'node:crypto';
import type { User } from '../domain/user.ts';
import { hashPassword } from './password-hash.ts';

export interface AdminBootstrapStore {
  count(): Promise<number>;
  insert(user: User): Promise<unknown>;
}

/**
 * A fresh database gets the user `admin`, so the UI can be reached at once. Returns the
 * generated password (to be shown once) when none was given, else undefined.
 */
export async function ensureFirstAdmin(deps: { store: AdminBootstrapStore; clock: { now(): Date }; password: string | undefined }): Promise<{ created: boolean; generatedPassword?: string }> {
  if ((await deps.store.count()) > 0) return { created: false };
  const generated = deps.password ? undefined : randomBytes(12).toString('base64url');
  const now = deps.clock.now().toISOString();
  await deps.store.insert({
    uid: 'admin',
    display_name: 'Administrator',
    email: null,
    language: 'en',
    timezone: 'UTC',
    admin: true,
    password_hash: await hashPassword(deps.password ?? (generated as string)),
    disabled: false,
    created_at: now,
    updated_at: now,
  });
  return generated ? { created: true, generatedPassword: generated } : { created: true };
}
