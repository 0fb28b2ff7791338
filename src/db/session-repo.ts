import type { Kysely } from 'kysely';
import type { StoredSession, StoredUserToken } from '../domain/user.ts';
import type { DatabaseSchema } from './schema.ts';

/** Browser sessions, kept by the hash of the cookie's value. */
export function createSessionRepo(db: Kysely<DatabaseSchema>) {
  return {
    async insert(row: StoredSession): Promise<void> {
      await db.insertInto('sessions').values(row).execute();
    },
    async find(idHash: string): Promise<StoredSession | undefined> {
      return db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    },
    async touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
      await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    /** Ends a user's sessions, all or all but one; returns how many ended. */
    async deleteForUser(uid: string, exceptIdHash?: string): Promise<number> {
      let q = db.deleteFrom('sessions').where('uid', '=', uid);
      if (exceptIdHash) q = q.where('id_hash', '!=', exceptIdHash);
      const r = await q.executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteExpired(now: number): Promise<void> {
      await db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    },
  };
}

export type SessionRepo = ReturnType<typeof createSessionRepo>;

/** One-use tokens sent by mail (password reset, invitation, address change), kept by hash. */
export function createUserTokenRepo(db: Kysely<DatabaseSchema>) {
  return {
    async insert(row: StoredUserToken): Promise<void> {
      await db.insertInto('user_tokens').values(row).execute();
    },
    async find(tokenHash: string): Promise<StoredUserToken | undefined> {
      return db.selectFrom('user_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },
    async findLive(uid: string, purpose: string, now: number): Promise<StoredUserToken | undefined> {
      return db.selectFrom('user_tokens').selectAll().where('uid', '=', uid).where('purpose', '=', purpose).where('used_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').executeTakeFirst();
    },
    /** Marks a token used if it still is unused; false when another request used it first. */
    async markUsed(tokenHash: string, at: number): Promise<boolean> {
      const r = await db.updateTable('user_tokens').set({ used_at: at }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Makes every unused token of a user (of one purpose, or all) unusable. */
    async invalidate(uid: string, at: number, purpose?: string): Promise<void> {
      let q = db.updateTable('user_tokens').set({ used_at: at }).where('uid', '=', uid).where('used_at', 'is', null);
      if (purpose) q = q.where('purpose', '=', purpose);
      await q.execute();
    },
    async invalidateAllBut(uid: string, at: number, keep: readonly string[]): Promise<void> {
      let q = db.updateTable('user_tokens').set({ used_at: at }).where('uid', '=', uid).where('used_at', 'is', null);
      if (keep.length > 0) q = q.where('purpose', 'not in', [...keep]);
      await q.execute();
    },
    async deleteOlderThan(at: number): Promise<void> {
      await db.deleteFrom('user_tokens').where('expires_at', '<', at).execute();
    },
  };
}

export type UserTokenRepo = ReturnType<typeof createUserTokenRepo>;
