import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

export interface ApiTokenRow {
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
  uid: string | null;
}

/** Service tokens for host applications; only a hash of each token is kept. */
export function createApiTokenRepo(db: Kysely<DatabaseSchema>) {
  return {
    async insert(row: { name: string; tokenHash: string; scope: string; uid: string | null; createdAt: string }): Promise<boolean> {
      const result = await db
        .insertInto('api_tokens')
        .values({ name: row.name, token_hash: row.tokenHash, scope: row.scope, uid: row.uid, created_at: row.createdAt, last_used_at: null })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async findByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
      const r = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r && { name: r.name, scope: r.scope, createdAt: r.created_at, lastUsedAt: r.last_used_at, uid: r.uid };
    },
    async touch(name: string, at: string): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('name', '=', name).execute();
    },
    async list(): Promise<ApiTokenRow[]> {
      const rows = await db.selectFrom('api_tokens').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ name: r.name, scope: r.scope, createdAt: r.created_at, lastUsedAt: r.last_used_at, uid: r.uid }));
    },
    async delete(name: string): Promise<boolean> {
      const result = await db.deleteFrom('api_tokens').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Revokes every app password of a user; returns how many there were. */
    async deleteForUser(uid: string): Promise<number> {
      const result = await db.deleteFrom('api_tokens').where('uid', '=', uid).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
