import { sql, type Kysely } from 'kysely';
import type { AttemptWindow } from '../domain/user.ts';
import type { DatabaseSchema } from './schema.ts';

/** The windows of the sign-in and reset limits, one row per limit and key. */
export function createAttemptRepo(db: Kysely<DatabaseSchema>) {
  return {
    /**
     * Takes one attempt if the key's window has room, in one statement: the upsert locks the row
     * (PostgreSQL) or the database (SQLite) while it compares and counts, so however many callers
     * race, at most `limit` of them get a window back. A window older than `windowMs` starts
     * again at `now`. Undefined when the window is full; nothing is counted then.
     */
    async take(bucket: string, key: string, input: { now: number; windowMs: number; limit: number }): Promise<AttemptWindow | undefined> {
      const expired = sql<boolean>`attempts.window_start <= ${input.now - input.windowMs}`;
      const row = await db
        .insertInto('attempts')
        .values({ bucket, attempt_key: key, tries: 1, window_start: input.now })
        .onConflict((oc) =>
          oc
            .columns(['bucket', 'attempt_key'])
            .doUpdateSet({
              tries: sql<number>`case when ${expired} then 1 else attempts.tries + 1 end`,
              window_start: sql<number>`case when ${expired} then ${input.now} else attempts.window_start end`,
            })
            .where(sql<boolean>`${expired} or attempts.tries < ${input.limit}`),
        )
        .returning(['tries', 'window_start'])
        .executeTakeFirst();
      return row && { tries: Number(row.tries), windowStart: Number(row.window_start) };
    },
    /** The key's window as it stands, if it has one. */
    async peek(bucket: string, key: string): Promise<AttemptWindow | undefined> {
      const row = await db.selectFrom('attempts').select(['tries', 'window_start']).where('bucket', '=', bucket).where('attempt_key', '=', key).executeTakeFirst();
      return row && { tries: Number(row.tries), windowStart: Number(row.window_start) };
    },
    /** Gives one attempt back to the window that began at `windowStart` (not to a later one). */
    async release(bucket: string, key: string, windowStart: number): Promise<void> {
      await db.updateTable('attempts').set({ tries: sql<number>`tries - 1` }).where('bucket', '=', bucket).where('attempt_key', '=', key).where('window_start', '=', windowStart).where('tries', '>', 0).execute();
    },
    async clear(bucket: string, key: string): Promise<void> {
      await db.deleteFrom('attempts').where('bucket', '=', bucket).where('attempt_key', '=', key).execute();
    },
    /** Forgets every window that began at or before `before`, in any bucket. */
    async prune(before: number): Promise<void> {
      await db.deleteFrom('attempts').where('window_start', '<=', before).execute();
    },
  };
}
