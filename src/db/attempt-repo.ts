import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

/** Timestamps of attempts per limit and key: what the sign-in and reset limits count. */
export function createAttemptRepo(db: Kysely<DatabaseSchema>) {
  return {
    /** The times of the attempts since `since`, oldest first. */
    async recent(bucket: string, key: string, since: number): Promise<number[]> {
      const rows = await db.selectFrom('attempts').select('at').where('bucket', '=', bucket).where('attempt_key', '=', key).where('at', '>', since).orderBy('at').execute();
      return rows.map((r) => Number(r.at));
    },
    async add(bucket: string, key: string, at: number): Promise<void> {
      await db.insertInto('attempts').values({ bucket, attempt_key: key, at }).execute();
    },
    async clear(bucket: string, key: string): Promise<void> {
      await db.deleteFrom('attempts').where('bucket', '=', bucket).where('attempt_key', '=', key).execute();
    },
    /** Forgets every attempt older than `before`, in any bucket. */
    async prune(before: number): Promise<void> {
      await db.deleteFrom('attempts').where('at', '<=', before).execute();
    },
  };
}
